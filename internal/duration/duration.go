// Package duration reads and writes durations as Go writes them ("90s",
// "12h30m") with days too ("30d", "1d12h"), for settings and API fields
// whose lifetimes are counted in days.
package duration

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Day is 24 hours: scimd's days are not calendar days.
const Day = 24 * time.Hour

// Parse reads a duration: a number of days ("30d"), a Go duration
// ("720h", "1h30m", "90s"), or days followed by a Go duration ("1d12h").
// A leading sign applies to the whole: "-1d12h" is -36h.
func Parse(s string) (time.Duration, error) {
	rest, neg := s, false
	if r, ok := strings.CutPrefix(rest, "-"); ok {
		rest, neg = r, true
	} else {
		rest = strings.TrimPrefix(rest, "+")
	}
	var d time.Duration
	if n, after, ok := strings.Cut(rest, "d"); ok {
		days, err := strconv.ParseUint(n, 10, 64)
		if err != nil || n == "" || n[0] == '+' {
			return 0, syntaxError(s)
		}
		if days > math.MaxInt64/uint64(Day) {
			return 0, fmt.Errorf("duration %q: too long", s)
		}
		d, rest = time.Duration(days)*Day, after
		if rest == "" {
			return sign(d, neg), nil
		}
	}
	if rest == "" || rest[0] == '-' || rest[0] == '+' {
		return 0, syntaxError(s)
	}
	more, err := time.ParseDuration(rest)
	if err != nil {
		return 0, syntaxError(s)
	}
	if d > math.MaxInt64-more {
		return 0, fmt.Errorf("duration %q: too long", s)
	}
	return sign(d+more, neg), nil
}

func sign(d time.Duration, neg bool) time.Duration {
	if neg {
		return -d
	}
	return d
}

// ErrSyntax is the error of a string that is not a duration.
var ErrSyntax = errors.New("want a duration such as 90s, 15m, 12h, 30d or 1d12h")

func syntaxError(s string) error {
	return fmt.Errorf("duration %q: %w", s, ErrSyntax)
}

// Format writes a duration as Parse reads it, with whole days as days:
// "30d", "1d12h0m0s", "90s".
func Format(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	neg := d < 0
	if neg {
		d = -d // -MinInt64 stays negative: then no days are taken out
	}
	days := d / Day
	rest := d % Day
	var s string
	switch {
	case days <= 0:
		return sign(d, neg).String()
	case rest == 0:
		s = strconv.FormatInt(int64(days), 10) + "d"
	default:
		s = strconv.FormatInt(int64(days), 10) + "d" + rest.String()
	}
	if neg {
		s = "-" + s
	}
	return s
}
