package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/webhook"
)

// consumerWebhooks names webhooks in metrics.
const consumerWebhooks = store.ConsumerWebhooks

// maxRetryAfter bounds the wait a Retry-After header can ask for.
const maxRetryAfter = 24 * time.Hour

// maxErrorBody is how much of a failed response's body is kept with the
// error, for the delivery log.
const maxErrorBody = 256

// runWebhooks fans events out into deliveries and sends those that are
// due, Concurrency at a time, until ctx is done; then it waits for the
// sends under way.
func (d *Dispatcher) runWebhooks(ctx context.Context, w <-chan struct{}) {
	var (
		inflight          sync.WaitGroup
		slots             = make(chan struct{}, d.cfg.Concurrency)
		fanning, claiming errorLog
		// wakeSelf is how a finished send asks for another round, to
		// fill its slot; the loop's own wake-ups stay for new events.
		wakeSelf = make(chan struct{}, 1)
	)
	defer inflight.Wait()
	// A send that finishes only frees a slot: events are fanned out
	// when there may be new ones.
	fan := true
	for ctx.Err() == nil {
		if fan {
			if err := d.fanOut(ctx); ctx.Err() == nil {
				fanning.report(d.log, "fan out events to webhooks", err)
			}
		}
		for free := cap(slots) - len(slots); free > 0 && ctx.Err() == nil; free = cap(slots) - len(slots) {
			due, err := d.claimDeliveries(ctx, free)
			claiming.report(d.log, "claim webhook deliveries", err)
			if len(due) == 0 {
				break
			}
			for _, dd := range due {
				slots <- struct{}{}
				inflight.Go(func() {
					defer func() {
						<-slots
						wake(wakeSelf)
					}()
					d.send(ctx, dd)
				})
			}
		}
		select {
		case <-w:
			fan = true
			continue
		case <-wakeSelf:
			fan = false
			continue
		default:
		}
		t := time.NewTimer(d.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-w:
			fan = true
		case <-wakeSelf:
			fan = false
		case <-t.C:
			fan = true
		}
		t.Stop()
	}
}

// claimDeliveries claims at most n deliveries. The claim is not cut
// short when ctx ends: it may have been committed already, and what it
// claimed is sent, rather than left to wait out the lease.
func (d *Dispatcher) claimDeliveries(ctx context.Context, n int) ([]store.DueDelivery, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Timeout)
	defer cancel()
	return d.st.ClaimDeliveries(ctx, n, d.cfg.Lease)
}

// fanOut fans out the events of every workspace.
func (d *Dispatcher) fanOut(ctx context.Context) error {
	for ctx.Err() == nil {
		res, err := d.st.FanOut(ctx, d.cfg.Batch)
		if err != nil || res.WorkspaceID == "" {
			return err
		}
		d.cfg.Metrics.FannedOut(res.Events, res.Deliveries)
	}
	return nil
}

// send makes one attempt at a delivery and records how it went. Once
// begun, an attempt is not cut short by ctx, which stops the dispatcher,
// but only by Timeout: an attempt abandoned halfway may have reached the
// endpoint, and would be sent again.
func (d *Dispatcher) send(ctx context.Context, dd store.DueDelivery) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Timeout)
	defer cancel()
	start := time.Now()
	o := d.attempt(ctx, dd)
	took := time.Since(start)
	outcome := outcomeDelivered
	switch {
	case !o.Delivered && o.Retry.IsZero():
		outcome = outcomeDead
		d.log.Warn("webhook delivery failed for good", "delivery", dd.ID, "webhook", dd.WebhookID, "event", dd.EventID,
			"attempts", dd.Attempts+1, "status", o.Status, "err", o.Error)
	case !o.Delivered:
		outcome = outcomeRetry
	}
	if o.DisableWebhook != "" {
		d.log.Warn("webhook disabled", "webhook", dd.WebhookID, "workspace", dd.WorkspaceSlug, "reason", o.DisableWebhook)
	}
	d.cfg.Metrics.Attempted(consumerWebhooks, outcome, took)
	err := d.st.FinishDelivery(ctx, dd.Delivery, o)
	switch {
	case errors.Is(err, store.ErrLeaseLost):
		// Redelivered, or taken over after the lease ran out: the
		// other claim records its own attempt.
		d.log.Warn("webhook delivery attempted under a lost claim", "delivery", dd.ID, "event", dd.EventID, "took", took)
	case err != nil:
		// The claim lapses and the delivery is sent again.
		d.log.Error("record webhook delivery", "delivery", dd.ID, "event", dd.EventID, "err", err)
	}
}

// attempt sends a delivery and says what comes of it.
func (d *Dispatcher) attempt(ctx context.Context, dd store.DueDelivery) store.DeliveryOutcome {
	o := store.DeliveryOutcome{At: time.Now()}
	if dd.Event.ID == "" {
		o.Error = fmt.Sprintf("event %s is no longer in the outbox", dd.EventID)
		return o
	}
	secret, err := webhook.ParseSecret(dd.Secret)
	if err != nil {
		o.Error = err.Error()
		return o
	}
	payload, err := webhook.Payload(dd.Event, dd.WorkspaceSlug)
	if err != nil {
		o.Error = err.Error()
		return o
	}
	// The attempt's time, not the event's: a retry must not look like a
	// replay to a receiver that checks the timestamp.
	r := d.sender.Send(ctx, dd.URL, secret, dd.EventID, time.Now(), payload)
	o.Status = r.Status
	switch {
	case r.OK():
		o.Delivered = true
		o.Response = excerpt(r.Body)
		return o
	case r.Gone():
		o.Error = r.Err.Error()
		o.DisableWebhook = "the endpoint answered 410 Gone"
		return o
	}
	o.Error = r.Err.Error()
	if r.Body != "" {
		o.Error += ": " + excerpt(r.Body)
	}
	if wait, ok := d.cfg.Schedule.Backoff(dd.Attempts + 1); ok {
		// A Retry-After longer than the schedule is heeded, up to a
		// day, so that an endpoint cannot park its deliveries for good.
		o.Retry = o.At.Add(max(wait, min(r.RetryAfter, maxRetryAfter)))
	}
	return o
}

// excerpt is the start of a response's body, as the delivery log keeps
// it: at most maxErrorBody bytes, cut on a character's boundary, since
// the log is text.
func excerpt(body string) string {
	if len(body) > maxErrorBody {
		return strings.ToValidUTF8(body[:maxErrorBody], "") + "…"
	}
	return body
}
