package console

import (
	"strings"
	"testing"
	"time"
)

// TestSealerBindsName: a value sealed for one cookie does not open as
// another's, so that a notice, whose text pages choose, cannot stand in
// for a session; nor does one sealed by another key, or one expired.
func TestSealerBindsName(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	s, err := newSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sealed := s.seal(noticeCookie, "scimd_admin_token", now.Add(time.Minute))
	if v, ok := s.open(noticeCookie, sealed, now); !ok || v != "scimd_admin_token" {
		t.Fatalf("open as sealed: %q, %v", v, ok)
	}
	if v, ok := s.open(sessionCookie, sealed, now); ok {
		t.Errorf("a notice opened as a session: %q", v)
	}
	if _, ok := s.open(noticeCookie, sealed, now.Add(time.Minute)); ok {
		t.Error("an expired value opened")
	}
	other, _ := newSealer([]byte(strings.Repeat("o", 32)))
	if _, ok := other.open(noticeCookie, sealed, now); ok {
		t.Error("a value sealed by another key opened")
	}
	if _, err := newSealer(key[:16]); err == nil {
		t.Error("a 16-byte key was taken")
	}
}
