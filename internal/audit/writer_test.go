package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
)

// fakeStore records the batches appended to it. AppendAudit waits for
// gate, if set, and fails with what fail returns, if set.
type fakeStore struct {
	mu      sync.Mutex
	batches [][]store.AuditEntry
	calls   int
	gate    chan struct{}
	fail    func(call int, batch []store.AuditEntry) error
	got     chan struct{} // signalled after each stored batch
}

func newFakeStore() *fakeStore { return &fakeStore{got: make(chan struct{}, 1000)} }

func (f *fakeStore) AppendAudit(ctx context.Context, es []store.AuditEntry) error {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		if err := f.fail(f.calls, es); err != nil {
			return err
		}
	}
	f.batches = append(f.batches, slices.Clone(es))
	select {
	case f.got <- struct{}{}:
	default:
	}
	return nil
}

func (f *fakeStore) sizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n []int
	for _, b := range f.batches {
		n = append(n, len(b))
	}
	return n
}

func (f *fakeStore) entries() []store.AuditEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var es []store.AuditEntry
	for _, b := range f.batches {
		es = append(es, b...)
	}
	return es
}

func entry(i int) store.AuditEntry {
	return store.AuditEntry{Channel: ChannelSCIM, Action: "user.get", Target: fmt.Sprintf("usr_%d", i)}
}

func closeWriter(t *testing.T, w *Writer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// logRecorder counts log records by message.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) count(prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if strings.HasPrefix(m, prefix) {
			n++
		}
	}
	return n
}

func TestWriterBatchesBySize(t *testing.T) {
	f := newFakeStore()
	w := NewWriter(f, Config{BatchSize: 3, FlushInterval: time.Hour})
	for i := range 7 {
		if !w.Write(entry(i), nil) {
			t.Fatalf("Write %d dropped", i)
		}
	}
	closeWriter(t, w)
	if got := f.sizes(); !slices.Equal(got, []int{3, 3, 1}) {
		t.Errorf("batches of %v, want [3 3 1]", got)
	}
	for i, e := range f.entries() {
		if e.Target != fmt.Sprintf("usr_%d", i) || e.Time.IsZero() {
			t.Errorf("entry %d: %+v", i, e)
		}
	}
	if s := w.Stats(); s.Written != 7 || s.Dropped != 0 || s.Failed != 0 || s.Queued != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestWriterFlushesAfterInterval(t *testing.T) {
	f := newFakeStore()
	w := NewWriter(f, Config{FlushInterval: 2 * time.Millisecond})
	defer closeWriter(t, w)
	w.Write(entry(1), nil)
	select {
	case <-f.got:
	case <-time.After(5 * time.Second):
		t.Fatal("the entry was not stored without Close")
	}
	if got := f.sizes(); !slices.Equal(got, []int{1}) {
		t.Errorf("batches of %v", got)
	}
}

// TestWriterDropsWhenFull stalls the store: Write must go on returning at
// once, count what it drops and log once per episode.
func TestWriterDropsWhenFull(t *testing.T) {
	f := newFakeStore()
	f.gate = make(chan struct{})
	logs := &logRecorder{}
	w := NewWriter(f, Config{Buffer: 4, BatchSize: 1, FlushInterval: time.Millisecond, Log: slog.New(logs)})
	w.Write(entry(0), nil) // taken by the goroutine, which waits on the gate
	deadline := time.Now().Add(5 * time.Second)
	for w.Stats().Queued != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the writer did not take the first entry")
		}
		time.Sleep(time.Millisecond)
	}
	accepted := 1
	start := time.Now()
	for i := 1; i <= 100; i++ {
		if w.Write(entry(i), nil) {
			accepted++
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("100 writes to a full buffer took %v", d)
	}
	if accepted != 5 {
		t.Errorf("%d entries accepted, want 5 (1 taken + a buffer of 4)", accepted)
	}
	if s := w.Stats(); s.Dropped != 96 || s.Queued != 4 {
		t.Errorf("stats %+v, want 96 dropped and 4 queued", s)
	}
	if n := logs.count("audit log: dropping"); n != 1 {
		t.Errorf("logged drops %d times, want once", n)
	}
	close(f.gate) // the database is back
	for w.Stats().Written != uint64(accepted) {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v after the store recovered", w.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	if n := logs.count("audit log: caught up"); n != 1 {
		t.Errorf("logged recovery %d times, want once", n)
	}
	closeWriter(t, w)
	if w.Write(entry(200), nil) {
		t.Error("Write after Close accepted an entry")
	}
	if s := w.Stats(); s.Dropped != 97 || s.Written != 5 {
		t.Errorf("stats after Close %+v", s)
	}
}

