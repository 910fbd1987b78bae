package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlquery"
)

// insertAudit inserts a batch as one statement from arrays, one per
// column: one round trip and one prepared statement whatever the batch
// size.
const insertAudit = `INSERT INTO audit_log (ts, workspace_id, channel, action, actor, target, correlation_id, status, duration_ms, payload)
	SELECT ts, ws, channel, action, actor, target, corr, status, duration, payload::jsonb
	FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::integer[], $9::float8[], $10::text[])
		AS u (ts, ws, channel, action, actor, target, corr, status, duration, payload)`

// AppendAudit stores entries in one statement, and so in one transaction.
func (s *Store) AppendAudit(ctx context.Context, entries []store.AuditEntry) (err error) {
	defer classify(&err)
	return appendAudit(ctx, s.pool, s.now(), entries)
}

// execer runs a statement: the pool, or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// appendAudit stores entries with one statement run by db.
func appendAudit(ctx context.Context, db execer, now time.Time, entries []store.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	n := len(entries)
	var (
		ts                               = make([]time.Time, n)
		ws, actor, target, corr, payload = make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
		channel, action                  = make([]string, n), make([]string, n)
		status                           = make([]*int32, n)
		duration                         = make([]*float64, n)
	)
	for i, e := range entries {
		e, err := store.PrepareAuditEntry(e, now)
		if err != nil {
			return fmt.Errorf("append audit: %w", err)
		}
		ts[i], channel[i], action[i] = e.Time, e.Channel, e.Action
		ws[i], actor[i], target[i], corr[i] = nullString(e.WorkspaceID), nullString(e.Actor), nullString(e.Target), nullString(e.CorrelationID)
		if e.Status != 0 {
			v := int32(e.Status)
			status[i] = &v
		}
		if e.Duration != 0 {
			v := float64(e.Duration.Microseconds()) / 1000
			duration[i] = &v
		}
		if e.Payload != nil {
			v := string(e.Payload)
			payload[i] = &v
		}
	}
	if _, err := db.Exec(ctx, insertAudit, ts, ws, channel, action, actor, target, corr, status, duration, payload); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// QueryAudit returns one page of the audit entries matching q.
func (s *Store) QueryAudit(ctx context.Context, q store.AuditQuery) (_ store.AuditPage, err error) {
	defer classify(&err)
	query, args, limit, err := sqlquery.AuditSelect(s.d, q)
	if err != nil {
		return store.AuditPage{}, err
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return store.AuditPage{}, fmt.Errorf("query audit: %w", err)
	}
	defer rows.Close()
	var entries []store.AuditEntry
	for rows.Next() {
		var (
			e                       store.AuditEntry
			ws, actor, target, corr *string
			status                  *int32
			duration                *float64
			payload                 []byte
		)
		if err := rows.Scan(&e.ID, &e.Time, &ws, &e.Channel, &e.Action, &actor, &target, &corr, &status, &duration, &payload); err != nil {
			return store.AuditPage{}, fmt.Errorf("query audit: %w", err)
		}
		e.Time = e.Time.UTC()
		e.WorkspaceID, e.Actor, e.Target, e.CorrelationID = deref(ws), deref(actor), deref(target), deref(corr)
		if status != nil {
			e.Status = int(*status)
		}
		if duration != nil {
			e.Duration = time.Duration(*duration*1000+0.5) * time.Microsecond
		}
		if payload != nil {
			e.Payload = json.RawMessage(payload)
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return store.AuditPage{}, fmt.Errorf("query audit: %w", err)
	}
	return sqlquery.AuditPage(entries, limit), nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// pruneBatch is how many entries one statement of PruneAudit deletes.
const pruneBatch = 5000

// PruneAudit deletes the audit entries older than before, oldest first,
// pruneBatch at a time so that no transaction grows large. Deletes never
// block inserts here; SKIP LOCKED lets replicas prune at once, each
// taking other rows.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (total int64, err error) {
	defer classify(&err)
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM audit_log WHERE id IN
			(SELECT id FROM audit_log WHERE ts < $1 ORDER BY ts LIMIT $2 FOR UPDATE SKIP LOCKED)`, before, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune audit: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneBatch {
			return total, nil
		}
	}
}
