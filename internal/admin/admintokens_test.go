package admin

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestAdminTokens(t *testing.T) {
	e := newEnv(t)
	m := e.do("POST", "admin-tokens", `{"name": "ci", "expires_in": "30d"}`).want(http.StatusCreated)
	tok, _ := m["token"].(string)
	id, _ := m["id"].(string)
	if !strings.HasPrefix(tok, "scimd_admin_") || m["days_left"] != float64(30) || m["created_by"] != "admin_token:"+e.adminID {
		t.Fatalf("created: %v", m)
	}
	// The new token works, and is listed without its secret.
	list := e.doAs(tok, "GET", "admin-tokens", "")
	list.want(http.StatusOK)
	if strings.Contains(string(list.body), tok) || !strings.Contains(string(list.body), id) || strings.Count(string(list.body), `"id"`) != 2 {
		t.Errorf("list: %s", list.body)
	}
	if a := e.audit("admin_token.create"); len(a) != 1 || a[0].Target != id || a[0].Actor != "admin_token:"+e.adminID || a[0].WorkspaceID != "" {
		t.Errorf("audit: %+v", a)
	}

	// A token may revoke itself; then it is refused.
	r := e.doAs(tok, "DELETE", "admin-tokens/"+id, "").want(http.StatusOK)
	if r["state"] != "revoked" {
		t.Errorf("revoked: %v", r)
	}
	e.doAs(tok, "GET", "admin-tokens", "").wantError(http.StatusUnauthorized, CodeUnauthorized)
	e.do("DELETE", "admin-tokens/"+id, "").want(http.StatusOK) // again: no change

	for _, tt := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"POST", "admin-tokens", `{}`, http.StatusBadRequest, CodeInvalidValue},
		{"POST", "admin-tokens", `{"name": "x", "expires_in": "soon"}`, http.StatusBadRequest, CodeInvalidValue},
		{"POST", "admin-tokens", `{"name": "x", "colour": "blue"}`, http.StatusBadRequest, CodeInvalidJSON},
		{"DELETE", "admin-tokens/tok_aaaaaaaaaaaaaaaa", "", http.StatusNotFound, CodeTokenNotFound},
		// A SCIM token's id is not an admin token's.
		{"DELETE", "admin-tokens/" + e.scimID, "", http.StatusNotFound, CodeTokenNotFound},
	} {
		t.Run(fmt.Sprint(tt.method, " ", tt.path, " ", tt.body), func(t *testing.T) {
			e.do(tt.method, tt.path, tt.body).wantError(tt.status, tt.code)
		})
	}
	if ts, _ := e.ten.ListTokens(e.ctx, "acme"); ts[0].State != "active" {
		t.Errorf("revoking a SCIM token's id as an admin token's revoked it: %+v", ts[0])
	}
}

