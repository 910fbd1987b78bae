package webhook_test

import (
	"slices"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/webhook"
)

func TestDefaultSchedule(t *testing.T) {
	// The spec's example schedule, "Deliverability and reliability".
	want := webhook.Schedule{
		0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
		2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
	}
	if got := webhook.DefaultSchedule(); !slices.Equal(got, want) {
		t.Errorf("DefaultSchedule() = %v, want %v", got, want)
	}
	// Each call is a copy of its own: shortening one changes no other.
	webhook.DefaultSchedule()[1] = time.Millisecond
	if got := webhook.DefaultSchedule()[1]; got != 5*time.Second {
		t.Errorf("DefaultSchedule()[1] = %s after another copy was changed", got)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name     string
		backoff  func(int) (time.Duration, bool)
		schedule webhook.Schedule // what backoff follows
	}{
		{"default", webhook.Backoff, webhook.DefaultSchedule()},
		{"short", webhook.Schedule{0, time.Millisecond, 10 * time.Millisecond}.Backoff, webhook.Schedule{0, time.Millisecond, 10 * time.Millisecond}},
		{"negative waits count as none", webhook.Schedule{-time.Second, 0}.Backoff, webhook.Schedule{0, 0}},
		{"empty: every message is dead", webhook.Schedule{}.Backoff, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for attempt, d := range tt.schedule {
				spread := time.Duration(float64(d) * webhook.Jitter)
				seen := map[time.Duration]bool{}
				for range 200 {
					wait, ok := tt.backoff(attempt)
					if !ok || wait < d-spread || wait > d+spread {
						t.Fatalf("Backoff(%d) = %s, %v; want %s ± %s, true", attempt, wait, ok, d, spread)
					}
					seen[wait] = true
				}
				// Retries of messages that failed together spread out.
				if spread >= time.Millisecond && len(seen) < 2 {
					t.Errorf("Backoff(%d) always %s: no jitter", attempt, d)
				}
			}
			for _, attempt := range []int{len(tt.schedule), len(tt.schedule) + 1, 1000} {
				if wait, ok := tt.backoff(attempt); ok {
					t.Errorf("Backoff(%d) = %s, true after %d attempts; want dead (false)", attempt, wait, len(tt.schedule))
				}
			}
		})
	}
}

func TestBackoffNegativeAttempt(t *testing.T) {
	if wait, ok := webhook.Backoff(-1); wait != 0 || !ok {
		t.Errorf("Backoff(-1) = %s, %v; want the first attempt's 0, true", wait, ok)
	}
}
