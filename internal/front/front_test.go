package front_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/scimd/scimd/internal/admin"
	"github.com/scimd/scimd/internal/appapi"
	"github.com/scimd/scimd/internal/console"
	"github.com/scimd/scimd/internal/front"
	"github.com/scimd/scimd/internal/request"
	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// process is what scimd serve runs: SCIM, the application API, the admin
// API and the console, on one listener (or two, with an admin listener).
type process struct {
	t       *testing.T
	url     string // the main listener
	admin   string // the admin listener, if any
	token   string // a SCIM token of workspace acme
	logs    *syncBuffer
	metrics *request.Metrics
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newProcess starts the process's handlers with the SCIM base path; with
// adminListener, the admin API and console get a listener of their own.
// replace, if set, may replace the handlers of each listener.
func newProcess(t *testing.T, basePath string, adminListener bool, replace func(*front.Config)) *process {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "scimd.db"))
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
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	cfg := server.DefaultConfig()
	cfg.BasePath = basePath
	cfg.MetricsElsewhere = adminListener
	scim := server.New(cfg, st, h, log)
	t.Cleanup(func() { scim.Close() })
	app := appapi.New(appapi.Config{Store: st, Hasher: h, Log: log})
	t.Cleanup(func() { app.Close() })
	api := admin.New(admin.Config{Store: st, Hasher: h, Tenant: ten, Log: log})
	t.Cleanup(func() { api.Close() })
	con, err := console.New(console.Config{API: api, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	m := request.NewMetrics()
	if err := scim.Registerer().Register(m); err != nil {
		t.Fatal(err)
	}
	root := front.Config{SCIM: scim, App: app, Log: log, Metrics: m}
	adminRoot := front.Config{Admin: api, Console: con, MetricsHandler: scim.MetricsHandler(), Log: log, Metrics: m}
	if !adminListener {
		root.Admin, root.Console = api, con
	}
	if replace != nil {
		replace(&root)
		replace(&adminRoot)
	}
	p := &process{t: t, token: tok, logs: logs, metrics: m}
	p.url = serve(t, root)
	if adminListener {
		p.admin = serve(t, adminRoot)
	}
	return p
}

func serve(t *testing.T, cfg front.Config) string {
	t.Helper()
	h, err := front.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// noRedirects is a client that reports redirects rather than following
// them, as many identity providers do.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request with the SCIM token to url.
func (p *process) do(method, url, body string) response {
	p.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	json.Unmarshal(raw, &r.body)
	return r
}

// wantSCIMError checks that r is a SCIM error with the status.
func wantSCIMError(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status || r.header.Get("Content-Type") != "application/scim+json" || r.body["status"] != strconv.Itoa(status) {
		t.Errorf("%s: %d %s, want a SCIM error %d", what, r.status, r.raw, status)
	}
}

func TestBasePathUnderApplicationAPI(t *testing.T) {
	t.Parallel()
	p := newProcess(t, "/v1/auth/scim/v2", false, nil)
	base := p.url + "/v1/auth/scim/v2"
	user := p.do("POST", base+"/Users", `{"userName": "kim"}`)
	if user.status != http.StatusCreated {
		t.Fatalf("POST Users: %d %s", user.status, user.raw)
	}
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/Users/" + user.body["id"].(string), 200},
		{"GET", "/Users?filter=userName%20eq%20%22kim%22", 200},
		{"POST", "/Groups", 201},
		{"GET", "/Groups", 200},
		{"POST", "/.search", 200},
		{"POST", "/Bulk", 200},
		{"GET", "/ServiceProviderConfig", 200},
		{"GET", "/ResourceTypes", 200},
		{"GET", "/Schemas", 200},
		{"GET", "/Nope", 404},
	} {
		body := map[string]string{
			"/Groups":  `{"displayName": "Ops"}`,
			"/.search": `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}`,
			"/Bulk":    `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": []}`,
		}[tt.path]
		if tt.method == "GET" {
			body = ""
		}
		r := p.do(tt.method, base+tt.path, body)
		if r.status != tt.status || r.header.Get("Content-Type") != "application/scim+json" {
			t.Errorf("%s %s: %d (%s) %s, want %d from SCIM", tt.method, tt.path, r.status, r.header.Get("Content-Type"), r.raw, tt.status)
		}
	}
	// The application API still answers beside it, in its own language.
	r := p.do("POST", p.url+"/v1/verify", `{"token": "nonsense"}`)
	if r.status != http.StatusUnauthorized || r.body["error"] == nil {
		t.Errorf("POST /v1/verify: %d %s, want the application API's 401", r.status, r.raw)
	}
	r = p.do("GET", p.url+"/v1/nope", "")
	if r.status != http.StatusNotFound || r.body["error"] == nil {
		t.Errorf("GET /v1/nope: %d %s, want the application API's 404", r.status, r.raw)
	}
}

func TestBasePathCollisions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "scimd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := token.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	app := appapi.New(appapi.Config{Store: st, Hasher: h})
	t.Cleanup(func() { app.Close() })
	surface := http.NotFoundHandler()
	for _, tt := range []struct {
		base string
		want []string // in the error; nil: no error
	}{
		{"/scim/v2", nil},
		{"/", nil},
		{"/v1/auth/scim/v2", nil},
		{"/v1/scim", nil},
		{"/v1/verify/scim", nil},
		{"/admin-scim", nil},
		{"/v1", []string{"/v1", "application API"}},
		{"/v1/", []string{"/v1", "application API"}},
		{"/v1/verify", []string{"/v1/verify", "application API"}},
		{"/v1/workspaces", []string{"/v1/workspaces", "application API", "/v1/workspaces/{slug}/"}},
		{"/v1/workspaces/acme/users", []string{"/v1/workspaces/acme/users", "/v1/workspaces/{slug}/users/{id}/"}},
		{"/admin", []string{"/admin", "console"}},
		{"/admin/scim", []string{"/admin/scim", "console"}},
		{"/admin/v1/scim", []string{"/admin/v1/scim", "admin API"}},
	} {
		cfg := server.DefaultConfig()
		cfg.BasePath = tt.base
		scim := server.New(cfg, st, h, nil)
		_, err := front.New(front.Config{SCIM: scim, App: app, Admin: surface, Console: surface})
		scim.Close()
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("base path %s: %v", tt.base, err)
		case tt.want != nil && err == nil:
			t.Errorf("base path %s: no error", tt.base)
		case err != nil:
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("base path %s: error %q does not name %q", tt.base, err, w)
				}
			}
		}
	}
}

