package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// groupFixture makes, in workspace ws_a, the groups
//
//	Engineering: ada, Platform
//	Platform:    bob, SRE
//	SRE:         cy
//	Sales:       dee
//	Other:       zed
//
// and the users eve and fay, who are in none.
func groupFixture(t *testing.T, st store.Store) {
	t.Helper()
	mustWorkspace(t, st, "ws_a", "alpha")
	for _, u := range []string{"ada", "bob", "cy", "dee", "eve", "fay", "zed"} {
		mustCreate(t, st, user("ws_a", "usr_"+u, u))
	}
	mustCreate(t, st,
		group("ws_a", "grp_sre", "SRE", "usr_cy"),
		group("ws_a", "grp_plat", "Platform", "usr_bob", "grp_sre"),
		group("ws_a", "grp_eng", "Engineering", "usr_ada", "grp_plat"),
		group("ws_a", "grp_sales", "Sales", "usr_dee"),
		group("ws_a", "grp_other", "Other", "usr_zed"))
}

// affected returns the users that changes say may have another access,
// reading the records that ChangeGroups name a few at a time, and fails
// if a user is named twice or the whole workspace is.
func affected(t *testing.T, st store.Store, changes []store.Change) []string {
	t.Helper()
	var users []string
	for _, c := range changes {
		switch {
		case c.Kind == store.ChangeUser:
			users = append(users, c.ID)
		case c.Kind == store.ChangeGroups && c.ID == "":
			t.Fatalf("%+v says any user of the workspace may be affected", c)
		case c.Kind == store.ChangeGroups:
			users = append(users, changeUsers(t, st, c.WorkspaceID, c.ID, 7)...)
		}
	}
	slices.Sort(users)
	for i := 1; i < len(users); i++ {
		if users[i] == users[i-1] {
			t.Fatalf("user %s named twice in %+v", users[i], changes)
		}
	}
	return users
}

// changeUsers reads all the users of a record, limit at a time.
func changeUsers(t *testing.T, st store.Store, ws, id string, limit int) []string {
	t.Helper()
	var users []string
	for cursor := ""; ; {
		page, next, err := st.GroupChangeUsers(context.Background(), ws, id, cursor, limit)
		if err != nil {
			t.Fatalf("GroupChangeUsers(%s, %s, %q): %v", ws, id, cursor, err)
		}
		if len(page) > limit {
			t.Fatalf("GroupChangeUsers(%s, %s, %q, %d) = %d users", ws, id, cursor, limit, len(page))
		}
		users = append(users, page...)
		if next == "" {
			return users
		}
		cursor = next
	}
}

