package admin

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSetupLinks makes, lists and revokes a set-up link, and checks what
// the link reaches: its workspace's SCIM tokens, GET /setup and the SCIM
// requests of the audit log, and nothing else.
func TestSetupLinks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.now = e.now.Truncate(time.Second)
	if _, err := e.ten.CreateWorkspace(e.ctx, "globex"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ body, want string }{
		{`{"expires_in":"forever"}`, `expires "forever": want a duration from 1h to 30d`},
		{`{"expires_in":"59m"}`, `want a duration from 1h to 30d`},
		{`{"expires_in":"31d"}`, `want a duration from 1h to 30d`},
		{`{"expires_in":"0"}`, `want a duration from 1h to 30d`},
		{`{"name":"` + strings.Repeat("x", 101) + `"}`, "at most 100 bytes"},
	} {
		contains(t, e.do("POST", "workspaces/acme/setup-links", tt.body).wantError(http.StatusBadRequest, CodeInvalidValue), tt.want)
	}
	e.do("POST", "workspaces/nowhere/setup-links", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)

	r := e.do("POST", "workspaces/acme/setup-links", "").want(http.StatusCreated)
	link, _ := r["link"].(string)
	id, _ := r["id"].(string)
	if !strings.HasPrefix(link, "scimd_setup_") || r["url"] != "/admin/setup?link="+link || r["name"] != "set-up link" ||
		r["days_left"] != 7.0 || r["created_by"] != "admin_token:"+e.adminID {
		t.Fatalf("created %v", r)
	}
	e.now = e.now.Add(time.Second)
	r = e.do("POST", "workspaces/acme/setup-links", `{"name":"Acme IT","expires_in":"48h"}`).want(http.StatusCreated)
	if r["days_left"] != 2.0 || r["name"] != "Acme IT" {
		t.Errorf("created %v", r)
	}
	list := e.do("GET", "workspaces/acme/setup-links", "").want(http.StatusOK)["setup_links"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["id"] != id || list[0].(map[string]any)["link"] != nil {
		t.Fatalf("listed %v", list)
	}
	// A link is neither a SCIM token nor an app token.
	if l := e.do("GET", "workspaces/acme/tokens", "").want(http.StatusOK)["tokens"].([]any); len(l) != 1 {
		t.Errorf("SCIM tokens %v", l)
	}

	// What the link reaches.
	setup := e.doAs(link, "GET", "setup", "").want(http.StatusOK)
	if setup["workspace"] != "acme" || setup["workspace_id"] != e.acmeID || setup["link"].(map[string]any)["id"] != id {
		t.Errorf("GET /setup: %v", setup)
	}
	tok := e.doAs(link, "POST", "workspaces/acme/tokens", `{"name":"okta"}`).want(http.StatusCreated)
	if tok["created_by"] != "setup_link:"+id || tok["days_left"] == nil {
		t.Errorf("token made with the link: %v", tok)
	}
	rot := e.doAs(link, "POST", "workspaces/acme/tokens/"+tok["id"].(string)+"/rotate", `{"overlap":"24h"}`).want(http.StatusCreated)
	if prev := rot["previous"].(map[string]any); prev["state"] != "active" || rot["token"] == nil {
		t.Errorf("rotated with the link: %v", rot)
	}
	if l := e.doAs(link, "GET", "workspaces/acme/tokens", "").want(http.StatusOK)["tokens"].([]any); len(l) != 3 {
		t.Errorf("tokens listed with the link: %v", l)
	}
	e.doAs(link, "GET", "audit", "").want(http.StatusOK)
	e.doAs(link, "GET", "audit?workspace=acme&channel=scim", "").want(http.StatusOK)
	for _, tt := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "workspaces/globex/tokens", http.StatusForbidden, CodeForbidden},
		{"POST", "workspaces/globex/tokens", http.StatusForbidden, CodeForbidden},
		{"GET", "audit?workspace=globex", http.StatusForbidden, CodeForbidden},
		{"GET", "audit?channel=admin", http.StatusForbidden, CodeForbidden},
		{"GET", "workspaces", http.StatusUnauthorized, CodeUnauthorized},
		{"GET", "workspaces/acme", http.StatusUnauthorized, CodeUnauthorized},
		{"GET", "workspaces/acme/setup-links", http.StatusUnauthorized, CodeUnauthorized},
		{"POST", "workspaces/acme/setup-links", http.StatusUnauthorized, CodeUnauthorized},
		{"DELETE", "workspaces/acme/tokens/" + e.scimID, http.StatusUnauthorized, CodeUnauthorized},
		{"GET", "workspaces/acme/users", http.StatusUnauthorized, CodeUnauthorized},
		{"GET", "admin-tokens", http.StatusUnauthorized, CodeUnauthorized},
	} {
		e.doAs(link, tt.method, tt.path, "").wantError(tt.status, tt.code)
	}
	contains(t, e.doAs(link, "GET", "workspaces", "").wantError(http.StatusUnauthorized, CodeUnauthorized), "this is a set-up link")
	e.do("GET", "setup", "").wantError(http.StatusForbidden, CodeForbidden)

	// Its writes are audited with the link as the actor.
	for _, action := range []string{"token.create", "token.rotate"} {
		if a := e.audit(action); len(a) != 1 || a[0].Actor != "setup_link:"+id || a[0].WorkspaceID != e.acmeID {
			t.Errorf("audit of %s: %+v", action, a)
		}
	}

	// Revoked, it reaches nothing; the tokens made with it go on.
	r = e.do("DELETE", "workspaces/acme/setup-links/"+id, "").want(http.StatusOK)
	if r["state"] != "revoked" {
		t.Errorf("revoked %v", r)
	}
	contains(t, e.doAs(link, "GET", "setup", "").wantError(http.StatusUnauthorized, CodeSetupLinkEnded), "the set-up link has been revoked")
	if a := e.audit("setup_link.revoke"); len(a) != 1 || a[0].Target != id {
		t.Errorf("audit of the revocation: %+v", a)
	}
	e.do("DELETE", "workspaces/acme/setup-links/"+e.scimID, "").wantError(http.StatusNotFound, CodeSetupLinkNotFound)
	e.do("DELETE", "workspaces/globex/setup-links/"+id, "").wantError(http.StatusNotFound, CodeSetupLinkNotFound)

	// The other link expires, and then reaches nothing.
	r = e.do("POST", "workspaces/acme/setup-links", `{"expires_in":"1h"}`).want(http.StatusCreated)
	other, otherID := r["link"].(string), r["id"].(string)
	e.doAs(other, "GET", "setup", "").want(http.StatusOK)
	e.now = e.now.Add(time.Hour)
	contains(t, e.doAs(other, "GET", "setup", "").wantError(http.StatusUnauthorized, CodeSetupLinkEnded), "the set-up link has expired")
	// Links made at the same instant are listed in the order of their
	// random ids: find this one by its id.
	var state any
	for _, l := range e.do("GET", "workspaces/acme/setup-links", "").want(http.StatusOK)["setup_links"].([]any) {
		if l := l.(map[string]any); l["id"] == otherID {
			state = l["state"]
		}
	}
	if state != "expired" {
		t.Errorf("after an hour: state %v", state)
	}
}

// TestSetupLinkWithinAdminToken: an admin token that expires cannot make
// a link that outlives it.
func TestSetupLinkWithinAdminToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	short, _, err := e.ten.CreateAdminToken(e.ctx, "short", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, e.doAs(short, "POST", "workspaces/acme/setup-links", `{"expires_in":"7d"}`).wantError(http.StatusBadRequest, CodeInvalidValue), "cannot make a link that outlives it")
	e.doAs(short, "POST", "workspaces/acme/setup-links", `{"expires_in":"12h"}`).want(http.StatusCreated)
}
