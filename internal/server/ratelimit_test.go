package server_test

import (
	"net/http"
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
