package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/store"
)

// Claims take the rows they claim with FOR UPDATE SKIP LOCKED, so that
// replicas claiming at once each take other rows rather than queue for
// the same ones, and mark them with a lease, which keeps them from other
// claims after the commit until it runs out. A claim first looks for
// something to claim without locking, so that finding nothing, the
// usual case, costs one read and takes no lock.

// webhookCols are the columns scanWebhook reads, in its order.
const webhookCols = `id, workspace_id, url, secret, event_types, enabled, created, coalesce(disabled_reason, ''), after_seq`

func scanWebhook(row pgx.Row) (store.Webhook, error) {
	var (
		w     store.Webhook
		types []byte
	)
	if err := row.Scan(&w.ID, &w.WorkspaceID, &w.URL, &w.Secret, &types, &w.Enabled, &w.Created, &w.DisabledReason, &w.AfterSeq); err != nil {
		return w, err
	}
	w.Created = w.Created.UTC()
	if types != nil {
		if err := json.Unmarshal(types, &w.EventTypes); err != nil {
			return w, fmt.Errorf("event types of webhook %s: %w", w.ID, err)
		}
	}
	return w, nil
}

// eventTypesArg is the event_types column of types: NULL for every type.
func eventTypesArg(types []string) (*string, error) {
	if len(types) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(types)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

// CreateWebhook stores a new webhook, which receives the events appended
// after it. An append that has not committed yet counts as after.
func (s *Store) CreateWebhook(ctx context.Context, w *store.Webhook) (err error) {
	defer classify(&err)
	types, err := eventTypesArg(w.EventTypes)
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	if w.Created.IsZero() {
		w.Created = s.now()
	}
	w.Created = w.Created.UTC().Truncate(timePrecision)
	err = s.pool.QueryRow(ctx, `INSERT INTO webhooks (id, workspace_id, url, secret, event_types, enabled, created, disabled_reason, after_seq)
		VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, coalesce((SELECT seq FROM event_counters WHERE workspace_id = $2), 0))
		RETURNING after_seq`,
		w.ID, w.WorkspaceID, w.URL, w.Secret, types, w.Enabled, w.Created, nullString(w.DisabledReason)).Scan(&w.AfterSeq)
	switch errCode(err) {
	case "":
	case codeForeignKeyViolation:
		return fmt.Errorf("workspace %q: %w", w.WorkspaceID, store.ErrNotFound)
	case codeUniqueViolation:
		return fmt.Errorf("webhook %s: %w", w.ID, store.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	return nil
}

// Webhook returns one webhook of a workspace.
func (s *Store) Webhook(ctx context.Context, ws, id string) (_ store.Webhook, err error) {
	defer classify(&err)
	return webhook(ctx, s.pool, ws, id, "")
}

// querier is what a pool, a connection and a transaction share.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func webhook(ctx context.Context, q querier, ws, id, lock string) (store.Webhook, error) {
	w, err := scanWebhook(q.QueryRow(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE workspace_id = $1 AND id = $2 `+lock, ws, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return w, fmt.Errorf("webhook %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return w, fmt.Errorf("get webhook: %w", err)
	}
	return w, nil
}

// Webhooks lists a workspace's webhooks in creation order.
func (s *Store) Webhooks(ctx context.Context, ws string) (_ []store.Webhook, err error) {
	defer classify(&err)
	rows, err := s.pool.Query(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE workspace_id = $1 ORDER BY created, id`, ws)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Webhook, error) { return scanWebhook(row) })
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return out, nil
}

// UpdateWebhook runs fn on the webhook, locked, and stores what it
// changed.
func (s *Store) UpdateWebhook(ctx context.Context, ws, id string, fn func(*store.Webhook) error) (_ store.Webhook, err error) {
	defer classify(&err)
	var out store.Webhook
	err = s.tx(ctx, func(tx pgx.Tx) error {
		w, err := webhook(ctx, tx, ws, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if err := fn(&w); err != nil {
			return err
		}
		types, err := eventTypesArg(w.EventTypes)
		if err != nil {
			return fmt.Errorf("update webhook: %w", err)
		}
		out, err = scanWebhook(tx.QueryRow(ctx, `UPDATE webhooks SET url = $2, secret = $3, event_types = $4::jsonb, enabled = $5, disabled_reason = $6
			WHERE id = $1 RETURNING `+webhookCols, id, w.URL, w.Secret, types, w.Enabled, nullString(w.DisabledReason)))
		if err != nil {
			return fmt.Errorf("update webhook: %w", err)
		}
		return nil
	})
	return out, err
}

// DeleteWebhook deletes a webhook with its deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, ws, id string) (err error) {
	defer classify(&err)
	tag, err := s.pool.Exec(ctx, `DELETE FROM webhooks WHERE workspace_id = $1 AND id = $2`, ws, id)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("webhook %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// StartConsumer puts a new consumer's cursors at the end of every
// workspace's outbox. Replicas starting together insert the same rows,
// and the conflicts leave the first.
func (s *Store) StartConsumer(ctx context.Context, consumer string) (err error) {
	defer classify(&err)
	_, err = s.pool.Exec(ctx, `INSERT INTO outbox_cursors (consumer, workspace_id, seq)
		SELECT $1, w.id, coalesce(c.seq, 0) FROM workspaces w LEFT JOIN event_counters c ON c.workspace_id = w.id
		WHERE NOT EXISTS (SELECT 1 FROM outbox_cursors WHERE consumer = $1)
		ON CONFLICT DO NOTHING`, consumer)
	if err != nil {
		return fmt.Errorf("start consumer %s: %w", consumer, err)
	}
	return nil
}

// cursorDueSQL tells whether consumer $1 has a cursor to claim at time
// $2, without locking, and whether one of those is still to be made: a
// workspace without a cursor has one at 0.
const cursorDueSQL = `SELECT count(*) > 0, count(*) FILTER (WHERE o.workspace_id IS NULL) > 0 FROM event_counters c
	LEFT JOIN outbox_cursors o ON o.consumer = $1 AND o.workspace_id = c.workspace_id
	WHERE c.seq > coalesce(o.seq, 0) AND (o.lease_until IS NULL OR o.lease_until <= $2)`

// ensureCursorsSQL gives consumer $1 a cursor at 0 in each workspace
// with events that it has none in, so that pickCursorSQL can lock it.
const ensureCursorsSQL = `INSERT INTO outbox_cursors (consumer, workspace_id, seq)
	SELECT $1, c.workspace_id, 0 FROM event_counters c
	WHERE NOT EXISTS (SELECT 1 FROM outbox_cursors o WHERE o.consumer = $1 AND o.workspace_id = c.workspace_id)
	ON CONFLICT DO NOTHING`

// pickCursorSQL locks the cursor of consumer $1 to claim at time $2: one
// behind its workspace's outbox and not leased, the least recently
// claimed first, skipping those other transactions hold.
const pickCursorSQL = `SELECT o.workspace_id, o.seq, c.seq FROM outbox_cursors o JOIN event_counters c ON c.workspace_id = o.workspace_id
	WHERE o.consumer = $1 AND c.seq > o.seq AND (o.lease_until IS NULL OR o.lease_until <= $2)
	ORDER BY o.lease_until NULLS FIRST, o.workspace_id LIMIT 1
	FOR UPDATE OF o SKIP LOCKED`

// cursorDue reports whether consumer has a cursor to claim at now, and
// if so gives it a cursor in each workspace it has none in, for
// pickCursor to lock. Both run before, and outside, the transaction that
// claims, so that an idle poll takes no lock and a new cursor is
// committed before anyone waits on it.
func (s *Store) cursorDue(ctx context.Context, consumer string, now time.Time) (bool, error) {
	var due, missing bool
	if err := s.pool.QueryRow(ctx, cursorDueSQL, consumer, now).Scan(&due, &missing); err != nil || !due {
		return false, err
	}
	if missing {
		if _, err := s.pool.Exec(ctx, ensureCursorsSQL, consumer); err != nil {
			return false, err
		}
	}
	return true, nil
}

// pickCursor locks the cursor to claim at now, if any, and returns its
// workspace, its seq and the last seq of the workspace's outbox.
func pickCursor(ctx context.Context, tx pgx.Tx, consumer string, now time.Time) (ws string, seq, last int64, ok bool, err error) {
	err = tx.QueryRow(ctx, pickCursorSQL, consumer, now).Scan(&ws, &seq, &last)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, 0, false, nil
	}
	if err != nil {
		return "", 0, 0, false, fmt.Errorf("pick cursor: %w", err)
	}
	return ws, seq, last, true, nil
}

// FanOut makes the deliveries of the next events of one workspace.
func (s *Store) FanOut(ctx context.Context, limit int) (_ store.FanOutResult, err error) {
	defer classify(&err)
	limit = min(max(limit, 1), maxEvents)
	now := s.now().UTC().Truncate(timePrecision)
	if ok, err := s.cursorDue(ctx, store.ConsumerWebhooks, now); !ok || err != nil {
		if err != nil {
			return store.FanOutResult{}, fmt.Errorf("fan out: %w", err)
		}
		return store.FanOutResult{}, nil
	}
	var res store.FanOutResult
	err = s.tx(ctx, func(tx pgx.Tx) error {
		res = store.FanOutResult{}
		ws, seq, last, ok, err := pickCursor(ctx, tx, store.ConsumerWebhooks, now)
		if !ok || err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT seq, id, type FROM events WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, ws, seq, limit)
		if err != nil {
			return fmt.Errorf("fan out: %w", err)
		}
		evs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Event, error) {
			var e store.Event
			err := row.Scan(&e.Seq, &e.ID, &e.Type)
			return e, err
		})
		if err != nil {
			return fmt.Errorf("fan out: %w", err)
		}
		rows, err = tx.Query(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE workspace_id = $1 AND enabled`, ws)
		if err != nil {
			return fmt.Errorf("fan out: %w", err)
		}
		hooks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Webhook, error) { return scanWebhook(row) })
		if err != nil {
			return fmt.Errorf("fan out: %w", err)
		}
		var ids, webhookIDs, eventIDs, types []string
		var seqs []int64
		next := seq
		for _, e := range evs {
			for _, w := range hooks {
				if e.Seq > w.AfterSeq && w.Wants(e.Type) {
					ids, webhookIDs, seqs, eventIDs, types = append(ids, id.New(id.Delivery)), append(webhookIDs, w.ID), append(seqs, e.Seq), append(eventIDs, e.ID), append(types, e.Type)
				}
			}
			next = e.Seq
		}
		if len(evs) == 0 {
			// The events before last are gone: nothing to deliver.
			next = last
		}
		if len(ids) > 0 {
			tag, err := tx.Exec(ctx, `INSERT INTO deliveries (id, webhook_id, workspace_id, event_seq, event_id, event_type, status, attempts, next_attempt)
				SELECT u.id, u.webhook_id, $1, u.seq, u.event_id, u.type, 'pending', 0, $2
				FROM unnest($3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[]) AS u (id, webhook_id, seq, event_id, type)
				ON CONFLICT DO NOTHING`, ws, now, ids, webhookIDs, seqs, eventIDs, types)
			if err != nil {
				return fmt.Errorf("fan out: %w", err)
			}
			res.Deliveries = int(tag.RowsAffected())
		}
		if _, err := tx.Exec(ctx, `UPDATE outbox_cursors SET seq = $3, lease_owner = NULL, lease_until = $4 WHERE consumer = $1 AND workspace_id = $2`,
			store.ConsumerWebhooks, ws, next, now); err != nil {
			return fmt.Errorf("fan out: %w", err)
		}
		res.WorkspaceID, res.Events = ws, len(evs)
		return nil
	})
	if err != nil {
		return store.FanOutResult{}, err
	}
	return res, nil
}

// ClaimCursor claims a consumer's cursor in a workspace with events
// beyond it.
func (s *Store) ClaimCursor(ctx context.Context, consumer, owner string, lease time.Duration) (_ store.OutboxCursor, _ bool, err error) {
	defer classify(&err)
	now := s.now().UTC().Truncate(timePrecision)
	if ok, err := s.cursorDue(ctx, consumer, now); !ok || err != nil {
		if err != nil {
			return store.OutboxCursor{}, false, fmt.Errorf("claim cursor: %w", err)
		}
		return store.OutboxCursor{}, false, nil
	}
	var (
		c  store.OutboxCursor
		ok bool
	)
	err = s.tx(ctx, func(tx pgx.Tx) error {
		ws, seq, last, found, err := pickCursor(ctx, tx, consumer, now)
		if !found || err != nil {
			ok = false
			return err
		}
		c = store.OutboxCursor{Consumer: consumer, WorkspaceID: ws, Seq: seq, Last: last, Owner: owner, LeaseUntil: now.Add(lease)}
		ok = true
		_, err = tx.Exec(ctx, `UPDATE outbox_cursors SET lease_owner = $3, lease_until = $4 WHERE consumer = $1 AND workspace_id = $2`,
			consumer, ws, owner, c.LeaseUntil)
		return err
	})
	if err != nil {
		return store.OutboxCursor{}, false, fmt.Errorf("claim cursor: %w", err)
	}
	return c, ok, nil
}

// AdvanceCursor records progress under a claim and extends its lease.
func (s *Store) AdvanceCursor(ctx context.Context, c *store.OutboxCursor, seq int64, lease time.Duration) (err error) {
	defer classify(&err)
	until := s.now().UTC().Truncate(timePrecision).Add(lease)
	if err := s.moveCursor(ctx, *c, seq, c.Owner, until); err != nil {
		return err
	}
	c.Seq, c.LeaseUntil = seq, until
	return nil
}

// ReleaseCursor records progress and ends a claim.
func (s *Store) ReleaseCursor(ctx context.Context, c store.OutboxCursor, seq int64, retry time.Time) (err error) {
	defer classify(&err)
	until := retry
	if until.IsZero() {
		until = s.now()
	}
	return s.moveCursor(ctx, c, seq, "", until.UTC().Truncate(timePrecision))
}

// moveCursor sets the seq and lease of the cursor that c claimed, if
// c's lease still holds it.
func (s *Store) moveCursor(ctx context.Context, c store.OutboxCursor, seq int64, owner string, until time.Time) error {
	if seq < c.Seq {
		return fmt.Errorf("cursor of %s in %s: seq %d is before %d", c.Consumer, c.WorkspaceID, seq, c.Seq)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE outbox_cursors SET seq = $1, lease_owner = $2, lease_until = $3
		WHERE consumer = $4 AND workspace_id = $5 AND lease_owner = $6 AND lease_until = $7`,
		seq, nullString(owner), until, c.Consumer, c.WorkspaceID, c.Owner, c.LeaseUntil)
	if err != nil {
		return fmt.Errorf("move cursor: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("cursor of %s in %s: %w", c.Consumer, c.WorkspaceID, store.ErrLeaseLost)
	}
	return nil
}

// deliveryCols are the columns scanDelivery reads, in its order.
const deliveryCols = `d.id, d.webhook_id, d.workspace_id, d.event_seq, d.event_id, d.event_type, d.status, d.attempts,
	d.next_attempt, d.lease_until, d.last_attempt, coalesce(d.last_status, 0), coalesce(d.last_error, ''), d.delivered_at`

func scanDelivery(row pgx.Row, extra ...any) (store.Delivery, error) {
	var (
		d                        store.Delivery
		next, lease, last, deliv *time.Time
	)
	dest := append([]any{&d.ID, &d.WebhookID, &d.WorkspaceID, &d.EventSeq, &d.EventID, &d.EventType, &d.Status, &d.Attempts,
		&next, &lease, &last, &d.LastStatus, &d.LastError, &deliv}, extra...)
	if err := row.Scan(dest...); err != nil {
		return d, err
	}
	for _, f := range []struct {
		from *time.Time
		to   *time.Time
	}{{next, &d.NextAttempt}, {lease, &d.LeaseUntil}, {last, &d.LastAttempt}, {deliv, &d.DeliveredAt}} {
		if f.from != nil {
			*f.to = f.from.UTC()
		}
	}
	return d, nil
}

// dueSQL selects the deliveries that are due at $1, the earliest first,
// at most $2 of them.
const dueSQL = `SELECT d.id FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
	WHERE d.status = 'pending' AND d.next_attempt <= $1 AND (d.lease_until IS NULL OR d.lease_until <= $1) AND w.enabled
	ORDER BY d.next_attempt LIMIT $2`

// claimSQL leases the deliveries due at $1, at most $2, until $3, and
// returns them with what sending them takes.
const claimSQL = `WITH due AS (` + dueSQL + ` FOR UPDATE OF d SKIP LOCKED),
	claimed AS (UPDATE deliveries d SET lease_until = $3 FROM due WHERE d.id = due.id RETURNING d.*)
	SELECT ` + deliveryCols + `, w.url, w.secret, ws.slug, coalesce(e.id, ''), e.occurred, coalesce(e.subject, ''), e.data
	FROM claimed d JOIN webhooks w ON w.id = d.webhook_id JOIN workspaces ws ON ws.id = d.workspace_id
	LEFT JOIN events e ON e.workspace_id = d.workspace_id AND e.seq = d.event_seq
	ORDER BY d.next_attempt, d.id`

// ClaimDeliveries claims due deliveries.
func (s *Store) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) (_ []store.DueDelivery, err error) {
	defer classify(&err)
	if limit < 1 {
		return nil, fmt.Errorf("claim deliveries: limit %d: must be positive", limit)
	}
	// Unlike the claims of cursors, this one needs no look first: one
	// statement, which writes nothing when nothing is due.
	now := s.now().UTC().Truncate(timePrecision)
	rows, err := s.pool.Query(ctx, claimSQL, now, limit, now.Add(lease))
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.DueDelivery, error) {
		var (
			dd       store.DueDelivery
			occurred *time.Time
			data     []byte
		)
		var err error
		dd.Delivery, err = scanDelivery(row, &dd.URL, &dd.Secret, &dd.WorkspaceSlug, &dd.Event.ID, &occurred, &dd.Event.Subject, &data)
		if err != nil || dd.Event.ID == "" {
			return dd, err
		}
		dd.Event.Seq, dd.Event.WorkspaceID, dd.Event.Type, dd.Event.Occurred, dd.Event.Data = dd.EventSeq, dd.WorkspaceID, dd.EventType, occurred.UTC(), data
		return dd, nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// deliveryOutcome returns the status and next attempt o leads to.
func deliveryOutcome(o store.DeliveryOutcome) (store.DeliveryStatus, time.Time) {
	switch {
	case o.Delivered:
		return store.DeliveryDelivered, time.Time{}
	case !o.Retry.IsZero():
		return store.DeliveryPending, o.Retry
	}
	return store.DeliveryDead, time.Time{}
}

// FinishDelivery records an attempt's outcome and ends its claim.
func (s *Store) FinishDelivery(ctx context.Context, d store.Delivery, o store.DeliveryOutcome) (err error) {
	defer classify(&err)
	if d.LeaseUntil.IsZero() {
		return fmt.Errorf("delivery %s: not claimed: %w", d.ID, store.ErrLeaseLost)
	}
	if o.At.IsZero() {
		o.At = s.now()
	}
	status, next := deliveryOutcome(o)
	var delivered time.Time
	if o.Delivered {
		delivered = o.At
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE deliveries SET status = $2, attempts = attempts + 1, next_attempt = $3, lease_until = NULL,
			last_attempt = $4, last_status = $5, last_error = $6, delivered_at = $7
			WHERE id = $1 AND status = 'pending' AND lease_until = $8`,
			d.ID, string(status), optTime(next), o.At, o.Status, nullString(o.Error), optTime(delivered), d.LeaseUntil)
		if err != nil {
			return fmt.Errorf("finish delivery: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("delivery %s: %w", d.ID, store.ErrLeaseLost)
		}
		var status *int
		if o.Status != 0 {
			status = &o.Status
		}
		if _, err := tx.Exec(ctx, `INSERT INTO delivery_attempts (delivery_id, at, status, error) VALUES ($1, $2, $3, $4)`,
			d.ID, o.At, status, nullString(o.Error)); err != nil {
			return fmt.Errorf("record attempt: %w", err)
		}
		if o.DisableWebhook != "" {
			if _, err := tx.Exec(ctx, `UPDATE webhooks SET enabled = false, disabled_reason = $2 WHERE id = $1`, d.WebhookID, o.DisableWebhook); err != nil {
				return fmt.Errorf("disable webhook: %w", err)
			}
		}
		return nil
	})
}

// Delivery returns one delivery of a workspace.
func (s *Store) Delivery(ctx context.Context, ws, id string) (_ store.Delivery, err error) {
	defer classify(&err)
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryCols+` FROM deliveries d WHERE d.workspace_id = $1 AND d.id = $2`, ws, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("delivery %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("get delivery: %w", err)
	}
	return s.withAttemptLog(ctx, d)
}

func (s *Store) withAttemptLog(ctx context.Context, d store.Delivery) (store.Delivery, error) {
	ds := []store.Delivery{d}
	err := s.attemptLogs(ctx, ds)
	return ds[0], err
}

// attemptLogs reads the AttemptLog of deliveries.
func (s *Store) attemptLogs(ctx context.Context, ds []store.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	at := make(map[string]int, len(ds))
	ids := make([]string, len(ds))
	for i, d := range ds {
		at[d.ID], ids[i] = i, d.ID
	}
	rows, err := s.pool.Query(ctx, `SELECT delivery_id, at, coalesce(status, 0), coalesce(error, '') FROM delivery_attempts
		WHERE delivery_id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return fmt.Errorf("delivery attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id string
			a  store.DeliveryAttempt
		)
		if err := rows.Scan(&id, &a.At, &a.Status, &a.Error); err != nil {
			return fmt.Errorf("delivery attempts: %w", err)
		}
		a.At = a.At.UTC()
		d := &ds[at[id]]
		d.AttemptLog = append(d.AttemptLog, a)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("delivery attempts: %w", err)
	}
	return nil
}

// maxDeliveries bounds a page of deliveries.
const maxDeliveries = 1000

// Deliveries returns one page of a webhook's deliveries, newest event
// first. The cursor is the seq of the last event of the page before.
func (s *Store) Deliveries(ctx context.Context, q store.DeliveryQuery) (_ store.DeliveryPage, err error) {
	defer classify(&err)
	var page store.DeliveryPage
	if q.Limit < 1 {
		return page, fmt.Errorf("deliveries: limit %d: must be positive", q.Limit)
	}
	limit := min(q.Limit, maxDeliveries)
	var before int64 // 0: from the newest
	if q.Cursor != "" {
		n, err := strconv.ParseInt(q.Cursor, 10, 64)
		if err != nil || n < 1 {
			return page, store.ErrInvalidCursor
		}
		before = n
	}
	query, args := `SELECT `+deliveryCols+` FROM deliveries d WHERE d.workspace_id = $1 AND d.webhook_id = $2`, []any{q.WorkspaceID, q.WebhookID}
	if q.Status != "" {
		args = append(args, string(q.Status))
		query += ` AND d.status = $` + strconv.Itoa(len(args))
	}
	if before > 0 {
		args = append(args, before)
		query += ` AND d.event_seq < $` + strconv.Itoa(len(args))
	}
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, query+` ORDER BY d.event_seq DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return page, fmt.Errorf("deliveries: %w", err)
	}
	page.Deliveries, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Delivery, error) { return scanDelivery(row) })
	if err != nil {
		return page, fmt.Errorf("deliveries: %w", err)
	}
	if len(page.Deliveries) > limit {
		page.Deliveries = page.Deliveries[:limit]
		page.NextCursor = strconv.FormatInt(page.Deliveries[limit-1].EventSeq, 10)
	}
	return page, s.attemptLogs(ctx, page.Deliveries)
}

// Redeliver makes a delivery pending and due again.
func (s *Store) Redeliver(ctx context.Context, ws, id string) (_ store.Delivery, err error) {
	defer classify(&err)
	d, err := scanDelivery(s.pool.QueryRow(ctx, `UPDATE deliveries d SET status = 'pending', attempts = 0, next_attempt = $3, lease_until = NULL, delivered_at = NULL
		WHERE d.workspace_id = $1 AND d.id = $2 RETURNING `+deliveryCols, ws, id, s.now()))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("delivery %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("redeliver: %w", err)
	}
	return s.withAttemptLog(ctx, d)
}
