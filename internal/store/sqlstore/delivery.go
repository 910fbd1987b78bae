package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/store"
)

// A claim marks what it claims with a lease, which keeps it from other
// claims after the commit until it runs out. Where rows are locked, the
// claim takes them with FOR UPDATE SKIP LOCKED, so that replicas claiming
// at once each take other rows rather than queue for the same ones; on
// SQLite every claim is a write transaction, and so one at a time under
// the single writer. A claim first looks for something to claim without
// locking or writing, so that finding nothing, the usual case, costs one
// read and makes no writer wait.

// webhookCols are the columns scanWebhook reads, in its order.
const webhookCols = `id, workspace_id, url, secret, event_types, enabled, created, coalesce(disabled_reason, ''), after_seq`

func scanWebhook(sc scanner) (store.Webhook, error) {
	var (
		w     store.Webhook
		types sql.NullString
	)
	if err := sc.Scan(&w.ID, &w.WorkspaceID, &w.URL, &w.Secret, &types, &w.Enabled, scanTime{&w.Created}, &w.DisabledReason, &w.AfterSeq); err != nil {
		return w, err
	}
	if types.Valid {
		if err := json.Unmarshal([]byte(types.String), &w.EventTypes); err != nil {
			return w, fmt.Errorf("event types of webhook %s: %w", w.ID, err)
		}
	}
	return w, nil
}

// eventTypesArg is the event_types column of types: NULL for every type.
func eventTypesArg(types []string) (any, error) {
	if len(types) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(types)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// CreateWebhook stores a new webhook, which receives the events appended
// after it. An append that has not committed yet counts as after.
func (s *Store) CreateWebhook(ctx context.Context, w *store.Webhook) error {
	types, err := eventTypesArg(w.EventTypes)
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	if w.Created.IsZero() {
		w.Created = s.now()
	}
	w.Created = w.Created.UTC().Truncate(timePrecision)
	err = s.Tx(ctx, func(tx Conn) error {
		return tx.QueryRowContext(ctx, `INSERT INTO webhooks (id, workspace_id, url, secret, event_types, enabled, created, disabled_reason, after_seq)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, coalesce((SELECT seq FROM event_counters WHERE workspace_id = ?2), 0))
			RETURNING after_seq`,
			w.ID, w.WorkspaceID, w.URL, w.Secret, types, w.Enabled, tx.time(w.Created), nullString(w.DisabledReason)).Scan(&w.AfterSeq)
	})
	switch {
	case s.d.IsForeignKeyViolation(err):
		return fmt.Errorf("workspace %q: %w", w.WorkspaceID, store.ErrNotFound)
	case s.d.IsUniqueViolation(err):
		return fmt.Errorf("webhook %s: %w", w.ID, store.ErrAlreadyExists)
	case err != nil:
		return fmt.Errorf("create webhook: %w", err)
	}
	return nil
}

// Webhook returns one webhook of a workspace.
func (s *Store) Webhook(ctx context.Context, ws, id string) (store.Webhook, error) {
	return webhook(ctx, s.Read(), ws, id, "")
}

// webhook reads a webhook, locked until the commit with lock (a strength
// for Dialect.Lock) if not "".
func webhook(ctx context.Context, c Conn, ws, id, lock string) (store.Webhook, error) {
	w, err := scanWebhook(c.QueryRowContext(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE workspace_id = ? AND id = ?`+c.lock(lock), ws, id))
	return w, rowErr(err, "webhook %s", id)
}

// Webhooks lists a workspace's webhooks in creation order.
func (s *Store) Webhooks(ctx context.Context, ws string) ([]store.Webhook, error) {
	return collect(ctx, s.Read(), "list webhooks", scanWebhook, `SELECT `+webhookCols+` FROM webhooks WHERE workspace_id = ? ORDER BY created, id`, ws)
}

// UpdateWebhook runs fn on the webhook, locked, and stores what it
// changed.
func (s *Store) UpdateWebhook(ctx context.Context, ws, id string, fn func(*store.Webhook) error) (store.Webhook, error) {
	var out store.Webhook
	err := s.Tx(ctx, func(tx Conn) error {
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
		if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET url = ?, secret = ?, event_types = ?, enabled = ?, disabled_reason = ? WHERE id = ?`,
			w.URL, w.Secret, types, w.Enabled, nullString(w.DisabledReason), id); err != nil {
			return fmt.Errorf("update webhook: %w", err)
		}
		out, err = webhook(ctx, tx, ws, id, "")
		return err
	})
	return out, err
}