// published returns the changes a store tells its subscribers of while
// do runs.
func published(t *testing.T, st store.Store, do func() error) []store.Change {
	t.Helper()
	var (
		mu  sync.Mutex
		got []store.Change
	)
	unsubscribe := st.Subscribe(func(c store.Change) {
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
	})
	defer unsubscribe()
	if err := do(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return slices.DeleteFunc(got, func(c store.Change) bool { return c.Kind == store.ChangeReset || c.Kind == store.ChangeEvents })
}

func updateGroup(st store.Store, id string, doc func(map[string]any), mc *store.MemberChange) error {
	_, err := st.UpdateResource(context.Background(), "ws_a", "Group", id, false, func(r *store.Resource) (*store.Update, error) {
		next := map[string]any{}
		for k, v := range r.Doc {
			next[k] = v
		}
		if doc != nil {
			doc(next)
		}
		return &store.Update{Doc: next, Members: mc}, nil
	})
	return err
}

func members(ids ...string) []string { return ids }

// testGroupChanges checks that a write to a group tells of exactly the
// users whose roles and group keys it may change: those under the
// members it adds or removes, and under the group itself when it is
// renamed, its externalId changes or it is deleted.
func testGroupChanges(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		do   func(st store.Store) error
		want []string
	}{
		{"add a user", func(st store.Store) error {
			return updateGroup(st, "grp_sre", nil, &store.MemberChange{Add: members("usr_eve")})
		}, members("usr_eve")},
		{"add a member again", func(st store.Store) error {
			return updateGroup(st, "grp_sre", nil, &store.MemberChange{Add: members("usr_cy")})
		}, nil},
		{"add a user in a nested group too", func(st store.Store) error {
			return updateGroup(st, "grp_eng", nil, &store.MemberChange{Add: members("usr_cy")})
		}, members("usr_cy")},
		{"remove a user", func(st store.Store) error {
			return updateGroup(st, "grp_sre", nil, &store.MemberChange{Remove: members("usr_cy")})
		}, members("usr_cy")},
		{"remove a non-member", func(st store.Store) error {
			return updateGroup(st, "grp_sre", nil, &store.MemberChange{Remove: members("usr_eve", "usr_nobody")})
		}, nil},
		{"remove and add back", func(st store.Store) error {
			return updateGroup(st, "grp_sre", nil, &store.MemberChange{Remove: members("usr_cy"), Add: members("usr_cy", "usr_fay")})
		}, members("usr_fay")},
		{"replace members", func(st store.Store) error {
			return updateGroup(st, "grp_sales", nil, &store.MemberChange{Replace: true, Add: members("usr_eve", "usr_fay")})
		}, members("usr_dee", "usr_eve", "usr_fay")},
		{"replace members with the same", func(st store.Store) error {
			return updateGroup(st, "grp_eng", nil, &store.MemberChange{Replace: true, Add: members("grp_plat", "usr_ada")})
		}, nil},
		{"replace a nested group", func(st store.Store) error {
			return updateGroup(st, "grp_eng", nil, &store.MemberChange{Replace: true, Add: members("usr_ada", "grp_sales")})
		}, members("usr_bob", "usr_cy", "usr_dee")},
		{"rename", func(st store.Store) error {
			return updateGroup(st, "grp_eng", func(d map[string]any) { d["displayName"] = "Eng" }, nil)
		}, members("usr_ada", "usr_bob", "usr_cy")},
		{"rename a nested group", func(st store.Store) error {
			return updateGroup(st, "grp_plat", func(d map[string]any) { d["displayName"] = "Plat" }, nil)
		}, members("usr_bob", "usr_cy")},
		{"rename and add", func(st store.Store) error {
			return updateGroup(st, "grp_sre", func(d map[string]any) { d["displayName"] = "Ops" }, &store.MemberChange{Add: members("usr_eve")})
		}, members("usr_cy", "usr_eve")},
		{"rename and remove", func(st store.Store) error {
			return updateGroup(st, "grp_sre", func(d map[string]any) { d["displayName"] = "Ops" }, &store.MemberChange{Remove: members("usr_cy")})
		}, members("usr_cy")},
		{"change externalId", func(st store.Store) error {
			return updateGroup(st, "grp_plat", func(d map[string]any) { d["externalId"] = "00g1" }, nil)
		}, members("usr_bob", "usr_cy")},
		{"change another attribute", func(st store.Store) error {
			return updateGroup(st, "grp_eng", func(d map[string]any) { d["urn:example:team"] = "blue" }, nil)
		}, nil},
		{"nest a group", func(st store.Store) error {
			return updateGroup(st, "grp_eng", nil, &store.MemberChange{Add: members("grp_sales")})
		}, members("usr_dee")},
		{"unnest a group", func(st store.Store) error {
			return updateGroup(st, "grp_eng", nil, &store.MemberChange{Remove: members("grp_plat")})
		}, members("usr_bob", "usr_cy")},
		{"make a cycle", func(st store.Store) error {
			return updateGroup(st, "grp_sre", nil, &store.MemberChange{Add: members("grp_eng")})
		}, members("usr_ada", "usr_bob", "usr_cy")},
		{"delete a group", func(st store.Store) error {
			return st.DeleteResource(ctx, "ws_a", "Group", "grp_eng", nil)
		}, members("usr_ada", "usr_bob", "usr_cy")},
		{"delete a nested group", func(st store.Store) error {
			return st.DeleteResource(ctx, "ws_a", "Group", "grp_plat", nil)
		}, members("usr_bob", "usr_cy")},
		{"create a group with members", func(st store.Store) error {
			return st.CreateResource(ctx, group("ws_a", "grp_new", "New", "usr_eve", "grp_sre"), store.Effects{})
		}, members("usr_cy", "usr_eve")},
		{"create an empty group", func(st store.Store) error {
			return st.CreateResource(ctx, group("ws_a", "grp_new", "New"), store.Effects{})
		}, nil},
		{"link a group to a team", func(st store.Store) error {
			_, err := st.LinkTeam(ctx, "ws_a", store.TeamLink{GroupID: "grp_plat", Team: "platform"})
			return err
		}, members("usr_bob", "usr_cy")},
		{"delete a user", func(st store.Store) error {
			return st.DeleteResource(ctx, "ws_a", "User", "usr_bob", nil)
		}, members("usr_bob")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newStore(t, time.Now)
			groupFixture(t, st)
			got := affected(t, st, published(t, st, func() error { return tt.do(st) }))
			if !slices.Equal(got, tt.want) {
				t.Errorf("affected users %v, want %v", got, tt.want)
			}
		})
	}
}

