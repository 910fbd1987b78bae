package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

// Other processes on the database file hear of changes through the
// changes table, which a write transaction that matters appends to and
// subscribed stores poll. SQLite has no way to wake another process, and
// polling by primary key costs a few microseconds.
const (
	// pollInterval bounds how late another process hears of a change:
	// well under a second, at a cost that does not show.
	pollInterval = 150 * time.Millisecond
	// changesKept is how long rows stay in the changes table. A poller
	// that falls further behind (a process suspended that long) finds a
	// gap in seq and drops everything instead.
	changesKept = 10 * time.Minute
	// pollBatch bounds the rows read by one query.
	pollBatch = 500
)

// recordChanges appends changes to the changes table and prunes it of
// rows older than changesKept. The latest row is never pruned, so that a
// poller starts after it.
func (s *Store) recordChanges(ctx context.Context, tx sqlstore.Conn, changes []store.Change) error {
	if len(changes) == 0 {
		return nil
	}
	// Wall-clock time, not s.now: pruning is about this machine's
	// minutes, whatever clock the data is stamped with.
	now := time.Now()
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO changes (at, origin, kind, workspace_id, object_id, correlation_id) VALUES (?, ?, ?, ?, ?, ?)`,
			sqlstore.FormatTime(now), s.origin, string(c.Kind), c.WorkspaceID, c.ID, sql.NullString{String: c.CorrelationID, Valid: c.CorrelationID != ""}); err != nil {
			return fmt.Errorf("record change: %w", err)
		}
	}
	// Rows are in seq order and nearly in time order, so the rows before
	// the first recent one are old: the subquery reads only those, and
	// the delete finds them by seq, at a cost in proportion to what goes
	// rather than to the table, which holds minutes of every write's
	// changes. An old row after a recent one (the clock stepped back)
	// stays until the rows before it go. The row just inserted is
	// recent, so the latest row always stays.
	if _, err := tx.ExecContext(ctx, `DELETE FROM changes WHERE seq < (SELECT seq FROM changes WHERE at >= ? ORDER BY seq LIMIT 1)`,
		sqlstore.FormatTime(now.Add(-changesKept))); err != nil {
		return fmt.Errorf("prune changes: %w", err)
	}
	return nil
}

// watch polls the changes table for rows other stores wrote, from the
// latest when it starts.
func (s *Store) watch(ctx context.Context) {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var (
		last int64
		live bool
	)
	for {
		if !live {
			if err := s.Read().QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM changes`).Scan(&last); err == nil {
				live = true
				s.changes.Live()
			}
		}
		for live {
			// On an error nothing was consumed: the next tick reads
			// the same rows, or finds a gap if they were pruned.
			next, more, err := s.poll(ctx, last)
			if err != nil {
				break
			}
			last = next
			if !more {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// poll publishes the changes other stores made after seq last, at most
// pollBatch of them, and returns the last seq read and whether there may
// be more.
func (s *Store) poll(ctx context.Context, last int64) (next int64, more bool, err error) {
	rows, err := s.Read().QueryContext(ctx, `SELECT seq, origin, kind, workspace_id, object_id, coalesce(correlation_id, '') FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`, last, pollBatch)
	if err != nil {
		return last, false, fmt.Errorf("poll changes: %w", err)
	}
	defer rows.Close()
	var (
		changes []store.Change
		n       int
		gap     bool
	)
	next = last
	for rows.Next() {
		var (
			seq    int64
			origin string
			c      store.Change
		)
		if err := rows.Scan(&seq, &origin, &c.Kind, &c.WorkspaceID, &c.ID, &c.CorrelationID); err != nil {
			return last, false, fmt.Errorf("poll changes: %w", err)
		}
		gap = gap || seq != next+1
		next = seq
		n++
		if origin != s.origin {
			changes = append(changes, c)
		}
	}
	if err := rows.Err(); err != nil {
		return last, false, fmt.Errorf("poll changes: %w", err)
	}
	if gap {
		// Rows were pruned before this store read them.
		changes = []store.Change{{Kind: store.ChangeReset}}
	}
	s.changes.Publish(changes...)
	return next, n == pollBatch, nil
}
