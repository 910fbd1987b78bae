package delivery_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/delivery"
	"github.com/scimd/scimd/internal/store"
)

// BenchmarkLatency measures how long an event takes from its append to
// its webhook's arrival at a receiver on loopback, one event at a time,
// with the dispatcher's defaults: it is woken by the store's change
// notifications, not by its poll. Run it with -benchtime 1000x for
// percentiles over a thousand events:
//
//	go test ./internal/delivery -run '^$' -bench Latency -benchtime 1000x
func BenchmarkLatency(b *testing.B) {
	b.Run("SQLite", func(b *testing.B) { benchmarkLatency(b, openSQLite(b)) })
	b.Run("PostgreSQL", func(b *testing.B) { benchmarkLatency(b, openPostgres(b, postgresURL(b))) })
}

func benchmarkLatency(b *testing.B, st store.Store) {
	rc := newReceiver(b)
	arrived := make(chan hit, 1)
	rc.arrived = func(h hit) { arrived <- h }
	ws := mustWorkspace(b, st, "acme")
	rc.hook(b, st, ws, "/hook")
	run(b, delivery.Config{}, st, nil, nil)
	lat := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		e := mustAppend(b, st, ws, event("user.updated", fmt.Sprintf("usr_%d", i)))[0]
		select {
		case h := <-arrived:
			if h.id != e.ID {
				b.Fatalf("event %s arrived, want %s", h.id, e.ID)
			}
			lat = append(lat, h.at.Sub(start))
		case <-time.After(patience):
			b.Fatalf("event %d never arrived", i)
		}
	}
	reportPercentiles(b, lat)
}

// BenchmarkThroughput appends events in batches of 100 as fast as the
// store takes them, and measures how soon all have arrived.
//
//	go test ./internal/delivery -run '^$' -bench Throughput -benchtime 5000x
func BenchmarkThroughput(b *testing.B) {
	b.Run("SQLite", func(b *testing.B) { benchmarkThroughput(b, openSQLite(b)) })
	b.Run("PostgreSQL", func(b *testing.B) { benchmarkThroughput(b, openPostgres(b, postgresURL(b))) })
}

func benchmarkThroughput(b *testing.B, st store.Store) {
	rc := newReceiver(b)
	done := make(chan struct{})
	var n int
	rc.arrived = func(hit) {
		// Requests arrive on several connections at once.
		rc.mu.Lock()
		n++
		last := n == b.N
		rc.mu.Unlock()
		if last {
			close(done)
		}
	}
	ws := mustWorkspace(b, st, "acme")
	rc.hook(b, st, ws, "/hook")
	run(b, delivery.Config{}, st, nil, nil)
	b.ResetTimer()
	start := time.Now()
	for sent := 0; sent < b.N; {
		batch := make([]store.NewEvent, min(100, b.N-sent))
		for i := range batch {
			batch[i] = event("user.updated", fmt.Sprintf("usr_%d", sent+i))
		}
		mustAppend(b, st, ws, batch...)
		sent += len(batch)
	}
	select {
	case <-done:
	case <-time.After(10 * patience):
		b.Fatal("not every event arrived")
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
