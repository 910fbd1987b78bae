package store

import (
	"context"
)

// ChangeKind says what a Change is about.
type ChangeKind string

// Kinds of change. Consumers ignore kinds they do not know, so that new
// kinds can be added for new consumers.
const (
	// ChangeReset says that changes may have been missed (the store was
	// not watching, or lost its connection): drop everything cached. A
	// subscription starts with one, delivered once the store watches for
	// changes made elsewhere, since nothing before it was seen.
	ChangeReset ChangeKind = "reset"
	// ChangeToken says that a token was revoked or its expiry changed.
	// ID is the token's; WorkspaceID is its workspace's, "" for an
	// admin token.
	ChangeToken ChangeKind = "token"
	// ChangeWorkspace says that a workspace's configuration changed or
	// that it was deleted, with its tokens. WorkspaceID and ID are the
	// workspace's.
	ChangeWorkspace ChangeKind = "workspace"
	// ChangeSchemas says that the extension schemas declared for a
	// workspace changed. WorkspaceID and ID are the workspace's.
	ChangeSchemas ChangeKind = "schemas"
	// ChangeCredential says that a user's credential was revoked. ID is
	// the credential's.
	ChangeCredential ChangeKind = "credential"
	// ChangeUser says that what decides a user's access may have
	// changed: the user itself, its groups or its credentials as a whole.
	// ID is the user's.
	ChangeUser ChangeKind = "user"
	// ChangeGroups says that a write to the groups of a workspace may
	// have changed the access of more of its users than ChangeUser
	// changes name (see MaxUserChanges). ID names the write's record of
	// them, which GroupChangeUsers reads; with ID "", any of the
	// workspace's users may be affected.
	ChangeGroups ChangeKind = "groups"
	// ChangeEvents says that events were appended to a workspace's
	// outbox, for those who wait for them.
	ChangeEvents ChangeKind = "events"
)

// Change is a committed change to what stores share, for invalidating
// what was derived from it, such as caches of tokens, in this process and
// every other on the same database.
type Change struct {
	Kind        ChangeKind
	WorkspaceID string
	ID          string
	// CorrelationID is the correlation id of the request whose write
	// made the change (see WithCorrelationID), so that what follows
	// from it, such as a change of roles, is traced to that request: ""
	// if it had none. Changes heard of from other processes carry it
	// too.
	CorrelationID string
}

type correlationKey struct{}

// WithCorrelationID returns a context in which the changes a store's
// writes publish carry id, the correlation id of the request that made
// them.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the correlation id of ctx, "" if none, for
// backends to give the changes they publish.
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

// Correlate sets the correlation id of ctx on changes that have none.
func Correlate(ctx context.Context, changes []Change) {
	if id := CorrelationID(ctx); id != "" {
		for i := range changes {
			if changes[i].CorrelationID == "" {
				changes[i].CorrelationID = id
			}
		}
	}
}

// Notifier tells of committed changes.
type Notifier interface {
	// Subscribe calls fn with each change committed from now on, whether
	// by this store, right after it commits and before the write returns,
	// or by another store on the same database, within a fraction of a
	// second. The first call is a ChangeReset (see there). fn is called
	// by one goroutine at a time; it must be quick and must not call the
	// store or the unsubscribe function. After unsubscribe returns, fn is
	// not called again.
	Subscribe(fn func(Change)) (unsubscribe func())
}
