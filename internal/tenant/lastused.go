package tenant

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// DefaultFlushInterval is how often LastUsed writes what it recorded.
const DefaultFlushInterval = 5 * time.Second

// flushTimeout bounds one write of LastUsed.
const flushTimeout = 10 * time.Second

// LastUsed records when tokens are used without a write per request: in
// memory, written to the store in one batch every few seconds, and on
// Close. A crash loses at most the last interval, which only makes a
// token's last use look a little older.
type LastUsed struct {
	st  store.TenantStore
	log *slog.Logger

	mu      sync.Mutex
	pending map[string]time.Time

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// NewLastUsed returns a LastUsed that writes to st every interval (0:
// DefaultFlushInterval) until Close, logging failed writes to log, which
// may be nil. What a failed write held is kept for the next one.
func NewLastUsed(st store.TenantStore, interval time.Duration, log *slog.Logger) *LastUsed {
	if interval <= 0 {
		interval = DefaultFlushInterval
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &LastUsed{st: st, log: log, pending: make(map[string]time.Time), stop: make(chan struct{}), done: make(chan struct{})}
	go l.run(interval)
	return l
}

// Record notes that a token was used at a time.
func (l *LastUsed) Record(tokenID string, at time.Time) {
	l.mu.Lock()
	if cur, ok := l.pending[tokenID]; !ok || at.After(cur) {
		l.pending[tokenID] = at
	}
	l.mu.Unlock()
}

// Flush writes what was recorded since the last write.
func (l *LastUsed) Flush(ctx context.Context) error {
	l.mu.Lock()
	batch := l.pending
	if len(batch) == 0 {
		l.mu.Unlock()
		return nil
	}
	l.pending = make(map[string]time.Time, len(batch))
	l.mu.Unlock()
	err := l.st.TouchTokens(ctx, batch)
	if err != nil {
		// Keep it for the next write, under what was recorded since.
		l.mu.Lock()
		for id, at := range batch {
			if cur, ok := l.pending[id]; !ok || at.After(cur) {
				l.pending[id] = at
			}
		}
		l.mu.Unlock()
	}
	return err
}

func (l *LastUsed) run(interval time.Duration) {
	defer close(l.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
			l.flush()
		}
	}
}

func (l *LastUsed) flush() error {
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	err := l.Flush(ctx)
	if err != nil {
		l.log.Warn("recording when tokens were last used", "error", err)
	}
	return err
}

// Close stops the periodic writes and writes what remains. The store must
// still be open.
func (l *LastUsed) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.stop)
		<-l.done
		err = l.flush()
	})
	return err
}
