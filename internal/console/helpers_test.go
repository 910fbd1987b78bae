package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/admin"
	"github.com/scimd/scimd/internal/console"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// scimURL is what the console is told the SCIM endpoints' base URL is.
const scimURL = "https://scim.example.com/scim/v2"

// env is the console and the admin API, mounted as scimd serve mounts
// them, on a test server over a fresh SQLite database with one workspace
// ("acme") that has one SCIM token, and an admin token. Its client keeps
// cookies like a browser and does not follow redirects, so that tests
// see them.
type env struct {
	t       testing.TB
	ctx     context.Context
	st      *sqlite.Store
	ten     *tenant.Service
	srv     *httptest.Server
	handler http.Handler // what srv serves
	client  *http.Client
	now     atomic.Int64 // the clock of the console, the API and the tenant service, in Unix nanoseconds
	admin   string       // admin token
	adminID string
	scim    string // SCIM token of acme
	scimID  string
	acmeID  string
}

func newEnv(t testing.TB) *env { return newEnvTLS(t, false) }

func newEnvTLS(t testing.TB, tls bool) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "scimd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, ctx: ctx, st: st}
	e.now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, e.now.Load()) }
	hasher := token.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	e.ten = tenant.New(st, hasher, tenant.WithClock(clock))
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

	api := admin.New(admin.Config{Store: st, Hasher: hasher, Tenant: e.ten, Clock: clock})
	t.Cleanup(func() { api.Close() })
	con, err := console.New(console.Config{API: api, Key: hasher.Key("console session"), SCIMURL: scimURL, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(admin.Prefix+"/", api)
	mux.Handle(console.Prefix, con)
	e.handler = mux
	if tls {
		e.srv = httptest.NewTLSServer(mux)
	} else {
		e.srv = httptest.NewServer(mux)
	}
	t.Cleanup(e.srv.Close)
	jar, _ := cookiejar.New(nil)
	e.client = &http.Client{
		Transport:     e.srv.Client().Transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return e
}

// otherBrowser returns an env on the same console with a cookie jar of
// its own, as a second browser is.
func (e *env) otherBrowser() *env {
	jar, _ := cookiejar.New(nil)
	o := &env{t: e.t, ctx: e.ctx, st: e.st, ten: e.ten, srv: e.srv, handler: e.handler, admin: e.admin, adminID: e.adminID, scim: e.scim, scimID: e.scimID, acmeID: e.acmeID}
	o.client = &http.Client{Transport: e.client.Transport, Jar: jar, CheckRedirect: e.client.CheckRedirect}
	return o
}

// advance moves the clock on.
func (e *env) advance(d time.Duration) { e.now.Add(int64(d)) }

// page is a response of the console.
type page struct {
	t      testing.TB
	method string
	path   string
	status int
	header http.Header
	body   string
}

// do sends a request with the client's cookies.
func (e *env) do(req *http.Request) *page {
	e.t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &page{t: e.t, method: req.Method, path: req.URL.RequestURI(), status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (e *env) get(path string) *page {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(req)
}

// post sends a form as a browser does from the console's own pages.
func (e *env) post(path string, form url.Values) *page {
	e.t.Helper()
	return e.postWith(path, form, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {e.srv.URL}})
}

// postWith sends a form with the given headers.
func (e *env) postWith(path string, form url.Values, h http.Header) *page {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req)
}

// signIn signs in with the admin token.
func (e *env) signIn() {
	e.t.Helper()
	e.post("/admin/login", url.Values{"token": {e.admin}}).redirects("/admin/")
}

// want checks the status of the response.
func (p *page) want(status int) *page {
	p.t.Helper()
	if p.status != status {
		p.t.Fatalf("%s %s: status %d, want %d; body:\n%s", p.method, p.path, p.status, status, p.body)
	}
	return p
}

// redirects checks that the response sends the browser to path.
func (p *page) redirects(path string) *page {
	p.t.Helper()
	if p.status != http.StatusSeeOther || p.header.Get("Location") != path {
		p.t.Fatalf("%s %s: status %d to %q, want 303 to %q; body:\n%s", p.method, p.path, p.status, p.header.Get("Location"), path, p.body)
	}
	return p
}

// has checks that the body contains every string.
func (p *page) has(subs ...string) *page {
	p.t.Helper()
	for _, s := range subs {
		if !strings.Contains(p.body, s) {
			p.t.Errorf("%s %s: the page does not contain %q; body:\n%s", p.method, p.path, s, p.body)
		}
	}
	return p
}

// lacks checks that the body contains none of the strings.
func (p *page) lacks(subs ...string) *page {
	p.t.Helper()
	for _, s := range subs {
		if strings.Contains(p.body, s) {
			p.t.Errorf("%s %s: the page contains %q; body:\n%s", p.method, p.path, s, p.body)
		}
	}
	return p
}

// follow gets the page a redirect sends the browser to.
func (e *env) follow(p *page) *page {
	e.t.Helper()
	if p.status != http.StatusSeeOther {
		e.t.Fatalf("%s %s: status %d, want a redirect; body:\n%s", p.method, p.path, p.status, p.body)
	}
	return e.get(p.header.Get("Location"))
}

// api calls the admin API directly, with the admin token, and returns
// the status and the decoded body.
func (e *env) api(method, path, body string) (int, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+admin.Prefix+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.admin)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if b, _ := io.ReadAll(resp.Body); len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode, m
}

// apiOK calls the admin API and wants 200.
func (e *env) apiOK(path string) map[string]any {
	e.t.Helper()
	status, m := e.api("GET", path, "")
	if status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %v", path, status, m)
	}
	return m
}

// audited returns the newest admin audit entry of an action, as the API
// reports it, and checks that the console's operator made it.
func (e *env) audited(action string) map[string]any {
	e.t.Helper()
	entries := e.apiOK("/audit?channel=admin&limit=1&action=" + url.QueryEscape(action))["entries"].([]any)
	if len(entries) == 0 {
		e.t.Fatalf("no audit entry %s", action)
	}
	a := entries[0].(map[string]any)
	if a["actor"] != "admin_token:"+e.adminID {
		e.t.Errorf("audit entry %s: actor %v, want admin_token:%s", action, a["actor"], e.adminID)
	}
	return a
}

// auditCount counts the admin audit entries of an action.
func (e *env) auditCount(action string) int {
	e.t.Helper()
	return len(e.apiOK("/audit?channel=admin&action=" + url.QueryEscape(action))["entries"].([]any))
}

// find returns the element of a list of the API whose key has the value.
func find(list any, key, value string) map[string]any {
	for _, x := range list.([]any) {
		if m := x.(map[string]any); m[key] == value {
			return m
		}
	}
	return nil
}

// jsonText is v as compact JSON, as the console's form shows it: without
// HTML escapes.
func jsonText(e *env, v any) string {
	e.t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		e.t.Fatal(err)
	}
	return strings.TrimSpace(b.String())
}
