package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// BenchmarkWorkspacePage renders a workspace's page for a signed-in
// operator, in process: opening the session, three calls of the admin
// API (each looking its token up in the database) and the template.
func BenchmarkWorkspacePage(b *testing.B) {
	e := newEnv(b)
	for i := range 5 {
		if status, _ := e.api("POST", "/workspaces/acme/tokens", fmt.Sprintf(`{"name":"idp%d"}`, i)); status != http.StatusCreated {
			b.Fatalf("create token: %d", status)
		}
	}
	e.signIn()
	u, _ := url.Parse(e.srv.URL + "/admin/")
	req := httptest.NewRequest("GET", "/admin/workspaces/acme", nil)
	for _, ck := range e.client.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
