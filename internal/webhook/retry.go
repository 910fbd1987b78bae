package webhook

import (
	"math/rand/v2"
	"time"
)

// Schedule is a retry schedule: the waits before each attempt to deliver
// a message, the first attempt included. Its length is the number of
// attempts; a message that fails them all is dead.
type Schedule []time.Duration

// DefaultSchedule returns the spec's example schedule (spec,
// "Deliverability and reliability"): at once, then after 5 seconds, 5
// minutes, 30 minutes, 2, 5, 10, 14, 20 and 24 hours: ten attempts over
// about three days, time for a receiver to come back from an outage
// that lasts a weekend.
func DefaultSchedule() Schedule {
	return Schedule{
		0,
		5 * time.Second,
		5 * time.Minute,
		30 * time.Minute,
		2 * time.Hour,
		5 * time.Hour,
		10 * time.Hour,
		14 * time.Hour,
		20 * time.Hour,
		24 * time.Hour,
	}
}

// Jitter is the fraction by which Backoff varies a wait either way.
const Jitter = 0.1

// Backoff returns how long to wait, after attempt attempts of a message
// have failed, before the next one: the schedule's wait, plus or minus up
// to Jitter of it at random. The randomness spreads retries out, so that
// messages that failed together (an endpoint's outage) are not all sent
// again at the same moment (spec, "Deliverability and reliability").
// Backoff(0) is the wait before the first attempt. ok is false once the
// schedule is spent: the message is dead, and should be kept for a person
// to look at rather than retried.
func (s Schedule) Backoff(attempt int) (wait time.Duration, ok bool) {
	attempt = max(attempt, 0)
	if attempt >= len(s) {
		return 0, false
	}
	d := max(s[attempt], 0)
	if spread := int64(float64(d) * Jitter); spread > 0 {
		d += time.Duration(rand.Int64N(2*spread+1) - spread)
	}
	return d, true
}

// Backoff is DefaultSchedule().Backoff.
func Backoff(attempt int) (wait time.Duration, ok bool) {
	return DefaultSchedule().Backoff(attempt)
}
