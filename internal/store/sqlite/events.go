package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/store"
)

// maxEvents bounds the events one call to Events returns, whatever the
// limit asked: readers page on with the last Seq they got.
const maxEvents = 1000

// AppendEvents appends events to a workspace's outbox in one transaction.
func (s *Store) AppendEvents(ctx context.Context, ws string, events []store.NewEvent) ([]store.Event, error) {
	var out []store.Event
	err := s.txChanges(ctx, func(tx conn) ([]store.Change, error) {
		var err error
		if out, err = appendEvents(ctx, tx, ws, s.now(), events); err != nil || len(out) == 0 {
			return nil, err
		}
		return []store.Change{{Kind: store.ChangeEvents, WorkspaceID: ws}}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// appendEvents appends evs to the outbox of workspace ws in tx and returns
// them as stored. A transaction appends all its events in one call, at its
// end, as on PostgreSQL, where the counter's row lock is held from the
// append to the commit.
func appendEvents(ctx context.Context, tx conn, ws string, now time.Time, evs []store.NewEvent) ([]store.Event, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	out := make([]store.Event, len(evs))
	occurred := now.UTC().Truncate(timePrecision)
	for i, e := range evs {
		data, err := eventData(e)
		if err != nil {
			return nil, err
		}
		out[i] = store.Event{ID: id.New(id.Event), WorkspaceID: ws, Type: e.Type, Occurred: occurred, Subject: e.Subject, Data: data}
	}
	var last int64
	err := tx.QueryRowContext(ctx, `INSERT INTO event_counters (workspace_id, seq) VALUES (?, ?)
		ON CONFLICT (workspace_id) DO UPDATE SET seq = event_counters.seq + excluded.seq RETURNING seq`, ws, len(out)).Scan(&last)
	if isForeignKeyViolation(err) {
		return nil, fmt.Errorf("workspace %q: %w", ws, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("append events: %w", err)
	}
	ts := formatTime(occurred)
	for i := range out {
		e := &out[i]
		e.Seq = last - int64(len(out)-1-i)
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (workspace_id, seq, id, type, occurred, subject, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			ws, e.Seq, e.ID, e.Type, ts, nullString(e.Subject), string(e.Data)); err != nil {
			return nil, fmt.Errorf("append events: %w", err)
		}
	}
	return out, nil
}

// eventData returns the data of e as stored: a JSON object, {} for none.
func eventData(e store.NewEvent) (json.RawMessage, error) {
	if e.Type == "" {
		return nil, errors.New("append events: event without a type")
	}
	d := bytes.TrimSpace(e.Data)
	if len(d) == 0 {
		return json.RawMessage(`{}`), nil
	}
	if d[0] != '{' || !json.Valid(d) {
		return nil, fmt.Errorf("append events: data of %s event is not a JSON object", e.Type)
	}
	return json.RawMessage(bytes.Clone(d)), nil
}

// Events returns at most limit events of a workspace after seq after.
func (s *Store) Events(ctx context.Context, ws string, after int64, limit int) ([]store.Event, error) {
	if limit < 1 {
		return nil, fmt.Errorf("events: limit %d: must be positive", limit)
	}
	rows, err := s.read().QueryContext(ctx, `SELECT seq, id, type, occurred, coalesce(subject, ''), data FROM events
		WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?`, ws, after, min(limit, maxEvents))
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	var evs []store.Event
	for rows.Next() {
		var (
			e        = store.Event{WorkspaceID: ws}
			occurred string
			data     []byte
		)
		if err := rows.Scan(&e.Seq, &e.ID, &e.Type, &occurred, &e.Subject, &data); err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		if e.Occurred, err = parseTime(occurred); err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		e.Data = data
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return evs, nil
}

func isForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
