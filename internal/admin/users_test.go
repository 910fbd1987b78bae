package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

func TestListUsers(t *testing.T) {
	e := newEnv(t)
	svc := provision.New(e.st)
	for i := range 5 {
		body := map[string]any{
			"userName": fmt.Sprintf("user%d@acme.test", i),
			"active":   i != 3,
			"emails":   []any{map[string]any{"value": fmt.Sprintf("u%d@acme.test", i), "primary": true}},
		}
		if _, err := svc.Create(e.ctx, &store.Workspace{ID: e.acmeID, Config: store.DefaultWorkspaceConfig()}, schema.UserType, body); err != nil {
			t.Fatal(err)
		}
	}
	r := e.do("GET", "workspaces/acme/users?limit=2", "").want(http.StatusOK)
	var names, states []any
	for r != nil {
		for _, u := range r["users"].([]any) {
			names = append(names, u.(map[string]any)["user_name"])
			states = append(states, u.(map[string]any)["state"])
		}
		if r["total"] != 5.0 {
			t.Errorf("total %v", r["total"])
		}
		next, _ := r["next_cursor"].(string)
		if next == "" {
			break
		}
		r = e.do("GET", "workspaces/acme/users?limit=2&cursor="+url.QueryEscape(next), "").want(http.StatusOK)
	}
	if fmt.Sprint(names) != "[user0@acme.test user1@acme.test user2@acme.test user3@acme.test user4@acme.test]" ||
		fmt.Sprint(states) != "[active active active suspended active]" {
		t.Errorf("users %v, states %v", names, states)
	}

	r = e.do("GET", "workspaces/acme/users?filter="+url.QueryEscape("active eq false"), "").want(http.StatusOK)
	users := r["users"].([]any)
	if len(users) != 1 || users[0].(map[string]any)["email"] != "u3@acme.test" {
		t.Errorf("inactive users %v", users)
	}
}

func TestListUsersErrors(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "workspaces/nope/users", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	contains(t, e.do("GET", "workspaces/acme/users?filter="+url.QueryEscape("userName zz 1"), "").wantError(http.StatusBadRequest, CodeInvalidParameter), "filter")
	e.do("GET", "workspaces/acme/users?cursor=bogus", "").wantError(http.StatusBadRequest, CodeInvalidCursor)
	e.do("GET", "workspaces/acme/users?limit=0", "").wantError(http.StatusBadRequest, CodeInvalidParameter)
	e.do("GET", "workspaces/acme/users?limit=1001", "").wantError(http.StatusBadRequest, CodeInvalidParameter)
}

func TestUserLifecycle(t *testing.T) {
	e := newEnv(t)
	svc := provision.New(e.st)
	ws := &store.Workspace{ID: e.acmeID, Config: store.DefaultWorkspaceConfig()}
	create := func(name string) string {
		r, err := svc.Create(e.ctx, ws, schema.UserType, map[string]any{"userName": name})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	ada, bob := create("ada@acme.test"), create("bob@acme.test")
	if _, err := svc.Patch(e.ctx, ws, schema.UserType, ada, "", []patch.Operation{{Op: "replace", Path: "active", Value: false}}, false); err != nil {
		t.Fatal(err)
	}

	// Reactivate a suspended user.
	if u := e.do("POST", "workspaces/acme/users/"+ada+"/reactivate", "").want(http.StatusOK); u["state"] != "active" {
		t.Errorf("reactivated: %v", u)
	}
	e.do("POST", "workspaces/acme/users/usr_nobody/reactivate", "").wantError(http.StatusNotFound, CodeUserNotFound)

	// Soft delete, list, restore.
	if err := svc.Delete(e.ctx, ws, schema.UserType, bob, ""); err != nil {
		t.Fatal(err)
	}
	list := e.do("GET", "workspaces/acme/users/deleted", "").want(http.StatusOK)["users"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != bob || list[0].(map[string]any)["state"] != "soft_deleted" ||
		list[0].(map[string]any)["purge_at"] == nil {
		t.Fatalf("deleted users %v", list)
	}
	if u := e.do("POST", "workspaces/acme/users/"+bob+"/restore", "").want(http.StatusOK); u["id"] != bob || u["state"] != "active" {
		t.Errorf("restored: %v", u)
	}
	e.do("POST", "workspaces/acme/users/"+bob+"/restore", "").wantError(http.StatusNotFound, CodeUserNotFound)

	// A userName taken in the meantime keeps a user from coming back.
	if err := svc.Delete(e.ctx, ws, schema.UserType, bob, ""); err != nil {
		t.Fatal(err)
	}
	create("BOB@acme.test")
	e.do("POST", "workspaces/acme/users/"+bob+"/restore", "").wantError(http.StatusConflict, CodeUserNameTaken)

	// Purge now.
	e.do("POST", "workspaces/acme/users/"+bob+"/purge", "").want(http.StatusNoContent)
	e.do("POST", "workspaces/acme/users/"+bob+"/purge", "").wantError(http.StatusNotFound, CodeUserNotFound)
	if list := e.do("GET", "workspaces/acme/users/deleted", "").want(http.StatusOK)["users"].([]any); len(list) != 0 {
		t.Errorf("deleted users after purge: %v", list)
	}

	// Reactivation beyond the seat limit.
	one := 1
	if _, err := e.st.UpdateWorkspace(e.ctx, "acme", func(w *store.Workspace) error { w.Config.SeatLimit = &one; return nil }); err != nil {
		t.Fatal(err)
	}
	ws.Config.SeatLimit = &one
	if _, err := svc.Patch(e.ctx, ws, schema.UserType, ada, "", []patch.Operation{{Op: "replace", Path: "active", Value: false}}, false); err != nil {
		t.Fatal(err)
	}
	contains(t, e.do("POST", "workspaces/acme/users/"+ada+"/reactivate", "").wantError(http.StatusForbidden, CodeSeatLimit), "seat")
}

func TestInviteUser(t *testing.T) {
	e := newEnv(t)
	u := e.do("POST", "workspaces/acme/users", `{"user_name": "ada@acme.test", "display_name": "Ada", "email": "ada@acme.test"}`).want(http.StatusCreated)
	if u["state"] != "invited" || u["user_name"] != "ada@acme.test" || u["email"] != "ada@acme.test" {
		t.Errorf("invited %v", u)
	}
	e.do("POST", "workspaces/acme/users", `{"user_name": "ADA@acme.test"}`).wantError(http.StatusConflict, CodeUserNameTaken)
	e.do("POST", "workspaces/acme/users", `{"user_name": " "}`).wantError(http.StatusBadRequest, CodeInvalidValue)
	e.do("POST", "workspaces/nope/users", `{"user_name": "x"}`).wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	list := e.do("GET", "workspaces/acme/users/invited", "").want(http.StatusOK)["users"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != u["id"] {
		t.Errorf("invited users %v", list)
	}
}
