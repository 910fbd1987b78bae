package admin

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

func TestAppTokens(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "workspaces/acme/app-tokens", `{"name":"backend","expires_in":"30d"}`).want(http.StatusCreated)
	tok, _ := r["token"].(string)
	if !strings.HasPrefix(tok, token.AppPrefix) || r["state"] != "active" || r["days_left"] != 30.0 || r["created_by"] != "admin_token:"+e.adminID {
		t.Fatalf("created %v", r)
	}
	// It is an app token of acme, found by its hash in the app domain.
	tk, err := e.st.TokenByHash(e.ctx, e.acmeID, e.hasher.HashKind(token.App, e.acmeID, tok))
	if err != nil || tk.ID != r["id"] || tk.Kind != store.TokenApp {
		t.Fatalf("stored token %+v, %v", tk, err)
	}
	// An admin token that never expires, as one that does cannot make
	// tokens that outlive it.
	root, _, err := e.ten.CreateAdminToken(e.ctx, "root", -1)
	if err != nil {
		t.Fatal(err)
	}
	if d := e.doAs(root, "POST", "workspaces/acme/app-tokens", `{"name":"default"}`).want(http.StatusCreated); d["days_left"] != 365.0 {
		t.Errorf("default lifetime: %v days", d["days_left"])
	}
	if f := e.doAs(root, "POST", "workspaces/acme/app-tokens", `{"name":"forever","expires_in":"0"}`).want(http.StatusCreated); f["expires"] != nil {
		t.Errorf("never-expiring token %v", f)
	}

	// The listing has the app tokens only, without secrets; the SCIM
	// token of acme is not among them.
	list := e.do("GET", "workspaces/acme/app-tokens", "").want(http.StatusOK)["tokens"].([]any)
	if len(list) != 3 {
		t.Fatalf("app tokens %v", list)
	}
	for _, x := range list {
		m := x.(map[string]any)
		if _, ok := m["token"]; ok || m["id"] == e.scimID {
			t.Errorf("listed %v", m)
		}
	}

	r = e.do("DELETE", "workspaces/acme/app-tokens/"+r["id"].(string), "").want(http.StatusOK)
	if r["state"] != "revoked" || r["revoked"] == nil {
		t.Errorf("revoked %v", r)
	}
	e.now = e.now.Add(time.Hour)
	again := e.do("DELETE", "workspaces/acme/app-tokens/"+r["id"].(string), "").want(http.StatusOK)
	if again["revoked"] != r["revoked"] {
		t.Errorf("revoking again moved the time: %v, then %v", r["revoked"], again["revoked"])
	}

	entries := e.audit("app_token.*")
	if len(entries) != 5 || entries[0].Action != "app_token.revoke" || entries[4].Action != "app_token.create" ||
		entries[4].WorkspaceID != e.acmeID || entries[4].Target != tk.ID {
		t.Errorf("audit %+v", entries)
	}
	for _, a := range entries {
		if strings.Contains(string(a.Payload), tok) {
			t.Error("the audit log holds a token's secret")
		}
	}
}

func TestAppTokenErrors(t *testing.T) {
	e := newEnv(t)
	contains(t, e.do("POST", "workspaces/acme/app-tokens", `{"name":""}`).wantError(http.StatusBadRequest, CodeInvalidValue), "needs a name")
	contains(t, e.do("POST", "workspaces/acme/app-tokens", `{"name":"x","expires_in":"soon"}`).wantError(http.StatusBadRequest, CodeInvalidValue), "expires_in")
	e.do("POST", "workspaces/acme/app-tokens", `{"name":"x","expires_in":"-1h"}`).wantError(http.StatusBadRequest, CodeInvalidValue)
	e.do("POST", "workspaces/acme/app-tokens", `{"name":"x","scopes":[]}`).wantError(http.StatusBadRequest, CodeInvalidJSON)
	e.do("POST", "workspaces/nope/app-tokens", `{"name":"x"}`).wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	e.do("GET", "workspaces/nope/app-tokens", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	e.do("DELETE", "workspaces/nope/app-tokens/tok_x", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	e.do("DELETE", "workspaces/acme/app-tokens/tok_nope", "").wantError(http.StatusNotFound, CodeTokenNotFound)

	// A SCIM token, and another workspace's app token, are not acme's
	// app tokens.
	e.do("DELETE", "workspaces/acme/app-tokens/"+e.scimID, "").wantError(http.StatusNotFound, CodeTokenNotFound)
	if tk, _ := e.st.TokenByID(e.ctx, e.scimID); !tk.Revoked.IsZero() {
		t.Error("a SCIM token was revoked as an app token")
	}
	e.do("POST", "workspaces", `{"slug":"other"}`).want(http.StatusCreated)
	theirs := e.do("POST", "workspaces/other/app-tokens", `{"name":"x"}`).want(http.StatusCreated)
	e.do("DELETE", "workspaces/acme/app-tokens/"+theirs["id"].(string), "").wantError(http.StatusNotFound, CodeTokenNotFound)

	// An app token does not open the admin API.
	contains(t, e.doAs(theirs["token"].(string), "GET", "workspaces", "").wantError(http.StatusUnauthorized, CodeUnauthorized), "not a valid admin token")
}