func TestWriterPayloads(t *testing.T) {
	f := newFakeStore()
	w := NewWriter(f, Config{})
	raw := store.AuditEntry{Channel: ChannelAdmin, Action: "token.revoke", Payload: json.RawMessage(`{"kept":true}`)}
	w.Write(raw, nil)
	w.Write(entry(1), Request{Method: "PATCH", Path: "/Users/usr_1", TokenID: "tok_1",
		Diff: Changes{"active": {Old: true, New: false}}})
	w.Write(entry(2), map[string]any{"bad": math.Inf(1)})
	w.Write(entry(3), "a string")
	w.Write(entry(4), (*Request)(nil))
	closeWriter(t, w)
	want := []string{
		`{"kept":true}`,
		`{"method":"PATCH","path":"/Users/usr_1","token_id":"tok_1","diff":{"active":{"old":true,"new":false}}}`,
		`{"payload_error":"json: unsupported value: +Inf"}`,
		`{"value":"a string"}`,
		``,
	}
	es := f.entries()
	if len(es) != len(want) {
		t.Fatalf("%d entries stored, want %d", len(es), len(want))
	}
	for i, e := range es {
		if string(e.Payload) != want[i] {
			t.Errorf("payload %d: %s, want %s", i, e.Payload, want[i])
		}
	}
}

func TestWriterRetriesAndFails(t *testing.T) {
	defer func(d []time.Duration) { retryDelays = d }(retryDelays)
	retryDelays = []time.Duration{time.Millisecond, time.Millisecond}
	unavailable := fmt.Errorf("connect: %w", store.ErrUnavailable)

	f := newFakeStore()
	f.fail = func(call int, _ []store.AuditEntry) error {
		if call <= 2 {
			return unavailable
		}
		return nil
	}
	w := NewWriter(f, Config{BatchSize: 1})
	w.Write(entry(1), nil)
	<-f.got
	closeWriter(t, w)
	if s := w.Stats(); s.Written != 1 || s.Failed != 0 {
		t.Errorf("after two failures and a success: %+v", s)
	}

	f = newFakeStore()
	f.fail = func(int, []store.AuditEntry) error { return unavailable }
	logs := &logRecorder{}
	w = NewWriter(f, Config{BatchSize: 2, FlushInterval: time.Hour, Log: slog.New(logs)})
	w.Write(entry(1), nil)
	w.Write(entry(2), nil)
	deadline := time.Now().Add(5 * time.Second)
	for w.Stats().Failed != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want 2 failed", w.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	w.Write(entry(3), nil)
	closeWriter(t, w)
	if s := w.Stats(); s.Failed != 3 || s.Written != 0 {
		t.Errorf("stats %+v, want 3 failed", s)
	}
	if f.calls != 3+1 { // three attempts for the first batch, one while closing
		t.Errorf("%d attempts, want 4", f.calls)
	}
	if n := logs.count("audit log: entries lost"); n != 1 {
		t.Errorf("logged failures %d times, want once", n)
	}
}

// TestWriterKeepsGoodEntries checks that an entry the store refuses does
// not take its batch with it.
func TestWriterKeepsGoodEntries(t *testing.T) {
	f := newFakeStore()
	f.fail = func(_ int, es []store.AuditEntry) error {
		for _, e := range es {
			if e.Action == "" {
				return fmt.Errorf("no action: %w", store.ErrInvalidAudit)
			}
		}
		return nil
	}
	w := NewWriter(f, Config{FlushInterval: time.Hour})
	w.Write(entry(1), nil)
	w.Write(store.AuditEntry{Channel: ChannelSCIM}, nil)
	w.Write(entry(3), nil)
	closeWriter(t, w)
	if s := w.Stats(); s.Written != 2 || s.Failed != 1 {
		t.Errorf("stats %+v, want 2 written and 1 failed", s)
	}
}

