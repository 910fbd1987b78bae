package admin

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
)

func TestTokens(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "workspaces/acme/tokens", `{"name":"entra","expires_in":"30d"}`).want(http.StatusCreated)
	tok, _ := r["token"].(string)
	if !strings.HasPrefix(tok, "scim_") || r["state"] != "active" || r["days_left"] != 30.0 || r["created_by"] != "admin_token:"+e.adminID {
		t.Fatalf("created %v", r)
	}
	// The token works for its workspace.
	tk, err := e.st.TokenByHash(e.ctx, e.acmeID, e.hasher.Hash(e.acmeID, tok))
	if err != nil || tk.ID != r["id"] {
		t.Fatalf("stored token %+v, %v", tk, err)
	}
	// An admin token that never expires, as one that does cannot make
	// tokens that outlive it.
	root, _, err := e.ten.CreateAdminToken(e.ctx, "root", -1)
	if err != nil {
		t.Fatal(err)
	}
	r = e.doAs(root, "POST", "workspaces/acme/tokens", `{"name":"forever","expires_in":"0"}`).want(http.StatusCreated)
	if r["expires"] != nil || r["days_left"] != nil {
		t.Errorf("never-expiring token %v", r)
	}

	list := e.do("GET", "workspaces/acme/tokens", "").want(http.StatusOK)["tokens"].([]any)
	if len(list) != 3 {
		t.Fatalf("tokens %v", list)
	}
	for _, x := range list {
		if _, ok := x.(map[string]any)["token"]; ok {
			t.Error("a listing shows a token's secret")
		}
	}

	r = e.do("DELETE", "workspaces/acme/tokens/"+e.scimID, "").want(http.StatusOK)
	if r["state"] != "revoked" || r["revoked"] == nil {
		t.Errorf("revoked %v", r)
	}
	e.do("DELETE", "workspaces/acme/tokens/"+e.scimID, "").want(http.StatusOK) // again: no change

	entries := e.audit("token.*")
	if len(entries) != 4 || entries[3].Action != "token.create" || entries[0].Action != "token.revoke" || entries[0].Target != e.scimID {
		t.Errorf("audit %+v", entries)
	}
	if strings.Contains(string(entries[3].Payload), tok) {
		t.Error("the audit log holds a token's secret")
	}
}

func TestTokenErrors(t *testing.T) {
	e := newEnv(t)
	contains(t, e.do("POST", "workspaces/acme/tokens", `{"name":""}`).wantError(http.StatusBadRequest, CodeInvalidValue), "needs a name")
	contains(t, e.do("POST", "workspaces/acme/tokens", `{"name":"x","expires_in":"soon"}`).wantError(http.StatusBadRequest, CodeInvalidValue), "expires_in")
	e.do("POST", "workspaces/acme/tokens", `{"name":"x","expires_in":"-1h"}`).wantError(http.StatusBadRequest, CodeInvalidValue)
	e.do("POST", "workspaces/acme/tokens", `{"name":"x","expires_in":30}`).wantError(http.StatusBadRequest, CodeInvalidJSON)
	e.do("POST", "workspaces/nope/tokens", `{"name":"x"}`).wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	e.do("GET", "workspaces/nope/tokens", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	e.do("DELETE", "workspaces/nope/tokens/"+e.scimID, "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	e.do("DELETE", "workspaces/acme/tokens/tok_nope", "").wantError(http.StatusNotFound, CodeTokenNotFound)
	// Another workspace's token, and the admin token, are not acme's.
	e.do("POST", "workspaces", `{"slug":"other"}`).want(http.StatusCreated)
	e.do("DELETE", "workspaces/other/tokens/"+e.scimID, "").wantError(http.StatusNotFound, CodeTokenNotFound)
	e.do("DELETE", "workspaces/acme/tokens/"+e.adminID, "").wantError(http.StatusNotFound, CodeTokenNotFound)
	if tk, _ := e.st.TokenByID(e.ctx, e.scimID); !tk.Revoked.IsZero() {
		t.Error("the token was revoked through another workspace")
	}
	if list, _ := e.ten.ListTokens(e.ctx, "acme"); len(list) != 1 {
		t.Errorf("%d tokens after refused creates", len(list))
	}
}

func TestRotateToken(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "workspaces/acme/tokens/"+e.scimID+"/rotate", `{"overlap":"1h"}`).want(http.StatusCreated)
	prev := r["previous"].(map[string]any)
	exp, _ := time.Parse(time.RFC3339Nano, prev["expires"].(string))
	if prev["id"] != e.scimID || prev["state"] != "active" || exp.Sub(e.now.UTC()).Round(time.Second) != time.Hour {
		t.Errorf("previous %v", prev)
	}
	if r["name"] != "okta" || r["id"] == e.scimID || !strings.HasPrefix(r["token"].(string), "scim_") {
		t.Errorf("new token %v", r)
	}
	newID := r["id"].(string)
	// Without a body: the old token ends at once.
	r = e.do("POST", "workspaces/acme/tokens/"+newID+"/rotate", "").want(http.StatusCreated)
	if r["previous"].(map[string]any)["state"] != "revoked" {
		t.Errorf("previous %v", r["previous"])
	}
	contains(t, e.do("POST", "workspaces/acme/tokens/"+newID+"/rotate", "").wantError(http.StatusConflict, CodeTokenInactive), "revoked")
	e.do("POST", "workspaces/acme/tokens/"+e.scimID+"/rotate", `{"overlap":"-1h"}`).wantError(http.StatusBadRequest, CodeInvalidValue)
	e.do("POST", "workspaces/acme/tokens/"+e.scimID+"/rotate", `{"overlap":"31d"}`).wantError(http.StatusBadRequest, CodeInvalidValue)
	e.do("POST", "workspaces/acme/tokens/tok_nope/rotate", "").wantError(http.StatusNotFound, CodeTokenNotFound)
	e.do("POST", "workspaces/nope/tokens/"+e.scimID+"/rotate", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)

	// Each rotation that succeeded wrote its events; those that failed,
	// none.
	evs, err := e.st.Events(e.ctx, e.acmeID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	want := []string{
		eventtype.TokenCreated,                         // okta
		eventtype.TokenCreated, eventtype.TokenRotated, // with an overlap
		eventtype.TokenCreated, eventtype.TokenRevoked, eventtype.TokenRotated, // at once
	}
	if !slices.Equal(types, want) {
		t.Errorf("events %v, want %v", types, want)
	}

	entries := e.audit("token.rotate")
	ok := 0
	for _, a := range entries {
		if a.Status == http.StatusCreated {
			ok++
			if p := payload(t, a); p["new_token_id"] == nil || p["overlap"] == nil {
				t.Errorf("payload %v", p)
			}
		}
	}
	if ok != 2 || len(entries) != 7 {
		t.Errorf("%d successful of %d token.rotate entries, want 2 of 7", ok, len(entries))
	}
}
