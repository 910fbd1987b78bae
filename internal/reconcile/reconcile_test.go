package reconcile_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
	t          *testing.T
	path       string // of the SQLite database
	ctx        context.Context
	st         store.Store
	svc        *provision.Service
	ws         store.Workspace
	mu         sync.Mutex
	changes    map[string]int // user id → changes seen
	recomputed map[string]int // user id → recomputations
}

// patience bounds every wait for the reconciler: long enough for a busy
// machine, so that it only ends a test that fails.
const patience = 30 * time.Second

// newEnv starts a reconciler on a workspace whose policy maps Admins to
// admin and Engineering to developer, and then as config says.
func newEnv(t *testing.T, config ...func(*store.WorkspaceConfig)) *env {
	ctx, cancel := context.WithCancel(context.Background())
	path := filepath.Join(t.TempDir(), "db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, path: path, ctx: ctx, st: st, svc: provision.New(st), changes: map[string]int{}, recomputed: map[string]int{}}
	e.ws = store.Workspace{ID: "ws_aaaaaaaaaaaaaaaa", Slug: "acme", Created: time.Now(), Config: store.DefaultWorkspaceConfig()}
	e.ws.Config.RoleMappings = []roles.Mapping{{Group: "Admins", Role: "admin"}, {Group: "Engineering", Role: "developer"}}
	for _, c := range config {
		c(&e.ws.Config)
	}
	if err := st.CreateWorkspace(ctx, e.ws); err != nil {
		t.Fatal(err)
	}
	// Once the store watches for changes, a new subscriber has its reset
	// when it subscribes, before any change: the reconciler's first pass
	// then comes before it hears of what the test does.
	live := make(chan struct{}, 1)
	unsubscribe := st.Subscribe(func(c store.Change) {
		if c.Kind == store.ChangeReset {
			select {
			case live <- struct{}{}:
			default:
			}
		}
	})
	select {
	case <-live:
	case <-time.After(patience):
		t.Fatal("the store does not watch for changes")
	}
	unsubscribe()
	r := reconcile.New(st, reconcile.Config{
		Changed: func(ws, user string, before, after store.UserRoles, heard time.Time) {
			e.mu.Lock()
			e.changes[user]++
			e.mu.Unlock()
		},
		Recomputed: func(ws, user string) {
			e.mu.Lock()
			e.recomputed[user]++
			e.mu.Unlock()
		},
	})
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
	return r.Resource.ID
}

func (e *env) patch(rt *schema.ResourceType, id string, ops ...patch.Operation) {
	e.t.Helper()
	if _, err := e.svc.Patch(e.ctx, &e.ws, rt, id, "", ops, false); err != nil {
		e.t.Fatal(err)
	}
}

// waitRoles waits until the user's stored roles are want; its teams
// too, unless want has none (nil).
func (e *env) waitRoles(user string, want store.UserRoles) {
	e.t.Helper()
	deadline := time.Now().Add(patience)
	for {
		got, _, err := e.st.UserRoles(e.ctx, e.ws.ID, user)
		if want.Teams == nil {
			got.Teams = nil
		}
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
	// The roles are stored before the change's audit entry is written and
	// Changed called.
	for deadline := time.Now().Add(patience); ; time.Sleep(time.Millisecond) {
		e.mu.Lock()
		n := e.changes[ada]
		e.mu.Unlock()
		if n >= 5 || time.Now().After(deadline) {
			break
		}
	}

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

// recomputations returns how often the reconciler recomputed a user.
func (e *env) recomputations(user string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.recomputed[user]
}

// settle waits until the reconciler has dealt with every change made so
// far. It changes the user sentinel three times, waiting each time for
// its recomputation. The reconciler recomputes what it heard of in
// rounds, and hears of what comes during a round in the next: the
// changes made before the first poke are in the round of the first
// recomputation seen or the next; the third poke, made after the second
// recomputation seen, is in a round of nothing older than the second.
func (e *env) settle(sentinel string) {
	e.t.Helper()
	for range 3 {
		n := e.recomputations(sentinel)
		e.patch(schema.UserType, sentinel, patch.Operation{Op: "replace", Path: "displayName", Value: time.Now().String()})
		deadline := time.Now().Add(patience)
		for e.recomputations(sentinel) == n {
			if time.Now().After(deadline) {
				e.t.Fatalf("%s not recomputed after a change", sentinel)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func roleSet(rs []string, groups ...string) store.UserRoles {
	if groups == nil {
		groups = []string{}
	}
	return store.UserRoles{Roles: rs, Groups: groups}
}

var (
	viewer    = []string{"viewer"}
	developer = []string{"developer"}
)

// TestGroupChangesRecomputeTheirUsers checks, for each way a group write
// changes users' roles, that the users it affects get their new roles and
// that the workspace's other users are not recomputed.
func TestGroupChangesRecomputeTheirUsers(t *testing.T) {
	for _, tt := range []struct {
		name   string
		config func(*store.WorkspaceConfig)
		// do makes the change, given the ids of the fixture's users and
		// groups by name.
		do   func(e *env, id map[string]string)
		want map[string]store.UserRoles
		// untouched are users whose roles the change cannot change,
		// which must not be recomputed.
		untouched []string
	}{
		{"add a user", nil, func(e *env, id map[string]string) {
			e.patch(schema.GroupType, id["Engineering"], addMembers(id["dee"]))
		}, map[string]store.UserRoles{"dee": roleSet(developer, "group:engineering")}, []string{"ada", "bob", "cy", "zed"}},
		{"add a group", nil, func(e *env, id map[string]string) {
			e.patch(schema.GroupType, id["Engineering"], addMembers(id["Staff"]))
		}, map[string]store.UserRoles{"cy": roleSet(developer, "group:engineering", "group:engineering/staff")}, []string{"ada", "bob", "zed"}},
		{"remove a user", nil, func(e *env, id map[string]string) {
			e.patch(schema.GroupType, id["Engineering"], patch.Operation{Op: "remove", Path: `members[value eq "` + id["ada"] + `"]`})
		}, map[string]store.UserRoles{"ada": roleSet(viewer)}, []string{"bob", "cy", "zed"}},
		{"remove a group", nil, func(e *env, id map[string]string) {
			e.patch(schema.GroupType, id["Engineering"], patch.Operation{Op: "remove", Path: `members[value eq "` + id["Platform"] + `"]`})
		}, map[string]store.UserRoles{"bob": roleSet(viewer, "group:platform")}, []string{"ada", "cy", "zed"}},
		{"replace members", nil, func(e *env, id map[string]string) {
			e.patch(schema.GroupType, id["Engineering"], patch.Operation{Op: "replace", Path: "members",
				Value: []any{map[string]any{"value": id["eve"]}, map[string]any{"value": id["Platform"]}}})
		}, map[string]store.UserRoles{"ada": roleSet(viewer), "eve": roleSet(developer, "group:engineering", "group:hidden")}, []string{"bob", "cy", "zed"}},
		{"rename", nil, func(e *env, id map[string]string) {
			e.patch(schema.GroupType, id["Engineering"], patch.Operation{Op: "replace", Path: "displayName", Value: "Eng"})
		}, map[string]store.UserRoles{"ada": roleSet(viewer, "group:eng"), "bob": roleSet(viewer, "group:eng", "group:eng/platform")}, []string{"cy", "zed"}},
		{"rename a nested group", nil, func(e *env, id map[string]string) {
			e.patch(schema.GroupType, id["Platform"], patch.Operation{Op: "replace", Path: "displayName", Value: "Infra"})
		}, map[string]store.UserRoles{"bob": roleSet(developer, "group:engineering", "group:engineering/infra")}, []string{"ada", "cy", "zed"}},
		{"replace by PUT", nil, func(e *env, id map[string]string) {
			_, err := e.svc.Replace(e.ctx, &e.ws, schema.GroupType, id["Staff"], "", map[string]any{"displayName": "Admins",
				"members": []any{map[string]any{"value": id["cy"]}, map[string]any{"value": id["dee"]}}})
			if err != nil {
				e.t.Fatal(err)
			}
		}, map[string]store.UserRoles{"cy": roleSet([]string{"admin"}, "group:admins"), "dee": roleSet([]string{"admin"}, "group:admins")}, []string{"ada", "bob", "zed"}},
		{"change externalId", func(c *store.WorkspaceConfig) {
			c.RoleMappings = append(c.RoleMappings, roles.Mapping{ExternalID: "00g1", Role: "billing"})
		}, func(e *env, id map[string]string) {
			e.patch(schema.GroupType, id["Staff"], patch.Operation{Op: "replace", Path: "externalId", Value: "00g1"})
		}, map[string]store.UserRoles{"cy": roleSet([]string{"billing"}, "group:staff")}, []string{"ada", "bob", "zed"}},
		{"delete a group", nil, func(e *env, id map[string]string) {
			if _, err := e.svc.Delete(e.ctx, &e.ws, schema.GroupType, id["Engineering"], ""); err != nil {
				e.t.Fatal(err)
			}
		}, map[string]store.UserRoles{"ada": roleSet(viewer), "bob": roleSet(viewer, "group:platform")}, []string{"cy", "zed"}},
		{"delete a user", nil, func(e *env, id map[string]string) {
			if _, err := e.svc.Delete(e.ctx, &e.ws, schema.UserType, id["ada"], ""); err != nil {
				e.t.Fatal(err)
			}
		}, nil, []string{"bob", "cy", "zed"}},
		{"rename into the allowlist", func(c *store.WorkspaceConfig) {
			c.GroupAllowlist = []string{"Engineering", "Platform", "Staff", "Other", "Admins"}
		}, func(e *env, id map[string]string) {
			e.patch(schema.GroupType, id["Hidden"], patch.Operation{Op: "replace", Path: "displayName", Value: "Admins"})
		}, map[string]store.UserRoles{"eve": roleSet([]string{"admin"}, "group:admins")}, []string{"ada", "bob", "cy", "zed"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var config []func(*store.WorkspaceConfig)
			if tt.config != nil {
				config = append(config, tt.config)
			}
			e := newEnv(t, config...)
			id := map[string]string{}
			for _, u := range []string{"ada", "bob", "cy", "dee", "eve", "zed", "sam"} {
				id[u] = e.create(schema.UserType, map[string]any{"userName": u})
			}
			for _, g := range []struct {
				name    string
				members []string
			}{{"Platform", []string{"bob"}}, {"Engineering", []string{"ada", "Platform"}}, {"Staff", []string{"cy"}}, {"Other", []string{"zed"}}, {"Hidden", []string{"eve"}}} {
				var ms []any
				for _, m := range g.members {
					ms = append(ms, map[string]any{"value": id[m]})
				}
				id[g.name] = e.create(schema.GroupType, map[string]any{"displayName": g.name, "members": ms})
			}
			e.waitRoles(id["bob"], roleSet(developer, "group:engineering", "group:engineering/platform"))
			e.settle(id["sam"])
			before := map[string]int{}
			for _, u := range tt.untouched {
				before[u] = e.recomputations(id[u])
			}

			tt.do(e, id)
			for u, want := range tt.want {
				e.waitRoles(id[u], want)
			}
			e.settle(id["sam"])
			for _, u := range tt.untouched {
				if n := e.recomputations(id[u]) - before[u]; n != 0 {
					t.Errorf("%s recomputed %d times, want none", u, n)
				}
			}
		})
	}
}

// TestLargeGroupChange renames a group of more users than a group write
// names one by one: the reconciler reads them from the store's record,
// and leaves the workspace's other users alone.
func TestLargeGroupChange(t *testing.T) {
	e := newEnv(t)
	sam := e.create(schema.UserType, map[string]any{"userName": "sam"})
	zed := e.create(schema.UserType, map[string]any{"userName": "zed"})
	var (
		users   []string
		members []any
	)
	for i := range store.MaxUserChanges + 20 {
		u := e.create(schema.UserType, map[string]any{"userName": fmt.Sprintf("u%d", i)})
		users = append(users, u)
		members = append(members, map[string]any{"value": u})
	}
	g := e.create(schema.GroupType, map[string]any{"displayName": "Staff", "members": members})
	for _, u := range users {
		e.waitRoles(u, roleSet(viewer, "group:staff"))
	}
	e.settle(sam)
	before := e.recomputations(zed)

	e.patch(schema.GroupType, g, patch.Operation{Op: "replace", Path: "displayName", Value: "Admins"})
	for _, u := range users {
		e.waitRoles(u, roleSet([]string{"admin"}, "group:admins"))
	}
	e.settle(sam)
	if n := e.recomputations(zed) - before; n != 0 {
		t.Errorf("a user outside the group recomputed %d times, want none", n)
	}
	for _, u := range users {
		if n := e.recomputations(u); n < 2 {
			t.Errorf("%s recomputed %d times, want at least twice", u, n)
		}
	}
}

func addMembers(ids ...string) patch.Operation {
	var list []any
	for _, id := range ids {
		list = append(list, map[string]any{"value": id})
	}
	return patch.Operation{Op: "add", Path: "members", Value: list}
}

// TestLargeGroupChangeRecordGone: a reconciler that hears of a record of a
// group change only once it is gone, pruned or never there, recomputes
// the whole workspace. The change comes as another server's would, as a
// row of the changes table of SQLite.
func TestLargeGroupChangeRecordGone(t *testing.T) {
	e := newEnv(t)
	sam := e.create(schema.UserType, map[string]any{"userName": "sam"})
	bob := e.create(schema.UserType, map[string]any{"userName": "bob"})
	e.waitRoles(bob, roleSet(viewer))
	e.settle(sam)
	before := e.recomputations(bob)

	db, err := sql.Open("sqlite", "file:"+e.path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO changes (at, origin, kind, workspace_id, object_id) VALUES (?, 'another server', ?, ?, '987654')`,
		time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"), string(store.ChangeGroups), e.ws.ID); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(patience); e.recomputations(bob) == before; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a user of the workspace was not recomputed after a record of a group change was found gone")
		}
	}
}

// TestTeamLinks: linking a group to a team, changing the link's role and
// unlinking it each recompute the users under the group, whose events
// say which team and role.
func TestTeamLinks(t *testing.T) {
	e := newEnv(t)
	ada := e.create(schema.UserType, map[string]any{"userName": "ada"})
	platform := e.create(schema.GroupType, map[string]any{"displayName": "Platform", "members": []any{map[string]any{"value": ada}}})
	e.create(schema.GroupType, map[string]any{"displayName": "Engineering", "members": []any{map[string]any{"value": platform}}})
	keys := []string{"group:engineering", "group:engineering/platform"}
	eng := store.Team{Key: "group:engineering", Role: "member"}
	own := store.UserRoles{Roles: []string{"developer"}, Groups: keys, Teams: []store.Team{eng, {Key: "group:engineering/platform", Role: "member"}}}
	e.waitRoles(ada, own)

	steps := []struct {
		do   func() error
		want []store.Team
	}{
		{func() error {
			_, err := e.st.LinkTeam(e.ctx, e.ws.ID, store.TeamLink{GroupID: platform, Team: "infra"})
			return err
		}, []store.Team{eng, {Key: "infra", Role: "member"}}},
		{func() error {
			_, err := e.st.LinkTeam(e.ctx, e.ws.ID, store.TeamLink{GroupID: platform, Team: "infra", Role: "lead"})
			return err
		}, []store.Team{eng, {Key: "infra", Role: "lead"}}},
		{func() error {
			_, err := e.st.UnlinkTeam(e.ctx, e.ws.ID, platform)
			return err
		}, own.Teams},
	}
	for i, step := range steps {
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
		e.waitRoles(ada, store.UserRoles{Roles: own.Roles, Groups: keys, Teams: step.want})
		evs, err := e.st.Events(e.ctx, e.ws.ID, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var last struct{ After store.UserRoles }
		for _, ev := range evs {
			if ev.Type == reconcile.EventRolesChanged && ev.Subject == ada {
				json.Unmarshal(ev.Data, &last)
			}
		}
		if !slices.Equal(last.After.Teams, step.want) {
			t.Errorf("step %d: the last event's teams are %v, want %v", i, last.After.Teams, step.want)
		}
	}
}
