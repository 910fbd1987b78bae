package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store"
)

// events returns the workspace's outbox, in order, but for the events of
// its tokens, such as the test's own token.created.
func (e *env) events(slug string) []store.Event {
	e.t.Helper()
	ctx := context.Background()
	w, err := e.st.WorkspaceBySlug(ctx, slug)
	if err != nil {
		e.t.Fatal(err)
	}
	all, err := e.st.Events(ctx, w.ID, 0, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var evs []store.Event
	for _, ev := range all {
		if !strings.HasPrefix(ev.Type, "token.") {
			evs = append(evs, ev)
		}
	}
	return evs
}

func types(evs []store.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func (e *env) setConfig(settings ...string) {
	e.t.Helper()
	if _, err := e.ten.SetConfig(context.Background(), "acme", settings...); err != nil {
		e.t.Fatal(err)
	}
}

func TestEventsOfProvisioning(t *testing.T) {
	e := newEnv(t)
	ada := e.createUser("ada@acme.test", map[string]any{"active": true}).str("id")
	grp := e.createGroup("Engineering", ada).str("id")
	bob := e.createUser("bob@acme.test", nil).str("id")
	e.must(http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+grp, patchOp("add", "members", []any{map[string]any{"value": bob}}))
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+ada, patchOp("replace", "title", "Engineer"))
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+ada, patchOp("replace", "active", false))
	// A PATCH that changes nothing is no event.
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+ada, patchOp("replace", "active", false))
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+ada, patchOp("replace", "active", true))
	e.must(http.StatusNoContent, "DELETE", "/scim/v2/Users/"+bob, nil)
	e.must(http.StatusNoContent, "DELETE", "/scim/v2/Groups/"+grp, nil)

	evs := e.events("acme")
	want := []string{
		"user.created", "group.created", "group.member_added", "user.created", "group.member_added",
		"user.updated", "user.deactivated", "user.reactivated", "user.deleted", "group.deleted",
	}
	if got := types(evs); !slices.Equal(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
	for i, ev := range evs {
		if ev.Seq != evs[0].Seq+int64(i) {
			t.Errorf("event %d has seq %d after %d", i, ev.Seq, evs[0].Seq)
		}
	}
	var updated struct {
		User    map[string]any `json:"user"`
		Changed []string       `json:"changed"`
	}
	if err := json.Unmarshal(evs[5].Data, &updated); err != nil {
		t.Fatal(err)
	}
	if updated.User["id"] != ada || updated.User["title"] != "Engineer" || !slices.Equal(updated.Changed, []string{"title"}) {
		t.Errorf("user.updated data %s", evs[5].Data)
	}
	var deleted map[string]any
	json.Unmarshal(evs[8].Data, &deleted)
	if deleted["mode"] != "soft" || deleted["purgeAt"] == nil {
		t.Errorf("user.deleted data %s", evs[8].Data)
	}
}

func TestSoftDeleteOverSCIM(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("ada@acme.test", nil).str("id")
	grp := e.createGroup("Engineering", id).str("id")
	e.must(http.StatusNoContent, "DELETE", "/scim/v2/Users/"+id, nil)
	wantError(t, e.do("GET", "/scim/v2/Users/"+id, nil), http.StatusNotFound, "")
	wantError(t, e.do("PATCH", "/scim/v2/Users/"+id, patchOp("replace", "active", true)), http.StatusNotFound, "")
	if n := e.must(http.StatusOK, "GET", "/scim/v2/Users?filter=userName+eq+%22ada@acme.test%22", nil).body["totalResults"]; n != json.Number("0") {
		t.Errorf("filter finds a soft-deleted user: %v", n)
	}
	if ms := e.must(http.StatusOK, "GET", "/scim/v2/Groups/"+grp, nil).body["members"]; ms != nil {
		t.Errorf("group still lists a soft-deleted user: %v", ms)
	}
	// The identity provider can create the user again.
	e.createUser("ada@acme.test", nil)
	d, err := e.st.DeletedUsers(context.Background(), e.wsID("acme"))
	if err != nil || len(d) != 1 || d[0].Resource.ID != id {
		t.Fatalf("DeletedUsers %+v, %v", d, err)
	}
	if days := d[0].PurgeAt.Sub(d[0].Deleted).Round(time.Second); days != 30*24*time.Hour {
		t.Errorf("grace period %v, want the default 30 days", days)
	}
}

