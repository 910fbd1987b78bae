package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// Reopener is implemented by the stores a NewStore returns when the
// backend can open another store on the same database, as another process
// or replica would. The tests of what stores share need it.
type Reopener interface {
	// Reopen returns another store on the database of the receiver,
	// closed when t ends.
	Reopen(t *testing.T) store.Store
}

func testWorkspaceConfig(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	w, err := st.WorkspaceBySlug(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(w.Config, store.DefaultWorkspaceConfig()) {
		t.Errorf("created without a config: %+v, want the defaults %+v", w.Config, store.DefaultWorkspaceConfig())
	}
	seats := 50
	custom := store.WorkspaceConfig{
		DefaultRole: "admin", DefaultTeam: "eng", DefaultTeamRole: "lead",
		DeleteMode: store.DeleteHard, SoftDeleteGraceDays: 7, StrictMode: true, SeatLimit: &seats,
	}
	created := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := st.CreateWorkspace(ctx, store.Workspace{ID: "ws_b", Slug: "beta", Created: created, Config: custom}); err != nil {
		t.Fatal(err)
	}
	want := store.Workspace{ID: "ws_b", Slug: "beta", Created: created, Config: custom}
	w, err = st.WorkspaceByID(ctx, "ws_b")
	if err != nil || !reflect.DeepEqual(w, want) {
		t.Errorf("WorkspaceByID: %+v, %v; want %+v", w, err, want)
	}
	if w, err := st.WorkspaceBySlug(ctx, "beta"); err != nil || !reflect.DeepEqual(w, want) {
		t.Errorf("WorkspaceBySlug: %+v, %v; want %+v", w, err, want)
	}
	ws, err := st.Workspaces(ctx)
	if err != nil || len(ws) != 2 || !reflect.DeepEqual(ws[1], want) || ws[0].Config.DefaultRole != "viewer" {
		t.Errorf("Workspaces: %+v, %v", ws, err)
	}
	if _, err := st.WorkspaceByID(ctx, "ws_x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}
}

func testUpdateWorkspace(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	before, _ := st.WorkspaceBySlug(ctx, "alpha")

	seats := 10
	w, err := st.UpdateWorkspace(ctx, "alpha", func(w *store.Workspace) error {
		if w.ID != "ws_a" || w.Config.DefaultRole != "viewer" {
			t.Errorf("closure got %+v", w)
		}
		w.Config.SCIMEnabled = false
		w.Config.SeatLimit = &seats
		w.Config.DefaultTeam = "eng"
		// Only the configuration is written.
		w.ID, w.Slug, w.Created = "ws_z", "changed", time.Time{}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := before
	want.Config.SCIMEnabled, want.Config.SeatLimit, want.Config.DefaultTeam = false, &seats, "eng"
	if !reflect.DeepEqual(w, want) {
		t.Errorf("UpdateWorkspace returned %+v, want %+v", w, want)
	}
	if got, err := st.WorkspaceBySlug(ctx, "alpha"); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("after update: %+v, %v; want %+v", got, err, want)
	}
	if _, err := st.WorkspaceBySlug(ctx, "changed"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the slug was changed: %v", err)
	}
	if got, _ := st.WorkspaceBySlug(ctx, "beta"); !reflect.DeepEqual(got.Config, store.DefaultWorkspaceConfig()) {
		t.Errorf("another workspace changed: %+v", got.Config)
	}

	boom := errors.New("boom")
	_, err = st.UpdateWorkspace(ctx, "alpha", func(w *store.Workspace) error {
		w.Config.StrictMode = true
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("failing closure: %v, want its error", err)
	}
	if got, _ := st.WorkspaceBySlug(ctx, "alpha"); got.Config.StrictMode {
		t.Error("a failing closure's change was written")
	}
	_, err = st.UpdateWorkspace(ctx, "gamma", func(*store.Workspace) error {
		t.Error("closure called for an unknown workspace")
		return nil
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown workspace: %v, want ErrNotFound", err)
	}
	if w, err := st.UpdateWorkspace(ctx, "alpha", func(w *store.Workspace) error {
		w.Config.SeatLimit = nil
		return nil
	}); err != nil || w.Config.SeatLimit != nil {
		t.Errorf("clearing the seat limit: %+v, %v", w.Config, err)
	}

	// Concurrent read-modify-writes lose nothing.
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := st.UpdateWorkspace(ctx, "beta", func(w *store.Workspace) error {
				w.Config.SoftDeleteGraceDays++
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, _ := st.WorkspaceBySlug(ctx, "beta"); got.Config.SoftDeleteGraceDays != 30+n {
		t.Errorf("after %d concurrent increments: %d, want %d", n, got.Config.SoftDeleteGraceDays, 30+n)
	}
}

func testDeleteWorkspace(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	for _, tok := range []store.Token{
		{ID: "tok_1", WorkspaceID: "ws_a", Name: "a", Hash: []byte("h1"), Created: time.Now()},
		{ID: "tok_2", WorkspaceID: "ws_b", Name: "b", Hash: []byte("h2"), Created: time.Now()},
	} {
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	mustCreate(t, st, user("ws_a", "usr_1", "alice"), group("ws_a", "grp_1", "eng", "usr_1"), user("ws_b", "usr_2", "alice"))

	if err := st.DeleteWorkspace(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WorkspaceBySlug(ctx, "alpha"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("WorkspaceBySlug after delete: %v", err)
	}
	if _, err := st.WorkspaceByID(ctx, "ws_a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("WorkspaceByID after delete: %v", err)
	}
	if _, err := st.TokenByID(ctx, "tok_1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByID after delete: %v", err)
	}
	if _, err := st.TokenByHash(ctx, "ws_a", []byte("h1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByHash after delete: %v", err)
	}
	if ts, err := st.Tokens(ctx, "ws_a"); err != nil || len(ts) != 0 {
		t.Errorf("Tokens after delete: %+v, %v", ts, err)
	}
	for _, r := range []struct{ typ, id string }{{"User", "usr_1"}, {"Group", "grp_1"}} {
		if _, err := st.Resource(ctx, "ws_a", r.typ, r.id, false); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s %s after delete: %v", r.typ, r.id, err)
		}
	}
	// The other workspace keeps everything.
	if _, err := st.Resource(ctx, "ws_b", "User", "usr_2", true); err != nil {
		t.Errorf("other workspace's user: %v", err)
	}
	if _, err := st.TokenByHash(ctx, "ws_b", []byte("h2")); err != nil {
		t.Errorf("other workspace's token: %v", err)
	}
	if ws, err := st.Workspaces(ctx); err != nil || len(ws) != 1 || ws[0].Slug != "beta" {
		t.Errorf("Workspaces after delete: %+v, %v", ws, err)
	}
	if err := st.DeleteWorkspace(ctx, "alpha"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting again: %v, want ErrNotFound", err)
	}
	// The slug and the names are free again.
	mustWorkspace(t, st, "ws_c", "alpha")
	mustCreate(t, st, user("ws_c", "usr_3", "alice"))
}

func testTokenLifecycle(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	toks := []store.Token{
		{ID: "tok_1", WorkspaceID: "ws_a", Name: "okta", Hash: []byte("h1"), Created: t0, CreatedBy: "cli:alice", Expires: t0.Add(365 * 24 * time.Hour)},
		{ID: "tok_2", Kind: store.TokenSCIM, WorkspaceID: "ws_a", Name: "entra", Hash: []byte("h2"), Created: t0.Add(time.Hour)},
		{ID: "tok_3", WorkspaceID: "ws_b", Name: "okta", Hash: []byte("h3"), Created: t0},
		// The same hash as tok_1: admin tokens are apart from every
		// workspace's.
		{ID: "tok_adm", Kind: store.TokenAdmin, Name: "ops", Hash: []byte("h1"), Created: t0, CreatedBy: "cli:root"},
	}
	for _, tok := range toks {
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatalf("CreateToken %s: %v", tok.ID, err)
		}
	}
	dup := store.Token{ID: "tok_dup", Kind: store.TokenAdmin, Name: "dup", Hash: []byte("h1"), Created: t0}
	if err := st.CreateToken(ctx, dup); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("admin token with a taken hash: %v, want ErrAlreadyExists", err)
	}

	// Listings and lookups by id carry no hash.
	listed := func(ts ...store.Token) []store.Token {
		var out []store.Token
		for _, tok := range ts {
			tok.Hash = nil
			if tok.Kind == "" {
				tok.Kind = store.TokenSCIM
			}
			out = append(out, tok)
		}
		return out
	}
	if got, err := st.Tokens(ctx, "ws_a"); err != nil || !reflect.DeepEqual(got, listed(toks[0], toks[1])) {
		t.Errorf("Tokens(ws_a): %+v, %v\nwant %+v", got, err, listed(toks[0], toks[1]))
	}
	if got, err := st.Tokens(ctx, ""); err != nil || !reflect.DeepEqual(got, listed(toks[3])) {
		t.Errorf("admin tokens: %+v, %v", got, err)
	}
	if got, err := st.Tokens(ctx, "ws_x"); err != nil || len(got) != 0 {
		t.Errorf("Tokens of an unknown workspace: %+v, %v", got, err)
	}
	if got, err := st.TokenByID(ctx, "tok_adm"); err != nil || !reflect.DeepEqual(got, listed(toks[3])[0]) {
		t.Errorf("TokenByID(tok_adm): %+v, %v", got, err)
	}
	if _, err := st.TokenByID(ctx, "tok_x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByID of an unknown token: %v", err)
	}
	if got, err := st.TokenByHash(ctx, "", []byte("h1")); err != nil || got.ID != "tok_adm" || got.Kind != store.TokenAdmin || string(got.Hash) != "h1" {
		t.Errorf("admin TokenByHash: %+v, %v", got, err)
	}
	if got, err := st.TokenByHash(ctx, "ws_a", []byte("h1")); err != nil || got.ID != "tok_1" || got.CreatedBy != "cli:alice" {
		t.Errorf("TokenByHash(ws_a, h1): %+v, %v", got, err)
	}
	if _, err := st.TokenByHash(ctx, "", []byte("h2")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a workspace's token among admin tokens: %v, want ErrNotFound", err)
	}

	// Revocation keeps the first time.
	r1, r2 := t0.Add(2*time.Hour), t0.Add(3*time.Hour)
	if err := st.RevokeToken(ctx, "tok_1", r1); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeToken(ctx, "tok_1", r2); err != nil {
		t.Errorf("revoking again: %v", err)
	}
	if got, err := st.TokenByHash(ctx, "ws_a", []byte("h1")); err != nil || !got.Revoked.Equal(r1) {
		t.Errorf("revoked token: %+v, %v; want revoked at %v", got, err, r1)
	}
	if got, _ := st.TokenByID(ctx, "tok_2"); !got.Revoked.IsZero() {
		t.Errorf("another token was revoked: %+v", got)
	}
	if err := st.RevokeToken(ctx, "tok_x", r1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking an unknown token: %v", err)
	}

	exp := t0.Add(48 * time.Hour)
	if err := st.SetTokenExpiry(ctx, "tok_2", exp); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.TokenByID(ctx, "tok_2"); !got.Expires.Equal(exp) {
		t.Errorf("expiry: %v, want %v", got.Expires, exp)
	}
	if err := st.SetTokenExpiry(ctx, "tok_2", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.TokenByID(ctx, "tok_2"); !got.Expires.IsZero() {
		t.Errorf("expiry cleared: %v, want never", got.Expires)
	}
	if err := st.SetTokenExpiry(ctx, "tok_x", exp); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expiry of an unknown token: %v", err)
	}

	// Last use only moves forward; unknown tokens are ignored.
	u1, u0, u2 := t0.Add(5*time.Hour), t0.Add(4*time.Hour), t0.Add(6*time.Hour)
	if err := st.TouchTokens(ctx, nil); err != nil {
		t.Errorf("TouchTokens(nil): %v", err)
	}
	if err := st.TouchTokens(ctx, map[string]time.Time{"tok_1": u1, "tok_adm": u1, "tok_gone": u1}); err != nil {
		t.Fatal(err)
	}
	if err := st.TouchTokens(ctx, map[string]time.Time{"tok_1": u0, "tok_adm": u2}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]time.Time{"tok_1": u1, "tok_adm": u2, "tok_2": {}} {
		if got, _ := st.TokenByID(ctx, id); !got.LastUsed.Equal(want) {
			t.Errorf("%s last used %v, want %v", id, got.LastUsed, want)
		}
	}
}

// changeLog records the changes a subscription receives, and when.
type changeLog struct {
	mu     sync.Mutex
	got    []store.Change
	at     []time.Time
	notify chan struct{}
}

func subscribe(t *testing.T, st store.Store) *changeLog {
	t.Helper()
	l := &changeLog{notify: make(chan struct{}, 1)}
	t.Cleanup(st.Subscribe(l.record))
	return l
}

func (l *changeLog) record(c store.Change) {
	l.mu.Lock()
	l.got = append(l.got, c)
	l.at = append(l.at, time.Now())
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *changeLog) changes() []store.Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.got)
}

// count returns how often c was received.
func (l *changeLog) count(c store.Change) int {
	n := 0
	for _, g := range l.changes() {
		if g == c {
			n++
		}
	}
	return n
}

// waitFor waits up to within for c and returns when it arrived.
func (l *changeLog) waitFor(t *testing.T, c store.Change, within time.Duration) time.Time {
	t.Helper()
	deadline := time.After(within)
	for {
		l.mu.Lock()
		for i, g := range l.got {
			if g == c {
				at := l.at[i]
				l.mu.Unlock()
				return at
			}
		}
		l.mu.Unlock()
		select {
		case <-l.notify:
		case <-deadline:
			t.Fatalf("no %+v within %v; got %+v", c, within, l.changes())
		}
	}
}

var reset = store.Change{Kind: store.ChangeReset}

// testChanges checks that a store tells its own subscribers of the
// changes that matter, before the write returns.
func testChanges(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	for _, tok := range []store.Token{
		{ID: "tok_1", WorkspaceID: "ws_a", Name: "a", Hash: []byte("h1"), Created: time.Now()},
		{ID: "tok_2", WorkspaceID: "ws_b", Name: "b", Hash: []byte("h2"), Created: time.Now()},
		{ID: "tok_adm", Kind: store.TokenAdmin, Name: "ops", Hash: []byte("h3"), Created: time.Now()},
	} {
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	l := subscribe(t, st)
	l.waitFor(t, reset, 5*time.Second) // watching for other stores' changes

	// A later subscriber starts with a reset of its own, at once.
	late := subscribe(t, st)
	if got := late.changes(); !reflect.DeepEqual(got, []store.Change{reset}) {
		t.Errorf("a subscriber joining a live store got %+v, want a reset", got)
	}

	steps := []struct {
		name string
		do   func() error
		want []store.Change // delivered before do returns
	}{
		{"revoke", func() error { return st.RevokeToken(ctx, "tok_1", time.Now()) },
			[]store.Change{{Kind: store.ChangeToken, WorkspaceID: "ws_a", ID: "tok_1"}, {Kind: store.ChangeEvents, WorkspaceID: "ws_a"}}},
		{"revoke again", func() error { return st.RevokeToken(ctx, "tok_1", time.Now()) },
			[]store.Change{{Kind: store.ChangeToken, WorkspaceID: "ws_a", ID: "tok_1"}}},
		{"revoke admin token", func() error { return st.RevokeToken(ctx, "tok_adm", time.Now()) },
			[]store.Change{{Kind: store.ChangeToken, ID: "tok_adm"}}},
		{"expiry", func() error { return st.SetTokenExpiry(ctx, "tok_2", time.Now().Add(time.Hour)) },
			[]store.Change{{Kind: store.ChangeToken, WorkspaceID: "ws_b", ID: "tok_2"}}},
		{"failed update", func() error {
			_, err := st.UpdateWorkspace(ctx, "alpha", func(*store.Workspace) error { return errors.New("no") })
			if err == nil {
				return errors.New("the update did not fail")
			}
			return nil
		}, nil},
		{"update", func() error {
			_, err := st.UpdateWorkspace(ctx, "alpha", func(w *store.Workspace) error { w.Config.SCIMEnabled = false; return nil })
			return err
		}, []store.Change{{Kind: store.ChangeWorkspace, WorkspaceID: "ws_a", ID: "ws_a"}}},
		{"last use", func() error { return st.TouchTokens(ctx, map[string]time.Time{"tok_2": time.Now()}) }, nil},
		{"delete", func() error { return st.DeleteWorkspace(ctx, "beta") },
			[]store.Change{{Kind: store.ChangeWorkspace, WorkspaceID: "ws_b", ID: "ws_b"}}},
	}
	for _, s := range steps {
		n := len(l.changes())
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := l.changes()[n:]; !reflect.DeepEqual(got, s.want) && !(len(got) == 0 && len(s.want) == 0) {
			t.Errorf("%s: delivered %+v, want %+v", s.name, got, s.want)
		}
	}
	if got, want := late.changes(), len(l.changes()); len(got) != want {
		t.Errorf("the later subscriber got %d changes, want %d", len(got), want)
	}

	// Unsubscribed, nothing more arrives.
	var gone sync.Mutex // held once unsubscribed
	unsub := st.Subscribe(func(c store.Change) {
		if !gone.TryLock() {
			t.Errorf("delivered after unsubscribing: %+v", c)
			return
		}
		gone.Unlock()
	})
	unsub()
	gone.Lock()
	if err := st.RevokeToken(ctx, "tok_1", time.Now()); err != nil {
		t.Fatal(err)
	}
}

// testChangesAcrossStores checks that changes reach the subscribers of
// another store on the same database quickly, once each, and logs how
// quickly.
func testChangesAcrossStores(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	a := newStore(t, time.Now)
	r, ok := a.(Reopener)
	if !ok {
		t.Fatalf("%T does not implement storetest.Reopener: the backend's test must let the suite open a second store on the database", a)
	}
	b := r.Reopen(t)
	mustWorkspace(t, a, "ws_a", "alpha")
	mustWorkspace(t, a, "ws_b", "beta")
	const n = 5
	for i := range n {
		tok := store.Token{ID: fmt.Sprintf("tok_%d", i), WorkspaceID: "ws_a", Name: "t", Hash: fmt.Appendf(nil, "h%d", i), Created: time.Now()}
		if err := a.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	la, lb := subscribe(t, a), subscribe(t, b)
	la.waitFor(t, reset, 5*time.Second)
	lb.waitFor(t, reset, 5*time.Second)

	// Revocations in a reach b within a second.
	var lat []time.Duration
	for i := range n {
		c := store.Change{Kind: store.ChangeToken, WorkspaceID: "ws_a", ID: fmt.Sprintf("tok_%d", i)}
		// At random moments, so that a poller's phase does not set the
		// figures.
		time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond)
		start := time.Now()
		if err := a.RevokeToken(ctx, c.ID, start); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, lb.waitFor(t, c, time.Second).Sub(start))
	}
	slices.Sort(lat)
	t.Logf("revoke in one store -> seen by another: min %v, median %v, max %v over %d", lat[0], lat[len(lat)/2], lat[len(lat)-1], n)
	// The other store's token reads the revocation.
	if tok, err := b.TokenByHash(ctx, "ws_a", []byte("h0")); err != nil || tok.Revoked.IsZero() {
		t.Errorf("revoked token read from the other store: %+v, %v", tok, err)
	}

	// And the other way: workspace changes in b reach a.
	if _, err := b.UpdateWorkspace(ctx, "beta", func(w *store.Workspace) error { w.Config.CreateUsers = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteWorkspace(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	la.waitFor(t, store.Change{Kind: store.ChangeWorkspace, WorkspaceID: "ws_b", ID: "ws_b"}, time.Second)
	la.waitFor(t, store.Change{Kind: store.ChangeWorkspace, WorkspaceID: "ws_a", ID: "ws_a"}, time.Second)

	// A change carries the correlation id of the request that made it,
	// in the writing store and in the other.
	if _, err := a.UpdateWorkspace(store.WithCorrelationID(ctx, "req-42"), "beta", func(w *store.Workspace) error { w.Config.CreateUsers = true; return nil }); err != nil {
		t.Fatal(err)
	}
	correlated := store.Change{Kind: store.ChangeWorkspace, WorkspaceID: "ws_b", ID: "ws_b", CorrelationID: "req-42"}
	la.waitFor(t, correlated, time.Second)
	lb.waitFor(t, correlated, time.Second)

	// By now each store has polled or listened past its own changes:
	// none came back a second time.
	for i := range n {
		c := store.Change{Kind: store.ChangeToken, WorkspaceID: "ws_a", ID: fmt.Sprintf("tok_%d", i)}
		if na, nb := la.count(c), lb.count(c); na != 1 || nb != 1 {
			t.Errorf("%+v delivered %d times in the writing store and %d in the other, want once each", c, na, nb)
		}
	}
	if got := lb.count(reset); got != 1 {
		t.Errorf("%d resets, want only the first", got)
	}
}
