package appapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/admin"
	"github.com/scimd/scimd/internal/server"
)

// TestAuth checks that every endpoint wants an app token, valid, of the
// workspace in its path, and says what else it was given.
func TestAuth(t *testing.T) {
	e := newEnv(t)
	scim, _, err := e.ten.CreateToken(e.ctx, "acme", "okta", 0)
	if err != nil {
		t.Fatal(err)
	}
	adminTok, _, err := e.ten.CreateAdminToken(e.ctx, "ops", 0)
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := e.iss.IssueAPIKey(e.ctx, e.acme.ID, e.ada, "ci", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	sess, _, err := e.iss.IssueSession(e.ctx, e.acme.ID, e.ada, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	revoked, rt, err := e.iss.CreateAppToken(e.ctx, e.acme.ID, "old", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.iss.RevokeAppToken(e.ctx, e.acme.ID, rt.ID); err != nil {
		t.Fatal(err)
	}
	expired, _, err := e.iss.CreateAppToken(e.ctx, e.acme.ID, "short", e.clock().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	forged, _, _ := e.hasher.MintKind("app", e.acme.ID)
	other, err := e.ten.CreateWorkspace(e.ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	theirs, _, err := e.iss.CreateAppToken(e.ctx, other.ID, "theirs", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// Used once while good, so that refusals below come from the cache
	// as well as from the store.
	for _, tok := range []string{expired, theirs} {
		e.doAs(tok, "POST", "verify", `{"token":"x"}`).want(http.StatusOK)
	}
	e.advance(time.Minute)

	endpoints := []struct{ method, path, body string }{
		{"POST", "verify", `{"token":"` + key + `"}`},
		{"GET", "workspaces/acme/users/" + e.ada + "/api-keys", ""},
		{"POST", "workspaces/acme/users/" + e.ada + "/api-keys", `{"name":"x"}`},
		{"DELETE", "workspaces/acme/users/" + e.ada + "/api-keys/cred_x", ""},
		{"GET", "workspaces/acme/users/" + e.ada + "/sessions", ""},
		{"POST", "workspaces/acme/users/" + e.ada + "/sessions", `{}`},
		{"DELETE", "workspaces/acme/users/" + e.ada + "/sessions/cred_x", ""},
		{"GET", "workspaces/acme/events", ""},
	}
	for _, tt := range []struct {
		name, tok, says string
	}{
		{"no token", "", "app token is required"},
		{"a SCIM token", scim, "SCIM token"},
		{"an admin token", adminTok, "admin token"},
		{"an API key", key, "API key"},
		{"a session", sess, "session"},
		{"a revoked app token", revoked, "revoked"},
		{"an expired app token", expired, "expired"},
		{"a forged app token", forged, "not a valid app token"},
		{"garbage", "scimd_app_nope", "not a valid app token"},
	} {
		for _, ep := range endpoints {
			r := e.doAs(tt.tok, ep.method, ep.path, ep.body)
			contains(t, r.wantError(http.StatusUnauthorized, "unauthorized"), tt.says)
			if r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s on %s %s: no WWW-Authenticate", tt.name, ep.method, ep.path)
			}
		}
	}
	// Another workspace's app token works on its workspace only.
	for _, ep := range endpoints[1:] {
		e.doAs(theirs, ep.method, ep.path, ep.body).wantError(http.StatusForbidden, "forbidden")
	}

}

// TestAppTokenRevoked checks that an app token revoked is refused from
// the very next request, cached as it was.
func TestAppTokenRevoked(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "workspaces/acme/events", "").want(http.StatusOK)
	list, err := e.iss.AppTokens(e.ctx, e.acme.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("AppTokens = %v, %v", list, err)
	}
	if _, err := e.iss.RevokeAppToken(e.ctx, e.acme.ID, list[0].ID); err != nil {
		t.Fatal(err)
	}
	contains(t, e.do("GET", "workspaces/acme/events", "").wantError(http.StatusUnauthorized, "unauthorized"), "revoked")
}

// TestAppTokenElsewhere checks that an app token opens neither the SCIM
// endpoints nor the admin API.
func TestAppTokenElsewhere(t *testing.T) {
	e := newEnv(t)
	scim := server.New(server.DefaultConfig(), e.st, e.hasher, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { scim.Close() })
	adm := admin.New(admin.Config{Store: e.st, Hasher: e.hasher})
	t.Cleanup(func() { adm.Close() })
	for _, tt := range []struct {
		h    http.Handler
		path string
	}{
		{scim, "/scim/v2/Users"},
		{adm, "/admin/v1/workspaces"},
		{adm, "/admin/v1/workspaces/acme/app-tokens"},
	} {
		req := httptest.NewRequest("GET", tt.path, nil)
		req.Header.Set("Authorization", "Bearer "+e.app)
		rec := httptest.NewRecorder()
		tt.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s with an app token: %d %s", tt.path, rec.Code, rec.Body)
		}
	}
}
