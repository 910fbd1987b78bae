package tenant_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

const day = 24 * time.Hour

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// expiryEnv is a workspace's tokens over a store and a service that share
// a fake clock.
type expiryEnv struct {
	t    *testing.T
	path string
	st   store.Store
	svc  *tenant.Service
	c    *clock
	ws   store.Workspace
	seen int64 // events already looked at
}

func newExpiryEnv(t *testing.T) *expiryEnv {
	t.Helper()
	e := &expiryEnv{t: t, path: filepath.Join(t.TempDir(), "scimd.db"), c: &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}}
	e.st = e.open()
	e.svc = tenant.New(e.st, token.NewHasher([]byte("0123456789abcdef0123456789abcdef")), tenant.WithClock(e.c.now))
	var err error
	if e.ws, err = e.svc.CreateWorkspace(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	return e
}

// open opens a store on the env's database, as a process would.
func (e *expiryEnv) open() store.Store {
	e.t.Helper()
	st, err := sqlite.Open(context.Background(), e.path, sqlite.WithClock(e.c.now))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	return st
}

func (e *expiryEnv) scimToken(name string, ttl time.Duration) store.Token {
	e.t.Helper()
	_, tok, err := e.svc.CreateToken(context.Background(), "acme", name, ttl)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *expiryEnv) appToken(name string, ttl time.Duration) store.Token {
	e.t.Helper()
	now := e.c.now()
	tok := store.Token{ID: "tok_" + name, Kind: store.TokenApp, WorkspaceID: e.ws.ID, Name: name, Hash: []byte(name), Created: now, Expires: now.Add(ttl)}
	if err := e.st.CreateToken(context.Background(), tok); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// announced is a token.expiring event as a test compares it.
type announced struct {
	Name     string
	Within   string
	DaysLeft int
}

// check runs a check at the clock's time and returns the token.expiring
// events appended since the last look.
func (e *expiryEnv) check(st store.Store) []announced {
	e.t.Helper()
	n := &tenant.ExpiryNotifier{Store: st, Now: e.c.now}
	count, err := n.Check(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	got := e.announcements()
	if count != len(got) {
		e.t.Errorf("Check reported %d announcements, the outbox has %d", count, len(got))
	}
	return got
}

func (e *expiryEnv) announcements() []announced {
	e.t.Helper()
	evs, err := e.st.Events(context.Background(), e.ws.ID, e.seen, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var got []announced
	for _, ev := range evs {
		e.seen = ev.Seq
		if ev.Type != eventtype.TokenExpiring {
			continue
		}
		var d struct {
			Token struct {
				ID, Name, Kind string
				Expires        *time.Time
			}
			Within   string
			DaysLeft *int
		}
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.DaysLeft == nil || d.Token.Expires == nil || d.Token.ID != ev.Subject || d.Token.Kind == "" {
			e.t.Fatalf("token.expiring event %s: %v", ev.Data, err)
		}
		got = append(got, announced{d.Token.Name, d.Within, *d.DaysLeft})
	}
	return got
}

func TestExpiryNotifier(t *testing.T) {
	ctx := context.Background()
	e := newExpiryEnv(t)
	e.scimToken("okta", 5*day) // created within 7 days: one 7d event
	e.scimToken("entra", 20*day)
	e.scimToken("yearly", 365*day)
	e.scimToken("forever", -1)
	e.appToken("app", 40*day)
	revoked := e.scimToken("revoked", 3*day)
	if _, err := e.svc.RevokeToken(ctx, "acme", revoked.ID); err != nil {
		t.Fatal(err)
	}
	rotated := e.scimToken("rotated", 25*day)
	// A rotation's overlap is announced by token.rotated.
	if _, _, _, err := e.svc.RotateToken(ctx, "acme", rotated.ID, 2*day, time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.announcements() // creations, revocation, rotation

	start := e.c.now()
	steps := []struct {
		at     time.Duration // since the start
		reopen bool          // check from another store on the database, as after a restart
		want   []announced
	}{
		{0, false, []announced{{"okta", "7d", 5}, {"entra", "30d", 20}, {"rotated", "30d", 25}}},
		{0, false, nil},
		{0, true, nil},
		{time.Hour, false, nil},
		{10*day + time.Hour, false, []announced{{"app", "30d", 29}}},
		{14*day + time.Hour, false, []announced{{"entra", "7d", 5}}},
		{18*day + time.Hour, true, []announced{{"rotated", "7d", 6}}},
		{23 * day, false, nil},
		{33*day + time.Hour, false, []announced{{"app", "7d", 6}}},
		{100 * day, false, nil},
		{335*day + time.Hour, false, []announced{{"yearly", "30d", 29}}},
		{358*day + time.Hour, false, []announced{{"yearly", "7d", 6}}},
		{400 * day, false, nil},
	}
	for _, s := range steps {
		e.c.set(start.Add(s.at))
		st := e.st
		if s.reopen {
			st = e.open()
		}
		if got := e.check(st); !reflect.DeepEqual(got, s.want) {
			t.Errorf("after %v: announced %+v, want %+v", s.at, got, s.want)
		}
	}
}

// A token whose expiry moves away past a threshold is announced again
// when it comes back within it; one whose expiry stays within it is not.
func TestExpiryNotifierAfterNewExpiry(t *testing.T) {
	ctx := context.Background()
	e := newExpiryEnv(t)
	tok := e.scimToken("okta", 20*day)
	steps := []struct {
		expires time.Duration // from now; 0: unchanged; < 0: never
		want    []announced
	}{
		{0, []announced{{"okta", "30d", 20}}},
		{25 * day, nil}, // still within 30 days
		{60 * day, nil},
		{29 * day, []announced{{"okta", "30d", 29}}}, // back within 30 days
		{6 * day, []announced{{"okta", "7d", 6}}},
		{10 * day, nil}, // beyond 7 days again, but still within 30
		{5 * day, []announced{{"okta", "7d", 5}}},
		{-1, nil},
		{3 * day, []announced{{"okta", "7d", 3}}},
	}
	for _, s := range steps {
		var exp time.Time
		switch {
		case s.expires == 0:
			exp = tok.Expires
		case s.expires > 0:
			exp = e.c.now().Add(s.expires)
		}
		if err := e.st.SetTokenExpiry(ctx, tok.ID, exp); err != nil {
			t.Fatal(err)
		}
		if got := e.check(e.st); !reflect.DeepEqual(got, s.want) {
			t.Errorf("expiring in %v: announced %+v, want %+v", s.expires, got, s.want)
		}
	}
}

// Run checks once at start, without waiting for the first interval.
func TestExpiryNotifierRun(t *testing.T) {
	e := newExpiryEnv(t)
	e.scimToken("okta", 3*day)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&tenant.ExpiryNotifier{Store: e.st, Now: e.c.now, Interval: time.Hour}).Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := e.announcements()
		if len(got) > 0 {
			if want := []announced{{"okta", "7d", 3}}; !reflect.DeepEqual(got, want) {
				t.Errorf("announced %+v, want %+v", got, want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("Run announced nothing at start")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
