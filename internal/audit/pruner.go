package audit

import (
	"context"
	"log/slog"
	"time"
)

// DefaultRetention is how long entries are kept unless configured.
const DefaultRetention = 90 * 24 * time.Hour

// PruneInterval is how often a Pruner deletes expired entries.
const PruneInterval = time.Hour

// PruneStore is what a Pruner deletes from; store.Store is one.
type PruneStore interface {
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}

// Pruner deletes the audit entries older than the retention period, once
// at start and then every PruneInterval. Every replica may run one: the
// stores delete in small batches that concurrent pruners share.
type Pruner struct {
	Store PruneStore
	// Retention is how long entries are kept; 0 keeps them forever.
	Retention time.Duration
	// Log receives what each round deleted, and failures. Default:
	// discarded.
	Log *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Interval overrides PruneInterval, for tests.
	Interval time.Duration
}

// Run prunes until ctx ends. With a Retention of 0 it returns at once.
func (p *Pruner) Run(ctx context.Context) {
	if p.Retention <= 0 {
		return
	}
	interval := p.Interval
	if interval <= 0 {
		interval = PruneInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		p.Prune(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Prune deletes the entries older than the retention period once, and
// returns how many it deleted. Failures are logged, not returned: the
// next round tries again.
func (p *Pruner) Prune(ctx context.Context) int64 {
	if p.Retention <= 0 {
		return 0
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	log := p.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	before := now().Add(-p.Retention)
	start := time.Now()
	n, err := p.Store.PruneAudit(ctx, before)
	if err != nil && ctx.Err() == nil {
		log.Error("audit log: pruning failed", "before", before, "deleted", n, "error", err)
	} else if n > 0 {
		log.Info("audit log: pruned", "before", before, "deleted", n, "took", time.Since(start))
	}
	return n
}
