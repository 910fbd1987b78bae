package duration_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/duration"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"0s", 0},
		{"90s", 90 * time.Second},
		{"720h", 30 * duration.Day},
		{"1h30m", 90 * time.Minute},
		{"30d", 30 * duration.Day},
		{"0d", 0},
		{"1d12h", 36 * time.Hour},
		{"1d0.5h", 24*time.Hour + 30*time.Minute},
		{"-1d12h", -36 * time.Hour},
		{"-5m", -5 * time.Minute},
		{"+2d", 2 * duration.Day},
		{"106751d", 106751 * duration.Day},
	} {
		got, err := duration.Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "d", "30", "30x", "1.5d", "d12h", "1d-12h", "1d+12h", "1dd", "1d2d", "--1d", "-", " 1d", "1d ", "30 days", "106752d", "106751d24h", "true"} {
		if d, err := duration.Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, d)
		}
	}
	if _, err := duration.Parse("30x"); !errors.Is(err, duration.ErrSyntax) || !strings.Contains(err.Error(), `"30x"`) {
		t.Errorf("Parse(30x): %v, want ErrSyntax naming the value", err)
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{90 * time.Second, "1m30s"},
		{365 * duration.Day, "365d"},
		{36 * time.Hour, "1d12h0m0s"},
		{-2 * duration.Day, "-2d"},
		{-90 * time.Minute, "-1h30m0s"},
	} {
		if got := duration.Format(tt.in); got != tt.want {
			t.Errorf("Format(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParse checks that Parse agrees with time.ParseDuration on Go's
// durations, and that what Format writes, Parse reads back.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"30d", "1d12h", "-5m", "1h30m", "0", "1.5h", "106751d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := duration.Parse(s)
		if !strings.Contains(s, "d") {
			want, werr := time.ParseDuration(s)
			if (err == nil) != (werr == nil) || d != want {
				t.Fatalf("Parse(%q) = %v, %v; time.ParseDuration: %v, %v", s, d, err, want, werr)
			}
		}
		if err != nil {
			return
		}
		if back, err := duration.Parse(duration.Format(d)); err != nil || back != d {
			t.Fatalf("Parse(Format(%v)) = %v, %v", d, back, err)
		}
	})
}
