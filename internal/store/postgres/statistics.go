package postgres

import (
	"context"
	"fmt"
	"time"
)

// statsLock is the first key of the advisory lock that ANALYZE runs
// under; the second is the schema's.
const statsLock = 0x5c1e

// statsInterval is how often a store compares the resources it holds with
// what the planner's statistics say it holds.
const statsInterval = time.Minute

// keepStatistics runs analyzeIfChanged at once and then every
// statsInterval until ctx is done. Autovacuum analyzes a table only after
// a tenth of its rows changed and when it gets round to it, and not at
// all where it is off; until then the planner plans listings for the
// table it last measured: after an initial sync of a directory, for an
// empty one. A failure (the database away) is tried again at the next
// tick: the statistics are only out of date meanwhile.
func (s *Store) keepStatistics(ctx context.Context) {
	t := time.NewTicker(statsInterval)
	defer t.Stop()
	for {
		s.analyzeIfChanged(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// analyzeIfChanged runs ANALYZE on the tables that listings read when
// the resources the writes counted are more than twice, or fewer than
// half, what the statistics last measured (or were never measured), and
// reports whether it did. The comparison reads two rows; of replicas that
// notice together, one analyzes and the others skip.
func (s *Store) analyzeIfChanged(ctx context.Context) (bool, error) {
	var kept, measured float64
	err := s.pool.QueryRow(ctx, `SELECT (SELECT COALESCE(sum(n), 0) FROM resource_counts)::float8,
		(SELECT reltuples FROM pg_class WHERE oid = 'resources'::regclass)::float8`).Scan(&kept, &measured)
	if err != nil {
		return false, fmt.Errorf("compare statistics: %w", err)
	}
	// reltuples is -1 for a table never measured; small tables change
	// plans little, so a thousand rows either way count for nothing.
	if measured >= 0 && kept <= 2*measured+1000 && kept >= measured/2-1000 {
		return false, nil
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("analyze: %w", err)
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, statsLock).Scan(&locked); err != nil {
		return false, fmt.Errorf("analyze: %w", err)
	}
	if !locked {
		return false, nil
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, statsLock)
	if _, err := conn.Exec(ctx, `ANALYZE resources, emails, members`); err != nil {
		return false, fmt.Errorf("analyze: %w", err)
	}
	return true, nil
}
