package store

import (
	"context"
	"slices"
	"time"
)

// A write to a group changes the access of the users under the members
// it adds or removes, transitively through nested groups, and, when it
// renames the group (displayName or externalId) or deletes it, of every
// user under the group itself: a user's roles and group keys come from
// its groups' names and paths (group:parent/child). Backends
// work out those users in the write's transaction and tell them to
// subscribers: one ChangeUser each up to MaxUserChanges; beyond, up to
// MaxRecordedUsers, a record of them that one ChangeGroups names, for
// consumers to read with GroupChangeUsers; beyond that, a ChangeGroups
// without an ID, for the whole workspace.
const (
	// MaxUserChanges bounds the ChangeUser changes one group write
	// publishes. A hundred fit in one PostgreSQL notification, whose
	// payload is at most 8000 bytes and which every replica receives,
	// and a SQLite poller reads five times as many rows at once.
	MaxUserChanges = 100
	// MaxRecordedUsers bounds the users a group write records, and so
	// the work it does in its transaction, which holds SQLite's one
	// writer: a group write that may affect more says the whole
	// workspace changed, and consumers go through it a page at a time,
	// as they would through so many users one by one.
	MaxRecordedUsers = 10_000
	// GroupChangesKept is how long a record of the users a group write
	// affected is kept for consumers to read: long enough for a
	// reconciler busy with a large record to come to the next. A
	// consumer that finds a record gone treats the whole workspace as
	// changed. Records go when PruneGroupChanges is called for them, out
	// of the writes' transactions.
	GroupChangesKept = time.Hour
)

// GroupChangeStore reads what group writes recorded.
type GroupChangeStore interface {
	// GroupChangeUsers returns the ids of users of the workspace whose
	// access the group write recorded as changeID (a ChangeGroups' ID)
	// may have changed, a page of at most limit at a time: cursor is ""
	// for the first page, else the next of the page before, which is ""
	// after the last. Users deleted since are left out. It fails with
	// ErrNotFound if the workspace has no such record, such as one kept
	// longer than GroupChangesKept, and with ErrInvalidCursor for a cursor
	// it did not make.
	GroupChangeUsers(ctx context.Context, workspaceID, changeID, cursor string, limit int) (users []string, next string, err error)
	// PruneGroupChanges deletes the records made before before, a few at
	// a time, and returns how many it deleted.
	PruneGroupChanges(ctx context.Context, before time.Time) (int, error)
}

// GroupMember is a member that a group write added or removed, as
// backends find it: by its resource's seq, with its id and whether it is
// a group when they have read them.
type GroupMember struct {
	Seq   int64
	ID    string
	Group bool
	// Added, in what MemberDelta returns, tells a member added from one
	// removed.
	Added bool
}

// MemberDelta returns the members in one of removed and added but not in
// both: a member removed and added again by one write is where it was.
func MemberDelta(removed, added []GroupMember) []GroupMember {
	in := func(ms []GroupMember) map[int64]bool {
		set := make(map[int64]bool, len(ms))
		for _, m := range ms {
			set[m.Seq] = true
		}
		return set
	}
	r, a := in(removed), in(added)
	var delta []GroupMember
	for _, m := range removed {
		if !a[m.Seq] {
			delta = append(delta, m)
		}
	}
	for _, m := range added {
		if !r[m.Seq] {
			m.Added = true
			delta = append(delta, m)
		}
	}
	return delta
}

// MemberIDs returns the ids of the members of a MemberDelta that were
// added and of those that were removed.
func MemberIDs(delta []GroupMember) (added, removed []string) {
	for _, m := range delta {
		if m.Added {
			added = append(added, m.ID)
		} else {
			removed = append(removed, m.ID)
		}
	}
	return added, removed
}

// UserChanges returns a ChangeUser for each of the users of workspace ws,
// in order, once each.
func UserChanges(ws string, users []string) []Change {
	users = slices.Clone(users)
	slices.Sort(users)
	users = slices.Compact(users)
	changes := make([]Change, len(users))
	for i, u := range users {
		changes[i] = Change{Kind: ChangeUser, WorkspaceID: ws, ID: u}
	}
	return changes
}
