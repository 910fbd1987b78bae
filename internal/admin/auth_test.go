package admin

import (
	"net/http"
	"testing"
	"time"
)

func TestAuth(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "workspaces", "").want(http.StatusOK)

	for _, tt := range []struct {
		name, header, want string
	}{
		{"no header", "", "an admin token is required"},
		{"basic", "Basic dXNlcjpwYXNz", "an admin token is required"},
		{"SCIM token", "Bearer " + e.scim, "SCIM token"},
		{"garbage", "Bearer scimd_admin_nope", "not a valid admin token"},
		{"unknown admin token", "Bearer scimd_admin_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not a valid admin token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", Prefix+"/workspaces", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			r := e.doAs("", "GET", "workspaces", "")
			if tt.header != "" {
				r = e.doRaw(req)
			}
			contains(t, r.wantError(http.StatusUnauthorized, CodeUnauthorized), tt.want)
			if r.header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate header")
			}
		})
	}
}

func TestAuthSCIMTokenRefusedOnWrites(t *testing.T) {
	e := newEnv(t)
	e.doAs(e.scim, "POST", "workspaces", `{"slug":"evil"}`).wantError(http.StatusUnauthorized, CodeUnauthorized)
	e.doAs(e.scim, "POST", "workspaces/acme/tokens", `{"name":"x"}`).wantError(http.StatusUnauthorized, CodeUnauthorized)
	if _, err := e.ten.Workspace(e.ctx, "evil"); err == nil {
		t.Error("a SCIM token created a workspace")
	}
	if n := len(e.audit("")); n != 0 {
		t.Errorf("%d audit entries for refused requests without an admin token", n)
	}
}

func TestAuthRevokedAdminToken(t *testing.T) {
	e := newEnv(t)
	if _, err := e.ten.RevokeAdminToken(e.ctx, e.adminID); err != nil {
		t.Fatal(err)
	}
	contains(t, e.do("GET", "workspaces", "").wantError(http.StatusUnauthorized, CodeUnauthorized), "revoked")
}

func TestAuthExpiredAdminToken(t *testing.T) {
	e := newEnv(t)
	tok, _, err := e.ten.CreateAdminToken(e.ctx, "short", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.doAs(tok, "GET", "workspaces", "").want(http.StatusOK)
	e.now = e.now.Add(time.Hour)
	contains(t, e.doAs(tok, "GET", "workspaces", "").wantError(http.StatusUnauthorized, CodeUnauthorized), "expired")
}

func TestAuthRecordsLastUse(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "workspaces", "").want(http.StatusOK)
	if err := e.h.lastUsed.Flush(e.ctx); err != nil {
		t.Fatal(err)
	}
	tk, err := e.st.TokenByID(e.ctx, e.adminID)
	if err != nil {
		t.Fatal(err)
	}
	if tk.LastUsed.IsZero() {
		t.Error("last use not recorded")
	}
}

func TestOpenAPINeedsNoToken(t *testing.T) {
	e := newEnv(t)
	e.doAs("", "GET", "openapi.json", "").want(http.StatusOK)
}