// Identity providers send /Users/ and, configured with a base URL ending
// in /, //Users: both reach /Users, with no redirect, which a POST cannot
// follow safely.
func TestPathsUnderBasePath(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"/scim/v2", "/v1/auth/scim/v2"} {
		p := newProcess(t, base, false, nil)
		for _, path := range []string{base + "/Users/", base + "//Users", "/" + base + "/Users", base + "//Users//"} {
			r := p.do("POST", p.url+path, `{"userName": "`+strings.ReplaceAll(path, "/", "-")+`"}`)
			if r.status != http.StatusCreated {
				t.Fatalf("POST %s: %d %s", path, r.status, r.raw)
			}
			id := r.body["id"].(string)
			for _, get := range []string{base + "/Users/" + id + "/", base + "//Users/" + id} {
				if r := p.do("GET", p.url+get, ""); r.status != http.StatusOK || r.body["id"] != id {
					t.Errorf("GET %s: %d %s", get, r.status, r.raw)
				}
			}
		}
		for _, path := range []string{base + "/Users/../Groups", base + "/./Users", base + "/Users/..", base + "/../v1/verify"} {
			wantSCIMError(t, "GET "+path, p.do("GET", p.url+path, ""), http.StatusNotFound)
		}
	}
}

// Every surface gets the request id, the log line, recovery from panics
// and the request metrics, on the main listener and the admin listener.
func TestMiddlewareOnEverySurface(t *testing.T) {
	t.Parallel()
	p := newProcess(t, "/scim/v2", true, nil)
	tests := []struct {
		url, method, path string
		status            int
		endpoint          string
	}{
		{p.url, "GET", "/scim/v2/Users", 200, "/Users"},
		{p.url, "POST", "/v1/verify", 401, "/v1/*"},
		{p.url, "GET", "/healthz", 200, "/healthz"},
		{p.admin, "GET", "/admin/v1/workspaces", 401, "/admin/v1/*"},
		{p.admin, "GET", "/admin/", 303, "/admin/*"},
		{p.admin, "GET", "/metrics", 200, "/metrics"},
	}
	for _, tt := range tests {
		method := tt.method
		req, _ := http.NewRequest(method, tt.url+tt.path, nil)
		req.Header.Set("X-Request-Id", "req-"+tt.path)
		if !strings.HasPrefix(tt.path, "/admin") {
			req.Header.Set("Authorization", "Bearer "+p.token)
		}
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: %d, want %d", method, tt.path, resp.StatusCode, tt.status)
		}
		if got := resp.Header.Get("X-Request-Id"); got != "req-"+tt.path {
			t.Errorf("%s %s: X-Request-Id %q", method, tt.path, got)
		}
		line := "msg=request method=" + method + " path=" + tt.path + " status=" + strconv.Itoa(tt.status)
		if logs := p.logs.String(); !strings.Contains(logs, line) || !strings.Contains(logs, "request_id=req-"+tt.path) {
			t.Errorf("%s %s: no log line %q with its request id in\n%s", method, tt.path, line, logs)
		}
	}
	// The admin listener serves the metrics, with every request counted.
	metrics := p.do("GET", p.admin+"/metrics", "").raw
	for _, tt := range tests {
		line := fmt.Sprintf("scimd_http_requests_total{endpoint=%q,method=%q,status=\"%d\"} 1\n", tt.endpoint, tt.method, tt.status)
		if !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

func TestPanicsOnEverySurface(t *testing.T) {
	t.Parallel()
	panics := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	p := newProcess(t, "/scim/v2", true, func(cfg *front.Config) {
		if cfg.App != nil {
			cfg.App = panics
		}
		if cfg.Admin != nil {
			cfg.Admin = panics
		}
	})
	for _, url := range []string{p.url + "/v1/verify", p.admin + "/admin/v1/workspaces"} {
		r := p.do("POST", url, "")
		if r.status != http.StatusInternalServerError || r.header.Get("X-Request-Id") == "" {
			t.Errorf("POST %s: %d, X-Request-Id %q", url, r.status, r.header.Get("X-Request-Id"))
		}
		e, _ := r.body["error"].(map[string]any)
		if e["code"] != "internal" {
			t.Errorf("POST %s: body %s, want the APIs' internal error", url, r.raw)
		}
	}
	if n := strings.Count(p.logs.String(), "msg=panic"); n != 2 {
		t.Errorf("%d panics logged, want 2:\n%s", n, p.logs.String())
	}
	// The process still serves.
	if r := p.do("GET", p.url+"/scim/v2/Users", ""); r.status != http.StatusOK {
		t.Errorf("after the panics, GET /scim/v2/Users: %d", r.status)
	}
}