// testLargeGroupChanges checks that a group write that affects more users
// than store.MaxUserChanges publishes one ChangeGroups instead, naming a
// record that lists them all, and that other stores hear of both kinds.
func testLargeGroupChanges(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	r, ok := st.(Reopener)
	if !ok {
		t.Fatalf("%T does not implement storetest.Reopener", st)
	}
	other := subscribe(t, r.Reopen(t))
	other.waitFor(t, reset, 5*time.Second)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	const n = store.MaxUserChanges
	var all []string
	for i := range n + 2 {
		id := fmt.Sprintf("usr_%03d", i)
		mustCreate(t, st, user("ws_a", id, id))
		all = append(all, id)
	}
	mustCreate(t, st, user("ws_a", "usr_zed", "zed"))
	// n users in Small; one more, and one through a nested group, in Big,
	// with one in Big both directly and through the nested group.
	mustCreate(t, st, group("ws_a", "grp_small", "Small", all[:n]...))
	mustCreate(t, st, group("ws_a", "grp_nested", "Nested", all[n+1], all[0]))
	mustCreate(t, st, group("ws_a", "grp_big", "Big", append(slices.Clone(all[:n+1]), "grp_nested")...))

	rename := func(id, name string) func() error {
		return func() error { return updateGroup(st, id, func(d map[string]any) { d["displayName"] = name }, nil) }
	}
	// At the bound, one ChangeUser each, here and elsewhere.
	changes := published(t, st, rename("grp_small", "Small 2"))
	if len(changes) != n || changes[0].Kind != store.ChangeUser {
		t.Fatalf("renaming a group of %d users published %d changes, want a ChangeUser each: %+v", n, len(changes), changes)
	}
	if got := affected(t, st, changes); !slices.Equal(got, all[:n]) {
		t.Errorf("renaming a group of %d: affected %v", n, got)
	}
	for _, c := range changes {
		other.waitFor(t, c, 5*time.Second)
	}

	var last store.Change // the last record
	for _, tt := range []struct {
		name string
		do   func() error
		want []string
	}{
		{"rename", rename("grp_big", "Big 2"), all},
		{"add many", func() error {
			return updateGroup(st, "grp_small", nil, &store.MemberChange{Add: append(slices.Clone(all[n:]), "usr_zed")})
		}, []string{all[n], all[n+1], "usr_zed"}},
		{"replace by few", func() error {
			return updateGroup(st, "grp_big", nil, &store.MemberChange{Replace: true, Add: []string{"usr_zed"}})
		}, append(slices.Clone(all), "usr_zed")},
		{"delete", func() error { return st.DeleteResource(ctx, "ws_a", "Group", "grp_small", nil) }, append(slices.Clone(all), "usr_zed")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			changes := published(t, st, tt.do)
			var records []store.Change
			for _, c := range changes {
				if c.Kind == store.ChangeGroups {
					records = append(records, c)
				}
			}
			if len(tt.want) > n && (len(records) != 1 || len(changes) != 1) {
				t.Fatalf("published %+v, want one ChangeGroups", changes)
			}
			if got := affected(t, st, changes); !slices.Equal(got, tt.want) {
				t.Errorf("affected users %v, want %v", got, tt.want)
			}
			for _, c := range changes {
				other.waitFor(t, c, 5*time.Second)
			}
			if len(records) == 0 {
				return
			}
			// Read in one page.
			c := records[0]
			got := changeUsers(t, st, "ws_a", c.ID, 1000)
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("users of %s in one page: %v", c.ID, got)
			}
			// A record is its workspace's.
			if _, _, err := st.GroupChangeUsers(ctx, "ws_b", c.ID, "", 10); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("record of another workspace: %v, want ErrNotFound", err)
			}
			if _, _, err := st.GroupChangeUsers(ctx, "ws_a", c.ID, "nonsense", 10); !errors.Is(err, store.ErrInvalidCursor) {
				t.Errorf("a cursor the store did not make: %v, want ErrInvalidCursor", err)
			}
			last = c
		})
	}
	// Users deleted since are left out.
	if err := st.DeleteResource(ctx, "ws_a", "User", all[0], nil); err != nil {
		t.Fatal(err)
	}
	if got := changeUsers(t, st, "ws_a", last.ID, 10); slices.Contains(got, all[0]) || len(got) != len(all) {
		t.Errorf("a record after one of its %d users was deleted: %d users, the deleted one among them: %v", len(all)+1, len(got), slices.Contains(got, all[0]))
	}
	for _, id := range []string{"999999", "x", ""} {
		if _, _, err := st.GroupChangeUsers(ctx, "ws_a", id, "", 10); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GroupChangeUsers(%q): %v, want ErrNotFound", id, err)
		}
	}
}

