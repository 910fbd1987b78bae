package server

import (
	"log/slog"
	"math"
	"net/http"
	"testing"
	"time"
)

func TestRateLimiterEvictsIdle(t *testing.T) {
	// One request per 100 s, two at once.
	l := newRateLimiter(0.01, 2, tokenBurstWindow)
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
	if l := newRateLimiter(0, 10, tokenBurstWindow); l != nil {
		t.Errorf("rate 0 made a limiter")
	}
}

func TestRateLimiterDefaultBurst(t *testing.T) {
	for _, c := range []struct {
		perSecond float64
		burst     int
		window    time.Duration
		want      int
	}{
		{200, 0, tokenBurstWindow, 60000},
		{5, 0, authFailureBurstWindow, 10},
		{0.25, 0, authFailureBurstWindow, 1},
		{1e12, 0, tokenBurstWindow, math.MaxInt32},
		{200, 50, tokenBurstWindow, 50},
	} {
		if l := newRateLimiter(c.perSecond, c.burst, c.window); l.burst != c.want {
			t.Errorf("newRateLimiter(%g, %d, %v): burst %d, want %d", c.perSecond, c.burst, c.window, l.burst, c.want)
		}
	}
}

// TestDefaultRateLimitAdmitsInitialSync checks the default limit against
// an identity provider's first sync of 20,000 users and 500 groups of
// 50, sent as fast as the server answers: a lookup and a create a user, a
// create and five PATCHes of 10 members a group. It is admitted whole
// even if answered in no time; a client that keeps going is then held to
// the rate.
func TestDefaultRateLimitAdmitsInitialSync(t *testing.T) {
	cfg := DefaultConfig()
	l := newRateLimiter(cfg.RateLimit, cfg.RateBurst, tokenBurstWindow)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const sync = 2*20000 + 500*(1+5)
	for i := range sync {
		if ok, _ := l.allow("okta", now); !ok {
			t.Fatalf("request %d of the sync refused", i+1)
		}
	}
	// admitted sends requests until one is refused and returns how many
	// were admitted, and the refusal's wait.
	admitted := func() (int, time.Duration) {
		for n := 0; ; n++ {
			if ok, wait := l.allow("okta", now); !ok {
				return n, wait
			}
		}
	}
	if n, wait := admitted(); n != l.burst-sync || wait <= 0 || wait > time.Second {
		t.Errorf("after the sync, %d more admitted, then a wait of %v; want %d, then at most a second", n, wait, l.burst-sync)
	}
	// From then on, RateLimit requests a second.
	now = now.Add(10 * time.Second)
	if n, _ := admitted(); n != int(10*cfg.RateLimit) {
		t.Errorf("%d requests admitted 10 s later, want %d", n, int(10*cfg.RateLimit))
	}
}

// BenchmarkAccounting measures what the operation metrics and the rate
// limit add to an authenticated request (request.Wrap's are measured
// there).
func BenchmarkAccounting(b *testing.B) {
	s := &Server{cfg: DefaultConfig(), now: time.Now, log: slog.New(slog.DiscardHandler)}
	s.metrics = newMetrics(s)
	s.limiter = newRateLimiter(1e9, 0, tokenBurstWindow)
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
