package server

import (
	"log/slog"
	"net/http"
	"testing"
	"time"
)

func TestRateLimiterEvictsIdle(t *testing.T) {
	// One request per 100 s, two at once.
	l := newRateLimiter(0.01, 2)
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for range 2 {
		if ok, _ := l.allow("a", t0); !ok {
			t.Fatal("refused within the burst")
		}
	}
	if ok, wait := l.allow("a", t0); ok || wait != 100*time.Second {
		t.Errorf("over the limit: %v, wait %v; want refused, 100s", ok, wait)
	}
	// A minute on, a's bucket is not full yet: it stays.
	l.allow("b", t0.Add(61*time.Second))
	if n := l.len(); n != 2 {
		t.Errorf("%d buckets after the first sweep, want 2", n)
	}
	// Once both have filled up, the next sweep drops them.
	l.allow("c", t0.Add(400*time.Second))
	if n := l.len(); n != 1 {
		t.Errorf("%d buckets after the second sweep, want 1", n)
	}
}

func TestRateLimiterOff(t *testing.T) {
	if l := newRateLimiter(0, 10); l != nil {
		t.Errorf("rate 0 made a limiter")
	}
	if l := newRateLimiter(5, 0); l.burst != 10 {
		t.Errorf("default burst %d, want 10", l.burst)
	}
}

// BenchmarkAccounting measures what the operation metrics and the rate
// limit add to an authenticated request (request.Wrap's are measured
// there).
func BenchmarkAccounting(b *testing.B) {
	s := &Server{cfg: DefaultConfig(), now: time.Now, log: slog.New(slog.DiscardHandler)}
	s.metrics = newMetrics(s)
	s.limiter = newRateLimiter(1e9, 0)
	e := &authEntry{}
	e.token.ID, e.workspace.Slug = "tok_1", "acme"
	r, _ := http.NewRequest("GET", "/scim/v2/Users/usr_1", nil)
	r.Pattern = "/scim/v2/Users/{id}"
	r.Header.Set("User-Agent", "Microsoft Azure AD SCIM provisioning")
	rec := &record{auth: e, action: "user.get"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.limiter.allow(e.token.ID, time.Now())
			s.metrics.observe(r, rec)
		}
	})
}

func TestIdPOf(t *testing.T) {
	for ua, want := range map[string]string{
		"Okta SCIM Client 1.0.0":               "okta",
		"Microsoft Azure AD SCIM provisioning": "entra",
		"OneLogin SCIM":                        "onelogin",
		"Google-Auto-Provisioning":             "google",
		"JumpCloud SCIM":                       "jumpcloud",
		"Keycloak/26.0":                        "keycloak",
		"curl/8.5.0":                           "other",
		"":                                     "other",
	} {
		if got := idpOf(ua); got != want {
			t.Errorf("idpOf(%q) = %q, want %q", ua, got, want)
		}
	}
}
