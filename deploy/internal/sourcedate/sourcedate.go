// Package sourcedate reads SOURCE_DATE_EPOCH, the time that reproducible
// builds stamp into what they make instead of the time they run
// (https://reproducible-builds.org/specs/source-date-epoch/).
package sourcedate

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Get returns the time in SOURCE_DATE_EPOCH, which must be set: a build
// that fell back to the clock would not be reproducible.
func Get() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Time{}, errors.New("SOURCE_DATE_EPOCH is not set; the Makefile sets it to the commit's time")
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since 1970", s)
	}
	return time.Unix(sec, 0).UTC(), nil
}