// DeleteWebhook deletes a webhook with its deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, ws, id string) error {
	return s.Tx(ctx, func(tx Conn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE workspace_id = ? AND id = ?`, ws, id)
		if err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("webhook %s: %w", id, store.ErrNotFound)
		}
		return nil
	})
}

// StartConsumer puts a new consumer's cursors at the end of every
// workspace's outbox. Replicas starting together insert the same rows,
// and the conflicts leave the first.
func (s *Store) StartConsumer(ctx context.Context, consumer string) error {
	err := s.Tx(ctx, func(tx Conn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO outbox_cursors (consumer, workspace_id, seq)
			SELECT ?1, w.id, coalesce(c.seq, 0) FROM workspaces w LEFT JOIN event_counters c ON c.workspace_id = w.id
			WHERE NOT EXISTS (SELECT 1 FROM outbox_cursors WHERE consumer = ?1)
			ON CONFLICT DO NOTHING`, consumer)
		return err
	})
	if err != nil {
		return fmt.Errorf("start consumer %s: %w", consumer, err)
	}
	return nil
}

// cursorDueSQL tells whether consumer ?1 has a cursor to claim at time
// ?2, and whether one of those is still to be made: a workspace without
// a cursor has one at 0.
const cursorDueSQL = `SELECT count(*) > 0, count(*) FILTER (WHERE o.workspace_id IS NULL) > 0 FROM event_counters c
	LEFT JOIN outbox_cursors o ON o.consumer = ?1 AND o.workspace_id = c.workspace_id
	WHERE c.seq > coalesce(o.seq, 0) AND (o.lease_until IS NULL OR o.lease_until <= ?2)`

// ensureCursorsSQL gives consumer ?1 a cursor at 0 in each workspace
// with events that it has none in, so that pickCursorSQL can lock it.
const ensureCursorsSQL = `INSERT INTO outbox_cursors (consumer, workspace_id, seq)
	SELECT ?1, c.workspace_id, 0 FROM event_counters c
	WHERE NOT EXISTS (SELECT 1 FROM outbox_cursors o WHERE o.consumer = ?1 AND o.workspace_id = c.workspace_id)
	ON CONFLICT DO NOTHING`

// pickCursorSQL finds the cursor of consumer ?1 to claim at time ?2: one
// behind its workspace's outbox and not leased, the least recently
// claimed first. The dialect's lock follows.
const pickCursorSQL = `SELECT o.workspace_id, o.seq, c.seq FROM outbox_cursors o JOIN event_counters c ON c.workspace_id = o.workspace_id
	WHERE o.consumer = ?1 AND c.seq > o.seq AND (o.lease_until IS NULL OR o.lease_until <= ?2)
	ORDER BY o.lease_until NULLS FIRST, o.workspace_id LIMIT 1`

// cursorDue reports whether consumer has a cursor to claim at now, and
// if so gives it a cursor in each workspace it has none in, for
// claimCursor to lock. Both run before, and outside, the transaction that
// claims, so that an idle poll takes no lock and a new cursor is
// committed before anyone waits on it.
func (s *Store) cursorDue(ctx context.Context, consumer string, now time.Time) (bool, error) {
	var due, missing bool
	if err := s.Read().QueryRowContext(ctx, cursorDueSQL, consumer, s.d.TimeArg(now)).Scan(&due, &missing); err != nil || !due {
		return false, err
	}
	if missing {
		return true, s.Tx(ctx, func(tx Conn) error {
			_, err := tx.ExecContext(ctx, ensureCursorsSQL, consumer)
			return err
		})
	}
	return true, nil
}

