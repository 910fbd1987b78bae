package reconcile_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/reconcile"
	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
)

type env struct {
	t       *testing.T
	ctx     context.Context
	st      store.Store
	svc     *provision.Service
	ws      store.Workspace
	mu      sync.Mutex
	changes map[string]int // user id → changes seen
}

func newEnv(t *testing.T) *env {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, st: st, svc: provision.New(st), changes: map[string]int{}}
	e.ws = store.Workspace{ID: "ws_aaaaaaaaaaaaaaaa", Slug: "acme", Created: time.Now(), Config: store.DefaultWorkspaceConfig()}
	e.ws.Config.RoleMappings = []roles.Mapping{{Group: "Admins", Role: "admin"}, {Group: "Engineering", Role: "developer"}}
	if err := st.CreateWorkspace(ctx, e.ws); err != nil {
		t.Fatal(err)
	}
	r := reconcile.New(st, reconcile.Config{Changed: func(ws, user string, before, after store.UserRoles, heard time.Time) {
		e.mu.Lock()
		e.changes[user]++
		e.mu.Unlock()
	}})
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; st.Close() })
	return e
}

func (e *env) create(rt *schema.ResourceType, body map[string]any) string {
	e.t.Helper()
	r, err := e.svc.Create(e.ctx, &e.ws, rt, body)
	if err != nil {
		e.t.Fatal(err)
	}
	return r.ID
}

func (e *env) patch(rt *schema.ResourceType, id string, ops ...patch.Operation) {
	e.t.Helper()
	if _, err := e.svc.Patch(e.ctx, &e.ws, rt, id, "", ops, false); err != nil {
		e.t.Fatal(err)
	}
}

// waitRoles waits until the user's stored roles are want.
func (e *env) waitRoles(user string, want store.UserRoles) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _, err := e.st.UserRoles(e.ctx, e.ws.ID, user)
		if err == nil && got.Equal(want) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("roles of %s: %+v, %v; want %+v", user, got, err, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRolesFollowGroups(t *testing.T) {
	e := newEnv(t)
	ada := e.create(schema.UserType, map[string]any{"userName": "ada"})
	e.waitRoles(ada, store.UserRoles{Roles: []string{"viewer"}, Groups: []string{}})

	// Joiner: into a mapped group, nested in another.
	eng := e.create(schema.GroupType, map[string]any{"displayName": "Engineering"})
	platform := e.create(schema.GroupType, map[string]any{"displayName": "Platform", "members": []any{map[string]any{"value": ada}}})
	e.waitRoles(ada, store.UserRoles{Roles: []string{"viewer"}, Groups: []string{"group:platform"}})
	e.patch(schema.GroupType, eng, patch.Operation{Op: "add", Path: "members", Value: []any{map[string]any{"value": platform}}})
	e.waitRoles(ada, store.UserRoles{Roles: []string{"developer"}, Groups: []string{"group:engineering", "group:engineering/platform"}})

	// A mapping change applies to current members.
	e.ws.Config.RoleMappings = append(e.ws.Config.RoleMappings, roles.Mapping{Group: "Platform", Role: "billing"})
	if _, err := e.st.UpdateWorkspace(e.ctx, "acme", func(w *store.Workspace) error { w.Config = e.ws.Config; return nil }); err != nil {
		t.Fatal(err)
	}
	e.waitRoles(ada, store.UserRoles{Roles: []string{"billing", "developer"}, Groups: []string{"group:engineering", "group:engineering/platform"}})

	// Mover: out of the nested group.
	e.patch(schema.GroupType, platform, patch.Operation{Op: "remove", Path: `members[value eq "` + ada + `"]`})
	e.waitRoles(ada, store.UserRoles{Roles: []string{"viewer"}, Groups: []string{}})

	// Each change is one event and one audit entry.
	evs, err := e.st.Events(e.ctx, e.ws.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var changes []map[string]any
	for _, ev := range evs {
		if ev.Type == reconcile.EventRolesChanged {
			var d map[string]any
			json.Unmarshal(ev.Data, &d)
			changes = append(changes, d)
		}
	}
	if len(changes) != 5 {
		t.Fatalf("%d roles_changed events, want 5: %v", len(changes), changes)
	}
	if changes[0]["before"] != nil {
		t.Errorf("first event has a before: %v", changes[0])
	}
	page, err := e.st.QueryAudit(e.ctx, store.AuditQuery{Action: "user.roles_change", Target: ada})
	if err != nil || len(page.Entries) != 5 {
		t.Errorf("audit entries %d, %v; want 5", len(page.Entries), err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.changes[ada] != 5 {
		t.Errorf("Changed called %d times, want 5", e.changes[ada])
	}
}

func TestDirectRoles(t *testing.T) {
	e := newEnv(t)
	ada := e.create(schema.UserType, map[string]any{"userName": "ada", "roles": []any{map[string]any{"value": "Auditor"}}})
	e.waitRoles(ada, store.UserRoles{Roles: []string{"auditor", "viewer"}, Groups: []string{}})
	got, _, _ := e.st.UserRoles(e.ctx, e.ws.ID, ada)
	if !slices.Equal(got.Roles, []string{"auditor", "viewer"}) {
		t.Errorf("roles %v", got.Roles)
	}
}