func TestLocal(t *testing.T) {
	e := newEnv(t)
	local := e.h.Local("cli:alice")
	serve := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, Prefix+"/"+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		local.ServeHTTP(rec, req)
		return rec
	}
	// No token needed, and the operator is recorded as the actor and as
	// the creator of tokens.
	if rec := serve("POST", "workspaces/acme/tokens", `{"name": "entra"}`); rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"created_by": "cli:alice"`) {
		t.Fatalf("create token: %d %s", rec.Code, rec.Body)
	}
	a := e.audit("token.create")
	if len(a) != 1 || a[0].Actor != "cli:alice" {
		t.Fatalf("audit: %+v", a)
	}
	if p := payload(t, a[0]); p["token_id"] != nil {
		t.Errorf("payload names a token: %v", p)
	}
	// The handler itself still wants a token.
	e.doAs("", "GET", "workspaces", "").wantError(http.StatusUnauthorized, CodeUnauthorized)
	// And errors are the API's.
	if rec := serve("GET", "workspaces/nope", ""); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), CodeWorkspaceNotFound) {
		t.Errorf("unknown workspace: %d %s", rec.Code, rec.Body)
	}
}

func TestAuditAfter(t *testing.T) {
	e := newEnv(t)
	for _, slug := range []string{"a1", "a2", "a3"} {
		e.do("POST", "workspaces", `{"slug": "`+slug+`"}`).want(http.StatusCreated)
	}
	all := e.audit("workspace.create") // newest first
	page := e.do("GET", fmt.Sprintf("audit?action=workspace.create&after=%d", all[2].ID), "").want(http.StatusOK)
	entries, _ := page["entries"].([]any)
	if len(entries) != 2 {
		t.Fatalf("after the first of 3: %v", page)
	}
	for i, want := range []int64{all[0].ID, all[1].ID} {
		if got := entries[i].(map[string]any)["id"]; got != float64(want) {
			t.Errorf("entry %d: id %v, want %d", i, got, want)
		}
	}
	for _, bad := range []string{"x", "-1", "1.5"} {
		e.do("GET", "audit?after="+bad, "").wantError(http.StatusBadRequest, CodeInvalidParameter)
	}
}

// TestRotationOutlivesNone: a SCIM token rotated with an admin token that
// expires ends with it at the latest, as one created without expires_in
// does; with one that never expires, it keeps its lifetime.
func TestRotationOutlivesNone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	short, _, err := e.ten.CreateAdminToken(e.ctx, "ci", 3*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	forever, _, err := e.ten.CreateAdminToken(e.ctx, "root", -1)
	if err != nil {
		t.Fatal(err)
	}
	tok := e.doAs(forever, "POST", "workspaces/acme/tokens", `{"name": "entra", "expires_in": "0"}`).want(http.StatusCreated)
	next := e.doAs(short, "POST", "workspaces/acme/tokens/"+tok["id"].(string)+"/rotate", "").want(http.StatusCreated)
	if exp, err := time.Parse(time.RFC3339Nano, fmt.Sprint(next["expires"])); err != nil || exp.After(e.now.Add(3*time.Hour)) {
		t.Errorf("rotated by a 3h admin token, the token expires %v", next["expires"])
	}
	month := e.doAs(forever, "POST", "workspaces/acme/tokens", `{"name": "okta", "expires_in": "30d"}`).want(http.StatusCreated)
	next = e.doAs(forever, "POST", "workspaces/acme/scim-config/rotate-token", `{"token_id": "`+month["id"].(string)+`"}`).want(http.StatusCreated)
	if exp, err := time.Parse(time.RFC3339Nano, fmt.Sprint(next["expires"])); err != nil || !exp.Equal(e.now.Add(30*24*time.Hour)) {
		t.Errorf("rotated by an admin token that never expires, a 30-day token expires %v", next["expires"])
	}
	next = e.doAs(short, "POST", "workspaces/acme/scim-config/rotate-token", `{"token_id": "`+next["id"].(string)+`"}`).want(http.StatusCreated)
	if exp, err := time.Parse(time.RFC3339Nano, fmt.Sprint(next["expires"])); err != nil || exp.After(e.now.Add(3*time.Hour)) {
		t.Errorf("rotated by a 3h admin token, a 30-day token expires %v", next["expires"])
	}
}

// TestAdminTokenOutlivesNone: a token that expires cannot make one that
// lives longer than itself, whether an admin token, a SCIM token or an
// app token.
func TestAdminTokenOutlivesNone(t *testing.T) {
	for _, path := range []string{"admin-tokens", "workspaces/acme/tokens", "workspaces/acme/app-tokens"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			short, _, err := e.ten.CreateAdminToken(e.ctx, "ci", 3*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			for _, expires := range []string{`"0"`, `"4h"`, `"30d"`} {
				msg := e.doAs(short, "POST", path, `{"name": "x", "expires_in": `+expires+`}`).wantError(http.StatusBadRequest, CodeInvalidValue)
				contains(t, msg, "cannot make one that outlives it", "2h59m")
			}
			m := e.doAs(short, "POST", path, `{"name": "x", "expires_in": "2h"}`).want(http.StatusCreated)
			if exp, _ := time.Parse(time.RFC3339Nano, m["expires"].(string)); !exp.Equal(e.now.Add(2 * time.Hour)) {
				t.Errorf("2h token expires %v", m["expires"])
			}
			// Without expires_in, the installation's lifetime, cut to the
			// minting token's.
			m = e.doAs(short, "POST", path, `{"name": "y"}`).want(http.StatusCreated)
			if exp, err := time.Parse(time.RFC3339Nano, fmt.Sprint(m["expires"])); err != nil || exp.After(e.now.Add(3*time.Hour)) {
				t.Errorf("default token expires %v, after the minting token", m["expires"])
			}
			// A token that never expires may make any.
			forever, _, err := e.ten.CreateAdminToken(e.ctx, "root", -1)
			if err != nil {
				t.Fatal(err)
			}
			m = e.doAs(forever, "POST", path, `{"name": "z", "expires_in": "0"}`).want(http.StatusCreated)
			if m["expires"] != nil {
				t.Errorf("token asked never to expire expires %v", m["expires"])
			}
			e.do("POST", path, `{"name": "z", "expires_in": "0"}`).wantError(http.StatusBadRequest, CodeInvalidValue)
		})
	}
}
