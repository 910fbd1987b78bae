package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlquery"
)

const insertAudit = `INSERT INTO audit_log (ts, workspace_id, channel, action, actor, target, correlation_id, status, duration_ms, payload) VALUES `

const auditRow = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// AppendAudit stores entries in one transaction.
func (s *Store) AppendAudit(ctx context.Context, entries []store.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return s.Tx(ctx, func(tx Conn) error { return appendAudit(ctx, tx, s.now(), entries) })
}

// appendAudit stores entries, prepared, in the transaction tx.
func appendAudit(ctx context.Context, tx Conn, now time.Time, entries []store.AuditEntry) error {
	args := make([]any, 0, len(entries)*10)
	for _, e := range entries {
		e, err := store.PrepareAuditEntry(e, now)
		if err != nil {
			return fmt.Errorf("append audit: %w", err)
		}
		args = append(args, auditArgs(tx, e)...)
	}
	if _, err := insertRows(ctx, tx, insertAudit, auditRow, "", args); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

func auditArgs(tx Conn, e store.AuditEntry) []any {
	var status, duration, payload any
	if e.Status != 0 {
		status = e.Status
	}
	if e.Duration != 0 {
		duration = durationMS(e.Duration)
	}
	if e.Payload != nil {
		// As text: SQLite's JSON functions take a blob for its binary
		// JSON format.
		payload = string(e.Payload)
	}
	return []any{tx.time(e.Time), nullString(e.WorkspaceID), e.Channel, e.Action,
		nullString(e.Actor), nullString(e.Target), nullString(e.CorrelationID), status, duration, payload}
}

// durationMS is d in milliseconds with microseconds as the fraction.
func durationMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// msDuration is the inverse of durationMS.
func msDuration(ms float64) time.Duration {
	return time.Duration(ms*1000+0.5) * time.Microsecond
}

func scanAuditEntry(sc scanner) (store.AuditEntry, error) {
	var (
		e                                store.AuditEntry
		ws, actor, target, corr, payload sql.NullString
		status                           sql.NullInt64
		duration                         sql.NullFloat64
	)
	if err := sc.Scan(&e.ID, scanTime{&e.Time}, &ws, &e.Channel, &e.Action, &actor, &target, &corr, &status, &duration, &payload); err != nil {
		return e, err
	}
	e.WorkspaceID, e.Actor, e.Target, e.CorrelationID = ws.String, actor.String, target.String, corr.String
	e.Status = int(status.Int64)
	if duration.Valid {
		e.Duration = msDuration(duration.Float64)
	}
	if payload.Valid {
		e.Payload = []byte(payload.String)
	}
	return e, nil
}

// QueryAudit returns one page of the audit entries matching q.
func (s *Store) QueryAudit(ctx context.Context, q store.AuditQuery) (store.AuditPage, error) {
	query, args, limit, err := sqlquery.AuditSelect(s.filter, q)
	if err != nil {
		return store.AuditPage{}, err
	}
	entries, err := collect(ctx, s.Read(), "query audit", scanAuditEntry, query, args...)
	if err != nil {
		return store.AuditPage{}, err
	}
	return sqlquery.AuditPage(entries, limit), nil
}

// pruneBatch is how many entries one transaction of PruneAudit deletes:
// a few milliseconds of holding SQLite's single writer.
const pruneBatch = 1000

// PruneAudit deletes the audit entries older than before, oldest first,
// pruneBatch at a time, so that other writers get the database between
// batches. Where rows are locked, SKIP LOCKED lets replicas prune at
// once, each taking other rows.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.Tx(ctx, func(tx Conn) error {
			var err error
			n, err = tx.exec(ctx, `DELETE FROM audit_log WHERE id IN
				(SELECT id FROM audit_log WHERE ts < ? ORDER BY ts LIMIT ?`+tx.lock("FOR UPDATE SKIP LOCKED")+`)`,
				tx.time(before), pruneBatch)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune audit: %w", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// activitySQL sums up the entries of workspace ?1 and channel ?3 since ?2
// by actor, the ?4 most recently active, each with its latest entry,
// found again by its time through the index on (workspace_id, ts). Two
// entries of an actor at its latest time both come back, the newer id
// first.
const activitySQL = `WITH g AS (
		SELECT actor, count(*) AS n, count(*) FILTER (WHERE status >= 400) AS errors, max(ts) AS last
		FROM audit_log WHERE workspace_id = ?1 AND ts >= ?2 AND channel = ?3 AND actor IS NOT NULL
		GROUP BY actor ORDER BY last DESC LIMIT ?4)
	SELECT g.n, g.errors, a.id, a.ts, a.workspace_id, a.channel, a.action, a.actor, a.target, a.correlation_id, a.status, a.duration_ms, a.payload
	FROM g JOIN audit_log a ON a.workspace_id = ?1 AND a.ts = g.last AND a.actor = g.actor AND a.channel = ?3
	ORDER BY a.ts DESC, a.id DESC`

// AuditActivity sums up a workspace's entries of a channel by actor.
func (s *Store) AuditActivity(ctx context.Context, ws, channel string, since time.Time) ([]store.ActorActivity, error) {
	rows, err := collect(ctx, s.Read(), "audit activity", func(sc scanner) (store.ActorActivity, error) {
		var a store.ActorActivity
		var err error
		a.Last, err = scanAuditEntry(prefixed{sc, []any{&a.Entries, &a.Errors}})
		a.Actor = a.Last.Actor
		return a, err
	}, activitySQL, ws, s.d.TimeArg(since.UTC().Truncate(time.Microsecond)), channel, store.MaxActivityActors)
	if err != nil {
		return nil, err
	}
	out := rows[:0]
	seen := map[string]bool{}
	for _, a := range rows {
		if !seen[a.Actor] {
			seen[a.Actor] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// prefixed is a scanner whose first columns go to pre, and the rest to
// what Scan is given: for reading more than a row's scanner knows.
type prefixed struct {
	sc  scanner
	pre []any
}

func (p prefixed) Scan(dest ...any) error { return p.sc.Scan(append(p.pre, dest...)...) }
