package console

import (
	"testing"
	"time"
)

// TestSignOutsForgetExpired: a signed-out session is remembered until
// its cookie expires, and forgotten after, so that memory holds only the
// sign-outs that still matter.
func TestSignOutsForgetExpired(t *testing.T) {
	var s signOuts
	now := time.Now()
	s.add("a", now.Add(time.Hour), now)
	s.add("b", now.Add(3*time.Hour), now)
	for _, tt := range []struct {
		id   string
		at   time.Duration
		want bool
	}{
		{"a", 0, true},
		{"a", time.Hour - time.Second, true},
		{"a", time.Hour, false},
		{"b", 2 * time.Hour, true},
		{"c", 0, false},
	} {
		if got := s.has(tt.id, now.Add(tt.at)); got != tt.want {
			t.Errorf("has(%q) after %v = %v, want %v", tt.id, tt.at, got, tt.want)
		}
	}
	s.add("c", now.Add(4*time.Hour), now.Add(2*time.Hour))
	if len(s.until) != 2 || !s.has("b", now.Add(2*time.Hour)) || !s.has("c", now.Add(2*time.Hour)) {
		t.Errorf("after a's expiry, remembered %v; want b and c", s.until)
	}
}
