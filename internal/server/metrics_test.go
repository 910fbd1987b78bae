package server_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// newOpsEnv is a tokenEnv with the configuration given, auditing every
// request.
func newOpsEnv(t *testing.T, cfg server.Config) *tokenEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "scimd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	h := token.NewHasher(testSecret)
	ten := tenant.New(st, h, tenant.WithClock(clock.now))
	if _, err := ten.CreateWorkspace(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	tok, _, err := ten.CreateToken(ctx, "acme", "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	aw := audit.NewWriter(st, audit.Config{})
	t.Cleanup(func() { aw.Close(context.Background()) })
	cfg.Clock = clock.now
	cfg.Audit, cfg.AuditReads = aw, true
	handler := server.New(cfg, st, h, nil)
	t.Cleanup(func() { handler.Close() })
	srv := httptest.NewServer(rootHandler(t, handler, st, h, nil))
	t.Cleanup(srv.Close)
	return &tokenEnv{env: &env{t: t, srv: srv, token: tok, ten: ten, st: st, base: handler.BasePath()}, clock: clock, st: st, hasher: h, server: handler}
}

// scrape fetches /metrics and returns its samples by series, as written:
// name{label="value",...} with the labels in name order.
func (e *env) scrape() map[string]float64 {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		e.t.Fatalf("GET /metrics: %d\n%s", resp.StatusCode, b)
	}
	samples := make(map[string]float64)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			e.t.Fatalf("metrics line %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		e.t.Fatal(err)
	}
	return samples
}

func wantSample(t *testing.T, samples map[string]float64, series string, want float64) {
	t.Helper()
	got, ok := samples[series]
	if !ok {
		t.Errorf("no series %s", series)
		return
	}
	if got != want {
		t.Errorf("%s = %v, want %v", series, got, want)
	}
}

func TestMetrics(t *testing.T) {
	e := newOpsEnv(t, server.DefaultConfig())
	okta := []string{"User-Agent", "Okta SCIM Client 1.0.0"}
	id := e.must(http.StatusCreated, "POST", "/scim/v2/Users", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "ada@example.com",
	}, okta...).str("id")
	e.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, nil, okta...)
	e.must(http.StatusNotFound, "GET", "/scim/v2/Users/usr_missing", nil, okta...)
	e.must(http.StatusOK, "GET", "/scim/v2/Users?filter="+q(`userName eq "ada@example.com"`), nil,
		"User-Agent", "Microsoft Azure AD SCIM provisioning")
	e.must(http.StatusNotFound, "GET", "/scim/v2/Nothing/here", nil)
	e.must(http.StatusMethodNotAllowed, "BREW", "/scim/v2/Users/"+id, nil)
	if r, err := http.Get(e.srv.URL + "/healthz"); err != nil {
		t.Fatal(err)
	} else {
		r.Body.Close()
	}

	m := e.scrape()
	for series, want := range map[string]float64{
		`scimd_http_requests_total{endpoint="/Users",method="POST",status="201"}`:        1,
		`scimd_http_requests_total{endpoint="/Users/{id}",method="GET",status="200"}`:    1,
		`scimd_http_requests_total{endpoint="/Users/{id}",method="GET",status="404"}`:    1,
		`scimd_http_requests_total{endpoint="/Users",method="GET",status="200"}`:         1,
		`scimd_http_requests_total{endpoint="unmatched",method="GET",status="404"}`:      1,
		`scimd_http_requests_total{endpoint="/Users/{id}",method="other",status="405"}`:  1,
		`scimd_http_requests_total{endpoint="/healthz",method="GET",status="200"}`:       1,
		`scimd_http_request_duration_seconds_count{endpoint="/Users/{id}",method="GET"}`: 2,
		`scimd_scim_operations_total{action="user.create",idp="okta",workspace="acme"}`:  1,
		`scimd_scim_operations_total{action="user.get",idp="okta",workspace="acme"}`:     2,
		`scimd_scim_operations_total{action="user.list",idp="entra",workspace="acme"}`:   1,
		`scimd_scim_operations_total{action="other",idp="other",workspace="acme"}`:       1,
	} {
		wantSample(t, m, series, want)
	}
	for series := range m {
		if strings.Contains(series, id) || strings.Contains(series, "usr_missing") || strings.Contains(series, "Nothing") {
			t.Errorf("a label holds what the client sent: %s", series)
		}
	}
	for _, name := range []string{
		"scimd_audit_entries_written_total", "scimd_audit_entries_dropped_total",
		"scimd_audit_entries_failed_total", "scimd_audit_queue_length", "go_goroutines",
	} {
		if _, ok := m[name]; !ok {
			t.Errorf("no series %s", name)
		}
	}

	// The counters move with the next requests; the scrape itself counts
	// from the next scrape on.
	e.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, nil, okta...)
	deadline := time.Now().Add(5 * time.Second)
	for {
		m = e.scrape()
		if m["scimd_audit_entries_written_total"] >= 5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	wantSample(t, m, `scimd_http_requests_total{endpoint="/Users/{id}",method="GET",status="200"}`, 2)
	wantSample(t, m, `scimd_scim_operations_total{action="user.get",idp="okta",workspace="acme"}`, 3)
	if m[`scimd_http_requests_total{endpoint="/metrics",method="GET",status="200"}`] < 1 {
		t.Errorf("scrapes are not counted")
	}
	// Five requests audited by the writer: four authenticated before the
	// first scrape, one after. The create stored its entry itself.
	if got := m["scimd_audit_entries_written_total"]; got != 5 {
		t.Errorf("scimd_audit_entries_written_total = %v, want 5", got)
	}
}

