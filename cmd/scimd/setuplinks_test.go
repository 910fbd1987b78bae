package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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

	// What the link did is in the audit log, with the link as the actor.
	if out := c.must("audit", "--actor", "setup_link:"+linkID); !strings.Contains(out, "token.create") {
		t.Errorf("scimd audit --actor setup_link:%s:\n%s", linkID, out)
	}
}
