package auth_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/pgtest"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// stores runs test on each backend, in parallel with other tests: SQLite,
// and PostgreSQL where the test database is reachable (see pgtest).
func stores(t *testing.T, test func(t *testing.T, st store.Store)) {
	t.Parallel()
	run := func(t *testing.T, st store.Store, err error) {
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		test(t, st)
	}
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "scimd.db"))
		run(t, st, err)
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(ctx, pgtest.URL(t))
		run(t, st, err)
	})
}

// env is an Authenticator over a store, with a workspace of its own
// and another, and the services that make and
// end tokens, all on a clock the test sets.
type env struct {
	t      *testing.T
	ctx    context.Context
	st     store.Store
	hasher *token.Hasher
	now    time.Time // the clock of everything in the env
	ten    *tenant.Service
	iss    *access.Issuer
	authn  *auth.Authenticator
	ws     store.Workspace // the tokens' workspace
	other  store.Workspace
}

func newEnv(t *testing.T, st store.Store) *env {
	t.Helper()
	h := token.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	e := &env{t: t, ctx: context.Background(), st: st, hasher: h, now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	// Only the test's goroutine reads the clock.
	clock := func() time.Time { return e.now }
	e.ten = tenant.New(st, h, tenant.WithClock(clock))
	e.iss = access.NewIssuer(access.Config{Store: st, Hasher: h, Clock: clock})
	e.authn = auth.New(auth.Config{Store: st, Hasher: h, Clock: clock})
	t.Cleanup(func() {
		if err := e.authn.Close(); err != nil {
			t.Error(err)
		}
	})
	// The envs of a test share its store.
	suffix := strings.ToLower(rand.Text()[:10])
	var err error
	if e.ws, err = e.ten.CreateWorkspace(e.ctx, "acme-"+suffix); err != nil {
		t.Fatal(err)
	}
	if e.other, err = e.ten.CreateWorkspace(e.ctx, "globex-"+suffix); err != nil {
		t.Fatal(err)
	}
	return e
}

// mint creates a token of a kind in the env's workspace (none for an
// admin token) that lives for ttl, or never with ttl 0.
func (e *env) mint(k auth.Kind, ttl time.Duration) (string, store.Token) {
	e.t.Helper()
	var (
		tok string
		rec store.Token
		err error
	)
	if ttl == 0 {
		ttl = -1 // tenant's "never"
	}
	switch k {
	case auth.SCIM:
		tok, rec, err = e.ten.CreateToken(e.ctx, e.ws.Slug, "t", ttl)
	case auth.Admin:
		tok, rec, err = e.ten.CreateAdminToken(e.ctx, "t", ttl)
	case auth.App:
		var expires time.Time
		if ttl > 0 {
			expires = e.now.Add(ttl)
		}
		tok, rec, err = e.iss.CreateAppToken(e.ctx, e.ws.ID, "t", expires)
	default:
		e.t.Fatalf("cannot mint a %s token", k)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return tok, rec
}

// forge returns a well-formed token of a kind that was never issued.
func (e *env) forge(k auth.Kind) string {
	e.t.Helper()
	if k == auth.Admin {
		tok, _ := e.hasher.MintAdmin()
		return tok
	}
	var tok string
	var err error
	if k == auth.SCIM {
		tok, _, err = e.hasher.Mint(e.ws.ID)
	} else {
		tok, _, err = e.hasher.MintKind(token.Kind(k), e.ws.ID)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// moved returns tok with the workspace it names replaced by the other
// workspace: what an identity provider of one workspace would send to
// reach another's.
func (e *env) moved(tok string) string {
	e.t.Helper()
	prefix := token.Prefix
	if !strings.HasPrefix(tok, prefix) {
		prefix = token.AppPrefix
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, prefix))
	ws, ok := id.Bytes(id.Workspace, e.other.ID)
	if err != nil || !ok {
		e.t.Fatalf("cannot move %q: %v", tok, err)
	}
	copy(raw, ws)
	moved := prefix + base64.RawURLEncoding.EncodeToString(raw)
	// The moved token must be well formed and name the other
	// workspace, or the test would not test what it says.
	got, err := token.Parse(moved)
	if prefix == token.AppPrefix {
		_, got, err = token.ParseKind(moved)
	}
	if err != nil || got != e.other.ID {
		e.t.Fatalf("moved token names %q (%v), want %q", got, err, e.other.ID)
	}
	return moved
}

// authenticate sends an Authorization header and returns the identity,
// or the Reason it was refused for and the kind it was presented as.
func (e *env) authenticate(header string, want auth.Kind) (*auth.Identity, auth.Reason, auth.Kind) {
	e.t.Helper()
	id, err := e.authn.Authenticate(e.ctx, header, want)
	var refused *auth.Error
	switch {
	case errors.As(err, &refused):
		if id != nil {
			e.t.Errorf("refused (%v) with an identity", refused.Reason)
		}
		return nil, refused.Reason, refused.Presented
	case err != nil:
		e.t.Fatalf("Authenticate: %v", err)
	case id == nil:
		e.t.Fatal("Authenticate returned neither an identity nor an error")
	}
	return id, 0, ""
}

var kinds = []auth.Kind{auth.SCIM, auth.App, auth.Admin}

// TestAuthenticate checks each kind of token through its life: good,
// unknown, of another workspace or kind, and then revoked, expired,
// rotated, or its workspace changed. A change is made after the token was
// accepted once, and so cached, and the clock does not move unless the
// case says so: only the store's change feed can make the next call
// refuse it.
func TestAuthenticate(t *testing.T) {
	type tc struct {
		name string
		// kinds the case is about; all if nil.
		kinds []auth.Kind
		// token returns the token to send; a fresh one that never
		// expires if nil.
		token func(e *env, k auth.Kind) (string, store.Token)
		// change, if set, runs after the token was accepted once.
		change func(e *env, rec store.Token)
		want   auth.Reason // 0: accepted
		// presented is the kind a refused token was taken for: the
		// kind wanted if "", none if noKind.
		presented auth.Kind
	}
	fresh := func(e *env, k auth.Kind) (string, store.Token) { return e.mint(k, 0) }
	forged := func(e *env, k auth.Kind) (string, store.Token) { return e.forge(k), store.Token{} }
	ofKind := func(other auth.Kind) func(e *env, k auth.Kind) (string, store.Token) {
		return func(e *env, k auth.Kind) (string, store.Token) { return e.forge(other), store.Token{} }
	}
	lives := func(ttl time.Duration) func(e *env, k auth.Kind) (string, store.Token) {
		return func(e *env, k auth.Kind) (string, store.Token) { return e.mint(k, ttl) }
	}
	literal := func(tok string) func(e *env, k auth.Kind) (string, store.Token) {
		return func(e *env, k auth.Kind) (string, store.Token) { return tok, store.Token{} }
	}
	wsScoped := []auth.Kind{auth.SCIM, auth.App}
	cases := []tc{
		{name: "valid", token: fresh},
		{name: "unknown", token: forged, want: auth.Invalid},
		{name: "revoked", change: func(e *env, rec store.Token) {
			if err := e.st.RevokeToken(e.ctx, rec.ID, e.now); err != nil {
				e.t.Fatal(err)
			}
		}, want: auth.Revoked},
		{name: "expired", token: lives(time.Hour), change: func(e *env, _ store.Token) {
			e.now = e.now.Add(time.Hour)
		}, want: auth.Expired},
		{name: "a second before expiry", token: lives(time.Hour), change: func(e *env, _ store.Token) {
			e.now = e.now.Add(time.Hour - time.Second)
		}},
		{name: "of another workspace", kinds: wsScoped, token: func(e *env, k auth.Kind) (string, store.Token) {
			tok, _ := e.mint(k, 0)
			return e.moved(tok), store.Token{}
		}, want: auth.Invalid},
		{name: "workspace deleted", kinds: wsScoped, change: func(e *env, _ store.Token) {
			if err := e.ten.DeleteWorkspace(e.ctx, e.ws.Slug); err != nil {
				e.t.Fatal(err)
			}
		}, want: auth.Invalid},
		{name: "SCIM disabled", kinds: []auth.Kind{auth.SCIM}, change: disableSCIM, want: auth.Disabled},
		{name: "SCIM disabled, not SCIM", kinds: []auth.Kind{auth.App}, change: disableSCIM},
		{name: "rotated with overlap, in it", kinds: []auth.Kind{auth.SCIM}, token: lives(30 * 24 * time.Hour), change: func(e *env, rec store.Token) {
			rotate(e, rec, time.Hour)
			e.now = e.now.Add(time.Hour - time.Second)
		}},
		{name: "rotated with overlap, after it", kinds: []auth.Kind{auth.SCIM}, token: lives(30 * 24 * time.Hour), change: func(e *env, rec store.Token) {
			rotate(e, rec, time.Hour)
			e.now = e.now.Add(time.Hour)
		}, want: auth.Expired},
		{name: "rotated without overlap", kinds: []auth.Kind{auth.SCIM}, change: func(e *env, rec store.Token) {
			rotate(e, rec, 0)
		}, want: auth.Revoked},
		{name: "a SCIM token", kinds: []auth.Kind{auth.App, auth.Admin}, token: ofKind(auth.SCIM), want: auth.Invalid, presented: auth.SCIM},
		{name: "an app token", kinds: []auth.Kind{auth.SCIM, auth.Admin}, token: ofKind(auth.App), want: auth.Invalid, presented: auth.App},
		{name: "an admin token", kinds: wsScoped, token: ofKind(auth.Admin), want: auth.Invalid, presented: auth.Admin},
		{name: "a user's API key", token: ofKind(auth.APIKey), want: auth.Invalid, presented: auth.APIKey},
		{name: "a user's session", token: ofKind(auth.Session), want: auth.Invalid, presented: auth.Session},
		{name: "a mangled SCIM token", token: literal("scim_nope"), want: auth.Invalid, presented: auth.SCIM},
		{name: "a mangled admin token", token: literal("scimd_admin_nope"), want: auth.Invalid, presented: auth.Admin},
		// A mangled app token is not known as one: only a token that
		// parses names its kind among those of package token.
		{name: "a mangled app token", token: literal("scimd_app_nope"), want: auth.Invalid, presented: noKind},
		{name: "no known form", token: literal("hunter2"), want: auth.Invalid, presented: noKind},
	}
	stores(t, func(t *testing.T, st store.Store) {
		for _, k := range kinds {
			for _, tt := range cases {
				if tt.kinds != nil && !slices.Contains(tt.kinds, k) {
					continue
				}
				t.Run(string(k)+"/"+tt.name, func(t *testing.T) {
					e := newEnv(t, st)
					mint := tt.token
					if mint == nil {
						mint = fresh
					}
					tok, rec := mint(e, k)
					header := "Bearer " + tok
					if tt.change != nil {
						if _, reason, _ := e.authenticate(header, k); reason != 0 {
							t.Fatalf("before the change: refused: %v", reason)
						}
						tt.change(e, rec)
					}
					id, reason, presented := e.authenticate(header, k)
					if reason != tt.want {
						t.Fatalf("reason %v, want %v", reason, tt.want)
					}
					if reason != 0 {
						want := cmp.Or(tt.presented, k)
						if want == noKind {
							want = ""
						}
						if presented != want {
							t.Errorf("presented as %q, want %q", presented, want)
						}
						return
					}
					wantWS := e.ws.Slug
					if k == auth.Admin {
						wantWS = ""
					}
					if id.Token.ID != rec.ID || string(id.Token.Kind) != string(k) || id.Workspace.Slug != wantWS {
						t.Errorf("identity: token %s of kind %s, workspace %q; want token %s of kind %s, workspace %q",
							id.Token.ID, id.Token.Kind, id.Workspace.Slug, rec.ID, k, wantWS)
					}
				})
			}
		}
	})
}

func disableSCIM(e *env, _ store.Token) {
	if _, err := e.ten.UpdateConfig(e.ctx, e.ws.Slug, func(c *store.WorkspaceConfig) error {
		c.SCIMEnabled = false
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

// rotate replaces a SCIM token, and checks that its successor works.
func rotate(e *env, rec store.Token, overlap time.Duration) {
	next, _, _, err := e.ten.RotateToken(e.ctx, e.ws.Slug, rec.ID, overlap, time.Time{})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, reason, _ := e.authenticate("Bearer "+next, auth.SCIM); reason != 0 {
		e.t.Errorf("the new token: refused: %v", reason)
	}
}

// noKind stands in a test case for a token of no kind known.
const noKind auth.Kind = "(none)"

// TestHeader checks the forms of the Authorization header: the scheme is
// case-insensitive (RFC 9110 §11.1), the token may have spaces around it,
// and anything but "Bearer", a space and a token is no bearer token.
func TestHeader(t *testing.T) {
	cases := []struct {
		name   string
		header string // %s is a good token
		want   auth.Reason
	}{
		{"canonical", "Bearer %s", 0},
		{"lower case", "bearer %s", 0},
		{"upper case", "BEARER %s", 0},
		{"mixed case", "bEaReR %s", 0},
		{"spaces around the token", "Bearer    %s   ", 0},
		{"missing", "", auth.Missing},
		{"scheme alone", "Bearer", auth.Missing},
		{"scheme and spaces", "Bearer   ", auth.Missing},
		{"no scheme", "%s", auth.Missing},
		{"another scheme", "Basic %s", auth.Missing},
		{"a tab for the space", "Bearer\t%s", auth.Missing},
		{"space before the scheme", " Bearer %s", auth.Missing},
		{"the scheme run into the token", "Bearer%s", auth.Missing},
		{"two tokens", "Bearer %s %[1]s", auth.Invalid},
	}
	stores(t, func(t *testing.T, st store.Store) {
		for _, k := range kinds {
			e := newEnv(t, st)
			tok, _ := e.mint(k, 0)
			for _, tt := range cases {
				t.Run(string(k)+"/"+tt.name, func(t *testing.T) {
					header := tt.header
					if strings.Contains(header, "%") {
						header = fmt.Sprintf(header, tok)
					}
					if _, reason, _ := e.authenticate(header, k); reason != tt.want {
						t.Errorf("%q: reason %v, want %v", header, reason, tt.want)
					}
				})
			}
		}
	})
}

// TestLastUse checks that one record holds when tokens of every kind were
// last used: the time of their last accepted use, not of a refused one.
func TestLastUse(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		e := newEnv(t, st)
		used := map[auth.Kind]store.Token{}
		headers := map[auth.Kind]string{}
		for _, k := range kinds {
			tok, rec := e.mint(k, time.Hour)
			used[k], headers[k] = rec, "Bearer "+tok
			if _, reason, _ := e.authenticate(headers[k], k); reason != 0 {
				t.Fatalf("%s: refused: %v", k, reason)
			}
		}
		at := e.now
		e.now = e.now.Add(time.Hour) // every token expires
		for _, k := range kinds {
			if _, reason, _ := e.authenticate(headers[k], k); reason != auth.Expired {
				t.Fatalf("%s: reason %v, want %v", k, reason, auth.Expired)
			}
		}
		if err := e.authn.LastUsed().Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		for k, rec := range used {
			got, err := st.TokenByID(e.ctx, rec.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.LastUsed.Equal(at) {
				t.Errorf("%s token last used %v, want %v", k, got.LastUsed, at)
			}
		}
	})
}

// TestStoreErrors checks that a store that cannot answer is not taken
// for a refusal: a surface answers 503 to it, not 401.
func TestStoreErrors(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		e := newEnv(t, st)
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		for _, k := range kinds {
			tok, _ := e.mint(k, 0)
			_, err := e.authn.Authenticate(ctx, "Bearer "+tok, k)
			var refused *auth.Error
			if errors.As(err, &refused) || !errors.Is(err, context.Canceled) {
				t.Errorf("%s: %v, want the context's error", k, err)
			}
		}
	})
}