// TestWriterConcurrentClose writes from many goroutines while the writer
// closes: every entry Write accepted must be stored.
func TestWriterConcurrentClose(t *testing.T) {
	f := newFakeStore()
	w := NewWriter(f, Config{Buffer: 64, BatchSize: 16})
	var accepted atomic.Uint64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				if w.Write(entry(g*1000+i), nil) {
					accepted.Add(1)
				}
			}
		})
	}
	time.Sleep(time.Millisecond)
	closeWriter(t, w)
	wg.Wait()
	s := w.Stats()
	if s.Written != accepted.Load() || len(f.entries()) != int(s.Written) || s.Written+s.Dropped != 8*500 {
		t.Errorf("accepted %d; stats %+v; stored %d", accepted.Load(), s, len(f.entries()))
	}
}

func TestWriterCloseTimeout(t *testing.T) {
	f := newFakeStore()
	f.gate = make(chan struct{})
	w := NewWriter(f, Config{})
	w.Write(entry(1), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close with the store stalled: %v", err)
	}
	close(f.gate)
	closeWriter(t, w) // again, now that the store answers
	if s := w.Stats(); s.Written != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestNilWriter(t *testing.T) {
	var w *Writer
	if w.Write(entry(1), nil) {
		t.Error("nil Writer accepted an entry")
	}
	if err := w.Close(context.Background()); err != nil || w.Stats() != (Stats{}) {
		t.Error("nil Writer")
	}
}

// TestWriterSQLite writes through to a real store and reads back.
func TestWriterSQLite(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := NewWriter(st, Config{BatchSize: 64})
	e, p := typical()
	const n = 1000
	for i := range n {
		e.Target = fmt.Sprintf("usr_%d", i)
		for !w.Write(e, p) {
			time.Sleep(time.Millisecond)
		}
	}
	closeWriter(t, w)
	if s := w.Stats(); s.Written != n || s.Failed != 0 {
		t.Fatalf("stats %+v", s)
	}
	page, err := st.QueryAudit(context.Background(), store.AuditQuery{Target: "usr_999"})
	if err != nil || len(page.Entries) != 1 {
		t.Fatalf("QueryAudit: %+v, %v", page, err)
	}
	got := page.Entries[0]
	var payload Request
	if err := json.Unmarshal(got.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	if got.Action != "user.patch" || got.Status != 200 || got.Duration != 412*time.Microsecond ||
		payload.TokenName != "okta" || payload.Diff["active"].New != false {
		t.Errorf("stored %+v with payload %+v", got, payload)
	}
}

// TestWriterLag holds the store back: the lag grows while the entries
// wait, whenever they were made, and is what the oldest waited once they
// are stored.
func TestWriterLag(t *testing.T) {
	f := newFakeStore()
	f.gate = make(chan struct{})
	w := NewWriter(f, Config{BatchSize: 10, FlushInterval: time.Millisecond})
	if s := w.Stats(); s.Lag != 0 {
		t.Errorf("lag %v before anything was written", s.Lag)
	}
	old := entry(0)
	old.Time = time.Now().Add(-time.Hour) // a long request's start
	w.Write(old, nil)
	w.Write(entry(1), nil)
	time.Sleep(50 * time.Millisecond)
	if s := w.Stats(); s.Lag < 50*time.Millisecond || s.Lag > time.Minute {
		t.Errorf("lag %v while the store holds the batch, want from 50 ms", s.Lag)
	}
	close(f.gate)
	closeWriter(t, w)
	if s := w.Stats(); s.Lag < 50*time.Millisecond || s.Lag > time.Minute {
		t.Errorf("lag %v once stored, want from 50 ms", s.Lag)
	}
}