func (e *env) wsID(slug string) string {
	e.t.Helper()
	w, err := e.st.WorkspaceBySlug(context.Background(), slug)
	if err != nil {
		e.t.Fatal(err)
	}
	return w.ID
}

func TestHardDeleteOverSCIM(t *testing.T) {
	e := newEnv(t)
	e.setConfig("deleteMode=hard")
	id := e.createUser("ada@acme.test", nil).str("id")
	e.must(http.StatusNoContent, "DELETE", "/scim/v2/Users/"+id, nil)
	wantError(t, e.do("GET", "/scim/v2/Users/"+id, nil), http.StatusNotFound, "")
	if d, err := e.st.DeletedUsers(context.Background(), e.wsID("acme")); err != nil || len(d) != 0 {
		t.Errorf("hard delete kept the user: %+v, %v", d, err)
	}
	evs := e.events("acme")
	if last := evs[len(evs)-1]; last.Type != "user.deleted" || !strings.Contains(string(last.Data), `"mode":"hard"`) {
		t.Errorf("last event %s %s", last.Type, last.Data)
	}
}

func TestSeatLimit(t *testing.T) {
	e := newEnv(t)
	e.setConfig("seatLimit=2")
	e.createUser("a@acme.test", nil)
	b := e.createUser("b@acme.test", nil).str("id")
	e.createUser("c@acme.test", map[string]any{"active": false})
	r := e.do("POST", "/scim/v2/Users", map[string]any{"userName": "d@acme.test"})
	wantError(t, r, http.StatusForbidden, "")
	if !strings.Contains(r.str("detail"), "seat") {
		t.Errorf("detail %q does not say why", r.str("detail"))
	}
	// Nothing was half-done: no user, no event.
	if n := e.must(http.StatusOK, "GET", "/scim/v2/Users?filter=userName+eq+%22d@acme.test%22", nil).body["totalResults"]; n != json.Number("0") {
		t.Errorf("refused user exists")
	}
	if got := types(e.events("acme")); len(got) != 3 {
		t.Errorf("events %v, want the three creates", got)
	}
	// Deactivation frees the seat at once.
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+b, patchOp("replace", "active", false))
	e.createUser("d@acme.test", nil)
	wantError(t, e.do("PATCH", "/scim/v2/Users/"+b, patchOp("replace", "active", true)), http.StatusForbidden, "")
}

// TestSeatLimitCountsInvitedUsers checks that users the application
// invited take seats from SCIM creates and reactivations, and that an
// identity provider linking to one takes no second seat.
func TestSeatLimitCountsInvitedUsers(t *testing.T) {
	e := newEnv(t)
	e.setConfig("seatLimit=2", "allowLinking=true")
	r := &store.Resource{Type: "User", ID: "usr_localaaaaaaaaaaa", WorkspaceID: e.wsID("acme"), Doc: map[string]any{"userName": "ada@acme.test"}}
	if err := e.st.CreateInvitedUser(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	e.createUser("b@acme.test", nil)
	c := e.createUser("c@acme.test", map[string]any{"active": false}).str("id")
	wantError(t, e.do("POST", "/scim/v2/Users", map[string]any{"userName": "d@acme.test"}), http.StatusForbidden, "")
	wantError(t, e.do("PATCH", "/scim/v2/Users/"+c, patchOp("replace", "active", true)), http.StatusForbidden, "")
	if linked := e.createUser("ada@acme.test", nil); linked.str("id") != r.ID {
		t.Errorf("linked user %s", linked.raw)
	}
	wantError(t, e.do("POST", "/scim/v2/Users", map[string]any{"userName": "d@acme.test"}), http.StatusForbidden, "")
}

func patchOp(op, path string, value any) map[string]any {
	return patchOps(map[string]any{"op": op, "path": path, "value": value})
}

func TestStrictModeRefusesEscalation(t *testing.T) {
	e := newEnv(t)
	e.setConfig("strictMode=true", "roleMappings=Admins:admin,Engineering:developer")
	admin := []any{map[string]any{"value": "admin"}}

	// A new user is in no group: the default role is all it may have.
	r := e.do("POST", "/scim/v2/Users", map[string]any{"userName": "mallory", "roles": admin})
	wantError(t, r, http.StatusForbidden, "")
	if !strings.Contains(r.str("detail"), `"admin"`) || !strings.Contains(r.str("detail"), "strict mode") {
		t.Errorf("detail %q does not say why", r.str("detail"))
	}
	e.createUser("viewer", map[string]any{"roles": []any{map[string]any{"value": "viewer"}}})

	id := e.createUser("dev", nil).str("id")
	e.createGroup("Engineering", id)
	wantError(t, e.do("PATCH", "/scim/v2/Users/"+id, patchOp("add", "roles", admin)), http.StatusForbidden, "")
	wantError(t, e.do("PUT", "/scim/v2/Users/"+id, map[string]any{"userName": "dev", "roles": admin}), http.StatusForbidden, "")
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, patchOp("add", "roles", []any{map[string]any{"value": "developer"}}))
	// Unknown roles grant nothing and pass.
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, patchOp("add", "roles", []any{map[string]any{"value": "Employee"}}))

	// Membership in a mapped group is what grants admin.
	e.createGroup("Admins", id)
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, patchOp("add", "roles", admin))

	// What was refused left no trace; what was allowed is kept.
	if got := e.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, nil).body["roles"]; len(got.([]any)) != 3 {
		t.Errorf("roles %v", got)
	}

	// Without strict mode, directly assigned roles are kept.
	e.setConfig("strictMode=false")
	e.createUser("boss", map[string]any{"roles": admin})
}

