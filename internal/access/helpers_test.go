package access_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// env is a fresh SQLite database with the workspace "acme", users
// provisioned as an identity provider would, and a Verifier and an
// Issuer on it, all on a clock the test sets.
type env struct {
	t      testing.TB
	ctx    context.Context
	st     store.Store
	hasher *token.Hasher
	ten    *tenant.Service
	prov   *provision.Service
	v      *access.Verifier
	iss    *access.Issuer
	ws     store.Workspace

	mu  sync.Mutex
	now time.Time
}

func newEnv(t testing.TB, opts ...func(*access.Config)) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "scimd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newEnvOn(t, st, opts...)
}

func newEnvOn(t testing.TB, st store.Store, opts ...func(*access.Config)) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), st: st, hasher: token.NewHasher(testSecret), now: time.Now()}
	e.ten = tenant.New(st, e.hasher, tenant.WithClock(e.clock))
	e.prov = provision.NewWithClock(st, e.clock)
	var err error
	if e.ws, err = e.ten.CreateWorkspace(e.ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	cfg := access.Config{Store: st, Hasher: e.hasher, Clock: e.clock}
	for _, o := range opts {
		o(&cfg)
	}
	e.v = access.NewVerifier(cfg)
	t.Cleanup(e.v.Close)
	waitLive(t, st)
	e.iss = access.NewIssuer(cfg)
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) set(now time.Time) {
	e.mu.Lock()
	e.now = now
	e.mu.Unlock()
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// workspace returns the workspace as stored now.
func (e *env) workspace(slug string) *store.Workspace {
	e.t.Helper()
	w, err := e.st.WorkspaceBySlug(e.ctx, slug)
	if err != nil {
		e.t.Fatal(err)
	}
	return &w
}

// configure changes acme's configuration.
func (e *env) configure(fn func(*store.WorkspaceConfig)) {
	e.t.Helper()
	if _, err := e.st.UpdateWorkspace(e.ctx, "acme", func(w *store.Workspace) error { fn(&w.Config); return nil }); err != nil {
		e.t.Fatal(err)
	}
}

// user provisions a user of acme and returns its id.
func (e *env) user(userName string) string {
	e.t.Helper()
	r, err := e.prov.Create(e.ctx, e.workspace("acme"), schema.UserType, map[string]any{
		"userName": userName, "displayName": "User " + userName, "active": true,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Resource.ID
}

// group provisions a group of acme with the given members.
func (e *env) group(name string, members ...string) string {
	e.t.Helper()
	var ms []any
	for _, m := range members {
		ms = append(ms, map[string]any{"value": m})
	}
	r, err := e.prov.Create(e.ctx, e.workspace("acme"), schema.GroupType, map[string]any{"displayName": name, "members": ms})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Resource.ID
}

// patch applies SCIM PATCH operations to a resource of acme, as an
// identity provider would.
func (e *env) patch(rt *schema.ResourceType, id string, ops ...patch.Operation) {
	e.t.Helper()
	if _, err := e.prov.Patch(e.ctx, e.workspace("acme"), rt, id, "", ops, false); err != nil {
		e.t.Fatal(err)
	}
}

// apiKey issues an API key to a user of acme.
func (e *env) apiKey(userID string) (string, store.Credential) {
	e.t.Helper()
	secret, c, err := e.iss.IssueAPIKey(e.ctx, e.ws.ID, userID, "ci", time.Time{})
	if err != nil {
		e.t.Fatal(err)
	}
	return secret, c
}

// session starts a session of a user of acme.
func (e *env) session(userID string) (string, store.Credential) {
	e.t.Helper()
	secret, c, err := e.iss.IssueSession(e.ctx, e.ws.ID, userID, "browser", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret, c
}

// verify verifies a secret and fails the test on an error.
func (e *env) verify(secret string) access.Result {
	e.t.Helper()
	r, err := e.v.Verify(e.ctx, secret)
	if err != nil {
		e.t.Fatalf("Verify: %v", err)
	}
	return r
}

// wantValid checks that a secret verifies and returns its user.
func (e *env) wantValid(secret string) *access.User {
	e.t.Helper()
	r := e.verify(secret)
	if !r.Valid || r.Reason != "" || r.User == nil {
		e.t.Fatalf("Verify = %+v, want valid", r)
	}
	return r.User
}

// wantReason checks that a secret is refused for the reason.
func (e *env) wantReason(secret, reason string) access.Result {
	e.t.Helper()
	r := e.verify(secret)
	if r.Valid || r.Reason != reason {
		e.t.Fatalf("Verify = valid %v, reason %q; want reason %q", r.Valid, r.Reason, reason)
	}
	return r
}

// waitLive waits until st watches for changes made elsewhere, and until
// every subscriber (the verifier among them) has had the reset that
// starts it, so that a test counting the verifier's reads of the store
// does not count those a late reset causes.
func waitLive(t testing.TB, st store.Store) {
	t.Helper()
	reset := make(chan struct{}, 1)
	unsubscribe := st.Subscribe(func(c store.Change) {
		if c.Kind == store.ChangeReset {
			select {
			case reset <- struct{}{}:
			default:
			}
		}
	})
	select {
	case <-reset:
	case <-time.After(10 * time.Second):
		t.Fatal("the store does not watch for changes after 10 s")
	}
	// Unsubscribing waits for the delivery under way to end.
	unsubscribe()
}
