package appapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// TestInvitedUsers checks that users the application invited, which no
// identity provider has provisioned, hold API keys and sessions, verify
// with the workspace's default role, and keep them, verified anew, when
// an identity provider links to them.
func TestInvitedUsers(t *testing.T) {
	for _, backend := range []struct {
		name string
		env  func(t *testing.T) *env
	}{
		{"sqlite", func(t *testing.T) *env { return newEnv(t) }},
		{"postgres", newPostgresEnv},
	} {
		t.Run(backend.name, func(t *testing.T) { testInvitedUsers(t, backend.env(t)) })
	}
}

// invite creates a user of acme outside SCIM, as the admin API does, and
// returns its id.
func (e *env) invite(userName, displayName string) string {
	e.t.Helper()
	r := &store.Resource{Type: schema.UserType.ID, ID: id.New(id.User), WorkspaceID: e.acme.ID,
		Doc: map[string]any{"userName": userName, "displayName": displayName}}
	if err := e.st.CreateInvitedUser(e.ctx, r); err != nil {
		e.t.Fatal(err)
	}
	return r.ID
}

// verifiedUser verifies a secret, which must be valid, and returns its
// user as "id user_name display_name active roles groups".
func (e *env) verifiedUser(secret string) string {
	e.t.Helper()
	r := e.verify(secret)
	u, _ := r["user"].(map[string]any)
	if r["valid"] != true || u == nil {
		e.t.Fatalf("verify = %v, want valid", r)
	}
	return fmt.Sprint(u["id"], " ", u["user_name"], " ", u["display_name"], " ", u["active"], " ", u["roles"], " ", u["groups"])
}

func testInvitedUsers(t *testing.T, e *env) {
	if _, err := e.st.UpdateWorkspace(e.ctx, "acme", func(w *store.Workspace) error {
		w.Config.AllowLinking, w.Config.DefaultRole = true, "editor"
		w.Config.RoleMappings = []roles.Mapping{{Group: "Engineering", Role: "developer"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	bob := e.invite("bob@acme.test", "Bob Invited")
	base := "workspaces/acme/users/" + bob
	key := e.do("POST", base+"/api-keys", `{"name":"ci"}`).want(http.StatusCreated)
	sess := e.do("POST", base+"/sessions", `{"name":"browser"}`).want(http.StatusCreated)
	if key["user_id"] != bob || sess["user_id"] != bob {
		t.Fatalf("issued %v and %v", key, sess)
	}
	if l := e.do("GET", base+"/api-keys", "").want(http.StatusOK)["api_keys"].([]any); len(l) != 1 {
		t.Errorf("api keys %v", l)
	}
	if l := e.do("GET", base+"/sessions", "").want(http.StatusOK)["sessions"].([]any); len(l) != 1 {
		t.Errorf("sessions %v", l)
	}
	invited := bob + " bob@acme.test Bob Invited true [editor] []"
	for _, secret := range []string{key["key"].(string), sess["token"].(string)} {
		for range 2 { // from the store, then from the cache
			if got := e.verifiedUser(secret); got != invited {
				t.Errorf("invited user verified as %q, want %q", got, invited)
			}
		}
	}

	// The identity provider adopts bob: the same id, the same keys, and
	// at once the provider's view of the user.
	ws := e.workspace()
	linked, err := e.prov.Create(e.ctx, ws, schema.UserType, map[string]any{"userName": "Bob@acme.test", "displayName": "Bob Smith", "active": true})
	if err != nil || linked.Resource.ID != bob {
		t.Fatalf("link: %+v, %v; want id %s", linked, err, bob)
	}
	if got, want := e.verifiedUser(key["key"].(string)), bob+" Bob@acme.test Bob Smith true [editor] []"; got != want {
		t.Errorf("linked user verified as %q, want %q", got, want)
	}
	if _, err := e.prov.Create(e.ctx, ws, schema.GroupType, map[string]any{"displayName": "Engineering", "members": []any{map[string]any{"value": bob}}}); err != nil {
		t.Fatal(err)
	}
	if got, want := e.verifiedUser(sess["token"].(string)), bob+" Bob@acme.test Bob Smith true [developer] [group:engineering]"; got != want {
		t.Errorf("linked user in a group verified as %q, want %q", got, want)
	}
	e.do("POST", base+"/sessions", ``).want(http.StatusCreated)

	// An invited user adopted as inactive loses its credentials, as a
	// deactivated user would, and gets no more.
	carol := e.invite("carol@acme.test", "Carol")
	ck := e.do("POST", "workspaces/acme/users/"+carol+"/api-keys", `{"name":"ci"}`).want(http.StatusCreated)
	cs := e.do("POST", "workspaces/acme/users/"+carol+"/sessions", ``).want(http.StatusCreated)
	e.verifiedUser(ck["key"].(string))
	if _, err := e.prov.Create(e.ctx, ws, schema.UserType, map[string]any{"userName": "carol@acme.test", "active": false}); err != nil {
		t.Fatal(err)
	}
	e.wantReason(ck["key"].(string), "revoked")
	e.wantReason(cs["token"].(string), "revoked")
	e.do("POST", "workspaces/acme/users/"+carol+"/sessions", ``).wantError(http.StatusConflict, "user_inactive")

	// A deleted invited user's credentials are refused, and it gets no
	// more.
	dee := e.invite("dee@acme.test", "Dee")
	dk := e.do("POST", "workspaces/acme/users/"+dee+"/api-keys", `{"name":"ci"}`).want(http.StatusCreated)
	e.verifiedUser(dk["key"].(string))
	if err := e.prov.DeleteInvited(e.ctx, ws, dee); err != nil {
		t.Fatal(err)
	}
	e.wantReason(dk["key"].(string), "revoked")
	for _, tt := range []struct{ method, path, body string }{
		{"POST", "workspaces/acme/users/" + dee + "/api-keys", `{"name":"ci"}`},
		{"POST", "workspaces/acme/users/" + dee + "/sessions", ``},
		{"GET", "workspaces/acme/users/" + dee + "/api-keys", ``},
		{"DELETE", "workspaces/acme/users/" + dee + "/api-keys/" + dk["id"].(string), ``},
	} {
		e.do(tt.method, tt.path, tt.body).wantError(http.StatusNotFound, "user_not_found")
	}

	// Another workspace's invited user is not acme's.
	other, err := e.ten.CreateWorkspace(e.ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateInvitedUser(e.ctx, &store.Resource{Type: schema.UserType.ID, ID: "usr_theirs", WorkspaceID: other.ID, Doc: map[string]any{"userName": "eve@other.test"}}); err != nil {
		t.Fatal(err)
	}
	e.do("POST", "workspaces/acme/users/usr_theirs/api-keys", `{"name":"ci"}`).wantError(http.StatusNotFound, "user_not_found")
	e.do("POST", "workspaces/other/users/usr_theirs/api-keys", `{"name":"ci"}`).wantError(http.StatusForbidden, "forbidden")
}