func TestInvitedUsersAndLinking(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	invite := func(id, name string) {
		t.Helper()
		r := &store.Resource{Type: "User", ID: id, WorkspaceID: e.wsID("acme"), Doc: map[string]any{"userName": name}}
		if err := e.st.CreateInvitedUser(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	invite("usr_localaaaaaaaaaaa", "ada@acme.test")
	// Identity providers do not see invited users...
	if n := e.must(http.StatusOK, "GET", "/scim/v2/Users?filter=userName+eq+%22ada@acme.test%22", nil).body["totalResults"]; n != json.Number("0") {
		t.Errorf("SCIM finds an invited user: %v", n)
	}
	// ...but cannot take their userNames.
	wantError(t, e.do("POST", "/scim/v2/Users", map[string]any{"userName": "ADA@acme.test"}), http.StatusConflict, "uniqueness")

	// With linking, the provisioned user becomes the invited one.
	e.setConfig("allowLinking=true")
	r := e.createUser("Ada@acme.test", map[string]any{"displayName": "Ada"})
	if r.str("id") != "usr_localaaaaaaaaaaa" || r.str("displayName") != "Ada" {
		t.Errorf("linked user %s", r.raw)
	}
	evs := e.events("acme")
	if last := evs[len(evs)-1]; last.Type != "user.linked" || last.Subject != "usr_localaaaaaaaaaaa" {
		t.Errorf("last event %s %s", last.Type, last.Subject)
	}
	// A SCIM user's userName is still refused.
	wantError(t, e.do("POST", "/scim/v2/Users", map[string]any{"userName": "ada@ACME.test"}), http.StatusConflict, "uniqueness")
}

// TestDeleteOnDeactivate: in a workspace with deleteOnDeactivate, an
// identity provider's deactivation (PATCH or PUT) is answered 200 with the
// user as written, inactive, and deletes the user as its DELETE would:
// soft or hard per deleteMode, with the user.deleted event and the
// credentials revoked.
func TestDeleteOnDeactivate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, mode string
		deactivate func(e *env, id string) response
	}{
		{"PATCH, soft", "soft", func(e *env, id string) response {
			return e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, patchOp("replace", "active", false))
		}},
		{"PUT, soft", "soft", func(e *env, id string) response {
			return e.must(http.StatusOK, "PUT", "/scim/v2/Users/"+id, map[string]any{"userName": "ada@acme.test", "active": false, "title": "Gone"})
		}},
		{"PATCH, hard", "hard", func(e *env, id string) response {
			return e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, patchOps(
				map[string]any{"op": "replace", "path": "title", "value": "Gone"},
				map[string]any{"op": "replace", "value": map[string]any{"active": false}}))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			onBothStores(t, func(t *testing.T, mk envMaker) {
				testDeleteOnDeactivate(t, mk(t, server.DefaultConfig(), nil), tt.mode, tt.deactivate)
			})
		})
	}
}

