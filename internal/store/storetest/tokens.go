package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

const day = 24 * time.Hour

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
		{name: "event refused", id: "tok_soon", exp: soon.Expires, lead: 7 * day, at: now, ev: event(store.EventTokenExpiring, "tok_soon", `[1]`), err: true},
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
	if len(evs) != 1 || evs[0].Type != store.EventTokenExpiring || evs[0].Subject != "tok_soon" || evs[0].Seq != seq+1 {
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
// 30 or 7 days of it, as a checker does, and returns how many it
// announced.
func announceDue(ctx context.Context, st store.Store, now time.Time) (int, error) {
	ts, err := st.ExpiringTokens(ctx, now, now.Add(30*day))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, tok := range ts {
		lead, within := 30*day, "30d"
		if tok.Expires.Sub(now) <= 7*day {
			lead, within = 7*day, "7d"
		}
		if tok.ExpiryAnnounced != 0 && tok.ExpiryAnnounced <= lead {
			continue
		}
		ok, err := st.AnnounceTokenExpiry(ctx, store.ExpiryAnnouncement{
			TokenID: tok.ID, Expires: tok.Expires, Prev: tok.ExpiryAnnounced, Lead: lead, At: now,
			Event: store.TokenExpiringEvent(tok, within, int(tok.Expires.Sub(now)/day)),
		})
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
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
		if err := json.Unmarshal(e.Data, &d); err != nil || e.Type != store.EventTokenExpiring {
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