// testGroupChangeRecords checks that records of group changes are pruned
// by age, the newer kept with their users, and that a group write that
// may affect more users than store.MaxRecordedUsers records none and
// says the whole workspace changed.
func testGroupChangeRecords(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	const n = store.MaxUserChanges + 1
	var users []string
	for i := range n {
		id := fmt.Sprintf("usr_%03d", i)
		mustCreate(t, st, user("ws_a", id, id))
		users = append(users, id)
	}
	mustCreate(t, st, group("ws_a", "grp_r", "R", users...))
	record := func(name string) string {
		t.Helper()
		changes := published(t, st, func() error {
			return updateGroup(st, "grp_r", func(d map[string]any) { d["displayName"] = name }, nil)
		})
		if len(changes) != 1 || changes[0].Kind != store.ChangeGroups || changes[0].ID == "" {
			t.Fatalf("renaming a group of %d users published %+v, want a ChangeGroups naming a record", n, changes)
		}
		return changes[0].ID
	}

	older := record("R 2")
	time.Sleep(50 * time.Millisecond)
	between := time.Now()
	time.Sleep(50 * time.Millisecond)
	newer := record("R 3")
	if got, err := st.PruneGroupChanges(ctx, between.Add(-time.Hour)); err != nil || got != 0 {
		t.Errorf("pruning records older than an hour before: %d, %v; want none", got, err)
	}
	// The group's creation made a record too.
	if got, err := st.PruneGroupChanges(ctx, between); err != nil || got != 2 {
		t.Errorf("pruning the older records: %d, %v; want 2", got, err)
	}
	if _, _, err := st.GroupChangeUsers(ctx, "ws_a", older, "", 10); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a pruned record: %v, want ErrNotFound", err)
	}
	if got := changeUsers(t, st, "ws_a", newer, 7); len(got) != n {
		t.Errorf("the newer record after pruning: %d users, want %d", len(got), n)
	}

	// 100 groups each of the same users, in one group: renaming it may
	// affect more users than a record holds, counting each time a user
	// is under it.
	var subs []string
	for i := range store.MaxRecordedUsers/n + 1 {
		id := fmt.Sprintf("grp_s%03d", i)
		mustCreate(t, st, group("ws_a", id, id, users...))
		subs = append(subs, id)
	}
	mustCreate(t, st, group("ws_a", "grp_top", "Top", subs...))
	changes := published(t, st, func() error {
		return updateGroup(st, "grp_top", func(d map[string]any) { d["displayName"] = "Top 2" }, nil)
	})
	if want := []store.Change{{Kind: store.ChangeGroups, WorkspaceID: "ws_a"}}; !slices.Equal(changes, want) {
		t.Errorf("renaming a group of more than %d memberships published %+v, want %+v", store.MaxRecordedUsers, changes, want)
	}
	// Left: the newer record, and those of the creations of the groups
	// in Top, but none of Top's.
	if got, err := st.PruneGroupChanges(ctx, time.Now().Add(time.Hour)); err != nil || got != len(subs)+1 {
		t.Errorf("pruning every record: %d, %v; want the %d left", got, err, len(subs)+1)
	}
}

