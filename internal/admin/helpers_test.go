package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// env is the admin API over a fresh SQLite database with one workspace
// ("acme") that has one SCIM token, and an admin token.
type env struct {
	t       *testing.T
	st      *sqlite.Store
	hasher  *token.Hasher
	ten     *tenant.Service
	h       *Handler
	now     time.Time // the clock of the handler and the tenant service
	admin   string    // admin token
	adminID string
	scim    string // SCIM token of acme
	scimID  string
	acmeID  string
	ctx     context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "scimd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, hasher: token.NewHasher([]byte("0123456789abcdef0123456789abcdef")), now: time.Now(), ctx: ctx}
	clock := func() time.Time { return e.now }
	e.ten = tenant.New(st, e.hasher, tenant.WithClock(clock))
	w, err := e.ten.CreateWorkspace(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	e.acmeID = w.ID
	var tk store.Token
	if e.scim, tk, err = e.ten.CreateToken(ctx, "acme", "okta", 0); err != nil {
		t.Fatal(err)
	}
	e.scimID = tk.ID
	if e.admin, tk, err = e.ten.CreateAdminToken(ctx, "ops", 0); err != nil {
		t.Fatal(err)
	}
	e.adminID = tk.ID
	e.h = New(Config{Store: st, Hasher: e.hasher, Tenant: e.ten, Clock: clock})
	t.Cleanup(func() { e.h.Close() })
	return e
}

// response is a recorded response.
type response struct {
	t      *testing.T
	status int
	header http.Header
	body   []byte
}

// do sends a request with the admin token.
func (e *env) do(method, path, body string) *response {
	e.t.Helper()
	return e.doAs(e.admin, method, path, body)
}

// doAs sends a request with the given bearer token ("" for none).
func (e *env) doAs(tok, method, path, body string) *response {
	e.t.Helper()
	if !strings.HasPrefix(path, "/") {
		path = Prefix + "/" + path
	}
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return e.doRaw(req)
}

// doRaw sends a request as it is.
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
	if len(r.body) == 0 {
		return nil
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		r.t.Fatalf("Content-Type %q", ct)
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

// audit returns the admin audit entries with the given action, newest
// first.
func (e *env) audit(action string) []store.AuditEntry {
	e.t.Helper()
	p, err := e.st.QueryAudit(e.ctx, store.AuditQuery{Channel: "admin", Action: action})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Entries
}

// payload decodes an audit entry's payload.
func payload(t *testing.T, a store.AuditEntry) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.Payload, &m); err != nil {
		t.Fatalf("payload %s: %v", a.Payload, err)
	}
	return m
}

func contains(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%q does not contain %q", s, sub)
		}
	}
}
