package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/pgtest"
	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// fakeClock is a time source the test sets.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// tokenEnv is an env whose server and tenant service share a clock the
// test sets, over a store the test can reach.
type tokenEnv struct {
	*env
	clock  *fakeClock
	st     store.Store
	hasher *token.Hasher
	server *server.Server
}

func newTokenEnv(t *testing.T) *tokenEnv {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "scimd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newTokenEnvOn(t, st)
}

func newTokenEnvOn(t *testing.T, st store.Store) *tokenEnv {
	t.Helper()
	clock := &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	h := token.NewHasher(testSecret)
	ten := tenant.New(st, h, tenant.WithClock(clock.now))
	ctx := context.Background()
	if _, err := ten.CreateWorkspace(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	tok, _, err := ten.CreateToken(ctx, "acme", "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.Clock = clock.now
	handler := server.New(cfg, st, h, nil)
	t.Cleanup(func() { handler.Close() })
	srv := httptest.NewServer(rootHandler(t, handler, st, h, nil))
	t.Cleanup(srv.Close)
	return &tokenEnv{env: &env{t: t, srv: srv, token: tok, ten: ten, base: handler.BasePath()}, clock: clock, st: st, hasher: h, server: handler}
}

// mint creates another token of a workspace.
func (e *tokenEnv) mint(slug, name string, ttl time.Duration) (string, store.Token) {
	e.t.Helper()
	tok, rec, err := e.ten.CreateToken(context.Background(), slug, name, ttl)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok, rec
}

// status sends GET /Users with a token and returns the status and detail.
func (e *tokenEnv) status(tok string) (int, string) {
	e.t.Helper()
	r := e.doToken(tok, "GET", "/scim/v2/Users", nil)
	d, _ := r.body["detail"].(string)
	return r.status, d
}

func (e *tokenEnv) wantStatus(what, tok string, want int, detail string) {
	e.t.Helper()
	got, d := e.status(tok)
	if got != want || !strings.Contains(d, detail) {
		e.t.Errorf("%s: %d %q, want %d with %q", what, got, d, want, detail)
	}
}

func TestRevokedTokenRefusedAtOnce(t *testing.T) {
	e := newTokenEnv(t)
	other, _ := e.mint("acme", "other", 0)
	victim, rec := e.mint("acme", "victim", 0)
	// Both tokens are now cached.
	e.wantStatus("before revoking", victim, http.StatusOK, "")
	e.wantStatus("the other token", other, http.StatusOK, "")
	if _, err := e.ten.RevokeToken(context.Background(), "acme", rec.ID); err != nil {
		t.Fatal(err)
	}
	e.wantStatus("the next request", victim, http.StatusUnauthorized, "revoked")
	e.wantStatus("another token of the workspace", other, http.StatusOK, "")
}

func TestRotateWithOverlap(t *testing.T) {
	e := newTokenEnv(t)
	old, rec := e.mint("acme", "okta", 30*24*time.Hour)
	e.wantStatus("before rotating", old, http.StatusOK, "")
	next, nrec, orec, err := e.ten.RotateToken(context.Background(), "acme", rec.ID, time.Hour, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if nrec.Name != "okta" || nrec.ID == rec.ID || !nrec.Expires.Equal(e.clock.now().Add(30*24*time.Hour)) {
		t.Errorf("new token %+v: want the name and lifetime of the old", nrec)
	}
	if want := e.clock.now().Add(time.Hour); !orec.Expires.Equal(want) {
		t.Errorf("old token expires %v, want %v", orec.Expires, want)
	}
	e.wantStatus("old token within the overlap", old, http.StatusOK, "")
	e.wantStatus("new token", next, http.StatusOK, "")
	e.clock.advance(59 * time.Minute)
	e.wantStatus("old token at the end of the overlap", old, http.StatusOK, "")
	e.clock.advance(time.Minute)
	e.wantStatus("old token after the overlap", old, http.StatusUnauthorized, "expired")
	e.wantStatus("new token after the overlap", next, http.StatusOK, "")

	infos, err := e.ten.ListTokens(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, i := range infos {
		states[i.ID] = i.State
	}
	if states[rec.ID] != tenant.StateExpired || states[nrec.ID] != tenant.StateActive {
		t.Errorf("states after rotation: %v", states)
	}
}

func TestRotateWithoutOverlap(t *testing.T) {
	e := newTokenEnv(t)
	old, rec := e.mint("acme", "okta", -1)
	e.wantStatus("before rotating", old, http.StatusOK, "")
	next, nrec, _, err := e.ten.RotateToken(context.Background(), "acme", rec.ID, 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !nrec.Expires.IsZero() {
		t.Errorf("rotating a token that never expires made one that expires %v", nrec.Expires)
	}
	e.wantStatus("old token", old, http.StatusUnauthorized, "revoked")
	e.wantStatus("new token", next, http.StatusOK, "")
	if _, _, _, err := e.ten.RotateToken(context.Background(), "acme", rec.ID, 0, time.Time{}); err == nil {
		t.Error("rotated a revoked token")
	}
}

func TestExpiredToken(t *testing.T) {
	e := newTokenEnv(t)
	tok, _ := e.mint("acme", "short", time.Hour)
	e.wantStatus("fresh", tok, http.StatusOK, "")
	e.clock.advance(time.Hour - time.Second)
	e.wantStatus("about to expire", tok, http.StatusOK, "")
	e.clock.advance(time.Second)
	e.wantStatus("expired", tok, http.StatusUnauthorized, "expired")
}

func TestTokenOfAnotherWorkspace(t *testing.T) {
	e := newTokenEnv(t)
	tokB := e.newWorkspace("beta")
	idB := e.doToken(tokB, "POST", "/scim/v2/Users", map[string]any{"userName": "bob"}).str("id")
	e.createUser("alice", nil)
	for _, m := range []string{"GET", "DELETE"} {
		if r := e.do(m, "/scim/v2/Users/"+idB, nil); r.status != http.StatusNotFound {
			t.Errorf("%s another workspace's user: %d, want 404", m, r.status)
		}
	}
	if r := e.do("PUT", "/scim/v2/Users/"+idB, map[string]any{"userName": "mallory"}); r.status != http.StatusNotFound {
		t.Errorf("PUT another workspace's user: %d, want 404", r.status)
	}
	r := e.must(http.StatusOK, "GET", "/scim/v2/Users", nil)
	if l := r.list(); len(l) != 1 || l[0]["userName"] != "alice" {
		t.Errorf("listing shows %v, want only alice", l)
	}
	if r := e.doToken(tokB, "GET", "/scim/v2/Users/"+idB, nil); r.status != http.StatusOK {
		t.Errorf("the user in its own workspace: %d", r.status)
	}
}

func TestAdminTokenRefusedOnSCIM(t *testing.T) {
	e := newTokenEnv(t)
	adm, _, err := e.ten.CreateAdminToken(context.Background(), "ops", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(adm, token.AdminPrefix) {
		t.Errorf("admin token %q lacks its prefix", adm)
	}
	e.wantStatus("admin token", adm, http.StatusUnauthorized, "not valid")
}

func TestDeletedWorkspaceToken(t *testing.T) {
	e := newTokenEnv(t)
	tokB := e.newWorkspace("beta")
	e.wantStatus("before deleting", tokB, http.StatusOK, "")
	if err := e.ten.DeleteWorkspace(context.Background(), "beta"); err != nil {
		t.Fatal(err)
	}
	e.wantStatus("after deleting its workspace", tokB, http.StatusUnauthorized, "not valid")
	e.wantStatus("another workspace's token", e.token, http.StatusOK, "")
}

func TestSCIMDisabled(t *testing.T) {
	e := newTokenEnv(t)
	ctx := context.Background()
	e.wantStatus("enabled", e.token, http.StatusOK, "")
	if _, err := e.ten.SetConfig(ctx, "acme", "scimEnabled=false"); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/scim/v2/Users", nil)
	wantError(t, r, http.StatusForbidden, "")
	if d := r.str("detail"); !strings.Contains(d, `SCIM is disabled for workspace "acme"`) {
		t.Errorf("detail %q", d)
	}
	wantError(t, e.do("POST", "/scim/v2/Bulk", map[string]any{"Operations": []any{}}), http.StatusForbidden, "")
	// Discovery needs no token and stays open.
	e.must(http.StatusOK, "GET", "/scim/v2/ServiceProviderConfig", nil)
	if _, err := e.ten.SetConfig(ctx, "acme", "scimEnabled=true"); err != nil {
		t.Fatal(err)
	}
	e.wantStatus("enabled again", e.token, http.StatusOK, "")
}

func TestCreateUsersDisabled(t *testing.T) {
	e := newTokenEnv(t)
	ctx := context.Background()
	id := e.createUser("alice", nil).str("id")
	if _, err := e.ten.SetConfig(ctx, "acme", "createUsers=false"); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/scim/v2/Users", map[string]any{"userName": "bob"})
	wantError(t, r, http.StatusForbidden, "")
	if d := r.str("detail"); !strings.Contains(d, "creating users") || !strings.Contains(d, "createUsers") {
		t.Errorf("detail %q", d)
	}
	// Groups, and changes to existing users, still go through.
	e.createGroup("eng", id)
	e.must(http.StatusOK, "PUT", "/scim/v2/Users/"+id, map[string]any{"userName": "alice", "displayName": "Alice"})
	r = e.must(http.StatusOK, "POST", "/scim/v2/Bulk", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
		"Operations": []any{
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "u", "data": map[string]any{"userName": "carol"}},
			map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g", "data": map[string]any{"displayName": "ops"}},
		},
	})
	ops, _ := r.body["Operations"].([]any)
	if len(ops) != 2 || ops[0].(map[string]any)["status"] != "403" || ops[1].(map[string]any)["status"] != "201" {
		t.Errorf("bulk: %s", r.raw)
	}
	if _, err := e.ten.SetConfig(ctx, "acme", "createUsers=true"); err != nil {
		t.Fatal(err)
	}
	e.createUser("bob", nil)
}

func TestLastUsed(t *testing.T) {
	e := newTokenEnv(t)
	e.mint("acme", "idle", 0)
	used := e.clock.now()
	e.wantStatus("first use", e.token, http.StatusOK, "")
	e.clock.advance(time.Minute)
	e.wantStatus("last use", e.token, http.StatusOK, "")
	// Close writes what the server recorded.
	if err := e.server.Close(); err != nil {
		t.Fatal(err)
	}
	infos, err := e.ten.ListTokens(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range infos {
		switch i.Name {
		case "test":
			if !i.LastUsed.Equal(used.Add(time.Minute)) {
				t.Errorf("last used %v, want %v", i.LastUsed, used.Add(time.Minute))
			}
		case "idle":
			if !i.LastUsed.IsZero() {
				t.Errorf("an unused token was last used %v", i.LastUsed)
			}
		}
	}
}

// revokeElsewhere revokes the env's token through other, a store on the
// same database as the server's, as the command line or another replica
// would, and checks that the server refuses the token within a second.
func revokeElsewhere(t *testing.T, e *tokenEnv, other store.Store) {
	t.Helper()
	ctx := context.Background()
	e.wantStatus("before revoking", e.token, http.StatusOK, "")
	infos, err := e.ten.ListTokens(ctx, "acme")
	if err != nil || len(infos) != 1 {
		t.Fatalf("tokens: %v, %v", infos, err)
	}
	start := time.Now()
	if _, err := tenant.New(other, e.hasher).RevokeToken(ctx, "acme", infos[0].ID); err != nil {
		t.Fatal(err)
	}
	for {
		if st, _ := e.status(e.token); st == http.StatusUnauthorized {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("the token still works %v after it was revoked elsewhere", time.Since(start))
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("refused %v after the revocation elsewhere", time.Since(start).Round(time.Millisecond))
}

func TestRevokedFromAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scimd.db")
	open := func() store.Store {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	revokeElsewhere(t, newTokenEnvOn(t, open()), open())
}

func TestRevokedOnAnotherReplica(t *testing.T) {
	dbURL := tokenTestSchema(t)
	open := func() store.Store {
		st, err := postgres.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	revokeElsewhere(t, newTokenEnvOn(t, open()), open())
}

// tokenTestSchema returns the URL of an empty schema of the test database.
func tokenTestSchema(t *testing.T) string { return pgtest.URL(t) }
