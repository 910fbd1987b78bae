package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
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
		return r.Resource.ID
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
	if _, err := svc.Delete(e.ctx, ws, schema.UserType, bob, ""); err != nil {
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
	if _, err := svc.Delete(e.ctx, ws, schema.UserType, bob, ""); err != nil {
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

// TestInvitedUserSeats checks that invited users take seats: an invite,
// a SCIM create and a reactivation beyond the limit are refused, a link
// counts the user once, and deleting an invited user frees its seat.
func TestInvitedUserSeats(t *testing.T) {
	e := newEnv(t)
	two := 2
	if _, err := e.st.UpdateWorkspace(e.ctx, "acme", func(w *store.Workspace) error {
		w.Config.SeatLimit, w.Config.AllowLinking = &two, true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	svc := provision.New(e.st)
	ws, err := e.st.WorkspaceByID(e.ctx, e.acmeID)
	if err != nil {
		t.Fatal(err)
	}
	ada, err := svc.Create(e.ctx, &ws, schema.UserType, map[string]any{"userName": "ada@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	cy, err := svc.Create(e.ctx, &ws, schema.UserType, map[string]any{"userName": "cy@acme.test", "active": false})
	if err != nil {
		t.Fatal(err)
	}
	bob := e.do("POST", "workspaces/acme/users", `{"user_name": "bob@acme.test"}`).want(http.StatusCreated)

	contains(t, e.do("POST", "workspaces/acme/users", `{"user_name": "dee@acme.test"}`).wantError(http.StatusForbidden, CodeSeatLimit),
		`workspace "acme" has no free seat for "dee@acme.test"`, "seatLimit is 2", "invited")
	var se *scimerr.Error
	if _, err := svc.Create(e.ctx, &ws, schema.UserType, map[string]any{"userName": "eve@acme.test"}); !errors.As(err, &se) || se.Status != http.StatusForbidden {
		t.Errorf("a SCIM user beyond the seats, one of them an invited user's: %v, want a 403", err)
	}
	contains(t, e.do("POST", "workspaces/acme/users/"+cy.Resource.ID+"/reactivate", "").wantError(http.StatusForbidden, CodeSeatLimit), "seat")
	if list := e.do("GET", "workspaces/acme/users/invited", "").want(http.StatusOK)["users"].([]any); len(list) != 1 {
		t.Errorf("invited users after refusals: %v", list)
	}

	// The identity provider adopts bob: one seat, as before.
	linked, err := svc.Create(e.ctx, &ws, schema.UserType, map[string]any{"userName": "bob@acme.test"})
	if err != nil || linked.Resource.ID != bob["id"] {
		t.Fatalf("link: %+v, %v; want id %v", linked, err, bob["id"])
	}
	e.do("POST", "workspaces/acme/users", `{"user_name": "dee@acme.test"}`).wantError(http.StatusForbidden, CodeSeatLimit)

	// A deactivation frees a seat for an invite, and deleting the invited
	// user frees it again.
	if _, err := svc.Patch(e.ctx, &ws, schema.UserType, ada.Resource.ID, "", []patch.Operation{{Op: "replace", Path: "active", Value: false}}, false); err != nil {
		t.Fatal(err)
	}
	dee := e.do("POST", "workspaces/acme/users", `{"user_name": "dee@acme.test"}`).want(http.StatusCreated)
	e.do("POST", "workspaces/acme/users/"+cy.Resource.ID+"/reactivate", "").wantError(http.StatusForbidden, CodeSeatLimit)
	e.do("DELETE", "workspaces/acme/users/invited/"+dee["id"].(string), "").want(http.StatusNoContent)
	e.do("POST", "workspaces/acme/users/"+cy.Resource.ID+"/reactivate", "").want(http.StatusOK)
}

// TestDeleteInvitedUser checks that deleting an invited user revokes its
// credentials with it, with events, and refuses what is not an invited
// user of the workspace.
func TestDeleteInvitedUser(t *testing.T) {
	e := newEnv(t)
	u := e.do("POST", "workspaces/acme/users", `{"user_name": "ada@acme.test", "display_name": "Ada"}`).want(http.StatusCreated)
	ada := u["id"].(string)
	iss := access.NewIssuer(access.Config{Store: e.st, Hasher: e.hasher})
	_, key, err := iss.IssueAPIKey(e.ctx, e.acmeID, ada, "ci", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	_, sess, err := iss.IssueSession(e.ctx, e.acmeID, ada, "browser", 0)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := e.st.Events(e.ctx, e.acmeID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := evs[len(evs)-1].Seq

	e.do("DELETE", "workspaces/acme/users/invited/"+ada, "").want(http.StatusNoContent)

	if list := e.do("GET", "workspaces/acme/users/invited", "").want(http.StatusOK)["users"].([]any); len(list) != 0 {
		t.Errorf("invited users after the deletion: %v", list)
	}
	cs, err := e.st.Credentials(e.ctx, e.acmeID, ada)
	if err != nil || len(cs) != 2 {
		t.Fatalf("credentials %+v, %v", cs, err)
	}
	for _, c := range cs {
		if c.Revoked.IsZero() || c.RevokedReason != provision.ReasonDeleted {
			t.Errorf("credential %s: revoked %v for %q, want revoked for %s", c.ID, c.Revoked, c.RevokedReason, provision.ReasonDeleted)
		}
	}
	evs, err = e.st.Events(e.ctx, e.acmeID, seen, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ev := range evs {
		got[ev.Type] = ev.Subject
		if ev.Type == provision.EventUserDeleted {
			var data struct {
				User map[string]any `json:"user"`
				Mode string         `json:"mode"`
			}
			if err := json.Unmarshal(ev.Data, &data); err != nil || data.User["id"] != ada || data.User["userName"] != "ada@acme.test" || data.Mode != "hard" {
				t.Errorf("user.deleted data %s, %v", ev.Data, err)
			}
		}
	}
	if want := map[string]string{"user.deleted": ada, "api_key.revoked": key.ID, "session.revoked": sess.ID}; !maps.Equal(got, want) || len(evs) != 3 {
		t.Errorf("events %v, want %v once each", got, want)
	}
	if a := e.audit("user.delete"); len(a) != 1 || a[0].Target != ada || a[0].WorkspaceID != e.acmeID || a[0].Status != http.StatusNoContent {
		t.Errorf("audit %+v", a)
	}

	// Its userName is free again.
	e.do("POST", "workspaces/acme/users", `{"user_name": "ADA@acme.test"}`).want(http.StatusCreated)

	scim, err := provision.New(e.st).Create(e.ctx, &store.Workspace{ID: e.acmeID, Config: store.DefaultWorkspaceConfig()}, schema.UserType, map[string]any{"userName": "bob@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path   string
		status int
		code   string
		says   string
	}{
		{"workspaces/acme/users/invited/" + ada, http.StatusNotFound, CodeUserNotFound, "no invited user"},
		{"workspaces/acme/users/invited/usr_nobody", http.StatusNotFound, CodeUserNotFound, "GET /admin/v1/workspaces/acme/users/invited lists them"},
		{"workspaces/acme/users/invited/" + scim.Resource.ID, http.StatusNotFound, CodeUserNotFound, "identity provider"},
		{"workspaces/nope/users/invited/" + ada, http.StatusNotFound, CodeWorkspaceNotFound, "nope"},
	} {
		contains(t, e.do("DELETE", tt.path, "").wantError(tt.status, tt.code), tt.says)
	}
	if _, err := e.st.Resource(e.ctx, e.acmeID, "User", scim.Resource.ID, false); err != nil {
		t.Errorf("SCIM user after a refused deletion: %v", err)
	}
	e.do("GET", "workspaces/acme/users/invited/"+ada, "").wantError(http.StatusMethodNotAllowed, CodeMethodNotAllowed)
}

// TestDeleteSuspendedUser: an operator deletes a suspended provisioned
// user for good, with its credentials, and the user.deleted event names
// the placeholder identity; an active user is refused.
func TestDeleteSuspendedUser(t *testing.T) {
	e := newEnv(t)
	ws := &store.Workspace{ID: e.acmeID, Config: store.DefaultWorkspaceConfig()}
	svc := provision.New(e.st)
	r, err := svc.Create(e.ctx, ws, schema.UserType, map[string]any{"userName": "ada@acme.test", "displayName": "Ada", "active": true})
	if err != nil {
		t.Fatal(err)
	}
	ada := r.Resource.ID
	iss := access.NewIssuer(access.Config{Store: e.st, Hasher: e.hasher})
	if _, _, err := iss.IssueAPIKey(e.ctx, e.acmeID, ada, "ci", time.Time{}); err != nil {
		t.Fatal(err)
	}
	msg := e.do("DELETE", "workspaces/acme/users/suspended/"+ada, "").wantError(http.StatusConflict, CodeUserActive)
	contains(t, msg, "deactivate it in its identity provider first")

	if _, err := svc.Patch(e.ctx, ws, schema.UserType, ada, "", []patch.Operation{{Op: "replace", Path: "active", Value: false}}, false); err != nil {
		t.Fatal(err)
	}
	evs, err := e.st.Events(e.ctx, e.acmeID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := evs[len(evs)-1].Seq
	e.do("DELETE", "workspaces/acme/users/suspended/"+ada, "").want(http.StatusNoContent)

	if _, err := e.st.Resource(e.ctx, e.acmeID, schema.UserType.ID, ada, false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the user is still there: %v", err)
	}
	if d, err := e.st.DeletedUsers(e.ctx, e.acmeID); err != nil || len(d) != 0 {
		t.Errorf("deleted users %+v, %v; want none: the deletion is for good", d, err)
	}
	if cs, err := e.st.Credentials(e.ctx, e.acmeID, ada); err != nil || len(cs) != 0 {
		t.Errorf("credentials %+v, %v; want them gone with the user", cs, err)
	}
	evs, err = e.st.Events(e.ctx, e.acmeID, seen, 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
		if ev.Type == provision.EventUserDeleted {
			var data struct {
				User        map[string]any    `json:"user"`
				Mode        string            `json:"mode"`
				Placeholder map[string]string `json:"placeholder"`
			}
			if err := json.Unmarshal(ev.Data, &data); err != nil || data.User["id"] != ada || data.Mode != "hard" ||
				data.Placeholder["id"] != "deleted-"+ada || data.Placeholder["displayName"] != "Deleted user" {
				t.Errorf("user.deleted data %s, %v", ev.Data, err)
			}
		}
	}
	// The deactivation revoked the API key (revokeKeysOnDeactivate).
	if fmt.Sprint(types) != "[user.deleted]" {
		t.Errorf("events %v, want user.deleted", types)
	}
	if a := e.audit("user.delete"); len(a) != 2 || a[0].Target != ada || a[0].Status != http.StatusNoContent || a[1].Status != http.StatusConflict {
		t.Errorf("audit %+v, want the refusal and the deletion", a)
	}
	msg = e.do("DELETE", "workspaces/acme/users/suspended/"+ada, "").wantError(http.StatusNotFound, CodeUserNotFound)
	contains(t, msg, "has no provisioned user")
}

// TestUserDisplayName: the admin API (and with it the console and the
// CLI) shows the display name applications see: made from name when the
// identity provider sends no displayName, and kept as created while the
// workspace does not sync display names.
func TestUserDisplayName(t *testing.T) {
	e := newEnv(t)
	ws := &store.Workspace{ID: e.acmeID, Config: store.DefaultWorkspaceConfig()}
	ws.Config.SyncDisplayName = false
	svc := provision.New(e.st)
	r, err := svc.Create(e.ctx, ws, schema.UserType, map[string]any{"userName": "ada@acme.test",
		"name": map[string]any{"givenName": "Ada", "familyName": "Lovelace"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Patch(e.ctx, ws, schema.UserType, r.Resource.ID, "", []patch.Operation{{Op: "replace", Path: "displayName", Value: "Countess"}}, false); err != nil {
		t.Fatal(err)
	}
	users := e.do("GET", "workspaces/acme/users", "").want(http.StatusOK)["users"].([]any)
	if got := users[0].(map[string]any)["display_name"]; got != "Ada Lovelace" {
		t.Errorf("display_name %v, want the one made at creation, Ada Lovelace", got)
	}
}
