package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/appapi"
	"github.com/scimd/scimd/internal/front"
	"github.com/scimd/scimd/internal/request"
	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// env is a running server over a fresh SQLite database with one workspace
// ("acme") and a token for it.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	token string
	ten   *tenant.Service
	st    store.Store
	base  string // the SCIM base path
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvConfig(t, server.DefaultConfig())
}

func newEnvConfig(t *testing.T, cfg server.Config) *env {
	t.Helper()
	return newEnvWith(t, cfg, nil)
}

// newEnvWith is newEnvConfig with a hook that may change the configuration
// once the store is open.
func newEnvWith(t *testing.T, cfg server.Config, setup func(store.Store, *server.Config)) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "scimd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newEnvOn(t, st, cfg, setup)
}

// newEnvOn is newEnvWith on the store st.
func newEnvOn(t *testing.T, st store.Store, cfg server.Config, setup func(store.Store, *server.Config)) *env {
	t.Helper()
	ctx := context.Background()
	h := token.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	ten := tenant.New(st, h)
	if _, err := ten.CreateWorkspace(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	tok, _, err := ten.CreateToken(ctx, "acme", "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(st, &cfg)
	}
	handler := server.New(cfg, st, h, nil)
	t.Cleanup(func() { handler.Close() })
	srv := httptest.NewServer(rootHandler(t, handler, st, h, nil))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, token: tok, ten: ten, st: st, base: handler.BasePath()}
}

// rootHandler is what scimd serve answers with: the SCIM server beside
// the application API, with the process's request log, ids, recovery and
// metrics around them.
func rootHandler(t testing.TB, s *server.Server, st store.Store, h *token.Hasher, log *slog.Logger) http.Handler {
	t.Helper()
	app := appapi.New(appapi.Config{Store: st, Hasher: h, Log: log})
	t.Cleanup(func() { app.Close() })
	m := request.NewMetrics()
	if err := s.Registerer().Register(m); err != nil {
		t.Fatal(err)
	}
	root, err := front.New(front.Config{SCIM: s, App: app, Log: log, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// newToken creates another workspace and returns a token for it.
func (e *env) newWorkspace(slug string) string {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.ten.CreateWorkspace(ctx, slug); err != nil {
		e.t.Fatal(err)
	}
	tok, _, err := e.ten.CreateToken(ctx, slug, "test", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// str returns a string at a dotted path of the body, e.g. "meta.version".
func (r response) str(path string) string {
	var v any = r.body
	for _, k := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

// list returns the Resources of a ListResponse.
func (r response) list() []map[string]any {
	var out []map[string]any
	rs, _ := r.body["Resources"].([]any)
	for _, x := range rs {
		out = append(out, x.(map[string]any))
	}
	return out
}

// do sends a request with the env's token. body may be nil, a string (sent
// as is) or any value (sent as JSON).
func (e *env) do(method, path string, body any, headers ...string) response {
	e.t.Helper()
	return e.doToken(e.token, method, path, body, headers...)
}

func (e *env) doToken(tok, method, path string, body any, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/scim+json" {
			e.t.Errorf("%s %s: Content-Type %q, want application/scim+json", method, path, ct)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&r.body); err != nil {
			e.t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, raw)
		}
	}
	return r
}

// must checks the status and returns the response.
func (e *env) must(status int, method, path string, body any, headers ...string) response {
	e.t.Helper()
	r := e.do(method, path, body, headers...)
	if r.status != status {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.status, status, r.raw)
	}
	return r
}

// wantError checks that r is a SCIM error with the status and scimType.
func wantError(t *testing.T, r response, status int, scimType string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.raw)
	}
	if got := r.body["status"]; got != strconv.Itoa(status) {
		t.Errorf("error status field %#v, want %q (a string)", got, strconv.Itoa(status))
	}
	if s, _ := r.body["schemas"].([]any); len(s) != 1 || s[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("error schemas %v", r.body["schemas"])
	}
	if got, _ := r.body["scimType"].(string); got != scimType {
		t.Errorf("scimType %q, want %q\n%s", got, scimType, r.raw)
	}
	if d, _ := r.body["detail"].(string); d == "" && status != http.StatusNotFound {
		t.Errorf("error without detail: %s", r.raw)
	}
}

func (e *env) createUser(userName string, extra map[string]any) response {
	e.t.Helper()
	body := map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": userName,
	}
	for k, v := range extra {
		body[k] = v
	}
	return e.must(http.StatusCreated, "POST", e.base+"/Users", body)
}

func (e *env) createGroup(name string, members ...string) response {
	e.t.Helper()
	ms := []any{}
	for _, m := range members {
		ms = append(ms, map[string]any{"value": m})
	}
	return e.must(http.StatusCreated, "POST", e.base+"/Groups", map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": name,
		"members":     ms,
	})
}
