package server

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/scimd/scimd/internal/scimerr"
)

// limiterSweepInterval is how often idle limiters are dropped.
const limiterSweepInterval = time.Minute

// rateLimiter holds a token bucket for each SCIM token that made a request
// recently, so that one identity provider that misbehaves, or a leaked
// token, cannot take the whole server from the others.
//
// Buckets are made only for tokens that passed authentication, so their
// number is bounded by the tokens that exist; a bucket that has filled up
// again is dropped, since a new one would be the same, which bounds it
// further by the tokens in use.
type rateLimiter struct {
	limit rate.Limit
	burst int

	mu sync.RWMutex
	m  map[string]*rate.Limiter
	// nextSweep is when, in Unix nanoseconds, the next request sweeps.
	nextSweep atomic.Int64
}

// newRateLimiter returns a limiter of perSecond requests a second for
// each token with bursts of burst, or nil for no limit when perSecond is
// not positive. A burst below 1 is twice perSecond.
func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	if perSecond <= 0 || math.IsNaN(perSecond) {
		return nil
	}
	if burst < 1 {
		burst = int(min(math.Ceil(2*perSecond), math.MaxInt32))
	}
	return &rateLimiter{limit: rate.Limit(perSecond), burst: burst, m: make(map[string]*rate.Limiter)}
}

// allow takes one request of the token from its bucket. When the bucket is
// empty it returns false and how long until it holds a request again.
func (l *rateLimiter) allow(tokenID string, now time.Time) (bool, time.Duration) {
	l.sweep(now)
	l.mu.RLock()
	lim := l.m[tokenID]
	l.mu.RUnlock()
	if lim == nil {
		l.mu.Lock()
		if lim = l.m[tokenID]; lim == nil {
			lim = rate.NewLimiter(l.limit, l.burst)
			l.m[tokenID] = lim
		}
		l.mu.Unlock()
	}
	if lim.AllowN(now, 1) {
		return true, 0
	}
	wait := (1 - lim.TokensAt(now)) / float64(l.limit)
	return false, time.Duration(wait * float64(time.Second))
}

// sweep drops the buckets that are full, once every limiterSweepInterval.
// It runs on a request rather than a goroutine of its own so that the
// limiter needs no stopping.
func (l *rateLimiter) sweep(now time.Time) {
	next := l.nextSweep.Load()
	if now.UnixNano() < next || !l.nextSweep.CompareAndSwap(next, now.Add(limiterSweepInterval).UnixNano()) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, lim := range l.m {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.m, id)
		}
	}
}

// len returns how many buckets are held (for tests).
func (l *rateLimiter) len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.m)
}

// throttle answers 429 if the request's token is over its rate, and
// reports whether it did. The Retry-After header (RFC 9110 §10.2.3) says
// in whole seconds, at least 1, when a request will be admitted again.
func (s *Server) throttle(w http.ResponseWriter, r *http.Request, e *authEntry, now time.Time) bool {
	if s.limiter == nil {
		return false
	}
	ok, wait := s.limiter.allow(e.token.ID, now)
	if ok {
		return false
	}
	secs := max(1, int64(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	s.metrics.throttled.WithLabelValues(e.workspace.Slug).Inc()
	s.fail(w, r, scimerr.New(http.StatusTooManyRequests, "",
		"too many requests with this token: at most %g a second; retry in %v", float64(s.limiter.limit), time.Duration(secs)*time.Second))
	return true
}
