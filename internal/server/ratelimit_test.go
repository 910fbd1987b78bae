package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/server"
)

func TestRateLimit(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.RateLimit, cfg.RateBurst = 1, 3
	e := newOpsEnv(t, cfg)
	other, _ := e.mint("acme", "other", 0)

	for range 3 {
		e.wantStatus("within the burst", e.token, http.StatusOK, "")
	}
	r := e.doToken(e.token, "GET", "/scim/v2/Users", nil)
	wantError(t, r, http.StatusTooManyRequests, "")
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	e.wantStatus("another token", other, http.StatusOK, "")
	e.wantStatus("no token", "", http.StatusUnauthorized, "")

	// One request a second refills the bucket.
	e.clock.advance(time.Second)
	e.wantStatus("a second later", e.token, http.StatusOK, "")
	e.wantStatus("then", e.token, http.StatusTooManyRequests, "")
	e.clock.advance(3 * time.Second)
	for range 3 {
		e.wantStatus("once refilled", e.token, http.StatusOK, "")
	}
	e.wantStatus("beyond the burst", e.token, http.StatusTooManyRequests, "")

	m := e.scrape()
	wantSample(t, m, `scimd_rate_limited_total{workspace="acme"}`, 3)
	wantSample(t, m, `scimd_http_requests_total{endpoint="/Users",method="GET",status="429"}`, 3)
	// Refused requests are not SCIM operations.
	wantSample(t, m, `scimd_scim_operations_total{action="user.list",idp="other",workspace="acme"}`, 8)
}

// TestRateLimitAdmitsInitialSync sends an identity provider's first sync
// all at once, as fast as the server answers, under the default burst:
// five minutes of the rate, here 30 requests at 0.1 a second, as the
// default 200 a second holds 60,000. The sync is admitted whole; a client
// that goes on is refused with Retry-After and held to the rate.
func TestRateLimitAdmitsInitialSync(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.RateLimit = 0.1
	e := newOpsEnv(t, cfg)

	// As Okta and Entra send it: each user looked up, then created; the
	// group created, then given its members a few at a time.
	var members []any
	for i := range 12 {
		name := fmt.Sprintf("user%d@example.com", i)
		r := e.must(http.StatusOK, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "`+name+`"`), nil)
		if n := fmt.Sprint(r.body["totalResults"]); n != "0" {
			t.Fatalf("lookup of %s: totalResults %v, want 0", name, n)
		}
		members = append(members, map[string]any{"value": e.createUser(name, nil).str("id")})
	}
	gid := e.createGroup("everyone").str("id")
	for batch := range slices.Chunk(members, 3) {
		e.must(http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+gid, map[string]any{
			"schemas":    []string{patchURN},
			"Operations": []any{map[string]any{"op": "add", "path": "members", "value": batch}},
		})
	}
	e.wantStatus("the sync's last request", e.token, http.StatusOK, "")

	r := e.doToken(e.token, "GET", "/scim/v2/Users", nil)
	wantError(t, r, http.StatusTooManyRequests, "")
	if got := r.header.Get("Retry-After"); got != "10" {
		t.Errorf("Retry-After %q, want 10 (seconds)", got)
	}
	e.clock.advance(10 * time.Second)
	e.wantStatus("when told", e.token, http.StatusOK, "")
	e.wantStatus("then", e.token, http.StatusTooManyRequests, "")
	wantSample(t, e.scrape(), `scimd_rate_limited_total{workspace="acme"}`, 2)
}

func TestRateLimitRetryAfter(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.RateLimit, cfg.RateBurst = 0.25, 1
	e := newOpsEnv(t, cfg)
	e.wantStatus("the first", e.token, http.StatusOK, "")
	e.clock.advance(time.Second)
	r := e.doToken(e.token, "GET", "/scim/v2/Users", nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "3" {
		t.Errorf("%d, Retry-After %q: want 429 and 3 (seconds)", r.status, r.header.Get("Retry-After"))
	}
	e.clock.advance(3 * time.Second)
	e.wantStatus("when told", e.token, http.StatusOK, "")
}

func TestRateLimitOff(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.RateLimit = 0
	e := newOpsEnv(t, cfg)
	for range 20 {
		e.wantStatus("without a limit", e.token, http.StatusOK, "")
	}
}
