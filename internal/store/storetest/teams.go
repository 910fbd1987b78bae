package storetest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// testTeamLinks checks that a group's link to a team is kept by the
// group's id, whatever the group is called, lists and goes with the
// group, and tells of the users under the group when it changes.
func testTeamLinks(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	c := newClock()
	st := newStore(t, c.now)
	groupFixture(t, st)
	mustWorkspace(t, st, "ws_b", "beta")
	mustCreate(t, st, group("ws_b", "grp_b", "Engineering"))

	if links, err := st.TeamLinks(ctx, "ws_a"); err != nil || links == nil || len(links) != 0 {
		t.Fatalf("links before any: %#v, %v", links, err)
	}
	link := func(group, team, role string) store.TeamLink {
		t.Helper()
		l, err := st.LinkTeam(ctx, "ws_a", store.TeamLink{GroupID: group, Team: team, Role: role})
		if err != nil {
			t.Fatalf("LinkTeam(%s, %s): %v", group, team, err)
		}
		return l
	}
	l := link("grp_eng", "eng", "lead")
	if l.DisplayName != "Engineering" || l.Team != "eng" || l.Role != "lead" || !l.Updated.Equal(c.now()) {
		t.Errorf("LinkTeam returned %+v", l)
	}
	link("grp_sales", "revenue", "")
	link("grp_sre", "eng", "")
	// Linking again replaces the link.
	c.set(c.now().Add(time.Minute))
	if l := link("grp_sales", "eng", "seller"); !l.Updated.Equal(c.now()) {
		t.Errorf("relinked at %v, want %v", l.Updated, c.now())
	}

	// The link is the group's, by id: a rename keeps it.
	if err := updateGroup(st, "grp_eng", func(d map[string]any) { d["displayName"] = "Eng"; d["externalId"] = "00g1" }, nil); err != nil {
		t.Fatal(err)
	}
	links, err := st.TeamLinks(ctx, "ws_a")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range links {
		got = append(got, l.Team+"/"+l.GroupID+"/"+l.DisplayName+"/"+l.ExternalID+"/"+l.Role)
	}
	if want := []string{"eng/grp_eng/Eng/00g1/lead", "eng/grp_sre/SRE//", "eng/grp_sales/Sales//seller"}; !slices.Equal(got, want) {
		t.Errorf("TeamLinks = %q, want %q", got, want)
	}
	if links, _ := st.TeamLinks(ctx, "ws_b"); len(links) != 0 {
		t.Errorf("another workspace's links: %+v", links)
	}

	// UserGroups gives each group its link.
	groups, err := st.UserGroups(ctx, "ws_a", "usr_cy")
	if err != nil {
		t.Fatal(err)
	}
	teams := map[string]string{}
	for _, g := range groups {
		teams[g.ID] = g.Team + ":" + g.TeamRole
	}
	if want := map[string]string{"grp_sre": "eng:", "grp_plat": ":", "grp_eng": "eng:lead"}; !maps.Equal(teams, want) {
		t.Errorf("UserGroups teams %v, want %v", teams, want)
	}

	// Unlinking tells of the users under the group, and returns the link.
	var removed store.TeamLink
	users := affected(t, st, published(t, st, func() (err error) {
		removed, err = st.UnlinkTeam(ctx, "ws_a", "grp_sre")
		return err
	}))
	if !slices.Equal(users, members("usr_cy")) || removed.Team != "eng" || removed.GroupID != "grp_sre" {
		t.Errorf("unlinking SRE: affected %v, removed %+v", users, removed)
	}

	for _, tt := range []struct {
		name string
		err  error
	}{
		{"link an unknown group", func() error {
			_, err := st.LinkTeam(ctx, "ws_a", store.TeamLink{GroupID: "grp_nope", Team: "x"})
			return err
		}()},
		{"link a user", func() error {
			_, err := st.LinkTeam(ctx, "ws_a", store.TeamLink{GroupID: "usr_ada", Team: "x"})
			return err
		}()},
		{"link another workspace's group", func() error {
			_, err := st.LinkTeam(ctx, "ws_a", store.TeamLink{GroupID: "grp_b", Team: "x"})
			return err
		}()},
		{"unlink a group not linked", func() error {
			_, err := st.UnlinkTeam(ctx, "ws_a", "grp_sre")
			return err
		}()},
		{"unlink an unknown group", func() error {
			_, err := st.UnlinkTeam(ctx, "ws_a", "grp_nope")
			return err
		}()},
	} {
		if !errors.Is(tt.err, store.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", tt.name, tt.err)
		}
	}

	// A link goes with its group.
	if err := st.DeleteResource(ctx, "ws_a", "Group", "grp_eng", nil); err != nil {
		t.Fatal(err)
	}
	links, _ = st.TeamLinks(ctx, "ws_a")
	if len(links) != 1 || links[0].GroupID != "grp_sales" {
		t.Errorf("links after deleting a linked group: %+v", links)
	}
}

// testUserTeams checks that teams are stored with a user's roles, that a
// change of teams alone is a change, and that storing teams over roles
// stored before teams were is not.
func testUserTeams(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"))
	events := 0
	onChange := func(old store.UserRoles, had bool) store.Effects {
		events++
		return store.Effects{Events: []store.NewEvent{event("user.roles_changed", "usr_1", `{}`)}}
	}
	old := store.UserRoles{Roles: []string{"viewer"}, Groups: []string{"group:eng"}} // no teams
	member := old
	member.Teams = []store.Team{{Key: "group:eng", Role: "member"}}
	lead := old
	lead.Teams = []store.Team{{Key: "group:eng", Role: "lead"}}
	none := old
	none.Teams = []store.Team{}
	for i, step := range []struct {
		set     store.UserRoles
		changed bool
	}{
		{old, true},
		{member, false}, // teams stored, quietly
		{member, false},
		{lead, true},
		{none, true},
		{none, false},
		{member, true},
	} {
		changed, err := st.SetUserRoles(ctx, "ws_a", "usr_1", step.set, onChange)
		if err != nil || changed != step.changed {
			t.Fatalf("step %d: SetUserRoles = %v, %v; want %v", i, changed, err, step.changed)
		}
		got, _, err := st.UserRoles(ctx, "ws_a", "usr_1")
		if err != nil || !got.Equal(step.set) {
			t.Fatalf("step %d: stored %+v, %v; want %+v", i, got, err, step.set)
		}
	}
	if events != 4 {
		t.Errorf("%d events for 4 changes", events)
	}
}
