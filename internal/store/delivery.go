package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
)

// ErrLeaseLost is returned for a write to a claim whose lease another
// claim has taken over since, or that was released: what the claim was
// doing is now another's to do.
var ErrLeaseLost = errors.New("lease lost")

// ConsumerWebhooks is the outbox consumer whose cursors FanOut moves.
const ConsumerWebhooks = "webhooks"

// Webhook is an HTTP endpoint that receives a workspace's events.
type Webhook struct {
	ID          string // "wh_…"
	WorkspaceID string
	URL         string
	// Secret signs what is sent to the webhook.
	Secret string
	// EventTypes are the events the webhook receives, each a type
	// ("user.created") or a prefix ending in ".*" ("user.*"); nil, or
	// empty, for every type.
	EventTypes []string
	Enabled    bool
	Created    time.Time
	// DisabledReason says why scimd disabled the webhook, e.g. its
	// endpoint answered 410 Gone; "" when an operator did.
	DisabledReason string
	// AfterSeq is the last event of the workspace's outbox when the
	// webhook was created: it receives the events after it only, however
	// far behind the delivery of events was. CreateWebhook sets it.
	AfterSeq int64
}

// Wants reports whether the webhook receives events of type typ.
func (w *Webhook) Wants(typ string) bool {
	if typ == eventtype.WebhookTest {
		// Made for one webhook by TestWebhook: the others never get it,
		// whatever types they receive.
		return false
	}
	if len(w.EventTypes) == 0 {
		return true
	}
	for _, t := range w.EventTypes {
		if prefix, ok := strings.CutSuffix(t, "*"); ok && strings.HasSuffix(prefix, ".") {
			if strings.HasPrefix(typ, prefix) {
				return true
			}
		} else if t == typ {
			return true
		}
	}
	return false
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// Delivery statuses.
const (
	// DeliveryPending is to be sent at NextAttempt.
	DeliveryPending DeliveryStatus = "pending"
	// DeliveryDelivered was accepted by the endpoint.
	DeliveryDelivered DeliveryStatus = "delivered"
	// DeliveryDead failed its last attempt: no more are made unless it
	// is redelivered.
	DeliveryDead DeliveryStatus = "dead"
)

// Delivery is the sending of one event to one webhook, with how it went.
type Delivery struct {
	ID          string // "dlv_…"
	WebhookID   string
	WorkspaceID string
	EventSeq    int64
	EventID     string
	EventType   string
	Status      DeliveryStatus
	// Attempts counts the attempts made.
	Attempts int
	// NextAttempt is when a pending delivery is due; zero otherwise.
	NextAttempt time.Time
	// LeaseUntil, while not zero, is how long a claim on the delivery
	// holds; it also tells the claim apart from later ones.
	LeaseUntil  time.Time
	LastAttempt time.Time // zero: never attempted
	LastStatus  int       // HTTP status of the last attempt; 0: no response
	LastError   string
	DeliveredAt time.Time // zero: not delivered
	// AttemptLog is every attempt made, oldest first, those before a
	// redelivery included; read by Delivery and Deliveries only.
	AttemptLog []DeliveryAttempt
}

// DeliveryAttempt is one attempt at a delivery, as FinishDelivery
// recorded it.
type DeliveryAttempt struct {
	At     time.Time
	Status int // HTTP status of the response; 0: none
	Error  string
	// Response is the start of the endpoint's answer to an attempt it
	// accepted; a failed attempt's Error ends with it instead.
	Response string
}

// DueDelivery is a claimed delivery with what sending it takes.
type DueDelivery struct {
	Delivery
	URL    string // the webhook's
	Secret string // the webhook's
	// Event is the event to send; its ID is "" if the outbox no longer
	// holds it.
	Event         Event
	WorkspaceSlug string
}

// DeliveryOutcome is how an attempt at a delivery went.
type DeliveryOutcome struct {
	At time.Time // when the attempt was made
	// Status is the HTTP status of the response; 0 for none.
	Status int
	Error  string
	// Response is the start of the endpoint's answer when it accepted
	// the event.
	Response string
	// Delivered says that the endpoint accepted the event.
	Delivered bool
	// Retry is when to try again after a failure; zero: never, the
	// delivery is dead.
	Retry time.Time
	// DisableWebhook, if not "", disables the webhook with this reason.
	DisableWebhook string
}

// DeliveryQuery selects the deliveries of one webhook, newest event
// first.
type DeliveryQuery struct {
	WorkspaceID string
	WebhookID   string
	Status      DeliveryStatus // "": any
	// Limit is the most deliveries to return, at least 1.
	Limit int
	// Cursor is "" for the first page, else a NextCursor from an earlier
	// page of the same query.
	Cursor string
}

// DeliveryPage is one page of deliveries.
type DeliveryPage struct {
	Deliveries []Delivery
	NextCursor string // "" on the last page
}

// OutboxCursor is a consumer's place in a workspace's outbox, claimed by
// Owner until LeaseUntil.
type OutboxCursor struct {
	Consumer    string
	WorkspaceID string
	// Seq is the last event the consumer is done with.
	Seq int64
	// Last is the last event of the outbox when the cursor was claimed.
	Last       int64
	Owner      string
	LeaseUntil time.Time
}

// FanOutResult is what one FanOut did.
type FanOutResult struct {
	// WorkspaceID is the workspace whose events were fanned out; "" if
	// no workspace had events to fan out.
	WorkspaceID string
	// Events counts the events passed over, Deliveries the deliveries
	// made for them.
	Events, Deliveries int
}

// DeliveryStore keeps webhooks, their deliveries and the place of each
// consumer in each workspace's outbox. Claims hold by leases, so that
// work a crashed process had claimed is taken over once its lease runs
// out, and are exclusive among processes on one database.
type DeliveryStore interface {
	// CreateWebhook stores a new webhook and sets its AfterSeq; it fails
	// with ErrNotFound if the workspace does not exist.
	CreateWebhook(ctx context.Context, w *Webhook) error
	// Webhook returns one webhook of a workspace.
	Webhook(ctx context.Context, workspaceID, id string) (Webhook, error)
	// Webhooks lists a workspace's webhooks in creation order.
	Webhooks(ctx context.Context, workspaceID string) ([]Webhook, error)
	// UpdateWebhook runs fn on the current webhook inside a transaction
	// and stores its URL, Secret, EventTypes, Enabled and DisabledReason
	// as fn leaves them. If fn fails, nothing is written.
	UpdateWebhook(ctx context.Context, workspaceID, id string, fn func(*Webhook) error) (Webhook, error)
	// DeleteWebhook deletes a webhook with its deliveries.
	DeleteWebhook(ctx context.Context, workspaceID, id string) error

	// StartConsumer makes a consumer that has no cursors yet start at
	// the end of every workspace's outbox, so that a consumer added to
	// an installation acts on what happens from then on, not on its
	// history. It does nothing for a consumer that has cursors. A
	// workspace's outbox that a consumer has no cursor of is consumed
	// from its first event.
	StartConsumer(ctx context.Context, consumer string) error
	// FanOut moves the ConsumerWebhooks cursor of one workspace over at
	// most limit events in one transaction, making a pending delivery,
	// due at once, for each event and each of the workspace's enabled
	// webhooks that wants it. It picks a workspace whose outbox has
	// events beyond the cursor that no other FanOut is at, and moves
	// each cursor over each event once.
	FanOut(ctx context.Context, limit int) (FanOutResult, error)
	// ClaimCursor claims for owner, until lease from now, the cursor of
	// consumer in one workspace whose outbox has events beyond it and
	// that no live lease holds, the least recently claimed first. ok is
	// false if there is none.
	ClaimCursor(ctx context.Context, consumer, owner string, lease time.Duration) (c OutboxCursor, ok bool, err error)
	// AdvanceCursor records that the consumer is done with the events up
	// to seq and extends the lease to lease from now; it updates c. It
	// fails with ErrLeaseLost if c's lease no longer holds the cursor.
	AdvanceCursor(ctx context.Context, c *OutboxCursor, seq int64, lease time.Duration) error
	// ReleaseCursor records seq as AdvanceCursor does and ends the
	// lease. With a non-zero retry, no one can claim the cursor before
	// then.
	ReleaseCursor(ctx context.Context, c OutboxCursor, seq int64, retry time.Time) error

	// ClaimDeliveries claims at most limit pending deliveries of enabled
	// webhooks that are due and that no live lease holds, the earliest
	// due first, each until lease from now.
	ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]DueDelivery, error)
	// FinishDelivery records the outcome of an attempt at a delivery
	// claimed as d: delivered, pending until o.Retry, or dead, with one
	// more attempt counted, and ends the claim. It fails with
	// ErrLeaseLost if the claim no longer holds.
	FinishDelivery(ctx context.Context, d Delivery, o DeliveryOutcome) error
	// Delivery returns one delivery of a workspace.
	Delivery(ctx context.Context, workspaceID, id string) (Delivery, error)
	// Deliveries returns one page of a webhook's deliveries. It fails
	// with ErrInvalidCursor for a cursor it did not issue.
	Deliveries(ctx context.Context, q DeliveryQuery) (DeliveryPage, error)
	// Redeliver makes a delivery pending again, due at once, with its
	// attempts counted from 0, and ends any claim on it.
	Redeliver(ctx context.Context, workspaceID, id string) (Delivery, error)
	// TestWebhook appends e, an event of type eventtype.WebhookTest, to the
	// workspace's outbox and makes, in the same transaction, a pending
	// delivery of it to the webhook alone, due at once, which is then
	// sent as any other. It fails with ErrNotFound if the webhook does
	// not exist.
	TestWebhook(ctx context.Context, workspaceID, webhookID string, e NewEvent) (Delivery, error)
}
