package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/store"
)

// maxEvents bounds the events one call to Events returns, whatever the
// limit asked: readers page on with the last Seq they got.
const maxEvents = 1000

// AppendEvents appends events to a workspace's outbox in one transaction.
func (s *Store) AppendEvents(ctx context.Context, ws string, events []store.NewEvent) ([]store.Event, error) {
	var out []store.Event
	err := s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
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

// appendEventsSQL numbers and inserts a batch in one statement, where the
// database takes arrays as arguments and data-modifying WITH (PostgreSQL).
const appendEventsSQL = `WITH counter AS (
		INSERT INTO event_counters (workspace_id, seq) VALUES (?1, ?2)
		ON CONFLICT (workspace_id) DO UPDATE SET seq = event_counters.seq + excluded.seq
		RETURNING seq
	), appended AS (
		INSERT INTO events (workspace_id, seq, id, type, occurred, subject, data)
		SELECT ?1, counter.seq - ?2 + u.n, u.id, u.type, ?3, u.subject, u.data::jsonb
		FROM counter, unnest(?4::text[], ?5::text[], ?6::text[], ?7::text[]) WITH ORDINALITY AS u (id, type, subject, data, n)
	)
	SELECT seq FROM counter`

// appendEvents appends evs to the outbox of workspace ws in tx and returns
// them as stored. The workspace's counter is updated first; its row stays
// locked until the commit (as the one writer does on SQLite), so that
// transactions appending to one workspace commit in the order of their
// numbers and a reader that sees seq n has seen every event before it. A
// transaction appends all its events in one call, at its end, to hold the
// lock as briefly as it can.
func appendEvents(ctx context.Context, tx Conn, ws string, now time.Time, evs []store.NewEvent) ([]store.Event, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	out := make([]store.Event, len(evs))
	occurred := now
	for i, e := range evs {
		data, err := eventData(e)
		if err != nil {
			return nil, err
		}
		out[i] = store.Event{ID: id.New(id.Event), WorkspaceID: ws, Type: e.Type, Occurred: occurred, Subject: e.Subject, Data: data}
	}
	var (
		last int64
		err  error
	)
	if tx.s.d.Batches() {
		// One statement, one round trip, whatever the batch.
		n := len(out)
		ids, types, datas, subjects := make([]string, n), make([]string, n), make([]string, n), make([]*string, n)
		for i, e := range out {
			ids[i], types[i], datas[i] = e.ID, e.Type, string(e.Data)
			if e.Subject != "" {
				subjects[i] = &out[i].Subject
			}
		}
		err = tx.QueryRowContext(ctx, appendEventsSQL, ws, int64(n), tx.time(occurred),
			tx.list(ids), tx.list(types), tx.list(subjects), tx.list(datas)).Scan(&last)
	} else {
		err = tx.QueryRowContext(ctx, `INSERT INTO event_counters (workspace_id, seq) VALUES (?, ?)
			ON CONFLICT (workspace_id) DO UPDATE SET seq = event_counters.seq + excluded.seq RETURNING seq`, ws, len(out)).Scan(&last)
	}
	if tx.s.d.IsForeignKeyViolation(err) {
		return nil, fmt.Errorf("workspace %q: %w", ws, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("append events: %w", err)
	}
	for i := range out {
		out[i].Seq = last - int64(len(out)-1-i)
	}
	if tx.s.d.Batches() {
		return out, nil
	}
	ts := tx.time(occurred)
	for _, e := range out {
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
	return collect(ctx, s.Read(), "events", func(sc scanner) (store.Event, error) {
		e := store.Event{WorkspaceID: ws}
		var data []byte
		err := sc.Scan(&e.Seq, &e.ID, &e.Type, scanTime{&e.Occurred}, &e.Subject, &data)
		e.Data = data
		return e, err
	}, `SELECT seq, id, type, occurred, coalesce(subject, ''), data FROM events
		WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?`, ws, after, min(limit, maxEvents))
}
