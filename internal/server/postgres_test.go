package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scimd/scimd/internal/pgtest"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// pgSchema creates an empty schema in the test database and returns the
// database's connection string and the schema's name.
func pgSchema(t *testing.T) (base, name string) { return pgtest.Schema(t) }

// faultProxy forwards TCP connections to PostgreSQL and breaks them on
// demand, as a network or a database restart would.
type faultProxy struct {
	network, target string // PostgreSQL's address
	addr            string // the proxy's, the same across cut and up

	stalled atomic.Bool // forward nothing, in either direction

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]*atomic.Bool // whether bytes were dropped on it
	wg    sync.WaitGroup
}

func newFaultProxy(t *testing.T, network, target string) *faultProxy {
	p := &faultProxy{network: network, target: target, addr: "127.0.0.1:0", conns: map[net.Conn]*atomic.Bool{}}
	p.up(t)
	t.Cleanup(p.cut)
	return p
}

// up starts accepting connections, on the address of the last time if
// there was one, so that the database's URL stays the same.
func (p *faultProxy) up(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by cut
			}
			p.wg.Go(func() { p.forward(c) })
		}
	})
}

func (p *faultProxy) forward(client net.Conn) {
	lost := new(atomic.Bool)
	if !p.track(client, lost) {
		client.Close()
		return
	}
	defer p.untrack(client)
	server, err := net.DialTimeout(p.network, p.target, 5*time.Second)
	if err != nil {
		return
	}
	if !p.track(server, lost) {
		server.Close()
		return
	}
	defer p.untrack(server)
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client, lost); done <- struct{}{} }()
	go func() { p.pipe(client, server, lost); done <- struct{}{} }()
	<-done // either side closed: close both, which ends the other pipe
	client.Close()
	server.Close()
	<-done
}

// pipe copies src to dst, dropping what it reads while the proxy is
// stalled: to both ends the connection is then open but silent. It sets
// lost when it drops anything.
func (p *faultProxy) pipe(dst, src net.Conn, lost *atomic.Bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && p.stalled.Load() {
			lost.Store(true)
		} else if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// track records a connection so that cut and resume can close it; false
// if the proxy is down.
func (p *faultProxy) track(c net.Conn, lost *atomic.Bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return false
	}
	p.conns[c] = lost
	return true
}

func (p *faultProxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

// stall makes the proxy drop all it reads, as a network that loses every
// packet does.
func (p *faultProxy) stall() { p.stalled.Store(true) }

// resume forwards again, and closes the connections that lost bytes, as
// their peers would reset them when the network comes back: the protocol
// on them is out of step, and pgx, which waits up to 15s to deliver a
// cancel request on a connection it abandoned, would hold the pool's Close
// that long. Connections that were idle throughout stay open.
func (p *faultProxy) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled.Store(false)
	for c, lost := range p.conns {
		if lost.Load() {
			c.Close()
		}
	}
}

// cut closes the listener and every connection, so that connecting is
// refused and connections in use end.
func (p *faultProxy) cut() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// syncBuffer is a bytes.Buffer safe for concurrent writes, for logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// pgFaultEnv is a server over a PostgreSQL store reached through a
// faultProxy.
type pgFaultEnv struct {
	url    string // the server's
	token  string
	client *http.Client
}

type pgResult struct {
	status  int
	header  http.Header
	body    map[string]any
	elapsed time.Duration
	err     error
}

// send makes a request; safe for concurrent use, so it reports a failed
// round trip in the result rather than ending the test.
func (e *pgFaultEnv) send(method, path string, body any) pgResult {
	return e.sendToken(e.token, method, path, body)
}

