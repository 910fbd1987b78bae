package audit

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
)

type discard struct{}

func (discard) AppendAudit(context.Context, []store.AuditEntry) error { return nil }

// typical returns an entry and payload as a SCIM PATCH of a user makes
// them.
func typical() (store.AuditEntry, Request) {
	e := store.AuditEntry{
		WorkspaceID: "ws_5xq2m7kd3c9wefha", Channel: ChannelSCIM, Action: "user.patch",
		Actor: "token:tok_5xq2m7kd3c9wefha", Target: "usr_5xq2m7kd3c9wefha",
		CorrelationID: "4bf92f3577b34da6a3ce929d0e0e4736", Status: 200, Duration: 412 * time.Microsecond,
	}
	p := Request{
		Method: "PATCH", Path: "/scim/v2/Users/usr_5xq2m7kd3c9wefha", TokenID: "tok_5xq2m7kd3c9wefha", TokenName: "okta",
		Headers: map[string]string{"user-agent": "Okta SCIM Client 1.0.0", "content-type": "application/scim+json"},
		Diff:    Changes{"active": {Old: true, New: false}, "name.givenName": {Old: "Alice", New: "Alicia"}},
	}
	return e, p
}

// BenchmarkWrite is what Write costs the request that calls it, while
// the buffer has room: the writer's goroutine drains it between rounds,
// outside the timing.
func BenchmarkWrite(b *testing.B) {
	w := NewWriter(discard{}, Config{})
	defer w.Close(context.Background())
	e, p := typical()
	const round = 4096 // half the default buffer
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%round == round-1 {
			b.StopTimer()
			for w.Stats().Queued > 0 {
				runtime.Gosched()
			}
			b.StartTimer()
		}
		if !w.Write(e, p) {
			b.Fatal("dropped")
		}
	}
}

// BenchmarkWriteFull is what Write costs when the buffer is full and the
// entry is dropped.
func BenchmarkWriteFull(b *testing.B) {
	gate := make(chan struct{})
	f := &fakeStore{gate: gate, got: make(chan struct{}, 1)}
	w := NewWriter(f, Config{Buffer: 1})
	defer func() { close(gate); w.Close(context.Background()) }()
	e, p := typical()
	for w.Write(e, p) {
	}
	b.ReportAllocs()
	for b.Loop() {
		w.Write(e, p)
	}
}

// BenchmarkDiff is the cost of the diff of a typical user PATCH.
func BenchmarkDiff(b *testing.B) {
	before := map[string]any{
		"userName": "alice@example.com", "active": true, "externalId": "00u1",
		"name":     map[string]any{"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"},
		"emails":   []any{map[string]any{"value": "alice@example.com", "type": "work", "primary": true}},
		enterprise: map[string]any{"department": "R&D", "manager": map[string]any{"value": "usr_2"}},
	}
	after := map[string]any{
		"userName": "alice@example.com", "active": false, "externalId": "00u1",
		"name":     map[string]any{"givenName": "Alicia", "familyName": "Smith", "formatted": "Alicia Smith"},
		"emails":   []any{map[string]any{"value": "alice@example.com", "type": "work", "primary": true}},
		enterprise: map[string]any{"department": "R&D", "manager": map[string]any{"value": "usr_2"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		Diff(before, after)
	}
}

func openSQLite(b *testing.B) *sqlite.Store {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkWriterSQLite is the sustained rate of entries through a
// Writer into SQLite: the caller waits instead of dropping, so every
// entry is stored, and the time ends when Close has stored the last.
func BenchmarkWriterSQLite(b *testing.B) {
	st := openSQLite(b)
	w := NewWriter(st, Config{})
	e, p := typical()
	start := time.Now()
	for b.Loop() {
		for !w.Write(e, p) {
			time.Sleep(100 * time.Microsecond)
		}
	}
	if err := w.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	s := w.Stats()
	if s.Failed != 0 || int(s.Written) != b.N {
		b.Fatalf("stats %+v for %d entries", s, b.N)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
}

// BenchmarkAppendSQLite is the cost of one AppendAudit of a full batch,
// during which SQLite's single writer is held.
func BenchmarkAppendSQLite(b *testing.B) {
	st := openSQLite(b)
	e, p := typical()
	w := &Writer{}
	e = w.entry(pending{e: e, payload: p, queued: time.Now()})
	batch := make([]store.AuditEntry, 512)
	for i := range batch {
		batch[i] = e
	}
	ctx := context.Background()
	for b.Loop() {
		if err := st.AppendAudit(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "rows/s")
}
