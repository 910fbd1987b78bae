package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
)

// openFile opens a store on the database file at path, closed when t
// ends, that storetest can open again as another process would.
func openFile(t *testing.T, path string, now func() time.Time) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, sqlite.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return reopenable{st, path, now}
}

type reopenable struct {
	*sqlite.Store
	path string
	now  func() time.Time
}

func (r reopenable) Reopen(t *testing.T) store.Store { return openFile(t, r.path, r.now) }
