package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/store"
)

// TestWritesThatChangeNothing: a write whose result is the resource as
// it is, such as adding a member that is one already, succeeds and does
// nothing: the version stays, no event is appended, no change is
// published (so no user's roles are recomputed), and its audit entry
// has no diff.
func TestWritesThatChangeNothing(t *testing.T) {
	t.Parallel()
	member := func(id string) map[string]any { return map[string]any{"value": id} }
	for _, tt := range []struct {
		name   string
		status int
		// req returns the request, given the ids of the group, of its
		// member ada, of bob (no member) and of a user of another
		// workspace.
		req func(grp, ada, bob, foreign string) (method, path string, body any)
	}{
		{"re-adding a member", http.StatusNoContent, func(grp, ada, _, _ string) (string, string, any) {
			return "PATCH", "/scim/v2/Groups/" + grp, patchOp("add", "members", []any{member(ada)})
		}},
		{"removing a user that is no member", http.StatusNoContent, func(grp, _, bob, _ string) (string, string, any) {
			return "PATCH", "/scim/v2/Groups/" + grp, patchOp("remove", `members[value eq "`+bob+`"]`, nil)
		}},
		{"removing a member that does not exist", http.StatusNoContent, func(grp, _, _, _ string) (string, string, any) {
			return "PATCH", "/scim/v2/Groups/" + grp, patchOp("remove", `members[value eq "usr_nobodyaaaaaaaaaa"]`, nil)
		}},
		{"removing another workspace's user", http.StatusNoContent, func(grp, _, _, foreign string) (string, string, any) {
			return "PATCH", "/scim/v2/Groups/" + grp, patchOp("remove", "members", []any{member(foreign)})
		}},
		{"removing a non-member and re-adding a member", http.StatusNoContent, func(grp, ada, bob, _ string) (string, string, any) {
			return "PATCH", "/scim/v2/Groups/" + grp, patchOps(
				map[string]any{"op": "remove", "path": `members[value eq "` + bob + `"]`},
				map[string]any{"op": "add", "path": "members", "value": []any{member(ada)}},
				map[string]any{"op": "replace", "path": "displayName", "value": "Engineering"})
		}},
		{"replacing the members with themselves", http.StatusNoContent, func(grp, ada, _, _ string) (string, string, any) {
			return "PATCH", "/scim/v2/Groups/" + grp, patchOp("replace", "members", []any{member(ada)})
		}},
		{"putting the group as it is", http.StatusOK, func(grp, ada, _, _ string) (string, string, any) {
			return "PUT", "/scim/v2/Groups/" + grp, map[string]any{"displayName": "Engineering", "members": []any{member(ada)}}
		}},
		{"putting the user as it is", http.StatusOK, func(_, ada, _, _ string) (string, string, any) {
			return "PUT", "/scim/v2/Users/" + ada, map[string]any{"userName": "ada@acme.test", "title": "Engineer",
				"name": map[string]any{"givenName": "Ada"}}
		}},
		{"patching the user to what it is", http.StatusOK, func(_, ada, _, _ string) (string, string, any) {
			return "PATCH", "/scim/v2/Users/" + ada, patchOps(
				map[string]any{"op": "replace", "path": "title", "value": "Engineer"},
				map[string]any{"op": "add", "path": "name.givenName", "value": "Ada"})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			onBothStores(t, func(t *testing.T, mk envMaker) { testWriteThatChangesNothing(t, mk, tt.status, tt.req) })
		})
	}
}

func testWriteThatChangesNothing(t *testing.T, mk envMaker, status int, req func(grp, ada, bob, foreign string) (method, path string, body any)) {
	e, flush := auditEnvOn(t, false, mk)
	foreign := e.doToken(e.newWorkspace("globex"), "POST", "/scim/v2/Users", map[string]any{"userName": "eve@globex.test"}).str("id")
	ada := e.createUser("ada@acme.test", map[string]any{"title": "Engineer", "name": map[string]any{"givenName": "Ada"}}).str("id")
	bob := e.createUser("bob@acme.test", nil).str("id")
	grp := e.createGroup("Engineering", ada).str("id")
	method, path, body := req(grp, ada, bob, foreign)
	before := e.must(http.StatusOK, "GET", path, nil).str("meta.version")
	events := len(e.events("acme"))

	var mu sync.Mutex
	var changes []store.Change
	unsubscribe := e.st.Subscribe(func(c store.Change) {
		if c.Kind != store.ChangeReset {
			mu.Lock()
			changes = append(changes, c)
			mu.Unlock()
		}
	})
	r := e.must(status, method, path, body, "X-Request-Id", "noop-1")
	unsubscribe()
	mu.Lock()
	if len(changes) > 0 {
		t.Errorf("changes published: %+v", changes)
	}
	mu.Unlock()
	if v := r.str("meta.version"); r.status == http.StatusOK && v != before {
		t.Errorf("answer's version %s, want %s", v, before)
	}
	if v := e.must(http.StatusOK, "GET", path, nil).str("meta.version"); v != before {
		t.Errorf("version %s after the write, want %s", v, before)
	}
	if evs := e.events("acme"); len(evs) != events {
		t.Errorf("events appended: %v", types(evs[events:]))
	}
	flush()
	entries := auditEntries(t, e.st, store.AuditQuery{CorrelationID: "noop-1"})
	if len(entries) != 1 {
		t.Fatalf("%d audit entries, want 1", len(entries))
	}
	var p audit.Request
	if err := json.Unmarshal(entries[0].Payload, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Diff) != 0 {
		t.Errorf("audit entry has a diff: %s", entries[0].Payload)
	}
}

// TestMemberChangesListWhatChanged: the events of a member change name
// only the members it added or removed in fact.
func TestMemberChangesListWhatChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ada := e.createUser("ada@acme.test", nil).str("id")
	bob := e.createUser("bob@acme.test", nil).str("id")
	cy := e.createUser("cy@acme.test", nil).str("id")
	grp := e.createGroup("Engineering", ada).str("id")
	n := len(e.events("acme"))
	e.must(http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+grp, patchOps(
		map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": ada}, map[string]any{"value": bob}}},
		map[string]any{"op": "remove", "path": "members", "value": []any{map[string]any{"value": cy}}}))
	evs := e.events("acme")[n:]
	if got := types(evs); !slices.Equal(got, []string{"group.member_added"}) {
		t.Fatalf("events %v, want one group.member_added", got)
	}
	var data struct{ Members []string }
	json.Unmarshal(evs[0].Data, &data)
	if !slices.Equal(data.Members, []string{bob}) {
		t.Errorf("member_added lists %v, want only %s: %s", data.Members, bob, evs[0].Data)
	}
}
