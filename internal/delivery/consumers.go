package delivery

import (
	"context"
	"errors"
	"net/textproto"
	"time"

	"github.com/scimd/scimd/internal/mail"
	"github.com/scimd/scimd/internal/store"
)

// maxStallWait bounds the wait between attempts at an event that holds
// up the rest of its workspace's outbox, so that the outbox moves on
// soon after the destination is back.
const maxStallWait = time.Minute

// consumer acts on every event of every workspace's outbox, in order,
// from a cursor of its own in each: NATS publishing and welcome mail.
type consumer struct {
	d    *Dispatcher
	name string
	// handle acts on one event and says how ("" if it had nothing to
	// do). An error that permanent wraps is not retried.
	handle func(ctx context.Context, e store.Event, slug string) (outcome string, err error)
	// retryForever retries an event that fails until it succeeds, the
	// events after it waiting: a stream must not lose one. Otherwise an
	// event is given up once the schedule is spent.
	retryForever bool
	// checkpointEach records the cursor after each event, so that a
	// dispatcher that dies repeats none; otherwise after each batch,
	// and a successor repeats the batch's events, which the destination
	// must then recognize.
	checkpointEach bool

	failures map[string]int // failed attempts at events, by id
}

// permanentError is a failure that another attempt would meet again.
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// run claims and consumes cursors until ctx is done.
func (c *consumer) run(ctx context.Context, w <-chan struct{}) {
	d := c.d
	c.failures = map[string]int{}
	var claiming errorLog
	for {
		for ctx.Err() == nil {
			// As for deliveries, a claim that may have been committed
			// is seen through: consume releases it at once if ctx is
			// done.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Timeout)
			cur, ok, err := d.st.ClaimCursor(cctx, c.name, d.cfg.Owner, d.cfg.Lease)
			cancel()
			claiming.report(d.log, "claim outbox cursor", err, "consumer", c.name)
			if !ok {
				break
			}
			c.consume(ctx, cur)
		}
		if !d.idle(ctx, w) {
			return
		}
	}
}

// consume acts on a batch of events after a claimed cursor and releases
// it, past the events done, until the next attempt if one failed.
func (c *consumer) consume(ctx context.Context, cur store.OutboxCursor) {
	d := c.d
	var (
		seq   = cur.Seq
		retry time.Time
		lost  bool
	)
	defer func() {
		if lost {
			return
		}
		// Recorded even as the dispatcher stops, so that what was done
		// is not done again.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Timeout)
		defer cancel()
		if err := d.st.ReleaseCursor(rctx, cur, seq, retry); err != nil {
			d.log.Error("release outbox cursor", "consumer", c.name, "workspace", cur.WorkspaceID, "seq", seq, "err", err)
		}
	}()
	evs, err := d.st.Events(ctx, cur.WorkspaceID, cur.Seq, d.cfg.Batch)
	var slug string
	if err == nil {
		slug, err = d.slug(ctx, cur.WorkspaceID)
	}
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("read outbox", "consumer", c.name, "workspace", cur.WorkspaceID, "err", err)
			retry = time.Now().Add(d.cfg.Poll)
		}
		return
	}
	if len(evs) == 0 {
		// The events up to Last are gone: nothing to act on.
		seq = cur.Last
		return
	}
	checkpoint := time.Now()
	for _, e := range evs {
		if ctx.Err() != nil {
			return
		}
		wait, ok := c.deliver(ctx, e, slug)
		if !ok {
			retry = time.Now().Add(wait)
			return
		}
		seq = e.Seq
		// Progress is recorded at least four times a lease, which keeps
		// the claim alive through a slow batch.
		if c.checkpointEach || time.Since(checkpoint) > d.cfg.Lease/4 {
			if err := d.st.AdvanceCursor(ctx, &cur, seq, d.cfg.Lease); err != nil {
				// Lost to another dispatcher, or the database is
				// gone: releasing would fail too. Whoever holds the
				// cursor next goes on from what it says.
				d.log.Error("advance outbox cursor", "consumer", c.name, "workspace", cur.WorkspaceID, "seq", seq, "err", err)
				lost = true
				return
			}
			checkpoint = time.Now()
		}
	}
}

// deliver makes one attempt at an event. ok is false if it is to be
// tried again after wait, holding up the events after it.
func (c *consumer) deliver(ctx context.Context, e store.Event, slug string) (wait time.Duration, ok bool) {
	d := c.d
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Timeout)
	start := time.Now()
	outcome, err := c.handle(hctx, e, slug)
	cancel()
	took := time.Since(start)
	if err == nil {
		delete(c.failures, e.ID)
		if outcome != "" {
			d.cfg.Metrics.Attempted(c.name, outcome, took)
		}
		return 0, true
	}
	n := c.failures[e.ID] + 1
	wait, ok = d.cfg.Schedule.Backoff(n)
	var p permanentError
	if errors.As(err, &p) || !ok && !c.retryForever {
		delete(c.failures, e.ID)
		d.log.Error("outbox event given up", "consumer", c.name, "workspace", slug, "event", e.ID, "type", e.Type, "attempts", n, "err", err)
		d.cfg.Metrics.Attempted(c.name, outcomeDead, took)
		return 0, true
	}
	c.failures[e.ID] = n
	if c.retryForever {
		wait = min(wait, maxStallWait)
		if !ok {
			wait = maxStallWait
		}
	}
	d.log.Warn("outbox event failed; retrying", "consumer", c.name, "workspace", slug, "event", e.ID, "type", e.Type, "attempts", n, "in", wait, "err", err)
	d.cfg.Metrics.Attempted(c.name, outcomeRetry, took)
	return wait, false
}

// publish publishes an event to NATS. JetStream drops a message whose
// Nats-Msg-Id it stored within its duplicate window, so publishing again
// what a dispatcher that died had published is harmless.
func (d *Dispatcher) publish(ctx context.Context, e store.Event, slug string) (string, error) {
	if err := d.publisher.Publish(ctx, e, slug); err != nil {
		return "", err
	}
	return outcomeDelivered, nil
}

// welcome sends the welcome mail of a user.created event. A user without
// an address is skipped; a server's permanent refusal (5xx, RFC 5321
// §4.2.1) is not retried.
func (d *Dispatcher) welcome(ctx context.Context, e store.Event, _ string) (string, error) {
	if e.Type != mail.EventUserCreated {
		return "", nil
	}
	err := d.mailer.Welcome(ctx, e)
	var te *textproto.Error
	switch {
	case err == nil:
		return outcomeDelivered, nil
	case errors.Is(err, mail.ErrNoAddress):
		d.log.Debug("no welcome mail: the user has no email address", "event", e.ID, "user", e.Subject)
		return outcomeSkipped, nil
	case errors.As(err, &te) && te.Code >= 500:
		return "", permanentError{err}
	}
	return "", err
}