// claimCursor locks, in a write transaction, the cursor of consumer to
// claim at now, if any, skipping those other transactions hold, and runs
// fn on it there: c has its workspace, its seq and the last seq of the
// workspace's outbox. ok is false if there was none to claim.
func (s *Store) claimCursor(ctx context.Context, consumer string, now time.Time, fn func(tx Conn, c *store.OutboxCursor) error) (c store.OutboxCursor, ok bool, err error) {
	if ok, err := s.cursorDue(ctx, consumer, now); !ok || err != nil {
		return c, false, err
	}
	err = s.Tx(ctx, func(tx Conn) error {
		c = store.OutboxCursor{Consumer: consumer}
		err := tx.QueryRowContext(ctx, pickCursorSQL+tx.lock("FOR UPDATE OF o SKIP LOCKED"), consumer, tx.time(now)).Scan(&c.WorkspaceID, &c.Seq, &c.Last)
		if ok = err == nil; !ok {
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return fmt.Errorf("pick cursor: %w", err)
		}
		return fn(tx, &c)
	})
	return c, ok, err
}

// FanOut makes the deliveries of the next events of one workspace.
func (s *Store) FanOut(ctx context.Context, limit int) (store.FanOutResult, error) {
	limit = min(max(limit, 1), maxEvents)
	now := s.now()
	var res store.FanOutResult
	_, ok, err := s.claimCursor(ctx, store.ConsumerWebhooks, now, func(tx Conn, c *store.OutboxCursor) error {
		ws := c.WorkspaceID
		evs, err := collect(ctx, tx, "events", func(sc scanner) (e store.Event, err error) {
			err = sc.Scan(&e.Seq, &e.ID, &e.Type)
			return e, err
		}, `SELECT seq, id, type FROM events WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?`, ws, c.Seq, limit)
		if err != nil {
			return err
		}
		hooks, err := collect(ctx, tx, "webhooks", scanWebhook, `SELECT `+webhookCols+` FROM webhooks WHERE workspace_id = ? AND enabled`, ws)
		if err != nil {
			return err
		}
		var args []any
		next := c.Seq
		for _, e := range evs {
			for _, w := range hooks {
				if e.Seq > w.AfterSeq && w.Wants(e.Type) {
					args = append(args, id.New(id.Delivery), w.ID, ws, e.Seq, e.ID, e.Type, tx.time(now))
				}
			}
			next = e.Seq
		}
		if len(evs) == 0 {
			// The events before last are gone: nothing to deliver.
			next = c.Last
		}
		n, err := insertRows(ctx, tx, `INSERT INTO deliveries (id, webhook_id, workspace_id, event_seq, event_id, event_type, status, attempts, next_attempt) VALUES `,
			`(?, ?, ?, ?, ?, ?, 'pending', 0, ?)`, ` ON CONFLICT DO NOTHING`, args)
		if err != nil {
			return err
		}
		res = store.FanOutResult{WorkspaceID: ws, Events: len(evs), Deliveries: int(n)}
		_, err = tx.ExecContext(ctx, `UPDATE outbox_cursors SET seq = ?, lease_owner = NULL, lease_until = ? WHERE consumer = ? AND workspace_id = ?`,
			next, tx.time(now), store.ConsumerWebhooks, ws)
		return err
	})
	if err != nil {
		return store.FanOutResult{}, fmt.Errorf("fan out: %w", err)
	}
	if !ok {
		return store.FanOutResult{}, nil
	}
	return res, nil
}

// ClaimCursor claims a consumer's cursor in a workspace with events
// beyond it.
func (s *Store) ClaimCursor(ctx context.Context, consumer, owner string, lease time.Duration) (store.OutboxCursor, bool, error) {
	now := s.now()
	c, ok, err := s.claimCursor(ctx, consumer, now, func(tx Conn, c *store.OutboxCursor) error {
		c.Owner, c.LeaseUntil = owner, now.Add(lease)
		_, err := tx.ExecContext(ctx, `UPDATE outbox_cursors SET lease_owner = ?, lease_until = ? WHERE consumer = ? AND workspace_id = ?`,
			owner, tx.time(c.LeaseUntil), consumer, c.WorkspaceID)
		return err
	})
	if err != nil {
		return store.OutboxCursor{}, false, fmt.Errorf("claim cursor: %w", err)
	}
	if !ok {
		return store.OutboxCursor{}, false, nil
	}
	return c, true, nil
}

