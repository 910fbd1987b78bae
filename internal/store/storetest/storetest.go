// Package storetest is the conformance suite every store.Store backend must
// pass. A backend's test calls Run with a constructor for fresh, empty
// stores.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/filter/filtertest"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// NewStore returns a fresh, empty store that takes its time from now.
type NewStore func(t *testing.T, now func() time.Time) store.Store

// Run runs the conformance suite.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, NewStore)
	}{
		{"Workspaces", testWorkspaces},
		{"Tokens", testTokens},
		{"Resources", testResources},
		{"Uniqueness", testUniqueness},
		{"UpdateClosure", testUpdateClosure},
		{"Members", testMembers},
		{"ConcurrentMemberUpdates", testConcurrentMembers},
		{"ConcurrentCreates", testConcurrentCreates},
		{"ConcurrentWritesFailAlone", testConcurrentWritesFailAlone},
		{"Filters", testFilters},
		{"SortAndPage", testSortAndPage},
		{"Cursor", testCursor},
		{"Totals", testTotals},
		{"Prefixes", testPrefixes},
		{"MaxExamined", testMaxExamined},
		{"DeepPages", testDeepPages},
		{"WorkspaceConfig", testWorkspaceConfig},
		{"UpdateWorkspace", testUpdateWorkspace},
		{"DeleteWorkspace", testDeleteWorkspace},
		{"TokenLifecycle", testTokenLifecycle},
		{"Changes", testChanges},
		{"ChangesAcrossStores", testChangesAcrossStores},
		{"Audit", testAudit},
		{"AuditInWrite", testAuditInWrite},
		{"Events", testEvents},
		{"Credentials", testCredentials},
		{"SoftDelete", testSoftDelete},
		{"Purge", testPurge},
		{"HardDelete", testHardDelete},
		{"UpdateThatDeletes", testUpdateThatDeletes},
		{"AppDisplayName", testAppDisplayName},
		{"EffectsAtomic", testEffectsAtomic},
		{"Seats", testSeats},
		{"UserGroups", testUserGroups},
		{"SweepUsers", testSweepUsers},
		{"GroupChanges", testGroupChanges},
		{"LargeGroupChanges", testLargeGroupChanges},
		{"GroupChangeRecords", testGroupChangeRecords},
		{"MemberChangesInFact", testMemberChangesInFact},
		{"Delivery", testDelivery},
		{"AccessPolicy", testAccessPolicy},
		{"UserRoles", testUserRoles},
		{"UserTeams", testUserTeams},
		{"TeamLinks", testTeamLinks},
		{"SchemaExtensions", testSchemaExtensions},
		{"SchemaUniqueness", testSchemaUniqueness},
		{"ExtensionIndexes", testExtensionIndexes},
		{"CredentialOfInactiveUser", testCredentialOfInactiveUser},
		{"InvitedUsers", testInvitedUsers},
		{"InvitedUserCredentials", testInvitedUserCredentials},
		{"LinkByEmail", testLinkByEmail},
		{"DeleteInvitedUser", testDeleteInvitedUser},
		{"InvitedUserSeats", testInvitedUserSeats},
		{"InvitedUserCredentialRaces", testInvitedUserCredentialRaces},
		{"TokenEvents", testTokenEvents},
		{"SetupLinks", testSetupLinks},
		{"TokenRotation", testTokenRotation},
		{"TokenExpiryAnnouncements", testTokenExpiryAnnouncements},
		{"ConcurrentExpiryAnnouncements", testConcurrentExpiryAnnouncements},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each test makes stores of its own
			tt.fn(t, newStore)
		})
	}
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func mustWorkspace(t *testing.T, st store.Store, id, slug string) {
	t.Helper()
	if err := st.CreateWorkspace(context.Background(), store.Workspace{ID: id, Slug: slug, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

func user(ws, id, userName string, attrs ...any) *store.Resource {
	doc := map[string]any{"userName": userName}
	for i := 0; i+1 < len(attrs); i += 2 {
		doc[attrs[i].(string)] = attrs[i+1]
	}
	return &store.Resource{Type: "User", ID: id, WorkspaceID: ws, Doc: doc}
}

func group(ws, id, name string, members ...string) *store.Resource {
	r := &store.Resource{Type: "Group", ID: id, WorkspaceID: ws, Doc: map[string]any{"displayName": name}}
	for _, m := range members {
		r.Members = append(r.Members, store.Member{Value: m})
	}
	return r
}

func mustCreate(t *testing.T, st store.Store, rs ...*store.Resource) {
	t.Helper()
	for _, r := range rs {
		if err := st.CreateResource(context.Background(), r, store.Effects{}); err != nil {
			t.Fatalf("create %s %s: %v", r.Type, r.ID, err)
		}
	}
}

func testWorkspaces(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_b", "beta")
	mustWorkspace(t, st, "ws_a", "alpha")
	err := st.CreateWorkspace(ctx, store.Workspace{ID: "ws_c", Slug: "beta", Created: time.Now()})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("duplicate slug: %v, want ErrAlreadyExists", err)
	}
	w, err := st.WorkspaceBySlug(ctx, "alpha")
	if err != nil || w.ID != "ws_a" || w.Created.IsZero() {
		t.Errorf("WorkspaceBySlug: %+v, %v", w, err)
	}
	if _, err := st.WorkspaceBySlug(ctx, "gamma"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown slug: %v", err)
	}
	ws, err := st.Workspaces(ctx)
	if err != nil || len(ws) != 2 || ws[0].Slug != "alpha" || ws[1].Slug != "beta" {
		t.Errorf("Workspaces: %+v, %v", ws, err)
	}
}

func testTokens(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tok := store.Token{ID: "tok_1", WorkspaceID: "ws_a", Name: "okta", Hash: []byte("hash-1"), Created: time.Now(), Expires: exp}
	if err := st.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateToken(ctx, store.Token{ID: "tok_2", WorkspaceID: "ws_b", Name: "forever", Hash: []byte("hash-2"), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	got, err := st.TokenByHash(ctx, "ws_a", []byte("hash-1"))
	if err != nil || got.ID != "tok_1" || got.Name != "okta" || !got.Expires.Equal(exp) {
		t.Errorf("TokenByHash: %+v, %v", got, err)
	}
	if got, err := st.TokenByHash(ctx, "ws_b", []byte("hash-2")); err != nil || !got.Expires.IsZero() {
		t.Errorf("token without expiry: %+v, %v", got, err)
	}
	if _, err := st.TokenByHash(ctx, "ws_b", []byte("hash-1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("token of another workspace: %v, want ErrNotFound", err)
	}
}

func testResources(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	c := newClock()
	st := newStore(t, c.now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	u := user("ws_a", "usr_1", "Alice", "externalId", "ext-1", "active", true,
		"emails", []any{map[string]any{"value": "alice@example.com", "type": "work"}})
	mustCreate(t, st, u)
	created := c.now()
	if u.Version != 1 || !u.Created.Equal(created) || !u.LastModified.Equal(created) {
		t.Errorf("after create: version %d created %v modified %v", u.Version, u.Created, u.LastModified)
	}
	got, err := st.Resource(ctx, "ws_a", "User", "usr_1", true)
	if err != nil {
		t.Fatal(err)
	}
	if got.Doc["userName"] != "Alice" || got.Doc["active"] != true || got.Version != 1 || !got.Created.Equal(created) || len(got.Groups) != 0 {
		t.Errorf("Resource: %+v", got)
	}
	for _, c := range []struct{ ws, typ, id string }{{"ws_b", "User", "usr_1"}, {"ws_a", "Group", "usr_1"}, {"ws_a", "User", "usr_2"}} {
		if _, err := st.Resource(ctx, c.ws, c.typ, c.id, false); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Resource(%v): %v, want ErrNotFound", c, err)
		}
	}

	c.set(created.Add(time.Hour))
	out, err := st.UpdateResource(ctx, "ws_a", "User", "usr_1", true, func(r *store.Resource) (*store.Update, error) {
		doc := map[string]any{"userName": "alice", "title": "CEO"}
		return &store.Update{Doc: doc}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Version != 2 || !out.LastModified.Equal(created.Add(time.Hour)) || !out.Created.Equal(created) || out.Doc["title"] != "CEO" {
		t.Errorf("UpdateResource returned %+v", out)
	}
	got, _ = st.Resource(ctx, "ws_a", "User", "usr_1", false)
	if got.Version != 2 || got.Doc["title"] != "CEO" || got.Doc["externalId"] != nil {
		t.Errorf("after update: %+v", got)
	}
	if _, err := st.UpdateResource(ctx, "ws_b", "User", "usr_1", false, func(*store.Resource) (*store.Update, error) {
		t.Error("closure called for a resource of another workspace")
		return nil, nil
	}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update in another workspace: %v", err)
	}
	if err := st.DeleteResource(ctx, "ws_b", "User", "usr_1", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete in another workspace: %v", err)
	}
	if err := st.DeleteResource(ctx, "ws_a", "User", "usr_1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Resource(ctx, "ws_a", "User", "usr_1", false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	// The email index went with the user.
	page, err := st.ListResources(ctx, "ws_a", "User", store.Query{Filter: parse(t, schema.UserType, `emails.value eq "alice@example.com"`), Count: 10})
	if err != nil || page.Total != 0 {
		t.Errorf("email of deleted user still found: %+v, %v", page, err)
	}
}

func testUniqueness(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustCreate(t, st, user("ws_a", "usr_1", "Émile"), group("ws_a", "grp_1", "Admins"))
	for _, r := range []*store.Resource{
		user("ws_a", "usr_2", "émile"),
		user("ws_a", "usr_3", "ÉMILE"),
		group("ws_a", "grp_2", "admins"),
	} {
		if err := st.CreateResource(ctx, r, store.Effects{}); !errors.Is(err, store.ErrAlreadyExists) {
			t.Errorf("create %s %v: %v, want ErrAlreadyExists", r.Type, r.Doc, err)
		}
	}
	// Users and groups, and workspaces, have separate name spaces.
	mustCreate(t, st, user("ws_a", "usr_4", "Admins"), user("ws_b", "usr_5", "émile"), group("ws_b", "grp_3", "Admins"))
	// Renaming onto a taken name fails.
	_, err := st.UpdateResource(ctx, "ws_a", "User", "usr_4", false, func(r *store.Resource) (*store.Update, error) {
		return &store.Update{Doc: map[string]any{"userName": "EMILE"}}, nil
	})
	if err != nil {
		t.Errorf("rename to a free name: %v", err)
	}
	_, err = st.UpdateResource(ctx, "ws_a", "User", "usr_4", false, func(r *store.Resource) (*store.Update, error) {
		return &store.Update{Doc: map[string]any{"userName": "émile"}}, nil
	})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("rename to a taken name: %v", err)
	}
	// Ids are unique too.
	if err := st.CreateResource(ctx, user("ws_a", "usr_1", "someone"), store.Effects{}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("duplicate id: %v", err)
	}
}

func testUpdateClosure(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_1", "a"), user("ws_a", "usr_2", "b"), group("ws_a", "grp_1", "G", "usr_1"))
	boom := errors.New("boom")
	_, err := st.UpdateResource(ctx, "ws_a", "Group", "grp_1", false, func(r *store.Resource) (*store.Update, error) {
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("closure error: %v", err)
	}
	// A failing member change rolls back the document change too.
	_, err = st.UpdateResource(ctx, "ws_a", "Group", "grp_1", false, func(r *store.Resource) (*store.Update, error) {
		return &store.Update{Doc: map[string]any{"displayName": "Renamed"}, Members: &store.MemberChange{Add: []string{"usr_2", "usr_nope"}}}, nil
	})
	if !errors.Is(err, store.ErrInvalidMember) {
		t.Errorf("invalid member: %v", err)
	}
	g, _ := st.Resource(ctx, "ws_a", "Group", "grp_1", true)
	if g.Doc["displayName"] != "G" || g.Version != 1 || len(g.Members) != 1 {
		t.Errorf("after failed updates: %+v", g)
	}
	// A nil update writes nothing.
	r, err := st.UpdateResource(ctx, "ws_a", "Group", "grp_1", true, func(r *store.Resource) (*store.Update, error) {
		if len(r.Members) != 1 || r.Members[0].Value != "usr_1" {
			t.Errorf("closure saw members %+v", r.Members)
		}
		return nil, nil
	})
	if err != nil || r.Version != 1 || len(r.Members) != 1 {
		t.Errorf("nil update: %+v, %v", r, err)
	}
	// DeleteResource's check can veto.
	if err := st.DeleteResource(ctx, "ws_a", "User", "usr_2", func(*store.Resource) (*store.Deletion, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("vetoed delete: %v", err)
	}
	if _, err := st.Resource(ctx, "ws_a", "User", "usr_2", false); err != nil {
		t.Errorf("vetoed delete deleted: %v", err)
	}
}

func memberValues(ms []store.Member) []string {
	var v []string
	for _, m := range ms {
		v = append(v, m.Value)
	}
	sort.Strings(v)
	return v
}

func setMembers(t *testing.T, st store.Store, ws, gid string, mc store.MemberChange) error {
	t.Helper()
	_, err := st.UpdateResource(context.Background(), ws, "Group", gid, false, func(r *store.Resource) (*store.Update, error) {
		return &store.Update{Doc: r.Doc, Members: &mc}, nil
	})
	return err
}

func testMembers(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustCreate(t, st,
		user("ws_a", "usr_1", "one", "displayName", "User One"), user("ws_a", "usr_2", "two"), user("ws_a", "usr_3", "three"),
		user("ws_b", "usr_9", "other"),
		group("ws_a", "grp_1", "G1", "usr_1", "usr_2"),
		group("ws_a", "grp_2", "G2", "grp_1"),
	)
	g, err := st.Resource(ctx, "ws_a", "Group", "grp_1", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := memberValues(g.Members); !slices.Equal(got, []string{"usr_1", "usr_2"}) {
		t.Errorf("members %v", got)
	}
	for _, m := range g.Members {
		if m.Value == "usr_1" && (m.Type != "User" || m.Display != "User One") {
			t.Errorf("member %+v: want type User, display from displayName", m)
		}
		if m.Value == "usr_2" && m.Display != "two" {
			t.Errorf("member %+v: want display from userName", m)
		}
	}
	if g, _ := st.Resource(ctx, "ws_a", "Group", "grp_2", true); len(g.Members) != 1 || g.Members[0].Type != "Group" || g.Members[0].Display != "G1" {
		t.Errorf("group member %+v", g.Members)
	}
	if g, _ := st.Resource(ctx, "ws_a", "Group", "grp_1", false); g.Members != nil {
		t.Errorf("members read without load: %+v", g.Members)
	}

	steps := []struct {
		mc   store.MemberChange
		want []string
		err  error
	}{
		{store.MemberChange{Add: []string{"usr_3", "usr_1"}}, []string{"usr_1", "usr_2", "usr_3"}, nil},
		{store.MemberChange{Remove: []string{"usr_2", "usr_nope"}}, []string{"usr_1", "usr_3"}, nil},
		{store.MemberChange{Remove: []string{"usr_1"}, Add: []string{"usr_1"}}, []string{"usr_1", "usr_3"}, nil},
		{store.MemberChange{Replace: true, Add: []string{"usr_2"}}, []string{"usr_2"}, nil},
		{store.MemberChange{Add: []string{"usr_9"}}, []string{"usr_2"}, store.ErrInvalidMember},
		{store.MemberChange{Add: []string{"grp_1"}}, []string{"usr_2"}, store.ErrInvalidMember},
		{store.MemberChange{Replace: true}, nil, nil},
		{store.MemberChange{Add: []string{"usr_1", "usr_2"}}, []string{"usr_1", "usr_2"}, nil},
	}
	for i, s := range steps {
		err := setMembers(t, st, "ws_a", "grp_1", s.mc)
		if !errors.Is(err, s.err) {
			t.Fatalf("step %d: %v, want %v", i, err, s.err)
		}
		g, _ := st.Resource(ctx, "ws_a", "Group", "grp_1", true)
		if got := memberValues(g.Members); !slices.Equal(got, s.want) {
			t.Fatalf("step %d: members %v, want %v", i, got, s.want)
		}
	}

	// A user's groups: direct, and indirect through nesting.
	u, _ := st.Resource(ctx, "ws_a", "User", "usr_1", true)
	want := []store.GroupRef{{Value: "grp_1", Display: "G1", Direct: true}, {Value: "grp_2", Display: "G2"}}
	if !slices.Equal(u.Groups, want) {
		t.Errorf("groups %+v, want %+v", u.Groups, want)
	}
	// Deleting a member or a group removes memberships.
	if err := st.DeleteResource(ctx, "ws_a", "User", "usr_1", nil); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteResource(ctx, "ws_a", "Group", "grp_2", nil); err != nil {
		t.Fatal(err)
	}
	g, _ = st.Resource(ctx, "ws_a", "Group", "grp_1", true)
	if got := memberValues(g.Members); !slices.Equal(got, []string{"usr_2"}) {
		t.Errorf("after deletes: members %v", got)
	}
	if u, _ := st.Resource(ctx, "ws_a", "User", "usr_2", true); len(u.Groups) != 1 {
		t.Errorf("after deletes: groups %+v", u.Groups)
	}
}

// testConcurrentMemberUpdates checks that concurrent member changes to one
// group lose nothing.
func testConcurrentMembers(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	const n = 40
	var want []string
	for i := range n {
		id := fmt.Sprintf("usr_%02d", i)
		mustCreate(t, st, user("ws_a", id, id))
		want = append(want, id)
	}
	mustCreate(t, st, group("ws_a", "grp_1", "G"))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, id := range want {
		wg.Go(func() {
			_, err := st.UpdateResource(ctx, "ws_a", "Group", "grp_1", false, func(r *store.Resource) (*store.Update, error) {
				return &store.Update{Doc: r.Doc, Members: &store.MemberChange{Add: []string{id}}}, nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	g, _ := st.Resource(ctx, "ws_a", "Group", "grp_1", true)
	if got := memberValues(g.Members); !slices.Equal(got, want) {
		t.Errorf("members %v, want all %d", got, n)
	}
	if g.Version != n+1 {
		t.Errorf("version %d, want %d", g.Version, n+1)
	}
}

func testConcurrentCreates(t *testing.T, newStore NewStore) {
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- st.CreateResource(context.Background(), user("ws_a", fmt.Sprintf("usr_%d", i), "Same"), store.Effects{})
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrAlreadyExists):
			t.Error(err)
		}
	}
	if ok != 1 {
		t.Errorf("%d creates succeeded, want 1", ok)
	}
}

// testConcurrentWritesFailAlone runs writes at once, some of which fail
// (a name taken, a closure's error, a closure's panic, a context ended,
// an audit entry refused after the resource was written),
// as a store that shares one transaction between writers meets them:
// each failure is its write's alone, and every write that succeeded is
// stored with its event and its audit entry.
func testConcurrentWritesFailAlone(t *testing.T, newStore NewStore) {
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_taken", "taken"))
	refused := errors.New("refused by the closure")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	fx := func(i int) store.Effects {
		return store.Effects{
			Events: []store.NewEvent{event("user.created", fmt.Sprintf("usr_%d", i), `{}`)},
			Audit: []store.AuditEntry{{WorkspaceID: "ws_a", Channel: "scim", Action: "user.create", Target: fmt.Sprintf("usr_%d", i),
				CorrelationID: fmt.Sprintf("req-%d", i), Status: 201, Payload: []byte(`{}`)}},
		}
	}
	// Each write's kind is its number modulo 6; kind 0 succeeds.
	write := func(i int) (err error) {
		ctx := context.Background()
		switch i % 6 {
		case 0:
			return st.CreateResource(ctx, user("ws_a", fmt.Sprintf("usr_%d", i), fmt.Sprintf("user%d", i)), fx(i))
		case 1:
			return st.CreateResource(ctx, user("ws_a", fmt.Sprintf("usr_%d", i), "TAKEN"), fx(i))
		case 2:
			_, err := st.UpdateResource(ctx, "ws_a", "User", "usr_taken", false, func(*store.Resource) (*store.Update, error) {
				return nil, refused
			})
			return err
		case 3:
			defer func() {
				if v := recover(); v != nil {
					err = fmt.Errorf("panicked: %v", v)
				}
			}()
			_, err := st.UpdateResource(ctx, "ws_a", "User", "usr_taken", false, func(*store.Resource) (*store.Update, error) {
				panic("closure panics")
			})
			return err
		case 4:
			return st.CreateResource(cancelled, user("ws_a", fmt.Sprintf("usr_%d", i), fmt.Sprintf("user%d", i)), fx(i))
		default:
			bad := fx(i)
			bad.Audit[0].Payload = []byte(`[1]`)
			return st.CreateResource(ctx, user("ws_a", fmt.Sprintf("usr_%d", i), fmt.Sprintf("user%d", i)), bad)
		}
	}
	const n = 120
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = write(i) })
	}
	wg.Wait()
	for i, err := range errs {
		var want error
		switch i % 6 {
		case 1:
			want = store.ErrAlreadyExists
		case 2:
			want = refused
		case 4:
			want = context.Canceled
		case 5:
			want = store.ErrInvalidAudit
		}
		switch {
		case i%6 == 3:
			if err == nil || !strings.Contains(err.Error(), "panicked: closure panics") {
				t.Errorf("write %d: %v, want the closure's panic in the caller", i, err)
			}
		case want == nil && err != nil, want != nil && !errors.Is(err, want):
			t.Errorf("write %d: %v, want %v", i, err, want)
		}
	}
	events := map[string]bool{}
	for _, e := range mustEvents(t, st, "ws_a", 0, 1000) {
		events[e.Subject] = true
	}
	audited := map[string]bool{}
	for _, e := range mustQuery(t, st, store.AuditQuery{Action: "user.create", Limit: 1000}).Entries {
		audited[e.Target] = true
	}
	for i := range n {
		id := fmt.Sprintf("usr_%d", i)
		_, err := st.Resource(context.Background(), "ws_a", "User", id, false)
		stored := i%6 == 0
		if stored != (err == nil) || stored != events[id] || stored != audited[id] {
			t.Errorf("write %d: stored %v, event %v, audit entry %v (%v); want all %v", i, err == nil, events[id], audited[id], err, stored)
		}
	}
	// The store still writes.
	mustCreate(t, st, user("ws_a", "usr_after", "after"))
}

func parse(t *testing.T, rt *schema.ResourceType, f string) filter.Expr {
	t.Helper()
	e, err := filter.Parse(rt, f)
	if err != nil {
		t.Fatalf("parse %q: %v", f, err)
	}
	return e
}

// loadFixtures stores filtertest's documents in workspace ws_a, with their
// meta times, and a decoy in ws_b.
func loadFixtures(t *testing.T, st store.Store, c *clock) {
	t.Helper()
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	load := func(docs []map[string]any, typ string) {
		for _, d := range docs {
			meta := d["meta"].(map[string]any)
			created, _ := time.Parse(time.RFC3339, meta["created"].(string))
			modified, _ := time.Parse(time.RFC3339, meta["lastModified"].(string))
			doc := map[string]any{}
			for k, v := range d {
				if k != "id" && k != "meta" && k != "members" {
					doc[k] = v
				}
			}
			c.set(created)
			mustCreate(t, st, &store.Resource{Type: typ, ID: d["id"].(string), WorkspaceID: "ws_a", Doc: doc})
			if modified.Equal(created) {
				continue
			}
			c.set(modified)
			if _, err := st.UpdateResource(ctx, "ws_a", typ, d["id"].(string), false, func(r *store.Resource) (*store.Update, error) {
				return &store.Update{Doc: r.Doc}, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	load(filtertest.Users(), "User")
	groups := filtertest.Groups()
	load(groups, "Group")
	for _, g := range groups {
		ms, _ := g["members"].([]any)
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.(map[string]any)["value"].(string))
		}
		if len(ids) == 0 {
			continue
		}
		// Member changes must not move lastModified for these fixtures.
		meta := g["meta"].(map[string]any)
		modified, _ := time.Parse(time.RFC3339, meta["lastModified"].(string))
		c.set(modified)
		if err := setMembers(t, st, "ws_a", g["id"].(string), store.MemberChange{Add: ids}); err != nil {
			t.Fatal(err)
		}
	}
	// A decoy in another workspace that matches nearly everything.
	mustCreate(t, st, user("ws_b", "x1", "bjensen", "active", true, "emails", []any{map[string]any{"value": "bjensen@example.com", "type": "work"}}))
}

func testFilters(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	c := newClock()
	st := newStore(t, c.now)
	loadFixtures(t, st, c)
	for _, tc := range filtertest.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			rt := filtertest.ResourceType(tc.Resource)
			page, err := st.ListResources(ctx, "ws_a", rt.ID, store.Query{Filter: parse(t, rt, tc.Filter), Count: 1000})
			if err != nil {
				t.Fatalf("%s: %v", tc.Filter, err)
			}
			var got []string
			for _, r := range page.Resources {
				got = append(got, r.ID)
			}
			sort.Strings(got)
			if !slices.Equal(got, tc.Want) || page.Total != len(tc.Want) {
				t.Errorf("%s: got %v (total %d), want %v", tc.Filter, got, page.Total, tc.Want)
			}
		})
	}
}

func ids(p store.Page) []string {
	var v []string
	for _, r := range p.Resources {
		v = append(v, r.ID)
	}
	return v
}

func testSortAndPage(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st,
		user("ws_a", "usr_1", "carol", "title", "b", "emails", []any{map[string]any{"value": "z@x"}, map[string]any{"value": "a@x", "primary": true}}),
		user("ws_a", "usr_2", "Alice", "emails", []any{map[string]any{"value": "m@x"}}),
		user("ws_a", "usr_3", "bob", "title", "a"),
	)
	path := func(s string) *schema.Path {
		p, err := schema.UserType.ParsePath(s)
		if err != nil {
			t.Fatal(err)
		}
		return &p
	}
	tests := []struct {
		name string
		q    store.Query
		want []string
	}{
		{"creation order", store.Query{Count: 10}, []string{"usr_1", "usr_2", "usr_3"}},
		{"descending creation order", store.Query{Count: 10, Descending: true}, []string{"usr_3", "usr_2", "usr_1"}},
		{"userName, case-insensitive", store.Query{Count: 10, SortBy: path("userName")}, []string{"usr_2", "usr_3", "usr_1"}},
		{"userName descending", store.Query{Count: 10, SortBy: path("userName"), Descending: true}, []string{"usr_1", "usr_3", "usr_2"}},
		{"missing values last", store.Query{Count: 10, SortBy: path("title")}, []string{"usr_3", "usr_1", "usr_2"}},
		{"missing values first descending", store.Query{Count: 10, SortBy: path("title"), Descending: true}, []string{"usr_2", "usr_1", "usr_3"}},
		{"multi-valued by primary", store.Query{Count: 10, SortBy: path("emails")}, []string{"usr_1", "usr_2", "usr_3"}},
		{"offset and count", store.Query{Offset: 1, Count: 1, SortBy: path("userName")}, []string{"usr_3"}},
		{"past the end", store.Query{Offset: 5, Count: 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := st.ListResources(ctx, "ws_a", "User", tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(p); !slices.Equal(got, tt.want) || p.Total != 3 {
				t.Errorf("got %v (total %d), want %v", got, p.Total, tt.want)
			}
		})
	}
	p, err := st.ListResources(ctx, "ws_a", "User", store.Query{})
	if err != nil || p.Total != 3 || p.Resources != nil {
		t.Errorf("count 0: %+v, %v", p, err)
	}
}

func testCursor(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	var want []string
	for i := range 5 {
		id := fmt.Sprintf("usr_%d", i)
		mustCreate(t, st, user("ws_a", id, id))
		want = append(want, id)
	}
	var got []string
	cur := ""
	for range 10 {
		p, err := st.ListResources(ctx, "ws_a", "User", store.Query{Count: 2, Cursor: &cur})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(p)...)
		if p.NextCursor == "" {
			break
		}
		cur = p.NextCursor
	}
	if !slices.Equal(got, want) {
		t.Errorf("cursor pages %v, want %v", got, want)
	}
	bad := "not-a-cursor"
	if _, err := st.ListResources(ctx, "ws_a", "User", store.Query{Count: 2, Cursor: &bad}); !errors.Is(err, store.ErrInvalidCursor) {
		t.Errorf("bad cursor: %v", err)
	}
}
