package postgres

import (
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// reopenable is a store that storetest can open again on the same schema,
// as another replica would.
type reopenable struct {
	*Store
	url string
	now func() time.Time
}

func (r reopenable) Reopen(t *testing.T) store.Store {
	return reopenable{openTest(t, r.url, WithClock(r.now)), r.url, r.now}
}
