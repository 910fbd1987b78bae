package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tokenexpiry"
)

const day = 24 * time.Hour

// rotatedData is the data of a token.rotated event.
type rotatedData struct {
	Old, New, Name string
	OldEnds        time.Time
}

func testTokenRotation(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	at := t0.Add(time.Hour)
	tests := []struct {
		name    string
		old     store.Token       // ws_a's token tok_old, hash "h-old", before the rotation
		setup   func(store.Store) // what happens to it before the rotation
		newWS   string
		newHash string // "": a fresh one
		overlap time.Duration
		fails   bool
		wantErr error       // what it fails with, if not just any error
		want    store.Token // the old token after a successful rotation
		events  []string
		oldEnds time.Time
	}{
		{
			name:    "revoked at once",
			old:     store.Token{Expires: t0.Add(365 * day)},
			events:  []string{eventtype.TokenCreated, eventtype.TokenRevoked, eventtype.TokenRotated},
			want:    store.Token{Expires: t0.Add(365 * day), Revoked: at},
			oldEnds: at,
		},
		{
			name:    "overlap",
			old:     store.Token{Expires: t0.Add(365 * day)},
			overlap: 24 * time.Hour,
			events:  []string{eventtype.TokenCreated, eventtype.TokenRotated},
			want:    store.Token{Expires: at.Add(24 * time.Hour), ExpiryAnnounced: 24 * time.Hour},
			oldEnds: at.Add(24 * time.Hour),
		},
		{
			name:    "overlap capped by the old token's expiry",
			old:     store.Token{Expires: at.Add(2 * time.Hour)},
			overlap: 24 * time.Hour,
			events:  []string{eventtype.TokenCreated, eventtype.TokenRotated},
			want:    store.Token{Expires: at.Add(2 * time.Hour), ExpiryAnnounced: 2 * time.Hour},
			oldEnds: at.Add(2 * time.Hour),
		},
		{
			name:    "overlap of a token that never expires",
			overlap: time.Hour,
			events:  []string{eventtype.TokenCreated, eventtype.TokenRotated},
			want:    store.Token{Expires: at.Add(time.Hour), ExpiryAnnounced: time.Hour},
			oldEnds: at.Add(time.Hour),
		},
		{
			name:    "overlap keeps a shorter announcement",
			old:     store.Token{Expires: at.Add(5 * day), ExpiryAnnounced: 7 * day},
			overlap: 10 * day,
			events:  []string{eventtype.TokenCreated, eventtype.TokenRotated},
			want:    store.Token{Expires: at.Add(5 * day), ExpiryAnnounced: 5 * day},
			oldEnds: at.Add(5 * day),
		},
		{
			name:    "already revoked",
			old:     store.Token{Expires: t0.Add(365 * day)},
			setup:   func(st store.Store) { must(t, st.RevokeToken(ctx, "tok_old", t0.Add(time.Minute))) },
			fails:   true,
			wantErr: store.ErrTokenInactive,
		},
		{
			name:    "already revoked, with an overlap",
			setup:   func(st store.Store) { must(t, st.RevokeToken(ctx, "tok_old", t0.Add(time.Minute))) },
			overlap: time.Hour,
			fails:   true,
			wantErr: store.ErrTokenInactive,
		},
		{
			name:    "expired",
			old:     store.Token{Expires: at},
			fails:   true,
			wantErr: store.ErrTokenInactive,
		},
		{
			name:    "expired since it was read",
			old:     store.Token{Expires: t0.Add(365 * day)},
			setup:   func(st store.Store) { must(t, st.SetTokenExpiry(ctx, "tok_old", at.Add(-time.Second))) },
			overlap: time.Hour,
			fails:   true,
			wantErr: store.ErrTokenInactive,
		},
		{
			name:    "the new token's hash is taken",
			old:     store.Token{Expires: t0.Add(365 * day)},
			newHash: "h-old",
			fails:   true,
			wantErr: store.ErrAlreadyExists,
		},
		{
			name:  "the new token is of another workspace",
			old:   store.Token{Expires: t0.Add(365 * day)},
			newWS: "ws_b",
			fails: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newStore(t, newClock().now)
			mustWorkspace(t, st, "ws_a", "alpha")
			mustWorkspace(t, st, "ws_b", "beta")
			old := tt.old
			old.ID, old.Kind, old.WorkspaceID, old.Name, old.Hash, old.Created, old.CreatedBy = "tok_old", store.TokenSCIM, "ws_a", "okta", []byte("h-old"), t0, "cli:alice"
			must(t, st.CreateToken(ctx, old))
			if tt.setup != nil {
				tt.setup(st)
			}
			before, _ := st.TokenByID(ctx, "tok_old")
			seq := int64(len(mustEvents(t, st, "ws_a", 0, 100)))
			l := subscribe(t, st)
			l.waitFor(t, reset, 5*time.Second)

			next := store.Token{ID: "tok_new", WorkspaceID: "ws_a", Name: "okta", Hash: []byte("h-new"), Created: at, CreatedBy: "cli:bob", Expires: at.Add(365 * day)}
			if tt.newWS != "" {
				next.WorkspaceID = tt.newWS
			}
			if tt.newHash != "" {
				next.Hash = []byte(tt.newHash)
			}
			got, err := st.RotateToken(ctx, store.TokenRotation{OldID: "tok_old", New: next, At: at, Overlap: tt.overlap})

			if tt.fails {
				if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("RotateToken: %v, want %v", err, tt.wantErr)
				}
				if errors.Is(err, store.ErrTokenInactive) && !reflect.DeepEqual(got, before) {
					t.Errorf("RotateToken returned %+v, want the old token as stored, %+v", got, before)
				}
				// Nothing was written.
				if after, _ := st.TokenByID(ctx, "tok_old"); !reflect.DeepEqual(after, before) {
					t.Errorf("old token %+v after a failed rotation, want %+v", after, before)
				}
				if _, err := st.TokenByID(ctx, "tok_new"); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("new token after a failed rotation: %v, want ErrNotFound", err)
				}
				if evs := mustEvents(t, st, "ws_a", seq, 100); len(evs) != 0 {
					t.Errorf("events of a failed rotation: %+v", evs)
				}
				if evs := mustEvents(t, st, "ws_b", 0, 100); len(evs) != 0 {
					t.Errorf("events of a failed rotation in ws_b: %+v", evs)
				}
				return
			}
			if err != nil {
				t.Fatalf("RotateToken: %v", err)
			}

			want := before
			want.Expires, want.Revoked, want.ExpiryAnnounced = tt.want.Expires, tt.want.Revoked, tt.want.ExpiryAnnounced
			if !reflect.DeepEqual(got, want) {
				t.Errorf("RotateToken returned\n%+v, want\n%+v", got, want)
			}
			if stored, _ := st.TokenByID(ctx, "tok_old"); !reflect.DeepEqual(stored, want) {
				t.Errorf("old token stored as\n%+v, want\n%+v", stored, want)
			}
			if n, err := st.TokenByHash(ctx, "ws_a", []byte("h-new")); err != nil || n.ID != "tok_new" || !n.Expires.Equal(next.Expires) || n.CreatedBy != "cli:bob" || !n.Revoked.IsZero() {
				t.Errorf("new token %+v, %v", n, err)
			}

			// The events, numbered on, of one transaction.
			evs := mustEvents(t, st, "ws_a", seq, 100)
			var types []string
			for i, e := range evs {
				types = append(types, e.Type)
				if e.Seq != seq+int64(i)+1 || !e.Occurred.Equal(evs[0].Occurred) {
					t.Errorf("event %d: seq %d at %v, want seq %d at %v", i, e.Seq, e.Occurred, seq+int64(i)+1, evs[0].Occurred)
				}
			}
			if !slices.Equal(types, tt.events) {
				t.Fatalf("events %v, want %v", types, tt.events)
			}
			if evs[0].Subject != "tok_new" || evs[len(evs)-1].Subject != "tok_old" {
				t.Errorf("subjects %q … %q, want tok_new … tok_old", evs[0].Subject, evs[len(evs)-1].Subject)
			}
			var rd rotatedData
			if err := json.Unmarshal(evs[len(evs)-1].Data, &rd); err != nil || rd.Old != "tok_old" || rd.New != "tok_new" || rd.Name != "okta" || !rd.OldEnds.Equal(tt.oldEnds) {
				t.Errorf("token.rotated data %s, %v; want oldEnds %v", evs[len(evs)-1].Data, err, tt.oldEnds)
			}
			// As many notifications as the separate writes sent.
			for _, c := range []store.Change{{Kind: store.ChangeToken, WorkspaceID: "ws_a", ID: "tok_old"}, {Kind: store.ChangeEvents, WorkspaceID: "ws_a"}} {
				if n := l.count(c); n != 1 {
					t.Errorf("%+v published %d times, want once", c, n)
				}
			}
		})
	}

	t.Run("unknown token", func(t *testing.T) {
		t.Parallel()
		st := newStore(t, time.Now)
		mustWorkspace(t, st, "ws_a", "alpha")
		next := store.Token{ID: "tok_new", WorkspaceID: "ws_a", Name: "okta", Hash: []byte("h-new"), Created: at}
		if _, err := st.RotateToken(ctx, store.TokenRotation{OldID: "tok_x", New: next, At: at}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RotateToken(unknown): %v, want ErrNotFound", err)
		}
		if _, err := st.TokenByID(ctx, "tok_new"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("new token stored: %v", err)
		}
	})

	t.Run("admin token", func(t *testing.T) {
		t.Parallel()
		st := newStore(t, time.Now)
		mustWorkspace(t, st, "ws_a", "alpha")
		must(t, st.CreateToken(ctx, store.Token{ID: "tok_adm", Kind: store.TokenAdmin, Name: "ops", Hash: []byte("h1"), Created: t0}))
		next := store.Token{ID: "tok_adm2", Kind: store.TokenAdmin, Name: "ops", Hash: []byte("h2"), Created: at}
		old, err := st.RotateToken(ctx, store.TokenRotation{OldID: "tok_adm", New: next, At: at})
		if err != nil || !old.Revoked.Equal(at) {
			t.Fatalf("RotateToken(admin): %+v, %v", old, err)
		}
		if n, err := st.TokenByHash(ctx, "", []byte("h2")); err != nil || n.ID != "tok_adm2" {
			t.Errorf("new admin token %+v, %v", n, err)
		}
	})

	// Of concurrent rotations of one token, in two stores on the
	// database, one wins; the others find the token revoked.
	t.Run("concurrent", func(t *testing.T) {
		t.Parallel()
		a := newStore(t, time.Now)
		r, ok := a.(Reopener)
		if !ok {
			t.Fatalf("%T does not implement storetest.Reopener", a)
		}
		b := r.Reopen(t)
		mustWorkspace(t, a, "ws_a", "alpha")
		must(t, a.CreateToken(ctx, store.Token{ID: "tok_old", WorkspaceID: "ws_a", Name: "okta", Hash: []byte("h-old"), Created: t0}))
		const n = 8
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			won  []string
			errs []error
		)
		start := make(chan struct{})
		for i := range n {
			st := []store.Store{a, b}[i%2]
			wg.Go(func() {
				<-start
				next := store.Token{ID: fmt.Sprintf("tok_new%d", i), WorkspaceID: "ws_a", Name: "okta", Hash: fmt.Appendf(nil, "h-new%d", i), Created: time.Now()}
				_, err := st.RotateToken(ctx, store.TokenRotation{OldID: "tok_old", New: next, At: time.Now()})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					won = append(won, next.ID)
				} else {
					errs = append(errs, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(won) != 1 {
			t.Fatalf("%d of %d concurrent rotations succeeded (%v), want one; errors %v", len(won), n, won, errs)
		}
		for _, err := range errs {
			if !errors.Is(err, store.ErrTokenInactive) {
				t.Errorf("a losing rotation failed with %v, want ErrTokenInactive", err)
			}
		}
		ts, _ := a.Tokens(ctx, "ws_a")
		if len(ts) != 2 || ts[1].ID != won[0] {
			t.Errorf("tokens %+v, want the old one and %s", ts, won[0])
		}
		if types := eventTypes(t, a, "ws_a"); !slices.Equal(types, []string{eventtype.TokenCreated, eventtype.TokenCreated, eventtype.TokenRevoked, eventtype.TokenRotated}) {
			t.Errorf("events %v, want one rotation's", types)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// expiringData is the data of a token.expiring event.
type expiringData struct {
	Token    map[string]any `json:"token"`
	Within   string         `json:"within"`
	DaysLeft int            `json:"daysLeft"`
}

func testTokenExpiryAnnouncements(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	c := newClock()
	st := newStore(t, c.now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	now := c.now()
	toks := []store.Token{
		{ID: "tok_soon", WorkspaceID: "ws_a", Name: "okta", Expires: now.Add(5 * day)},
		{ID: "tok_app", Kind: store.TokenApp, WorkspaceID: "ws_a", Name: "app", Expires: now.Add(20 * day)},
		{ID: "tok_b", WorkspaceID: "ws_b", Name: "entra", Expires: now.Add(10 * day)},
		{ID: "tok_far", WorkspaceID: "ws_a", Name: "far", Expires: now.Add(60 * day)},
		{ID: "tok_never", WorkspaceID: "ws_a", Name: "never"},
		{ID: "tok_revoked", WorkspaceID: "ws_a", Name: "revoked", Expires: now.Add(3 * day), Revoked: now.Add(-time.Hour)},
		{ID: "tok_expired", WorkspaceID: "ws_a", Name: "expired", Expires: now.Add(-time.Hour)},
		{ID: "tok_adm", Kind: store.TokenAdmin, Name: "ops", Expires: now.Add(3 * day)},
	}
	for i, tok := range toks {
		tok.Hash, tok.Created = fmt.Appendf(nil, "h%d", i), now.Add(-300*day)
		must(t, st.CreateToken(ctx, tok))
	}
	got, err := st.ExpiringTokens(ctx, now, now.Add(30*day))
	var ids []string
	for _, tok := range got {
		ids = append(ids, tok.ID)
	}
	if err != nil || !slices.Equal(ids, []string{"tok_soon", "tok_b", "tok_app"}) {
		t.Fatalf("ExpiringTokens: %v, %v; want tok_soon, tok_b, tok_app", ids, err)
	}
	if got[0].Name != "okta" || !got[0].Expires.Equal(now.Add(5*day)) || got[0].ExpiryAnnounced != 0 || got[2].Kind != store.TokenApp {
		t.Errorf("ExpiringTokens()[0] = %+v", got[0])
	}

	l := subscribe(t, st)
	l.waitFor(t, reset, 5*time.Second)
	seq := int64(len(mustEvents(t, st, "ws_a", 0, 100)))
	soon := got[0]
	announce := func(id string, expires time.Time, prev, lead time.Duration, at time.Time, ev store.NewEvent) (bool, error) {
		return st.AnnounceTokenExpiry(ctx, store.ExpiryAnnouncement{TokenID: id, Expires: expires, Prev: prev, Lead: lead, At: at, Event: ev})
	}
	ev := store.TokenExpiringEvent(soon, "7d", 5)
	steps := []struct {
		name   string
		id     string
		exp    time.Time
		prev   time.Duration
		lead   time.Duration
		at     time.Time
		ev     store.NewEvent
		want   bool
		err    bool
		stored time.Duration // tok_soon's ExpiryAnnounced after
	}{
		{name: "stale expiry", id: "tok_soon", exp: now.Add(6 * day), lead: 7 * day, at: now, ev: ev},
		{name: "stale announcement", id: "tok_soon", exp: soon.Expires, prev: 30 * day, lead: 7 * day, at: now, ev: ev},
		{name: "expired since", id: "tok_soon", exp: soon.Expires, lead: 7 * day, at: soon.Expires, ev: ev},
		{name: "event refused", id: "tok_soon", exp: soon.Expires, lead: 7 * day, at: now, ev: event(eventtype.TokenExpiring, "tok_soon", `[1]`), err: true},
		{name: "announced", id: "tok_soon", exp: soon.Expires, lead: 7 * day, at: now, ev: ev, want: true, stored: 7 * day},
		{name: "announced again", id: "tok_soon", exp: soon.Expires, lead: 7 * day, at: now, ev: ev, stored: 7 * day},
		{name: "revoked", id: "tok_revoked", exp: now.Add(3 * day), lead: 7 * day, at: now, ev: ev, stored: 7 * day},
		{name: "admin token", id: "tok_adm", exp: now.Add(3 * day), lead: 7 * day, at: now, ev: ev, stored: 7 * day},
		{name: "unknown token", id: "tok_x", exp: now.Add(3 * day), lead: 7 * day, at: now, ev: ev, stored: 7 * day},
	}
	for _, s := range steps {
		n := len(l.changes())
		ok, err := announce(s.id, s.exp, s.prev, s.lead, s.at, s.ev)
		if ok != s.want || (err != nil) != s.err {
			t.Errorf("%s: AnnounceTokenExpiry = %v, %v; want %v, error %v", s.name, ok, err, s.want, s.err)
		}
		if tok, _ := st.TokenByID(ctx, "tok_soon"); tok.ExpiryAnnounced != s.stored {
			t.Errorf("%s: tok_soon announced %v ahead, want %v", s.name, tok.ExpiryAnnounced, s.stored)
		}
		var wantChanges []store.Change
		if s.want {
			wantChanges = []store.Change{{Kind: store.ChangeEvents, WorkspaceID: "ws_a"}}
		}
		if got := l.changes()[n:]; !reflect.DeepEqual(got, wantChanges) && len(got)+len(wantChanges) > 0 {
			t.Errorf("%s: published %+v, want %+v", s.name, got, wantChanges)
		}
	}
	evs := mustEvents(t, st, "ws_a", seq, 100)
	if len(evs) != 1 || evs[0].Type != eventtype.TokenExpiring || evs[0].Subject != "tok_soon" || evs[0].Seq != seq+1 {
		t.Fatalf("events %+v, want one token.expiring", evs)
	}
	var d expiringData
	if err := json.Unmarshal(evs[0].Data, &d); err != nil || d.Within != "7d" || d.DaysLeft != 5 || d.Token["id"] != "tok_soon" || d.Token["name"] != "okta" || d.Token["hash"] != nil {
		t.Errorf("token.expiring data %s, %v", evs[0].Data, err)
	}

	// An expiry moved farther away than the announcement counts as
	// announced at its new distance; one that never comes forgets it.
	for _, s := range []struct {
		expires  time.Time // zero: never
		want     time.Duration
		announce time.Duration // then announced this far ahead
	}{
		{expires: now.Add(6 * day), want: 7 * day},
		{expires: now.Add(7 * day), want: 7 * day},
		{expires: now.Add(20 * day), want: 20 * day},
		{expires: now.Add(25 * day), want: 25 * day},
		{expires: now.Add(31 * day), want: 31 * day},
		{expires: now.Add(3 * day), want: 31 * day, announce: 7 * day},
		{expires: now.Add(5 * day), want: 7 * day},
		{want: 0},
		{expires: now.Add(40 * day), want: 0},
	} {
		must(t, st.SetTokenExpiry(ctx, "tok_soon", s.expires))
		tok, _ := st.TokenByID(ctx, "tok_soon")
		if tok.ExpiryAnnounced != s.want || !tok.Expires.Equal(s.expires) {
			t.Errorf("expiry moved to %v: expires %v, announced %v ahead; want %v", s.expires, tok.Expires, tok.ExpiryAnnounced, s.want)
		}
		if s.announce != 0 {
			ok, err := announce("tok_soon", s.expires, tok.ExpiryAnnounced, s.announce, now, store.TokenExpiringEvent(tok, "7d", 3))
			if !ok || err != nil {
				t.Errorf("announcing the expiry moved to %v: %v, %v", s.expires, ok, err)
			}
		}
	}
}

// announceDue announces the expiry of each token in st that comes within
// a threshold at now, as the expiry notifier of package tenant does.
func announceDue(ctx context.Context, st store.Store, now time.Time) (int, error) {
	done, err := tokenexpiry.Announce(ctx, st, now)
	return len(done), err
}

// testConcurrentExpiryAnnouncements checks that two checkers, in two
// stores on one database, announce each token once per lead time.
func testConcurrentExpiryAnnouncements(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	c := newClock()
	a := newStore(t, c.now)
	r, ok := a.(Reopener)
	if !ok {
		t.Fatalf("%T does not implement storetest.Reopener", a)
	}
	b := r.Reopen(t)
	mustWorkspace(t, a, "ws_a", "alpha")
	now := c.now()
	const n = 20
	for i := range n {
		// From 1 to 39 days away: some within 7 days, some within
		// 30, some beyond.
		tok := store.Token{ID: fmt.Sprintf("tok_%02d", i), WorkspaceID: "ws_a", Name: "t", Hash: fmt.Appendf(nil, "h%d", i),
			Created: now, Expires: now.Add(time.Duration(1+2*i) * day)}
		if i%2 == 1 {
			tok.Kind = store.TokenApp
		}
		must(t, a.CreateToken(ctx, tok))
	}
	created := int64(len(mustEvents(t, a, "ws_a", 0, 1000)))
	// Three rounds a week apart, each checked by both at once, twice.
	total := 0
	for round := range 3 {
		at := now.Add(time.Duration(round) * 7 * day)
		for range 2 {
			var (
				wg     sync.WaitGroup
				counts [2]int
				errs   [2]error
			)
			start := make(chan struct{})
			for i, st := range []store.Store{a, b} {
				wg.Go(func() {
					<-start
					counts[i], errs[i] = announceDue(ctx, st, at)
				})
			}
			close(start)
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			total += counts[0] + counts[1]
		}
	}
	seen := map[string]int{}
	evs := mustEvents(t, a, "ws_a", created, 1000)
	for _, e := range evs {
		var d expiringData
		if err := json.Unmarshal(e.Data, &d); err != nil || e.Type != eventtype.TokenExpiring {
			t.Fatalf("event %s %s: %v", e.Type, e.Data, err)
		}
		seen[e.Subject+" "+d.Within]++
	}
	if len(evs) != total {
		t.Errorf("%d events, but the checkers reported %d announcements", len(evs), total)
	}
	// Token i expires in 1+2i days, and the rounds are on days 0, 7
	// and 14: those within 7 days at first get a 7d event only; those
	// expiring up to day 21 come within 30 days, then within 7; the
	// others, up to day 44, come within 30 days only.
	want := map[string]int{}
	for i := range n {
		id := fmt.Sprintf("tok_%02d", i)
		switch left := 1 + 2*i; {
		case left <= 7:
			want[id+" 7d"] = 1
		case left <= 21:
			want[id+" 30d"], want[id+" 7d"] = 1, 1
		case left <= 44:
			want[id+" 30d"] = 1
		}
	}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("announcements %v,\nwant %v", seen, want)
	}
}

// testSetupLinks checks that a set-up link is kept, found and revoked as
// a token of its kind and workspace, and that neither its creation nor
// its revocation is an event of the workspace, which is the
// application's.
func testSetupLinks(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	exp := time.Now().Add(7 * 24 * time.Hour).UTC().Truncate(time.Second)
	link := store.Token{ID: "tok_link", Kind: store.TokenSetup, WorkspaceID: "ws_a", Name: "Acme IT", Hash: []byte("h-link"),
		Created: time.Now(), CreatedBy: "cli:ops", Expires: exp}
	must(t, st.CreateToken(ctx, link))
	if err := st.CreateToken(ctx, store.Token{ID: "tok_bad", Kind: store.TokenSetup, Name: "nowhere", Hash: []byte("h-bad"), Created: time.Now()}); err == nil {
		t.Error("a set-up link without a workspace was stored")
	}
	got, err := st.TokenByHash(ctx, "ws_a", []byte("h-link"))
	if err != nil || got.ID != "tok_link" || got.Kind != store.TokenSetup || got.CreatedBy != "cli:ops" || !got.Expires.Equal(exp) {
		t.Errorf("TokenByHash: %+v, %v", got, err)
	}
	if _, err := st.TokenByHash(ctx, "ws_b", []byte("h-link")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("link found in another workspace: %v", err)
	}
	ts, err := st.Tokens(ctx, "ws_a")
	if err != nil || len(ts) != 1 || ts[0].Kind != store.TokenSetup || ts[0].Hash != nil {
		t.Errorf("Tokens: %+v, %v", ts, err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	must(t, st.RevokeToken(ctx, "tok_link", at))
	if got, err := st.TokenByID(ctx, "tok_link"); err != nil || !got.Revoked.Equal(at) {
		t.Errorf("after revoking: %+v, %v", got, err)
	}
	if evs := mustEvents(t, st, "ws_a", 0, 100); len(evs) != 0 {
		t.Errorf("events %+v; a set-up link's creation and revocation are none of the workspace's", evs)
	}
	// A SCIM token beside it still makes its events.
	must(t, st.CreateToken(ctx, store.Token{ID: "tok_scim", Kind: store.TokenSCIM, WorkspaceID: "ws_a", Name: "okta", Hash: []byte("h-scim"), Created: time.Now()}))
	if evs := mustEvents(t, st, "ws_a", 0, 100); len(evs) != 1 || evs[0].Type != eventtype.TokenCreated {
		t.Errorf("events %+v; want the SCIM token's token.created", evs)
	}
}
