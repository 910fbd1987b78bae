package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAdminListener serves the admin API on a listener of its own: it
// and the metrics move there, off the SCIM listener.
func TestAdminListener(t *testing.T) {
	s := startServer(t, "--admin-addr", "127.0.0.1:0")
	var adminURL string
	re := regexp.MustCompile(`serving the admin API at (http://\S+)/admin/v1, its console at \S+ and metrics at /metrics`)
	for deadline := time.Now().Add(patience); adminURL == ""; time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(s.out.String()); m != nil {
			adminURL = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no admin listener in the banner:\n%s", s.out.String())
		}
	}
	get := func(url, tok string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tt := range []struct {
		url, tok string
		status   int
		want     string
	}{
		{adminURL + "/admin/v1/workspaces", s.admin, http.StatusOK, `"slug": "default"`},
		{adminURL + "/metrics", "", http.StatusOK, "scimd_tokens_expiring"},
		{s.url + "/admin/v1/workspaces", s.admin, http.StatusNotFound, "urn:ietf:params:scim:api:messages:2.0:Error"},
		{s.url + "/metrics", "", http.StatusNotFound, "urn:ietf:params:scim:api:messages:2.0:Error"},
		{s.url + "/healthz", "", http.StatusOK, "ok"},
		{s.url + "/scim/v2/Users", s.scim, http.StatusOK, `"totalResults"`},
	} {
		if st, body := get(tt.url, tt.tok); st != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s: %d %.200s, want %d with %q", tt.url, st, body, tt.status, tt.want)
		}
	}
	c := &cli{t: t, server: adminURL, admin: s.admin}
	if out := c.must("workspace", "list"); !strings.Contains(out, "default") {
		t.Errorf("workspace list on the admin listener:\n%s", out)
	}
	// The set-up page stays where customers reach the server, with the
	// SCIM endpoints, and a set-up link leads there.
	link := lastLine(c.must("workspace", "setup-link", "default"))
	if !strings.HasPrefix(link, s.url+"/admin/setup?link=scimd_setup_") {
		t.Fatalf("set-up link %s, want one on %s", link, s.url)
	}
	for _, tt := range []struct {
		url    string
		status int
		want   string
	}{
		{link, http.StatusOK, "Set up provisioning for default"},
		{s.url + "/admin/static/console.css", http.StatusOK, "scimd admin console"},
		{s.url + "/admin/setup?link=scimd_setup_x", http.StatusNotFound, "This is not a set-up link"},
		{adminURL + "/admin/setup?link=scimd_setup_x", http.StatusNotFound, "This is not a set-up link"},
		{s.url + "/admin/login", http.StatusNotFound, "urn:ietf:params:scim:api:messages:2.0:Error"},
	} {
		if st, body := get(tt.url, ""); st != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s: %d %.200s, want %d with %q", tt.url, st, body, tt.status, tt.want)
		}
	}
}
