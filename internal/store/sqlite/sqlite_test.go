package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return openFile(t, filepath.Join(t.TempDir(), "test.db"), now)
	})
}