// AdvanceCursor records progress under a claim and extends its lease.
func (s *Store) AdvanceCursor(ctx context.Context, c *store.OutboxCursor, seq int64, lease time.Duration) error {
	until := s.now().Add(lease)
	if err := s.moveCursor(ctx, *c, seq, c.Owner, until); err != nil {
		return err
	}
	c.Seq, c.LeaseUntil = seq, until
	return nil
}

// ReleaseCursor records progress and ends a claim.
func (s *Store) ReleaseCursor(ctx context.Context, c store.OutboxCursor, seq int64, retry time.Time) error {
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
	return s.Tx(ctx, func(tx Conn) error {
		n, err := tx.exec(ctx, `UPDATE outbox_cursors SET seq = ?, lease_owner = ?, lease_until = ?
			WHERE consumer = ? AND workspace_id = ? AND lease_owner = ? AND lease_until = ?`,
			seq, nullString(owner), tx.time(until), c.Consumer, c.WorkspaceID, c.Owner, tx.time(c.LeaseUntil))
		if err != nil {
			return fmt.Errorf("move cursor: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("cursor of %s in %s: %w", c.Consumer, c.WorkspaceID, store.ErrLeaseLost)
		}
		return nil
	})
}

// deliveryCols are the columns scanDelivery reads, in its order.
const deliveryCols = `d.id, d.webhook_id, d.workspace_id, d.event_seq, d.event_id, d.event_type, d.status, d.attempts,
	d.next_attempt, d.lease_until, d.last_attempt, coalesce(d.last_status, 0), coalesce(d.last_error, ''), d.delivered_at`

func scanDelivery(sc scanner, extra ...any) (store.Delivery, error) {
	var d store.Delivery
	dest := append([]any{&d.ID, &d.WebhookID, &d.WorkspaceID, &d.EventSeq, &d.EventID, &d.EventType, &d.Status, &d.Attempts,
		scanOptTime{&d.NextAttempt}, scanOptTime{&d.LeaseUntil}, scanOptTime{&d.LastAttempt}, &d.LastStatus, &d.LastError,
		scanOptTime{&d.DeliveredAt}}, extra...)
	err := sc.Scan(dest...)
	return d, err
}

// dueSQL selects the deliveries that are due at ?1, the earliest first,
// at most ?2 of them. The dialect's lock follows.
const dueSQL = `SELECT d.id FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
	WHERE d.status = 'pending' AND d.next_attempt <= ?1 AND (d.lease_until IS NULL OR d.lease_until <= ?1) AND w.enabled
	ORDER BY d.next_attempt LIMIT ?2`

// claimSQL leases the deliveries due at ?1, at most ?2, until ?3, and
// returns them with what sending them takes, in one statement, where the
// database takes data-modifying WITH (PostgreSQL).
const claimSQL = `WITH due AS (` + dueSQL + ` FOR UPDATE OF d SKIP LOCKED),
	claimed AS (UPDATE deliveries d SET lease_until = ?3 FROM due WHERE d.id = due.id RETURNING d.*)
	SELECT ` + deliveryCols + `, ` + dueDeliveryCols + `
	FROM claimed d JOIN webhooks w ON w.id = d.webhook_id JOIN workspaces ws ON ws.id = d.workspace_id
	LEFT JOIN events e ON e.workspace_id = d.workspace_id AND e.seq = d.event_seq
	ORDER BY d.next_attempt, d.id`

// dueDeliveryCols are the columns scanDueDelivery reads after those of
// deliveryCols.
const dueDeliveryCols = `w.url, w.secret, ws.slug, coalesce(e.id, ''), e.occurred, coalesce(e.subject, ''), e.data`

func scanDueDelivery(sc scanner) (store.DueDelivery, error) {
	var (
		dd   store.DueDelivery
		data []byte
		err  error
	)
	dd.Delivery, err = scanDelivery(sc, &dd.URL, &dd.Secret, &dd.WorkspaceSlug, &dd.Event.ID, scanOptTime{&dd.Event.Occurred}, &dd.Event.Subject, &data)
	if err == nil && dd.Event.ID != "" {
		dd.Event.Seq, dd.Event.WorkspaceID, dd.Event.Type, dd.Event.Data = dd.EventSeq, dd.WorkspaceID, dd.EventType, data
	}
	return dd, err
}

// ClaimDeliveries claims due deliveries. Where the database batches, one
// statement, which writes nothing when nothing is due, claims them;
// elsewhere a look for something due comes first, on a reader, and the
// claim is a write transaction of two statements.
func (s *Store) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]store.DueDelivery, error) {
	if limit < 1 {
		return nil, fmt.Errorf("claim deliveries: limit %d: must be positive", limit)
	}
	now := s.now()
	if s.d.Batches() {
		return collect(ctx, s.Read(), "claim deliveries", scanDueDelivery, claimSQL, s.d.TimeArg(now), limit, s.d.TimeArg(now.Add(lease)))
	}
	var due string
	err := s.Read().QueryRowContext(ctx, dueSQL, s.d.TimeArg(now), 1).Scan(&due)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	var out []store.DueDelivery
	err = s.Tx(ctx, func(tx Conn) error {
		out = nil
		ids, err := collect(ctx, tx, "claim", func(sc scanner) (id string, err error) {
			err = sc.Scan(&id)
			return id, err
		}, `UPDATE deliveries SET lease_until = ?3 WHERE id IN (`+dueSQL+`) RETURNING id`, tx.time(now), limit, tx.time(now.Add(lease)))
		if err != nil || len(ids) == 0 {
			return err
		}
		out, err = collect(ctx, tx, "claimed", scanDueDelivery, `SELECT `+deliveryCols+`, `+dueDeliveryCols+`
			FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN workspaces ws ON ws.id = d.workspace_id
			LEFT JOIN events e ON e.workspace_id = d.workspace_id AND e.seq = d.event_seq
			WHERE d.id IN (SELECT value FROM `+tx.s.d.List("text")+`) ORDER BY d.next_attempt, d.id`, tx.list(ids))
		return err
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
func (s *Store) FinishDelivery(ctx context.Context, d store.Delivery, o store.DeliveryOutcome) error {
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
	return s.Tx(ctx, func(tx Conn) error {
		n, err := tx.exec(ctx, `UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt = ?, lease_until = NULL,
			last_attempt = ?, last_status = ?, last_error = ?, delivered_at = ?
			WHERE id = ? AND status = 'pending' AND lease_until = ?`,
			string(status), tx.optTime(next), tx.time(o.At), o.Status, nullString(o.Error), tx.optTime(delivered), d.ID, tx.time(d.LeaseUntil))
		if err != nil {
			return fmt.Errorf("finish delivery: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("delivery %s: %w", d.ID, store.ErrLeaseLost)
		}
		var status any
		if o.Status != 0 {
			status = o.Status
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO delivery_attempts (delivery_id, at, status, error, response) VALUES (?, ?, ?, ?, ?)`,
			d.ID, tx.time(o.At), status, nullString(o.Error), nullString(o.Response)); err != nil {
			return fmt.Errorf("record attempt: %w", err)
		}
		if o.DisableWebhook != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET enabled = false, disabled_reason = ? WHERE id = ?`, o.DisableWebhook, d.WebhookID); err != nil {
				return fmt.Errorf("disable webhook: %w", err)
			}
		}
		return nil
	})
}

// Delivery returns one delivery of a workspace.
func (s *Store) Delivery(ctx context.Context, ws, id string) (store.Delivery, error) {
	return delivery(ctx, s.Read(), ws, id)
}

func delivery(ctx context.Context, c Conn, ws, id string) (store.Delivery, error) {
	d, err := scanDelivery(c.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM deliveries d WHERE d.workspace_id = ? AND d.id = ?`, ws, id))
	if err != nil {
		return d, rowErr(err, "delivery %s", id)
	}
	ds := []store.Delivery{d}
	err = attemptLogs(ctx, c, ds)
	return ds[0], err
}

// attemptLogs reads the AttemptLog of deliveries.
func attemptLogs(ctx context.Context, c Conn, ds []store.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	at := make(map[string]int, len(ds))
	ids := make([]string, len(ds))
	for i, d := range ds {
		at[d.ID], ids[i] = i, d.ID
	}
	_, err := collect(ctx, c, "delivery attempts", func(sc scanner) (a store.DeliveryAttempt, err error) {
		var id string
		if err = sc.Scan(&id, scanTime{&a.At}, &a.Status, &a.Error, &a.Response); err == nil {
			d := &ds[at[id]]
			d.AttemptLog = append(d.AttemptLog, a)
		}
		return a, err
	}, `SELECT delivery_id, at, coalesce(status, 0), coalesce(error, ''), coalesce(response, '') FROM delivery_attempts
		WHERE delivery_id IN (SELECT value FROM `+c.s.d.List("text")+`) ORDER BY id`, c.list(ids))
	return err
}

// maxDeliveries bounds a page of deliveries.
const maxDeliveries = 1000

// Deliveries returns one page of a webhook's deliveries, newest event
// first. The cursor is the seq of the last event of the page before.
func (s *Store) Deliveries(ctx context.Context, q store.DeliveryQuery) (store.DeliveryPage, error) {
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
	// Conditions are left out rather than made trivial, so that the
	// indexes on (webhook_id, status, event_seq) and (webhook_id,
	// event_seq) serve each shape of query.
	query, args := `SELECT `+deliveryCols+` FROM deliveries d WHERE d.workspace_id = ? AND d.webhook_id = ?`, []any{q.WorkspaceID, q.WebhookID}
	if q.Status != "" {
		query, args = query+` AND d.status = ?`, append(args, string(q.Status))
	}
	if before > 0 {
		query, args = query+` AND d.event_seq < ?`, append(args, before)
	}
	var err error
	page.Deliveries, err = collect(ctx, s.Read(), "deliveries", func(sc scanner) (store.Delivery, error) { return scanDelivery(sc) }, query+` ORDER BY d.event_seq DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return page, err
	}
	if len(page.Deliveries) > limit {
		page.Deliveries = page.Deliveries[:limit]
		page.NextCursor = strconv.FormatInt(page.Deliveries[limit-1].EventSeq, 10)
	}
	return page, attemptLogs(ctx, s.Read(), page.Deliveries)
}

// Redeliver makes a delivery pending and due again.
func (s *Store) Redeliver(ctx context.Context, ws, id string) (store.Delivery, error) {
	now := s.now()
	var d store.Delivery
	err := s.Tx(ctx, func(tx Conn) error {
		n, err := tx.exec(ctx, `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt = ?, lease_until = NULL, delivered_at = NULL
			WHERE workspace_id = ? AND id = ?`, tx.time(now), ws, id)
		if err != nil {
			return fmt.Errorf("redeliver: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("delivery %s: %w", id, store.ErrNotFound)
		}
		d, err = delivery(ctx, tx, ws, id)
		return err
	})
	return d, err
}

// TestWebhook appends a test event and makes its one delivery, in one
// transaction, so that the delivery is never made without its event nor
// the event left without its delivery.
func (s *Store) TestWebhook(ctx context.Context, ws, webhookID string, e store.NewEvent) (store.Delivery, error) {
	if e.Type != eventtype.WebhookTest {
		return store.Delivery{}, fmt.Errorf("test webhook: event type %q: want %s", e.Type, eventtype.WebhookTest)
	}
	var d store.Delivery
	err := s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		// The lock keeps the webhook from being deleted before the
		// delivery refers to it.
		if _, err := webhook(ctx, tx, ws, webhookID, "FOR SHARE"); err != nil {
			return nil, err
		}
		now := s.now()
		evs, err := appendEvents(ctx, tx, ws, now, []store.NewEvent{e})
		if err != nil {
			return nil, err
		}
		ev, dlv := evs[0], id.New(id.Delivery)
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (id, webhook_id, workspace_id, event_seq, event_id, event_type, status, attempts, next_attempt)
			VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?)`, dlv, webhookID, ws, ev.Seq, ev.ID, ev.Type, tx.time(now)); err != nil {
			return nil, fmt.Errorf("test webhook: %w", err)
		}
		if d, err = delivery(ctx, tx, ws, dlv); err != nil {
			return nil, err
		}
		return []store.Change{{Kind: store.ChangeEvents, WorkspaceID: ws}}, nil
	})
	if err != nil {
		return store.Delivery{}, err
	}
	return d, nil
}
