package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/store"
)

// maxEvents bounds the events one call to Events returns, whatever the
// limit asked: readers page on with the last Seq they got.
const maxEvents = 1000

// appendEventsSQL numbers and inserts a batch in one statement. The
// counter's row, updated first, stays locked until the commit, so that
// transactions appending to one workspace commit in the order of their
// numbers and a reader that sees seq n has seen every event before it.
const appendEventsSQL = `WITH counter AS (
		INSERT INTO event_counters (workspace_id, seq) VALUES ($1, $2)
		ON CONFLICT (workspace_id) DO UPDATE SET seq = event_counters.seq + excluded.seq
		RETURNING seq
	), appended AS (
		INSERT INTO events (workspace_id, seq, id, type, occurred, subject, data)
		SELECT $1, counter.seq - $2 + u.n, u.id, u.type, $3, u.subject, u.data::jsonb
		FROM counter, unnest($4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS u (id, type, subject, data, n)
	)
	SELECT seq FROM counter`

// AppendEvents appends events to a workspace's outbox in one transaction.
func (s *Store) AppendEvents(ctx context.Context, ws string, events []store.NewEvent) (_ []store.Event, err error) {
	defer classify(&err)
	var out []store.Event
	err = s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
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
// them as stored. It locks the workspace's counter until the commit, so a
// transaction appends all its events in one call, at its end, to hold the
// lock as briefly as it can.
func appendEvents(ctx context.Context, tx pgx.Tx, ws string, now time.Time, evs []store.NewEvent) ([]store.Event, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	n := len(evs)
	var (
		out               = make([]store.Event, n)
		occurred          = now.UTC().Truncate(timePrecision)
		ids, types, datas = make([]string, n), make([]string, n), make([]string, n)
		subjects          = make([]*string, n)
	)
	for i, e := range evs {
		data, err := eventData(e)
		if err != nil {
			return nil, err
		}
		out[i] = store.Event{ID: id.New(id.Event), WorkspaceID: ws, Type: e.Type, Occurred: occurred, Subject: e.Subject, Data: data}
		ids[i], types[i], subjects[i], datas[i] = out[i].ID, e.Type, nullString(e.Subject), string(data)
	}
	var last int64
	err := tx.QueryRow(ctx, appendEventsSQL, ws, int64(n), occurred, ids, types, subjects, datas).Scan(&last)
	if errCode(err) == codeForeignKeyViolation {
		return nil, fmt.Errorf("workspace %q: %w", ws, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("append events: %w", err)
	}
	for i := range out {
		out[i].Seq = last - int64(n-1-i)
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
func (s *Store) Events(ctx context.Context, ws string, after int64, limit int) (_ []store.Event, err error) {
	defer classify(&err)
	if limit < 1 {
		return nil, fmt.Errorf("events: limit %d: must be positive", limit)
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, id, type, occurred, coalesce(subject, ''), data FROM events
		WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, ws, after, min(limit, maxEvents))
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	evs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Event, error) {
		e := store.Event{WorkspaceID: ws}
		var data []byte
		err := row.Scan(&e.Seq, &e.ID, &e.Type, &e.Occurred, &e.Subject, &data)
		e.Occurred, e.Data = e.Occurred.UTC(), data
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return evs, nil
}
