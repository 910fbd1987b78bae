package server

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/scimerr"
)

// limiterSweepInterval is how often idle limiters are dropped.
const limiterSweepInterval = time.Minute

// tokenBurstWindow is how much of its rate a SCIM token's bucket holds
// unless Config.RateBurst says otherwise: at the default 200 a second,
// 60,000 requests. An identity provider's first sync sends everything at
// once, as fast as the server answers: about two requests a user (a
// lookup by userName, then the create) and a few a group, some 43,500
// for 20,000 users and 500 groups of 50. A bucket that holds it lets the
// sync run at the server's speed, where a bucket of a few seconds'
// worth held it to the steady rate, several times slower, with hundreds
// of 429s. The steady rate still bounds what a token can take for
// longer: a client that keeps sending faster empties its bucket (at the
// speeds scimd reaches on 2 cores, within about a minute) and is then
// held to the rate, while the syncs that follow the first make a few
// requests a second and leave the bucket full.
const tokenBurstWindow = 5 * time.Minute

// authFailureBurstWindow is how much of its rate a client address's
// budget of failed authentications holds unless
// Config.AuthFailureBurst says otherwise.
const authFailureBurstWindow = 2 * time.Second

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
	// max, if not 0, bounds the buckets held: keys that anyone can
	// choose, such as client addresses, must not grow the map without
	// end. Beyond it the buckets start over.
	max int

	mu sync.RWMutex
	m  map[string]*rate.Limiter
	// nextSweep is when, in Unix nanoseconds, the next request sweeps.
	nextSweep atomic.Int64
}

// newRateLimiter returns a limiter of perSecond requests a second for
// each token with bursts of burst, or nil for no limit when perSecond is
// not positive. A burst below 1 is what perSecond adds up to in window,
// and at least 1.
func newRateLimiter(perSecond float64, burst int, window time.Duration) *rateLimiter {
	if perSecond <= 0 || math.IsNaN(perSecond) {
		return nil
	}
	if burst < 1 {
		burst = int(max(1, min(math.Ceil(perSecond*window.Seconds()), math.MaxInt32)))
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
			if l.max > 0 && len(l.m) >= l.max {
				clear(l.m)
			}
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

// exhausted reports whether key's bucket is empty, taking nothing from
// it, and if so how long until it holds a request again.
func (l *rateLimiter) exhausted(key string, now time.Time) (bool, time.Duration) {
	l.mu.RLock()
	lim := l.m[key]
	l.mu.RUnlock()
	if lim == nil {
		return false, 0
	}
	if tokens := lim.TokensAt(now); tokens < 1 {
		return true, time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
	}
	return false, 0
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
	secs := int64(retryAfter(w, wait) / time.Second)
	s.metrics.throttled.WithLabelValues(e.workspace.Slug).Inc()
	err := scimerr.New(http.StatusTooManyRequests, "",
		"too many requests with this token: at most %g a second; retry in %v", float64(s.limiter.limit), time.Duration(secs)*time.Second)
	s.refused.add(refusalKey{e.token.WorkspaceID, audit.TokenActor(e.token.ID), ActionThrottled, err.Status}, err.Detail)
	s.fail(w, r, err)
	return true
}

// retryAfter sets the Retry-After header (RFC 9110 §10.2.3) of a 429: in
// whole seconds, at least 1.
func retryAfter(w http.ResponseWriter, wait time.Duration) time.Duration {
	secs := max(1, int64(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	return time.Duration(secs) * time.Second
}

// authThrottled answers 429 if the client's address failed to
// authenticate more often than its budget allows, and reports whether it
// did: before any token is parsed or hashed, so that a flood of bad
// tokens costs little and leaves the database to those with good ones.
func (s *Server) authThrottled(w http.ResponseWriter, r *http.Request, addr string, now time.Time) bool {
	if s.authFailures == nil {
		return false
	}
	over, wait := s.authFailures.exhausted(addr, now)
	if !over {
		return false
	}
	after := retryAfter(w, wait)
	err := scimerr.New(http.StatusTooManyRequests, "",
		"too many failed authentications from %s: at most %g a second; retry in %v", addr, float64(s.authFailures.limit), after)
	s.refused.add(refusalKey{"", addressActor(addr), ActionThrottled, err.Status}, err.Detail)
	// The answer waits, as long as the budget needs to refill but at
	// most authFailurePause: a client that sends again at once, as a
	// flood does, then sends at about the rate it is allowed, and its
	// requests wait on a timer rather than take the processor from
	// those with good tokens.
	pause := time.NewTimer(min(wait, authFailurePause))
	select {
	case <-pause.C:
	case <-r.Context().Done():
		pause.Stop()
	}
	s.fail(w, r, err)
	return true
}

// authFailurePause bounds how long a 429 for failed authentications
// waits before it is sent.
const authFailurePause = time.Second

// maxAuthFailureAddresses bounds the addresses whose failed
// authentications are counted: enough for every address of a flood that
// matters, little memory.
const maxAuthFailureAddresses = 100000