// testMemberChangesInFact checks that an update that keeps a group's
// document writes nothing when its member change adds and removes no
// member, and that MemberEffects hears of the members changed in fact.
func testMemberChangesInFact(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"), user("ws_a", "usr_2", "bob"), user("ws_a", "usr_3", "cy"),
		user("ws_b", "usr_9", "eve"), group("ws_a", "grp_1", "Engineering", "usr_1", "usr_2"))
	type call struct{ added, removed []string }
	for _, tt := range []struct {
		name string
		mc   store.MemberChange
		want *call // nil: nothing written
	}{
		{"adding members", store.MemberChange{Add: members("usr_1")}, nil},
		{"removing non-members", store.MemberChange{Remove: members("usr_3", "usr_9", "usr_x")}, nil},
		{"removing and adding one", store.MemberChange{Remove: members("usr_1"), Add: members("usr_1")}, nil},
		{"replacing with the same", store.MemberChange{Replace: true, Add: members("usr_2", "usr_1")}, nil},
		{"adding one and another", store.MemberChange{Add: members("usr_1", "usr_3"), Remove: members("usr_9")}, &call{added: members("usr_3")}},
		{"replacing one", store.MemberChange{Replace: true, Add: members("usr_1", "usr_2")}, &call{removed: members("usr_3")}},
	} {
		before, err := st.Resource(ctx, "ws_a", "Group", "grp_1", false)
		if err != nil {
			t.Fatal(err)
		}
		var calls []call
		var out *store.Resource
		changes := published(t, st, func() error {
			var err error
			out, err = st.UpdateResource(ctx, "ws_a", "Group", "grp_1", false, func(*store.Resource) (*store.Update, error) {
				calls = nil
				mc := tt.mc
				return &store.Update{Members: &mc, MemberEffects: func(added, removed []string) store.Effects {
					calls = append(calls, call{added, removed})
					return store.Effects{Events: []store.NewEvent{event("group.members", "grp_1", `{}`)}}
				}}, nil
			})
			return err
		})
		if tt.want == nil {
			if out.Version != before.Version || len(calls) != 0 || len(changes) != 0 {
				t.Errorf("%s: version %d after %d, MemberEffects calls %v, changes %v; want nothing written",
					tt.name, out.Version, before.Version, calls, changes)
			}
			continue
		}
		if out.Version != before.Version+1 || out.Doc["displayName"] != "Engineering" {
			t.Errorf("%s: %+v, want the document kept and the version %d", tt.name, out, before.Version+1)
		}
		if len(calls) != 1 || !slices.Equal(calls[0].added, tt.want.added) || !slices.Equal(calls[0].removed, tt.want.removed) {
			t.Errorf("%s: MemberEffects calls %v, want %v", tt.name, calls, *tt.want)
		}
	}
	if evs := mustEvents(t, st, "ws_a", 0, 10); len(evs) != 2 {
		t.Errorf("%d events, want those of the two changes", len(evs))
	}
}
