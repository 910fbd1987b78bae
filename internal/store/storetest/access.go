package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/store"
)

func testSoftDelete(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	c := newClock()
	st := newStore(t, c.now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_1", "ada", "active", true), group("ws_a", "grp_1", "Eng", "usr_1"))
	mustCreateCredential(t, st, store.Credential{ID: "cred_1", WorkspaceID: "ws_a", UserID: "usr_1", Kind: store.CredentialSession, Name: "s", Hash: []byte("h1"), Created: c.now()})

	purgeAt := c.now().Add(30 * 24 * time.Hour)
	err := st.DeleteResource(ctx, "ws_a", "User", "usr_1", func(*store.Resource) (*store.Deletion, error) {
		return &store.Deletion{PurgeAt: purgeAt, Effects: store.Effects{
			Revoke: &store.Revocation{UserID: "usr_1", Reason: "user.deleted"},
			Events: []store.NewEvent{event("user.deleted", "usr_1", `{}`)},
		}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Resource(ctx, "ws_a", "User", "usr_1", false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("soft-deleted user still found: %v", err)
	}
	g, err := st.Resource(ctx, "ws_a", "Group", "grp_1", true)
	if err != nil || len(g.Members) != 0 {
		t.Errorf("group of a soft-deleted user: %+v, %v; want no members", g, err)
	}
	cred, err := st.CredentialByHash(ctx, "ws_a", []byte("h1"))
	if err != nil || cred.Revoked.IsZero() || cred.RevokedReason != "user.deleted" {
		t.Errorf("credential of a soft-deleted user: %+v, %v; want revoked", cred, err)
	}
	if got := eventTypes(t, st, "ws_a"); !slices.Equal(got, []string{"session.created", "session.revoked", "user.deleted"}) &&
		!slices.Equal(got, []string{"session.created", "user.deleted", "session.revoked"}) {
		t.Errorf("events %v", got)
	}
	deleted, err := st.DeletedUsers(ctx, "ws_a")
	if err != nil || len(deleted) != 1 || deleted[0].Resource.ID != "usr_1" || !deleted[0].PurgeAt.Equal(purgeAt) ||
		deleted[0].Resource.Doc["userName"] != "ada" {
		t.Fatalf("DeletedUsers: %+v, %v", deleted, err)
	}

	// The userName is free while the user is away: the identity
	// provider may create it again, and then the old one cannot come back.
	mustCreate(t, st, user("ws_a", "usr_2", "ADA"))
	if _, err := st.RestoreUser(ctx, "ws_a", "usr_1", nil); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("restore with its userName taken: %v, want ErrAlreadyExists", err)
	}
	if err := st.DeleteResource(ctx, "ws_a", "User", "usr_2", nil); err != nil {
		t.Fatal(err)
	}
	r, err := st.RestoreUser(ctx, "ws_a", "usr_1", func(r *store.Resource) store.Effects {
		return store.Effects{Events: []store.NewEvent{event("user.restored", r.ID, `{}`)}}
	})
	if err != nil || r.ID != "usr_1" || r.Doc["userName"] != "ada" || r.Version != 2 {
		t.Fatalf("RestoreUser: %+v, %v", r, err)
	}
	if got, err := st.Resource(ctx, "ws_a", "User", "usr_1", true); err != nil || len(got.Groups) != 0 || got.Version != 2 {
		t.Errorf("restored user: %+v, %v; want it back without groups", got, err)
	}
	if _, err := st.RestoreUser(ctx, "ws_a", "usr_1", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("restore twice: %v, want ErrNotFound", err)
	}
	if got := eventTypes(t, st, "ws_a"); got[len(got)-1] != "user.restored" {
		t.Errorf("events %v, want user.restored last", got)
	}
}

func eventTypes(t *testing.T, st store.Store, ws string) []string {
	t.Helper()
	var types []string
	for _, e := range mustEvents(t, st, ws, 0, 1000) {
		types = append(types, e.Type)
	}
	return types
}

func testPurge(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	c := newClock()
	st := newStore(t, c.now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	day := 24 * time.Hour
	for _, u := range []struct {
		ws, id string
		grace  time.Duration
	}{{"ws_a", "usr_1", day}, {"ws_a", "usr_2", 3 * day}, {"ws_b", "usr_3", day}, {"ws_a", "usr_4", 3 * day}} {
		mustCreate(t, st, user(u.ws, u.id, u.id))
		mustCreateCredential(t, st, store.Credential{ID: "cred_" + u.id, WorkspaceID: u.ws, UserID: u.id, Kind: store.CredentialAPIKey,
			Name: "k", Hash: []byte(u.id), Created: c.now()})
		at := c.now().Add(u.grace)
		if err := st.DeleteResource(ctx, u.ws, "User", u.id, func(*store.Resource) (*store.Deletion, error) {
			return &store.Deletion{PurgeAt: at}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	purgedEvent := func(u *store.DeletedUser) store.NewEvent { return event("user.purged", u.Resource.ID, `{}`) }
	later := c.now().Add(2 * day)
	ids, err := st.PurgeUsers(ctx, "", "", later, purgedEvent)
	slices.Sort(ids)
	if err != nil || !slices.Equal(ids, []string{"usr_1", "usr_3"}) {
		t.Fatalf("PurgeUsers(all, 2 days on) = %v, %v; want usr_1 and usr_3", ids, err)
	}
	if _, err := st.CredentialByHash(ctx, "ws_a", []byte("usr_1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("credential of a purged user: %v, want ErrNotFound", err)
	}
	if got := eventTypes(t, st, "ws_b"); !slices.Equal(got, []string{"api_key.created", "user.purged"}) {
		t.Errorf("ws_b events %v", got)
	}
	if ids, err := st.PurgeUsers(ctx, "", "", later, purgedEvent); err != nil || len(ids) != 0 {
		t.Errorf("second purge: %v, %v; want nothing", ids, err)
	}
	// Purging one user now, before its time.
	if ids, err := st.PurgeUsers(ctx, "ws_b", "usr_2", c.now().Add(10*day), nil); err != nil || len(ids) != 0 {
		t.Errorf("purge of another workspace's user: %v, %v; want nothing", ids, err)
	}
	if ids, err := st.PurgeUsers(ctx, "ws_a", "usr_2", c.now().Add(10*day), nil); err != nil || !slices.Equal(ids, []string{"usr_2"}) {
		t.Errorf("purge one: %v, %v", ids, err)
	}
	left, err := st.DeletedUsers(ctx, "ws_a")
	if err != nil || len(left) != 1 || left[0].Resource.ID != "usr_4" {
		t.Errorf("left after purges: %+v, %v; want usr_4", left, err)
	}
}

func testHardDelete(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	c := newClock()
	st := newStore(t, c.now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"))
	mustCreateCredential(t, st, store.Credential{ID: "cred_1", WorkspaceID: "ws_a", UserID: "usr_1", Kind: store.CredentialAPIKey, Name: "k", Hash: []byte("h1"), Created: c.now()})
	if err := st.DeleteResource(ctx, "ws_a", "User", "usr_1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CredentialByHash(ctx, "ws_a", []byte("h1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("credential of a hard-deleted user: %v, want ErrNotFound", err)
	}
	if d, err := st.DeletedUsers(ctx, "ws_a"); err != nil || len(d) != 0 {
		t.Errorf("DeletedUsers after a hard delete: %+v, %v", d, err)
	}
}

// testEffectsAtomic checks that effects are written with the change or
// not at all.
func testEffectsAtomic(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	c := newClock()
	st := newStore(t, c.now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"), user("ws_a", "usr_2", "bob"))
	mustCreateCredential(t, st,
		store.Credential{ID: "cred_s", WorkspaceID: "ws_a", UserID: "usr_1", Kind: store.CredentialSession, Name: "s", Hash: []byte("s"), Created: c.now()},
		store.Credential{ID: "cred_k", WorkspaceID: "ws_a", UserID: "usr_1", Kind: store.CredentialAPIKey, Name: "k", Hash: []byte("k"), Created: c.now()})

	// A write that fails (userName taken) leaves no event and revokes
	// nothing.
	_, err := st.UpdateResource(ctx, "ws_a", "User", "usr_1", false, func(r *store.Resource) (*store.Update, error) {
		return &store.Update{Doc: map[string]any{"userName": "bob", "active": false}, Effects: store.Effects{
			Revoke: &store.Revocation{UserID: "usr_1", APIKeys: true, Reason: "user.deactivated"},
			Events: []store.NewEvent{event("user.deactivated", "usr_1", `{}`)},
		}}, nil
	})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("update to a taken userName: %v", err)
	}
	if got := eventTypes(t, st, "ws_a"); !slices.Equal(got, []string{"session.created", "api_key.created"}) {
		t.Errorf("events after a failed write: %v, want only the credentials' creation", got)
	}
	if cs, _ := st.Credentials(ctx, "ws_a", "usr_1"); len(cs) != 2 || !cs[0].Revoked.IsZero() || !cs[1].Revoked.IsZero() {
		t.Errorf("credentials after a failed write: %+v", cs)
	}

	// Deactivation keeping API keys revokes sessions only.
	var changes []store.Change
	unsubscribe := st.Subscribe(func(ch store.Change) { changes = append(changes, ch) })
	defer unsubscribe()
	_, err = st.UpdateResource(ctx, "ws_a", "User", "usr_1", false, func(r *store.Resource) (*store.Update, error) {
		return &store.Update{Doc: map[string]any{"userName": "ada", "active": false}, Effects: store.Effects{
			Revoke: &store.Revocation{UserID: "usr_1", Reason: "user.deactivated"},
			Events: []store.NewEvent{event("user.deactivated", "usr_1", `{}`)},
		}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := st.CredentialByHash(ctx, "ws_a", []byte("s"))
	k, _ := st.CredentialByHash(ctx, "ws_a", []byte("k"))
	if s.Revoked.IsZero() || !k.Revoked.IsZero() {
		t.Errorf("after deactivation keeping keys: session revoked %v, key revoked %v; want true, false", !s.Revoked.IsZero(), !k.Revoked.IsZero())
	}
	// Subscribers heard, before the write returned, of the revoked
	// session and of the user.
	want := map[store.Change]bool{
		{Kind: store.ChangeCredential, WorkspaceID: "ws_a", ID: "cred_s"}: false,
		{Kind: store.ChangeUser, WorkspaceID: "ws_a", ID: "usr_1"}:        false,
		{Kind: store.ChangeEvents, WorkspaceID: "ws_a"}:                   false,
	}
	for _, ch := range changes {
		if _, ok := want[ch]; ok {
			want[ch] = true
		}
	}
	for ch, seen := range want {
		if !seen {
			t.Errorf("no %+v published; got %+v", ch, changes)
		}
	}
}

func testSeats(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	two := 2
	if _, err := st.UpdateWorkspace(ctx, "alpha", func(w *store.Workspace) error {
		w.Config.SeatLimit = &two
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, st, user("ws_a", "usr_1", "a"), user("ws_a", "usr_2", "b", "active", true), user("ws_a", "usr_3", "c", "active", false))
	if err := st.CreateResource(ctx, user("ws_a", "usr_4", "d"), store.Effects{}); !errors.Is(err, store.ErrSeatLimit) {
		t.Errorf("third active user: %v, want ErrSeatLimit", err)
	}
	setActive := func(id string, active bool) error {
		_, err := st.UpdateResource(ctx, "ws_a", "User", id, false, func(r *store.Resource) (*store.Update, error) {
			doc := map[string]any{"userName": r.Doc["userName"], "active": active}
			return &store.Update{Doc: doc}, nil
		})
		return err
	}
	if err := setActive("usr_3", true); !errors.Is(err, store.ErrSeatLimit) {
		t.Errorf("reactivation beyond the limit: %v, want ErrSeatLimit", err)
	}
	// Deactivation frees a seat at once.
	if err := setActive("usr_2", false); err != nil {
		t.Fatal(err)
	}
	if err := setActive("usr_3", true); err != nil {
		t.Errorf("reactivation into a freed seat: %v", err)
	}
	// Updating an active user is no new seat.
	if err := setActive("usr_1", true); err != nil {
		t.Errorf("update of an active user at the limit: %v", err)
	}
}

func testUserGroups(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"), user("ws_a", "usr_2", "bob"),
		group("ws_a", "grp_p", "Platform", "usr_1"),
		group("ws_a", "grp_e", "Engineering", "grp_p"),
		group("ws_a", "grp_r", "R&D", "grp_e", "usr_1"),
		group("ws_a", "grp_x", "Other", "usr_2"))
	got, err := st.UserGroups(ctx, "ws_a", "usr_1")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]store.GroupNode{}
	for _, g := range got {
		byID[g.ID] = g
	}
	want := map[string][]string{"grp_p": {"grp_e"}, "grp_e": {"grp_r"}, "grp_r": nil}
	if len(byID) != len(want) {
		t.Fatalf("UserGroups = %+v, want groups %v", got, want)
	}
	for id, parents := range want {
		g, ok := byID[id]
		if !ok || !slices.Equal(g.Parents, parents) {
			t.Errorf("group %s: %+v, want parents %v", id, g, parents)
		}
	}
	if byID["grp_p"].DisplayName != "Platform" {
		t.Errorf("display name %q", byID["grp_p"].DisplayName)
	}
	if got, err := st.UserGroups(ctx, "ws_a", "usr_nobody"); err != nil || len(got) != 0 {
		t.Errorf("groups of nobody: %v, %v", got, err)
	}
}

// testSweepUsers checks that SweepUsers pages through a workspace's
// users, each with what UserGroups and UserRoles give for it.
func testSweepUsers(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	var users []*store.Resource
	for i := range 7 {
		users = append(users, user("ws_a", fmt.Sprintf("usr_%d", i), fmt.Sprintf("user%d", i)))
	}
	mustCreate(t, st, users...)
	mustCreate(t, st, user("ws_b", "usr_b", "other"),
		group("ws_a", "grp_p", "Platform", "usr_1", "usr_4"),
		group("ws_a", "grp_e", "Engineering", "grp_p", "usr_2"),
		group("ws_a", "grp_r", "R&D", "grp_e", "usr_1"),
		group("ws_a", "grp_x", "Other", "usr_5", "usr_6"),
		group("ws_b", "grp_b", "Beta", "usr_b"))
	if _, err := st.LinkTeam(ctx, "ws_a", store.TeamLink{GroupID: "grp_e", Team: "eng", Role: "lead"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"usr_1", "usr_5"} {
		r := store.UserRoles{Roles: []string{"role-" + id}, Groups: []string{}, Teams: []store.Team{}}
		if _, err := st.SetUserRoles(ctx, "ws_a", id, r, func(store.UserRoles, bool) store.Effects {
			return store.Effects{Events: []store.NewEvent{{Type: "test.roles", Subject: id}}}
		}); err != nil {
			t.Fatal(err)
		}
	}

	var seen []string
	pages := 0
	for cursor := ""; ; pages++ {
		page, next, err := st.SweepUsers(ctx, "ws_a", cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page {
			seen = append(seen, u.User.ID)
			groups, err := st.UserGroups(ctx, "ws_a", u.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) == 0 {
				groups = nil
			}
			if !reflect.DeepEqual(u.Groups, groups) {
				t.Errorf("%s: groups %+v, want as UserGroups gives: %+v", u.User.ID, u.Groups, groups)
			}
			roles, had, err := st.UserRoles(ctx, "ws_a", u.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			if u.Had != had || !u.Roles.Equal(roles) {
				t.Errorf("%s: roles %+v (%v), want as UserRoles gives: %+v (%v)", u.User.ID, u.Roles, u.Had, roles, had)
			}
			if u.User.Doc["userName"] == nil || u.User.WorkspaceID != "ws_a" {
				t.Errorf("%s: user %+v", u.User.ID, u.User)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	slices.Sort(seen)
	if want := []string{"usr_0", "usr_1", "usr_2", "usr_3", "usr_4", "usr_5", "usr_6"}; !slices.Equal(seen, want) || pages != 2 {
		t.Errorf("swept %v in %d pages after the first, want %v in 2", seen, pages, want)
	}
	if page, next, err := st.SweepUsers(ctx, "ws_none", "", 3); err != nil || len(page) != 0 || next != "" {
		t.Errorf("sweep of a workspace without users: %v, %q, %v", page, next, err)
	}
}

func testAccessPolicy(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	w, err := st.WorkspaceBySlug(ctx, "alpha")
	if err != nil || w.Config.Roles != nil || w.Config.RoleMappings != nil || w.Config.GroupAllowlist != nil {
		t.Fatalf("new workspace's policy: %+v, %v; want the defaults", w.Config, err)
	}
	want := store.DefaultWorkspaceConfig()
	want.Roles = []roles.Role{{Name: "reader", Rank: 1}, {Name: "owner", Rank: 9}}
	want.DefaultRole = "reader"
	want.RoleMappings = []roles.Mapping{{Group: "Eng*", Role: "owner"}, {ExternalID: "00g1", Role: "reader"}}
	want.GroupAllowlist = []string{"Eng*", "Sales"}
	if _, err := st.UpdateWorkspace(ctx, "alpha", func(w *store.Workspace) error { w.Config = want; return nil }); err != nil {
		t.Fatal(err)
	}
	w, err = st.WorkspaceBySlug(ctx, "alpha")
	if err != nil || !reflect.DeepEqual(w.Config, want) {
		t.Errorf("policy round trip:\n got %+v, %v\nwant %+v", w.Config, err, want)
	}
	// Back to the defaults.
	if _, err := st.UpdateWorkspace(ctx, "alpha", func(w *store.Workspace) error { w.Config = store.DefaultWorkspaceConfig(); return nil }); err != nil {
		t.Fatal(err)
	}
	if w, _ := st.WorkspaceByID(ctx, "ws_a"); !reflect.DeepEqual(w.Config, store.DefaultWorkspaceConfig()) {
		t.Errorf("reset policy: %+v", w.Config)
	}
}

func testUserRoles(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"))
	if _, ok, err := st.UserRoles(ctx, "ws_a", "usr_1"); ok || err != nil {
		t.Fatalf("roles before any: %v, %v", ok, err)
	}
	var calls []store.UserRoles
	onChange := func(old store.UserRoles, had bool) store.Effects {
		calls = append(calls, old)
		return store.Effects{
			Events: []store.NewEvent{event("user.roles_changed", "usr_1", `{}`)},
			Audit: []store.AuditEntry{{WorkspaceID: "ws_a", Channel: "effect", Action: "user.roles_change", Target: "usr_1",
				CorrelationID: fmt.Sprintf("roles-%d", len(calls)), Payload: []byte(`{}`)}},
		}
	}
	viewer := store.UserRoles{Roles: []string{"viewer"}, Groups: []string{}}
	dev := store.UserRoles{Roles: []string{"developer"}, Groups: []string{"group:eng"}}
	for i, step := range []struct {
		set     store.UserRoles
		changed bool
	}{{viewer, true}, {viewer, false}, {dev, true}, {dev, false}} {
		changed, err := st.SetUserRoles(ctx, "ws_a", "usr_1", step.set, onChange)
		if err != nil || changed != step.changed {
			t.Fatalf("step %d: SetUserRoles = %v, %v; want %v", i, changed, err, step.changed)
		}
	}
	if got, ok, err := st.UserRoles(ctx, "ws_a", "usr_1"); !ok || err != nil || !got.Equal(dev) {
		t.Errorf("UserRoles = %+v, %v, %v", got, ok, err)
	}
	if len(calls) != 2 || !calls[1].Equal(viewer) {
		t.Errorf("events made for %+v; want one per change, the second from viewer", calls)
	}
	if got := eventTypes(t, st, "ws_a"); len(got) != 2 || got[1] != "user.roles_changed" {
		t.Errorf("events %v", got)
	}
	// Each change's audit entry is stored with it, and only a change's.
	if p := mustQuery(t, st, store.AuditQuery{Action: "user.roles_change"}); len(p.Entries) != 2 {
		t.Errorf("%d audit entries of changes of roles, want 2: %+v", len(p.Entries), p.Entries)
	}
	if _, err := st.SetUserRoles(ctx, "ws_a", "usr_nobody", viewer, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("roles of nobody: %v, want ErrNotFound", err)
	}
	if _, err := st.SetUserRoles(ctx, "ws_b", "usr_1", viewer, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("roles of another workspace's user: %v, want ErrNotFound", err)
	}
	// A deleted user's roles go with it.
	if err := st.DeleteResource(ctx, "ws_a", "User", "usr_1", nil); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.UserRoles(ctx, "ws_a", "usr_1"); ok || err != nil {
		t.Errorf("roles of a deleted user: %v, %v", ok, err)
	}
}

func testCredentialOfInactiveUser(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_1", "ada", "active", false))
	err := st.CreateCredential(ctx, store.Credential{ID: "cred_1", WorkspaceID: "ws_a", UserID: "usr_1", Kind: store.CredentialAPIKey,
		Name: "k", Hash: []byte("h"), Created: time.Now()})
	if !errors.Is(err, store.ErrUserInactive) {
		t.Errorf("credential of an inactive user: %v, want ErrUserInactive", err)
	}
}

func testInvitedUsers(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"))
	invite := func(ws, id, name string) error {
		return st.CreateInvitedUser(ctx, &store.Resource{Type: "User", ID: id, WorkspaceID: ws, Doc: map[string]any{"userName": name, "displayName": "Invited " + name}})
	}
	if err := invite("ws_a", "usr_l1", "ADA"); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("invited user with a SCIM user's userName: %v, want ErrAlreadyExists", err)
	}
	if err := invite("ws_a", "usr_l1", "bob"); err != nil {
		t.Fatal(err)
	}
	if err := invite("ws_a", "usr_l2", "Bob"); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("two invited users with one userName: %v, want ErrAlreadyExists", err)
	}
	if err := invite("ws_b", "usr_l3", "bob"); err != nil {
		t.Errorf("same userName in another workspace: %v", err)
	}
	// SCIM cannot take an invited user's userName, by create or rename.
	if err := st.CreateResource(ctx, user("ws_a", "usr_2", "BOB"), store.Effects{}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("SCIM user with an invited user's userName: %v, want ErrAlreadyExists", err)
	}
	_, err := st.UpdateResource(ctx, "ws_a", "User", "usr_1", false, func(r *store.Resource) (*store.Update, error) {
		return &store.Update{Doc: map[string]any{"userName": "bob"}}, nil
	})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("rename to an invited user's userName: %v, want ErrAlreadyExists", err)
	}
	// Nor can SCIM see it.
	if _, err := st.Resource(ctx, "ws_a", "User", "usr_l1", false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SCIM reads an invited user: %v", err)
	}
	list, err := st.InvitedUsers(ctx, "ws_a")
	if err != nil || len(list) != 1 || list[0].ID != "usr_l1" || list[0].Doc["displayName"] != "Invited bob" {
		t.Fatalf("InvitedUsers = %+v, %v", list, err)
	}

	// Linking: the SCIM user takes the invited user's id.
	r := user("ws_a", "usr_new", "Bob", "active", true)
	err = st.LinkInvitedUser(ctx, r, func(r *store.Resource) store.Effects {
		return store.Effects{Events: []store.NewEvent{event("user.created", r.ID, `{}`)}}
	})
	if err != nil || r.ID != "usr_l1" || !r.Created.Equal(list[0].Created) {
		t.Fatalf("LinkInvitedUser: %+v, %v", r, err)
	}
	got, err := st.Resource(ctx, "ws_a", "User", "usr_l1", false)
	if err != nil || got.Doc["userName"] != "Bob" || got.Doc["displayName"] != nil {
		t.Errorf("linked user %+v, %v; want the SCIM document", got, err)
	}
	if list, _ := st.InvitedUsers(ctx, "ws_a"); len(list) != 0 {
		t.Errorf("invited users after linking: %v", list)
	}
	if types := eventTypes(t, st, "ws_a"); len(types) != 1 || types[0] != "user.created" {
		t.Errorf("events %v", types)
	}
	if err := st.LinkInvitedUser(ctx, user("ws_a", "usr_x", "nobody"), nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("link without an invited user: %v, want ErrNotFound", err)
	}
}

func testTokenEvents(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	tok := store.Token{ID: "tok_1", Kind: store.TokenSCIM, WorkspaceID: "ws_a", Name: "okta", Hash: []byte("h1"), Created: time.Now()}
	if err := st.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateToken(ctx, store.Token{ID: "tok_adm", Kind: store.TokenAdmin, Name: "ops", Hash: []byte("h2"), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := st.RevokeToken(ctx, "tok_1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	evs := mustEvents(t, st, "ws_a", 0, 100)
	if len(evs) != 2 || evs[0].Type != eventtype.TokenCreated || evs[1].Type != eventtype.TokenRevoked || evs[1].Subject != "tok_1" {
		t.Fatalf("events %+v; want the token created and revoked, once each", evs)
	}
	var data struct {
		Token map[string]any `json:"token"`
	}
	if err := json.Unmarshal(evs[0].Data, &data); err != nil || data.Token["name"] != "okta" || data.Token["hash"] != nil {
		t.Errorf("token.created data %s, %v", evs[0].Data, err)
	}
}

// testUpdateThatDeletes checks that an update with a Deletion deletes the
// resource as written, soft or hard, and returns it.
func testUpdateThatDeletes(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_1", "ada", "active", true), user("ws_a", "usr_2", "bob", "active", true),
		group("ws_a", "grp_1", "Engineering", "usr_1", "usr_2"))
	purgeAt := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	for _, tt := range []struct {
		id  string
		del store.Deletion
	}{
		{"usr_1", store.Deletion{PurgeAt: purgeAt, Effects: store.Effects{Events: []store.NewEvent{event("user.deleted", "usr_1", `{}`)}}}},
		{"usr_2", store.Deletion{}},
	} {
		name := "Shown " + tt.id
		out, err := st.UpdateResource(ctx, "ws_a", "User", tt.id, false, func(r *store.Resource) (*store.Update, error) {
			doc := map[string]any{"userName": r.Doc["userName"], "active": false}
			del := tt.del
			return &store.Update{Doc: doc, AppDisplayName: &name, Delete: &del}, nil
		})
		if err != nil || out.Doc["active"] != false || out.Version != 2 || out.AppDisplayName != name {
			t.Errorf("%s: UpdateResource = %+v, %v; want the user as written, at version 2", tt.id, out, err)
		}
		if _, err := st.Resource(ctx, "ws_a", "User", tt.id, false); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: after the update that deletes, Resource: %v, want ErrNotFound", tt.id, err)
		}
	}
	d, err := st.DeletedUsers(ctx, "ws_a")
	if err != nil || len(d) != 1 || d[0].Resource.ID != "usr_1" || d[0].Resource.Doc["active"] != false ||
		d[0].Resource.AppDisplayName != "Shown usr_1" || !d[0].PurgeAt.Equal(purgeAt) {
		t.Fatalf("DeletedUsers = %+v, %v; want usr_1 as written", d, err)
	}
	g, err := st.Resource(ctx, "ws_a", "Group", "grp_1", true)
	if err != nil || len(g.Members) != 0 {
		t.Errorf("group %+v, %v; want no members left", g, err)
	}
	if got := eventTypes(t, st, "ws_a"); !slices.Equal(got, []string{"user.deleted"}) {
		t.Errorf("events %v", got)
	}
	// Restored, the user keeps the display name it had.
	r, err := st.RestoreUser(ctx, "ws_a", "usr_1", nil)
	if err != nil || r.AppDisplayName != "Shown usr_1" {
		t.Errorf("RestoreUser = %+v, %v", r, err)
	}
}

// testAppDisplayName checks that a user's AppDisplayName is stored apart
// from its document: as created, and as updates set or keep it.
func testAppDisplayName(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	u := user("ws_a", "usr_1", "ada", "displayName", "Ada")
	u.AppDisplayName = "Ada Lovelace"
	mustCreate(t, st, u)
	get := func() string {
		t.Helper()
		r, err := st.Resource(ctx, "ws_a", "User", "usr_1", false)
		if err != nil {
			t.Fatal(err)
		}
		page, err := st.ListResources(ctx, "ws_a", "User", store.Query{Count: 10})
		if err != nil || len(page.Resources) != 1 || page.Resources[0].AppDisplayName != r.AppDisplayName {
			t.Errorf("listed %+v, %v; want the display name %q", page.Resources, err, r.AppDisplayName)
		}
		return r.AppDisplayName
	}
	if got := get(); got != "Ada Lovelace" {
		t.Errorf("created with %q", got)
	}
	update := func(name *string) {
		t.Helper()
		out, err := st.UpdateResource(ctx, "ws_a", "User", "usr_1", false, func(r *store.Resource) (*store.Update, error) {
			r.Doc["title"] = fmt.Sprint(r.Version)
			return &store.Update{Doc: r.Doc, AppDisplayName: name}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := get(); out.AppDisplayName != want {
			t.Errorf("UpdateResource returned %q, stored %q", out.AppDisplayName, want)
		}
	}
	update(nil)
	if got := get(); got != "Ada Lovelace" {
		t.Errorf("an update without one changed it to %q", got)
	}
	name := "Countess"
	update(&name)
	if got := get(); got != "Countess" {
		t.Errorf("updated to %q, want Countess", got)
	}
}