func testDeleteOnDeactivate(t *testing.T, e *env, mode string, deactivate func(e *env, id string) response) {
	ctx := context.Background()
	e.setConfig("deleteOnDeactivate=true", "deleteMode="+mode)
	created := e.createUser("ada@acme.test", map[string]any{"active": true})
	id := created.str("id")
	cred := store.Credential{ID: "cred_aaaaaaaaaaaaaaaa", WorkspaceID: e.wsID("acme"), UserID: id, Kind: store.CredentialSession,
		Name: "browser", Hash: []byte("h"), Created: time.Now()}
	if err := e.st.CreateCredential(ctx, cred); err != nil {
		t.Fatal(err)
	}
	// An inactive user is kept: only a deactivation deletes.
	idle := e.createUser("idle@acme.test", map[string]any{"active": false}).str("id")
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+idle, patchOp("replace", "title", "Idle"))
	e.must(http.StatusOK, "GET", "/scim/v2/Users/"+idle, nil)

	r := deactivate(e, id)
	if r.body["active"] != false || r.str("id") != id || r.str("meta.version") == created.str("meta.version") {
		t.Errorf("answer %s, want the user as written: inactive, with a new version", r.raw)
	}
	wantError(t, e.do("GET", "/scim/v2/Users/"+id, nil), http.StatusNotFound, "")
	var ofUser []string
	for _, ev := range e.events("acme") {
		if ev.Subject == id || ev.Subject == cred.ID {
			ofUser = append(ofUser, ev.Type)
		}
		var data struct{ Mode string }
		if json.Unmarshal(ev.Data, &data); ev.Type == "user.deleted" && data.Mode != mode {
			t.Errorf("event %s %s, want mode %s", ev.Type, ev.Data, mode)
		}
	}
	if want := []string{"user.created", "session.created", "user.deleted", "session.revoked"}; !slices.Equal(ofUser, want) {
		t.Errorf("events of the user %v, want %v", ofUser, want)
	}
	deleted, err := e.st.DeletedUsers(ctx, e.wsID("acme"))
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "soft":
		if len(deleted) != 1 || deleted[0].Resource.ID != id || deleted[0].Resource.Doc["active"] != false {
			t.Fatalf("deleted users %+v, want the user as written", deleted)
		}
		creds, err := e.st.Credentials(ctx, e.wsID("acme"), id)
		if err != nil || len(creds) != 1 || creds[0].Revoked.IsZero() || creds[0].RevokedReason != "user.deleted" {
			t.Errorf("credentials %+v, %v; want the session revoked as by a deletion", creds, err)
		}
	case "hard":
		if len(deleted) != 0 {
			t.Errorf("deleted users %+v, want none", deleted)
		}
		if _, err := e.st.CredentialByHash(ctx, e.wsID("acme"), []byte("h")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("credential of a hard-deleted user: %v, want it gone", err)
		}
	}
	// The identity provider may create the user again.
	e.createUser("ada@acme.test", nil)
}

// TestLinkingByEmail: with allowLinking, an identity provider's user
// whose primary email is an invited user's becomes that user, though
// their userNames differ; without, it is another user.
func TestLinkingByEmail(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, mk envMaker) {
		for _, linking := range []bool{true, false} {
			testLinkingByEmail(t, mk(t, server.DefaultConfig(), nil), linking)
		}
	})
}

func testLinkingByEmail(t *testing.T, e *env, linking bool) {
	e.setConfig(fmt.Sprint("allowLinking=", linking))
	invited := &store.Resource{Type: "User", ID: "usr_localaaaaaaaaaaa", WorkspaceID: e.wsID("acme"),
		Doc: map[string]any{"userName": "grace", "emails": []any{map[string]any{"value": "grace@acme.test", "primary": true}}}}
	if err := e.st.CreateInvitedUser(context.Background(), invited); err != nil {
		t.Fatal(err)
	}
	r := e.createUser("ghopper@idp.test", map[string]any{
		"emails": []any{map[string]any{"value": "Grace@ACME.test", "type": "work", "primary": true}}})
	if linked := r.str("id") == invited.ID; linked != linking {
		t.Errorf("allowLinking=%v: the identity provider's user is %s; linked %v", linking, r.raw, linked)
	}
	if linking {
		evs := e.events("acme")
		if last := evs[len(evs)-1]; last.Type != "user.linked" || last.Subject != invited.ID {
			t.Errorf("last event %s %s, want user.linked", last.Type, last.Subject)
		}
	}
}
