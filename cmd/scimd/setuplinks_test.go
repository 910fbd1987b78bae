package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSetupLink: an operator makes a set-up link with the command line,
// on SQLite and on PostgreSQL, and the link, used as the set-up page
// uses it, mints a SCIM token, sees the identity provider's request
// arrive, and reaches nothing else.
func TestSetupLink(t *testing.T) {
	t.Parallel()
	for _, backend := range []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "scimd.db") }},
		{"postgres", testDB},
	} {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			testSetupLink(t, backend.db(t))
		})
	}
}

func testSetupLink(t *testing.T, db string) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("5e7a9c0f3b2d4e6a8c1f0b3d5e7a9c2f4b6d8e0a1c3f5b7d9e2a4c6f8b0d1e3f"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServerOn(t, db, "--secret-file", secret)
	c := &cli{t: t, db: s.db, dbFlags: []string{"--secret-file", secret}}
	for _, bad := range []string{"forever", "30m", "31d", "0"} {
		c.fails(`--expires "`+bad+`": want a duration from 1h to 30d`, "workspace", "setup-link", "default", "--expires", bad)
	}
	c.fails(`workspace "nowhere" does not exist`, "workspace", "setup-link", "nowhere")
	c.fails("usage: scimd workspace setup-link SLUG", "workspace", "setup-link")

	// On the database, the command prints the page's path; with
	// --server, its URL on that server.
	out := c.must("workspace", "setup-link", "default", "--expires", "7d", "--name", "Acme IT")
	path := lastLine(out)
	if !strings.HasPrefix(path, "/admin/setup?link=scimd_setup_") || !strings.Contains(out, "(Acme IT) for workspace default, expires ") {
		t.Fatalf("scimd workspace setup-link:\n%s", out)
	}
	remote := &cli{t: t, db: s.db, server: s.url, admin: s.admin}
	linkURL := lastLine(remote.must("workspace", "setup-link", "default"))
	u, err := url.Parse(linkURL)
	if err != nil || s.url+u.Path != s.url+"/admin/setup" || !strings.HasPrefix(linkURL, s.url+"/admin/setup?link=") {
		t.Fatalf("URL with --server: %s", linkURL)
	}
	link := u.Query().Get("link")

	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	byLink := caller{base: s.url + "/admin/v1", token: link, header: jsonHeader}
	setup := byLink.must(t, http.StatusOK, "GET", "/setup", nil)
	linkID := setup["link"].(map[string]any)["id"].(string)
	if setup["workspace"] != "default" {
		t.Errorf("GET /setup: %v", setup)
	}
	scim := byLink.must(t, http.StatusCreated, "POST", "/workspaces/default/tokens", map[string]any{"name": "okta"})["token"].(string)
	idp := caller{base: s.url + "/scim/v2", token: scim, header: http.Header{"Content-Type": {"application/scim+json"}, "User-Agent": {"Okta SCIM Client 1.0.0"}}}
	idp.must(t, http.StatusCreated, "POST", "/Users", map[string]any{"schemas": []any{userURN}, "userName": "kim@example.com"})
	entries := byLink.must(t, http.StatusOK, "GET", "/audit", nil)["entries"].([]any)
	if b, _ := json.Marshal(entries); len(entries) != 1 || !strings.Contains(string(b), "Okta SCIM Client") {
		t.Errorf("the link's audit log: %v", entries)
	}
	for _, path := range []string{"/workspaces", "/workspaces/default", "/workspaces/default/users", "/admin-tokens", "/workspaces/default/setup-links"} {
		byLink.must(t, http.StatusUnauthorized, "GET", path, nil)
	}

	// The set-up page, as a browser without JavaScript uses it.
	pageURL := s.url + "/admin/setup?link=" + url.QueryEscape(link)
	status, header, body := get(t, pageURL+"&idp=okta")
	if status != http.StatusOK || !strings.Contains(body, "Set up provisioning for default") || !strings.Contains(body, s.url+"/scim/v2") ||
		!strings.Contains(body, "SCIM connector base URL") || !strings.Contains(body, "Okta SCIM Client") || !strings.Contains(body, "POST /scim/v2/Users") {
		t.Errorf("set-up page: %d\n%s", status, body)
	}
	for k, v := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if header.Get(k) != v {
			t.Errorf("set-up page: %s %q, want %q", k, header.Get(k), v)
		}
	}
	if csp := header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(body, "<script") {
		t.Errorf("set-up page: CSP %q, or a script", csp)
	}
	if _, _, body := get(t, pageURL+"&watch=1"); !strings.Contains(body, `<meta http-equiv="refresh" content="5">`) {
		t.Error("watching, the page does not reload itself")
	}
	status, body = postForm(t, s.url+"/admin/setup/tokens", url.Values{"link": {link}, "name": {"entra"}})
	minted := scimTokenRE.FindString(body)
	if status != http.StatusCreated || minted == "" {
		t.Fatalf("creating a token on the set-up page: %d\n%s", status, body)
	}
	idp.token = minted
	idp.header.Set("User-Agent", "Azure AD SCIM Client")
	idp.must(t, http.StatusCreated, "POST", "/Groups", map[string]any{"schemas": []any{groupURN}, "displayName": "Engineering"})
	if _, _, body := get(t, pageURL); !strings.Contains(body, "POST /scim/v2/Groups") || !strings.Contains(body, "Azure AD SCIM Client") {
		t.Errorf("the page does not show the request that arrived:\n%s", body)
	}
	tokens := byLink.must(t, http.StatusOK, "GET", "/workspaces/default/tokens", nil)["tokens"].([]any)
	entra := tokens[len(tokens)-1].(map[string]any)["id"].(string)
	status, body = postForm(t, s.url+"/admin/setup/tokens/"+entra+"/rotate", url.Values{"link": {link}, "overlap": {"24h"}})
	if rotated := scimTokenRE.FindString(body); status != http.StatusCreated || rotated == "" || rotated == minted || !strings.Contains(body, "works until") {
		t.Errorf("rotating on the set-up page: %d\n%s", status, body)
	}
	idp.must(t, http.StatusOK, "GET", "/Users", nil) // the old token works for a day yet

	// Nothing else is reachable with it: another workspace's token, the
	// console, the admin API.
	c.must("workspace", "create", "globex")
	other := lastLine(c.must("token", "create", "--workspace", "globex", "--name", "okta"))
	otherID := byAdmin(s).must(t, http.StatusOK, "GET", "/workspaces/globex/tokens", nil)["tokens"].([]any)[0].(map[string]any)["id"].(string)
	if status, body := postForm(t, s.url+"/admin/setup/tokens/"+otherID+"/rotate", url.Values{"link": {link}}); status != http.StatusNotFound || strings.Contains(body, other) {
		t.Errorf("rotating another workspace's token with the link: %d\n%s", status, body)
	}
	byLink.must(t, http.StatusForbidden, "POST", "/workspaces/globex/tokens", map[string]any{"name": "x"})
	byLink.must(t, http.StatusForbidden, "GET", "/audit?workspace=globex", nil)
	for _, path := range []string{"/admin/", "/admin/workspaces/globex", "/admin/audit", "/admin/admin-tokens"} {
		if status, _, _ := get(t, s.url+path+"?link="+url.QueryEscape(link)); status != http.StatusSeeOther {
			t.Errorf("GET %s with the link: %d, want the sign-in's redirect", path, status)
		}
	}
	if status, _, body := get(t, s.url+"/admin/setup?link=scimd_setup_nonsense"); status != http.StatusNotFound || strings.Contains(body, "default") {
		t.Errorf("a link that is none: %d\n%s", status, body)
	}

	// What the link did is in the audit log, with the link as the actor.
	out = c.must("audit", "--actor", "setup_link:"+linkID)
	if !strings.Contains(out, "token.create") || !strings.Contains(out, "token.rotate") {
		t.Errorf("scimd audit --actor setup_link:%s:\n%s", linkID, out)
	}

	// Listed, and revoked, by the CLI as a user types it (through the
	// server, which then refuses the link from its next request), the
	// link opens a page that says so and shows nothing.
	if out := c.must("setup-link", "list", "--workspace", "default"); !strings.Contains(out, linkID) || !strings.Contains(out, "active") {
		t.Errorf("scimd setup-link list:\n%s", out)
	}
	if out := remote.must("setup-link", "revoke", "--workspace", "default", linkID); !strings.Contains(out, "set-up link "+linkID) || !strings.Contains(out, "revoked at") {
		t.Errorf("scimd setup-link revoke:\n%s", out)
	}
	c.fails("usage: scimd setup-link revoke --workspace SLUG ID", "setup-link", "revoke", "--workspace", "default")
	if status, _, body := get(t, pageURL); status != http.StatusGone || !strings.Contains(body, "has been revoked") || strings.Contains(body, "Set up provisioning") || strings.Contains(body, "entra") {
		t.Errorf("revoked link: %d\n%s", status, body)
	}
	if status, _ := postForm(t, s.url+"/admin/setup/tokens", url.Values{"link": {link}, "name": {"late"}}); status != http.StatusGone {
		t.Errorf("creating a token with a revoked link: %d", status)
	}
}

// scimTokenRE finds a SCIM token on a page.
var scimTokenRE = regexp.MustCompile(`scim_[A-Za-z0-9_-]{40,}`)

// byAdmin calls the admin API of s with its first admin token.
func byAdmin(s *testServer) caller {
	return caller{base: s.url + "/admin/v1", token: s.admin, header: http.Header{"Content-Type": {"application/json"}}}
}

// get fetches a page as a browser would, without following redirects.
func get(t *testing.T, u string) (int, http.Header, string) {
	t.Helper()
	resp, err := noRedirects.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// postForm sends a form as a browser would, from the page's own origin.
func postForm(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var noRedirects = &http.Client{Timeout: patience, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