func TestMetricsTokenExpiry(t *testing.T) {
	e := newOpsEnv(t, server.DefaultConfig())
	ctx := context.Background()
	if _, err := e.ten.CreateWorkspace(ctx, "beta"); err != nil {
		t.Fatal(err)
	}
	_, soon := e.mint("acme", "okta", 5*24*time.Hour)
	_, never := e.mint("acme", "forever", -1)
	_, revoked := e.mint("acme", "revoked", 2*24*time.Hour)
	if _, err := e.ten.RevokeToken(ctx, "acme", revoked.ID); err != nil {
		t.Fatal(err)
	}
	_, later := e.mint("beta", "entra", 20*24*time.Hour)

	m := e.scrape()
	wantSample(t, m, `scimd_token_expires_in_seconds{name="okta",token="`+soon.ID+`",workspace="acme"}`, 5*24*3600)
	wantSample(t, m, `scimd_token_expires_in_seconds{name="entra",token="`+later.ID+`",workspace="beta"}`, 20*24*3600)
	wantSample(t, m, `scimd_tokens_expiring{within="7d",workspace="acme"}`, 1)
	wantSample(t, m, `scimd_tokens_expiring{within="30d",workspace="acme"}`, 1)
	wantSample(t, m, `scimd_tokens_expiring{within="7d",workspace="beta"}`, 0)
	wantSample(t, m, `scimd_tokens_expiring{within="30d",workspace="beta"}`, 1)
	for series := range m {
		if strings.Contains(series, never.ID) || strings.Contains(series, revoked.ID) {
			t.Errorf("%s: only active tokens that expire are shown", series)
		}
	}

	// The listing is reused for a while; the time left is not.
	_, fresh := e.mint("acme", "fresh", time.Hour)
	e.clock.advance(10 * time.Second)
	m = e.scrape()
	wantSample(t, m, `scimd_token_expires_in_seconds{name="okta",token="`+soon.ID+`",workspace="acme"}`, 5*24*3600-10)
	if _, ok := m[`scimd_token_expires_in_seconds{name="fresh",token="`+fresh.ID+`",workspace="acme"}`]; ok {
		t.Errorf("the token listing was not reused")
	}
	e.clock.advance(30 * time.Second)
	m = e.scrape()
	wantSample(t, m, `scimd_token_expires_in_seconds{name="fresh",token="`+fresh.ID+`",workspace="acme"}`, 3600-40)
	wantSample(t, m, `scimd_tokens_expiring{within="7d",workspace="acme"}`, 2)
}

func TestMetricsTokenLastUsed(t *testing.T) {
	e := newOpsEnv(t, server.DefaultConfig())
	ctx := context.Background()
	_, used := e.mint("acme", "okta", -1) // never expires: still shown
	_, idle := e.mint("acme", "idle", 0)
	_, revoked := e.mint("acme", "revoked", 0)
	at := time.Date(2025, 5, 31, 8, 30, 0, 250e6, time.UTC)
	if err := e.st.TouchTokens(ctx, map[string]time.Time{used.ID: at, revoked.ID: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ten.RevokeToken(ctx, "acme", revoked.ID); err != nil {
		t.Fatal(err)
	}
	m := e.scrape()
	wantSample(t, m, `scimd_token_last_used_timestamp_seconds{name="okta",token="`+used.ID+`",workspace="acme"}`, float64(at.UnixMilli())/1000)
	for series := range m {
		if strings.HasPrefix(series, "scimd_token_last_used") && (strings.Contains(series, idle.ID) || strings.Contains(series, revoked.ID)) {
			t.Errorf("%s: only active tokens that were used are shown", series)
		}
	}
}
