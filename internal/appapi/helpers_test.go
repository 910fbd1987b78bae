package appapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/appapi"
	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// env is the application API over a fresh SQLite database with the
// workspace "acme", which has an app token and the user ada, on a clock
// the test sets.
type env struct {
	t       testing.TB
	ctx     context.Context
	st      store.Store
	hasher  *token.Hasher
	ten     *tenant.Service
	prov    *provision.Service
	iss     *access.Issuer
	h       *appapi.Handler
	counter *prometheus.CounterVec
	acme    store.Workspace
	app     string // acme's app token
	ada     string // a user of acme

	mu  sync.Mutex
	now time.Time
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "scimd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newEnvOn(t, st)
}

func newEnvOn(t testing.TB, st store.Store) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), st: st, hasher: token.NewHasher([]byte("0123456789abcdef0123456789abcdef")), now: time.Now()}
	e.ten = tenant.New(st, e.hasher, tenant.WithClock(e.clock))
	e.prov = provision.NewWithClock(st, e.clock)
	e.iss = access.NewIssuer(access.Config{Store: st, Hasher: e.hasher, Clock: e.clock})
	var err error
	if e.acme, err = e.ten.CreateWorkspace(e.ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if e.app, _, err = e.iss.CreateAppToken(e.ctx, e.acme.ID, "backend", time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.ada = e.user("ada@acme.test")
	e.counter = appapi.NewVerificationsCounter()
	e.h = appapi.New(appapi.Config{Store: st, Hasher: e.hasher, Clock: e.clock, Verifications: e.counter})
	t.Cleanup(func() { e.h.Close() })
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// user provisions a user of acme and returns its id.
func (e *env) user(userName string) string {
	e.t.Helper()
	r, err := e.prov.Create(e.ctx, e.workspace(), schema.UserType, map[string]any{"userName": userName, "active": true})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Resource.ID
}

// workspace returns acme as stored now.
func (e *env) workspace() *store.Workspace {
	e.t.Helper()
	w, err := e.st.WorkspaceByID(e.ctx, e.acme.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return &w
}

// patchUser applies SCIM PATCH operations to a user, as an identity
// provider would.
func (e *env) patchUser(id string, ops ...patch.Operation) {
	e.t.Helper()
	if _, err := e.prov.Patch(e.ctx, e.workspace(), schema.UserType, id, "", ops, false); err != nil {
		e.t.Fatal(err)
	}
}

// response is a recorded response.
type response struct {
	t      testing.TB
	status int
	header http.Header
	body   []byte
}

// do sends a request with acme's app token.
func (e *env) do(method, path, body string) *response {
	e.t.Helper()
	return e.doAs(e.app, method, path, body)
}

// doAs sends a request with the given bearer token ("" for none).
func (e *env) doAs(tok, method, path, body string) *response {
	e.t.Helper()
	req := httptest.NewRequest(method, "/v1/"+strings.TrimPrefix(path, "/"), strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return e.doRaw(req)
}

func (e *env) doRaw(req *http.Request) *response {
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return &response{t: e.t, status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// want checks the status and returns the decoded body.
func (r *response) want(status int) map[string]any {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		r.t.Fatalf("Content-Type %q", ct)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		r.t.Errorf("Cache-Control %q", cc)
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		r.t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// wantError checks that the response is an error with the status and
// code, and returns its message.
func (r *response) wantError(status int, code string) string {
	r.t.Helper()
	m := r.want(status)
	e, _ := m["error"].(map[string]any)
	if e == nil || e["code"] != code {
		r.t.Fatalf("error %v, want code %s; body: %s", m["error"], code, r.body)
	}
	msg, _ := e["message"].(string)
	if msg == "" {
		r.t.Fatalf("error without a message: %s", r.body)
	}
	return msg
}

// verify asks POST /v1/verify about a secret with acme's app token.
func (e *env) verify(secret string) map[string]any {
	e.t.Helper()
	b, _ := json.Marshal(map[string]string{"token": secret})
	return e.do("POST", "verify", string(b)).want(http.StatusOK)
}

// wantReason checks that a secret verifies as not valid, for the reason.
func (e *env) wantReason(secret, reason string) {
	e.t.Helper()
	r := e.verify(secret)
	if r["valid"] != false || r["reason"] != reason || len(r) != 2 {
		e.t.Fatalf("verify = %v, want {valid: false, reason: %s}", r, reason)
	}
}

func contains(t testing.TB, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%q does not contain %q", s, sub)
		}
	}
}