func (e *pgFaultEnv) sendToken(tok, method, path string, body any) pgResult {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return pgResult{err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		return pgResult{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	start := time.Now()
	resp, err := e.client.Do(req)
	if err != nil {
		return pgResult{err: err, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	res := pgResult{status: resp.StatusCode, header: resp.Header, elapsed: time.Since(start), err: err}
	if len(raw) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &res.body); err != nil {
			res.err = err
		}
	}
	return res
}

// must makes a request that must answer want.
func (e *pgFaultEnv) must(t *testing.T, want int, method, path string, body any) pgResult {
	t.Helper()
	res := e.send(method, path, body)
	if res.err != nil || res.status != want {
		t.Fatalf("%s %s: %d %v %v; want %d", method, path, res.status, res.body, res.err, want)
	}
	return res
}

// TestDatabaseOutage runs a server on PostgreSQL through a proxy that is
// cut, then made silent: while the database cannot be reached every SCIM
// request must fail fast with a 503 SCIM error, never hang, panic or answer
// 500, and /readyz must fail; when it comes back on the same address the
// same server must serve again without a restart.
func TestDatabaseOutage(t *testing.T) {
	base, schemaName := pgSchema(t)
	cfg, err := pgconn.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	network, target := "tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	if strings.HasPrefix(cfg.Host, "/") {
		network, target = "unix", cfg.Host+"/.s.PGSQL."+strconv.Itoa(int(cfg.Port))
	}
	proxy := newFaultProxy(t, network, target)
	proxyHost, proxyPort, _ := net.SplitHostPort(proxy.addr)
	// connect_timeout bounds connecting to a silent proxy; later settings
	// win in the keyword/value form.
	dbURL := base + " host=" + proxyHost + " port=" + proxyPort + " connect_timeout=1 search_path=" + schemaName
	if u, err := url.Parse(base); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Host = proxy.addr
		q := u.Query()
		q.Del("host")
		q.Del("port")
		q.Set("connect_timeout", "1")
		q.Set("search_path", schemaName)
		u.RawQuery = q.Encode()
		dbURL = u.String()
	}

	ctx := context.Background()
	st, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := token.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	ten := tenant.New(st, h)
	if _, err := ten.CreateWorkspace(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	tok, _, err := ten.CreateToken(ctx, "acme", "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	// The server caches tokens it has checked; this one is used only while
	// the database is away, so that checking a token meets the outage too.
	unseen, _, err := ten.CreateToken(ctx, "acme", "unseen", 0)
	if err != nil {
		t.Fatal(err)
	}
	scfg := server.DefaultConfig()
	scfg.RequestTimeout = 2 * time.Second
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	handler := server.New(scfg, st, h, log)
	t.Cleanup(func() { handler.Close() })
	srv := httptest.NewServer(rootHandler(t, handler, st, h, log))
	t.Cleanup(srv.Close)
	e := &pgFaultEnv{
		url: srv.URL, token: tok,
		// A hung request fails the test rather than hanging it.
		client: &http.Client{Timeout: 20 * time.Second},
	}

	user := e.must(t, http.StatusCreated, "POST", "/scim/v2/Users", map[string]any{"userName": "ada"}).body["id"].(string)
	other := e.must(t, http.StatusCreated, "POST", "/scim/v2/Users", map[string]any{"userName": "grace"}).body["id"].(string)
	group := e.must(t, http.StatusCreated, "POST", "/scim/v2/Groups", map[string]any{"displayName": "eng"}).body["id"].(string)
	e.must(t, http.StatusOK, "GET", "/scim/v2/Users", nil)
	e.must(t, http.StatusOK, "GET", "/readyz", nil)

	type request struct {
		method, path string
		body         any
		token        string // if not the usual one
	}
	addMember := func(id string) map[string]any {
		return map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}}},
		}
	}
	requests := []request{
		{"GET", "/scim/v2/Users", nil, ""},
		{"GET", "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq "ada"`), nil, ""},
		{"GET", "/scim/v2/Users/" + user, nil, ""},
		{"GET", "/scim/v2/Groups/" + group, nil, ""},
		{"POST", "/scim/v2/Users", map[string]any{"userName": "linus"}, ""},
		{"PUT", "/scim/v2/Users/" + user, map[string]any{"userName": "ada", "displayName": "Ada"}, ""},
		{"PATCH", "/scim/v2/Groups/" + group, addMember(user), ""},
		{"DELETE", "/scim/v2/Users/" + other, nil, ""},
		{"POST", "/scim/v2/Users/.search", map[string]any{"filter": `userName sw "a"`}, ""},
		{"POST", "/scim/v2/Bulk", map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
			"Operations": []any{map[string]any{"method": "POST", "path": "/Users", "bulkId": "b", "data": map[string]any{"userName": "bulk"}}},
		}, ""},
		{"GET", "/readyz", nil, ""},
		{"GET", "/scim/v2/Users/" + user, nil, unseen},
	}

	// outage sends every request at once and checks each answer.
	outage := func(t *testing.T) {
		t.Helper()
		results := make([]pgResult, len(requests))
		var wg sync.WaitGroup
		for i, r := range requests {
			tok := e.token
			if r.token != "" {
				tok = r.token
			}
			wg.Go(func() { results[i] = e.sendToken(tok, r.method, r.path, r.body) })
		}
		healthz := e.send("GET", "/healthz", nil)
		wg.Wait()
		for i, r := range requests {
			res := results[i]
			what := r.method + " " + r.path
			if r.token != "" {
				what += " with a token not yet checked"
			}
			if res.err != nil {
				t.Errorf("%s: %v after %v", what, res.err, res.elapsed)
				continue
			}
			// RequestTimeout is 2s: an answer much later means something
			// waited on the database without the request's deadline.
			if res.elapsed > 5*time.Second {
				t.Errorf("%s: answered after %v", what, res.elapsed)
			}
			body := res.body
			if r.path == "/scim/v2/Users/"+user && r.token == "" && res.status == http.StatusOK {
				// Read before the outage, the user may be answered from
				// the server's cache as it was (docs/deployment.md).
				if body["id"] != user || body["userName"] != "ada" {
					t.Errorf("%s: 200 %v; want ada as she was, or 503", what, body)
				}
				continue
			}
			if strings.HasSuffix(r.path, "/Bulk") && res.status == http.StatusOK {
				// The token was known from before (the server caches
				// tokens), so the bulk request went through and its
				// operation failed.
				ops, _ := body["Operations"].([]any)
				if len(ops) != 1 {
					t.Errorf("%s: operations %v", what, body["Operations"])
					continue
				}
				op, _ := ops[0].(map[string]any)
				if op["status"] != "503" {
					t.Errorf("%s: operation status %v; want 503", what, op["status"])
				}
				body, _ = op["response"].(map[string]any)
			} else if res.status != http.StatusServiceUnavailable {
				t.Errorf("%s: %d %v; want 503", what, res.status, res.body)
				continue
			} else if ct := res.header.Get("Content-Type"); ct != "application/scim+json" {
				t.Errorf("%s: Content-Type %q", what, ct)
			}
			schemas, _ := body["schemas"].([]any)
			detail, _ := body["detail"].(string)
			if len(schemas) != 1 || schemas[0] != schema.ErrorURN || body["status"] != "503" || detail == "" {
				t.Errorf("%s: body %v; want a SCIM error with status 503", what, body)
			}
		}
		// Liveness is not readiness: an orchestrator must not restart a
		// replica that only waits for its database.
		if healthz.err != nil || healthz.status != http.StatusOK {
			t.Errorf("GET /healthz: %d %v; want 200", healthz.status, healthz.err)
		}
	}

	// recovered waits for the server to serve again, then checks that it
	// does so for reads and writes.
	recovered := func(t *testing.T) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			res := e.send("GET", "/scim/v2/Users", nil)
			if res.err == nil && res.status == http.StatusOK {
				break
			}
			if res.err != nil || res.status != http.StatusServiceUnavailable {
				t.Fatalf("while recovering: GET /scim/v2/Users: %d %v %v; want 200 or 503", res.status, res.body, res.err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("not serving 10s after the database came back: %d %v", res.status, res.body)
			}
			time.Sleep(100 * time.Millisecond)
		}
		e.must(t, http.StatusOK, "GET", "/readyz", nil)
		e.must(t, http.StatusOK, "GET", "/scim/v2/Users/"+user, nil)
		e.must(t, http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+group, addMember(user))
	}

	t.Run("cut", func(t *testing.T) {
		proxy.cut()
		outage(t)
		proxy.up(t)
		recovered(t)
	})
	t.Run("silent", func(t *testing.T) {
		proxy.stall()
		outage(t)
		proxy.resume()
		recovered(t)
	})

	// Nothing was created, changed or deleted while the database was away.
	res := e.must(t, http.StatusOK, "GET", "/scim/v2/Users?sortBy=userName", nil)
	if n := res.body["totalResults"]; n != 2.0 {
		t.Errorf("%v users after the outages, want 2 (ada, grace): %v", n, res.body["Resources"])
	}
	if l := logs.String(); strings.Contains(l, "panic") || strings.Contains(l, "status=500") {
		t.Error("the server panicked or answered 500")
	}
	if t.Failed() {
		t.Logf("server log:\n%s", logs.String())
	}
}

// envMaker makes an env with a configuration and a hook, as newEnvWith.
type envMaker func(t *testing.T, cfg server.Config, setup func(store.Store, *server.Config)) *env

// pgEnvWith is newEnvWith over an empty schema of the PostgreSQL test
// database.
func pgEnvWith(t *testing.T, cfg server.Config, setup func(store.Store, *server.Config)) *env {
	t.Helper()
	st, err := postgres.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newEnvOn(t, st, cfg, setup)
}

// onBothStores runs test with envs over SQLite and with envs over
// PostgreSQL, in parallel.
func onBothStores(t *testing.T, test func(t *testing.T, newEnv envMaker)) {
	t.Helper()
	for name, mk := range map[string]envMaker{"sqlite": newEnvWith, "postgres": pgEnvWith} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, mk)
		})
	}
}
