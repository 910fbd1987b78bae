package audit

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// Appender is where a Writer stores entries; store.Store is one.
type Appender interface {
	AppendAudit(ctx context.Context, entries []store.AuditEntry) error
}

// Config configures a Writer. Zero fields take the defaults.
type Config struct {
	// Buffer is how many entries may wait to be stored; beyond it, new
	// entries are dropped. Default 8192: at 20,000 requests a second,
	// 400 ms of a stalled database.
	Buffer int
	// BatchSize is the most entries stored in one transaction. Default
	// 256: on SQLite, whose single writer other writes wait for, about
	// 2.5 ms of it.
	BatchSize int
	// FlushInterval is the longest an entry waits for others to share
	// its transaction. Default 5 ms.
	FlushInterval time.Duration
	// Timeout bounds one attempt to store a batch. Default 10 s.
	Timeout time.Duration
	// Log receives the writer's own trouble: drops and failures, once
	// each until it recovers. Default: discarded.
	Log *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Buffer <= 0 {
		c.Buffer = 8192
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 256
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 5 * time.Millisecond
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// retryDelays are the waits before storing a failed batch again. A
// database that stays away for longer loses the batch; requests go on.
var retryDelays = []time.Duration{50 * time.Millisecond, 250 * time.Millisecond, time.Second}

// Writer stores audit entries in the background, in batches, so that a
// request pays for queueing its entry and no more.
//
// Write never blocks. When the database falls behind and the buffer is
// full, entries are dropped and counted (Stats) rather than making
// requests wait: an audit log that stalled provisioning would turn a slow
// database into failed syncs at every identity provider, which retry and
// add load, while a dropped entry is visible in the counter and the
// server's log. Entries a failed transaction held are retried a few times
// and then counted as failed, for the same reason.
//
// The methods of a nil *Writer do nothing, so that auditing can be off.
type Writer struct {
	app Appender
	cfg Config
	ch  chan pending

	// mu is held shared by Write and exclusively by Close, so that no
	// entry enters the buffer after Close has drained it.
	mu     sync.RWMutex
	closed bool
	stop   chan struct{}
	done   chan struct{}

	written, dropped, failed atomic.Uint64
	// lag is how long the oldest entry of the last batch stored waited
	// to be stored, in nanoseconds; waiting is when the oldest entry of
	// the batch being made or stored was queued, in Unix nanoseconds, 0
	// when there is none.
	lag, waiting atomic.Int64
	// dropping and failing are set from the first drop or failure until
	// the next batch is stored, so that each episode is logged once.
	dropping, failing atomic.Bool
}

// pending is an entry in the buffer, its payload not yet JSON: marshaling
// happens on the writer's goroutine, off the request path.
type pending struct {
	e       store.AuditEntry
	payload any
	queued  time.Time
}

// Stats are a Writer's counters since it started, for metrics.
type Stats struct {
	Written uint64 // stored
	Dropped uint64 // refused by Write: buffer full, or writer closed
	Failed  uint64 // lost because the store failed to store them
	Queued  int    // waiting in the buffer now
	// Lag is how far the log trails what is written to it: how long the
	// oldest entry not yet stored has waited since Write, or if none
	// waits, how long the oldest entry of the last batch stored waited
	// until its transaction ended. A database that stalls makes it grow.
	Lag time.Duration
}

// NewWriter returns a Writer storing into app, and starts its goroutine;
// Close stops it.
func NewWriter(app Appender, cfg Config) *Writer {
	cfg = cfg.withDefaults()
	w := &Writer{
		app:  app,
		cfg:  cfg,
		ch:   make(chan pending, cfg.Buffer),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go w.run()
	return w
}

// Write queues e to be stored, with payload, if not nil, marshaled to
// JSON as e.Payload; payload must not change after the call. A zero
// e.Time is set to now. Write reports whether e was queued: false means
// it was dropped, because the buffer is full or the writer closed.
func (w *Writer) Write(e store.AuditEntry, payload any) bool {
	if w == nil {
		return false
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if !w.closed {
		select {
		case w.ch <- pending{e, payload, time.Now()}:
			return true
		default:
		}
	}
	w.dropped.Add(1)
	if w.dropping.CompareAndSwap(false, true) {
		if w.closed {
			w.cfg.Log.Warn("audit log: dropping entries: the writer is closed")
		} else {
			w.cfg.Log.Warn("audit log: dropping entries until the database catches up", "buffer", w.cfg.Buffer)
		}
	}
	return false
}

// Stats returns the writer's counters.
func (w *Writer) Stats() Stats {
	if w == nil {
		return Stats{}
	}
	return Stats{
		Written: w.written.Load(),
		Dropped: w.dropped.Load(),
		Failed:  w.failed.Load(),
		Queued:  len(w.ch),
		Lag:     w.currentLag(),
	}
}

func (w *Writer) currentLag() time.Duration {
	lag := time.Duration(w.lag.Load())
	if q := w.waiting.Load(); q != 0 {
		lag = max(lag, time.Since(time.Unix(0, q)))
	}
	return lag
}

// Close stores the entries already queued and stops the writer; Write
// drops entries from then on. It returns ctx's error if ctx ends first,
// leaving the rest to be stored in the background.
func (w *Writer) Close(ctx context.Context) error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.stop)
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run collects batches: an entry opens a batch, which is stored when it
// is full or FlushInterval after it opened, whichever comes first.
func (w *Writer) run() {
	defer close(w.done)
	batch := make([]store.AuditEntry, 0, w.cfg.BatchSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case p := <-w.ch:
			batch = append(batch, w.entry(p))
		case <-w.stop:
			w.drain(batch)
			return
		}
		timer.Reset(w.cfg.FlushInterval)
	fill:
		for len(batch) < w.cfg.BatchSize {
			select {
			case p := <-w.ch:
				batch = append(batch, w.entry(p))
			case <-timer.C:
				break fill
			case <-w.stop:
				timer.Stop()
				w.drain(batch)
				return
			}
		}
		timer.Stop()
		w.store(batch, true)
		batch = batch[:0]
	}
}

// drain stores batch and everything still buffered. Close holds off new
// entries, so the buffer only empties.
func (w *Writer) drain(batch []store.AuditEntry) {
	for {
		select {
		case p := <-w.ch:
			batch = append(batch, w.entry(p))
			if len(batch) < w.cfg.BatchSize {
				continue
			}
		default:
			w.store(batch, false)
			return
		}
		w.store(batch, false)
		batch = batch[:0]
	}
}

// entry marshals a pending entry's payload.
func (w *Writer) entry(p pending) store.AuditEntry {
	// The first entry of a batch is its oldest.
	w.waiting.CompareAndSwap(0, p.queued.UnixNano())
	return WithPayload(p.e, p.payload)
}

// WithPayload returns e with payload, if not nil, marshaled to JSON as its
// Payload. A payload that does not marshal, or is not an object, is
// stored as an object saying so, so that the entry, and the rest of its
// batch or the write it belongs to, are kept.
func WithPayload(e store.AuditEntry, payload any) store.AuditEntry {
	if payload == nil {
		return e
	}
	b, err := json.Marshal(payload)
	switch {
	case err != nil:
		b, _ = json.Marshal(map[string]string{"payload_error": err.Error()})
	case len(b) == 0 || b[0] != '{':
		if string(b) == "null" {
			return e
		}
		b, _ = json.Marshal(map[string]json.RawMessage{"value": b})
	}
	e.Payload = b
	return e
}

// store appends a batch, as storeBatch does, and records how long its
// oldest entry waited.
func (w *Writer) store(batch []store.AuditEntry, retry bool) {
	if len(batch) == 0 {
		return
	}
	queued := w.waiting.Load()
	w.storeBatch(batch, retry)
	if queued != 0 {
		w.lag.Store(int64(max(0, time.Since(time.Unix(0, queued)))))
	}
	w.waiting.Store(0)
}

// storeBatch appends a batch, trying again after a failure while the
// writer runs (retry) unless the store refused the entries themselves.
func (w *Writer) storeBatch(batch []store.AuditEntry, retry bool) {
	var err error
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), w.cfg.Timeout)
		err = w.app.AppendAudit(ctx, batch)
		cancel()
		if err == nil || !retry || attempt == len(retryDelays) || errors.Is(err, store.ErrInvalidAudit) {
			break
		}
		select {
		case <-time.After(retryDelays[attempt]):
		case <-w.stop:
			retry = false // closing: one more attempt, then give up
		}
	}
	if errors.Is(err, store.ErrInvalidAudit) && len(batch) > 1 {
		// A caller's mistake in one entry: keep the others.
		for i := range batch {
			w.storeBatch(batch[i:i+1], false)
		}
		return
	}
	if err != nil {
		w.failed.Add(uint64(len(batch)))
		if w.failing.CompareAndSwap(false, true) {
			w.cfg.Log.Error("audit log: entries lost: the database did not store them", "entries", len(batch), "error", err)
		}
		return
	}
	w.written.Add(uint64(len(batch)))
	if w.failing.CompareAndSwap(true, false) {
		w.cfg.Log.Info("audit log: storing entries again", "failed_total", w.failed.Load())
	}
	if w.dropping.CompareAndSwap(true, false) {
		w.cfg.Log.Info("audit log: caught up", "dropped_total", w.dropped.Load())
	}
}
