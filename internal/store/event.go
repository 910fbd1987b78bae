package store

import (
	"context"
	"encoding/json"
	"time"
)

// Event is an entry of a workspace's outbox: something that changed, for
// the application to act on. Events are written in the same transaction
// as the change they describe, so none is lost when a process dies, and
// are numbered per workspace in commit order, so that a reader that has
// seen Seq n has seen every event before it.
type Event struct {
	// Seq is the event's place in its workspace's outbox, from 1, with
	// no gaps.
	Seq         int64
	ID          string // "evt_…", unique across workspaces
	WorkspaceID string
	// Type is what happened, as noun.verb: "user.deactivated".
	Type     string
	Occurred time.Time
	// Subject is the id of the object the event is about.
	Subject string
	// Data is a JSON object with the details.
	Data json.RawMessage
}

// NewEvent is an event to append; the store assigns the rest.
type NewEvent struct {
	Type    string
	Subject string
	Data    json.RawMessage
}

// EventStore keeps the outbox.
type EventStore interface {
	// AppendEvents appends events to a workspace's outbox in one
	// transaction and returns them as stored.
	AppendEvents(ctx context.Context, workspaceID string, events []NewEvent) ([]Event, error)
	// Events returns at most limit events of a workspace with a Seq
	// greater than after, in order.
	Events(ctx context.Context, workspaceID string, after int64, limit int) ([]Event, error)
}
