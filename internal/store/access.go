package store

import (
	"context"
	"slices"
	"time"
)

// Effects are what a change to a resource does beyond the resource,
// written in the same transaction: all or nothing.
type Effects struct {
	// Events are appended to the workspace's outbox.
	Events []NewEvent
	// Revoke, if not nil, revokes a user's credentials.
	Revoke *Revocation
	// Audit are the audit log entries of the write, stored in its
	// transaction so that a write is never kept without its entry, nor
	// an entry without its write. Their payloads must be JSON already;
	// an entry AppendAudit would refuse fails the write.
	Audit []AuditEntry
}

// Join returns fx with the events and audit entries of more after its
// own, and with more's revocation if fx has none.
func (fx Effects) Join(more Effects) Effects {
	fx.Events = append(slices.Clip(fx.Events), more.Events...)
	fx.Audit = append(slices.Clip(fx.Audit), more.Audit...)
	if fx.Revoke == nil {
		fx.Revoke = more.Revoke
	}
	return fx
}

// Revocation revokes the live credentials of a user: sessions always, API
// keys only with APIKeys. Each credential revoked becomes an event
// ("session.revoked" or "api_key.revoked") and a ChangeCredential.
type Revocation struct {
	UserID  string
	APIKeys bool
	// Reason is recorded with each credential, e.g. "user.deactivated".
	Reason string
}

// Deletion is what a DeleteResource closure returns.
type Deletion struct {
	// PurgeAt, if not zero, soft-deletes a User: it leaves the
	// workspace's resources (no SCIM request finds it, its userName is
	// free and its group memberships are gone) but is kept, with its
	// document, to be restored or purged until then.
	PurgeAt time.Time
	Effects
}

// Credential kinds.
const (
	// CredentialAPIKey is a long-lived key a user's programs use.
	CredentialAPIKey = "api_key"
	// CredentialSession is a signed-in user's session.
	CredentialSession = "session"
)

// Credential is an API key or a session of a user, of which only a keyed
// hash is stored.
type Credential struct {
	ID          string
	WorkspaceID string
	UserID      string
	Kind        string // CredentialAPIKey or CredentialSession
	Name        string
	Hash        []byte
	Created     time.Time
	Expires     time.Time // zero: never
	Revoked     time.Time // zero: not revoked
	// RevokedReason says why it was revoked: "user.deactivated",
	// "user.deleted", "revoked" (by the application).
	RevokedReason string
}

// CredentialStore stores users' credentials.
type CredentialStore interface {
	// CreateCredential stores a credential of a user or invited user of
	// the workspace and appends its creation event (see CreationEvent)
	// in the same transaction; ErrNotFound if there is no such user,
	// ErrUserInactive if it is not active (invited users always are). The
	// check and the insert are atomic with respect to deactivation and
	// deletion, so that no credential escapes its revocation.
	CreateCredential(ctx context.Context, c Credential) error
	// CredentialByHash returns the credential whose hash is h within the
	// workspace, revoked and expired ones included.
	CredentialByHash(ctx context.Context, workspaceID string, h []byte) (Credential, error)
	// Credentials lists a user's credentials in creation order, without
	// their Hash.
	Credentials(ctx context.Context, workspaceID, userID string) ([]Credential, error)
	// RevokeCredential revokes one credential, unless it already is,
	// appends its revocation event and publishes a ChangeCredential.
	RevokeCredential(ctx context.Context, workspaceID, id, reason string) error
}

// GroupNode is a group with the groups it is a direct member of.
type GroupNode struct {
	ID          string
	DisplayName string
	ExternalID  string
	Parents     []string
	// Team is the team the group is linked to, "" for none (see
	// TeamLink), and TeamRole its members' role in it.
	Team     string
	TeamRole string
}

// SweptUser is a user with what decides its roles, and the roles last
// stored for it (Had false if none were).
type SweptUser struct {
	User   *Resource
	Groups []GroupNode
	Roles  UserRoles
	Had    bool
}

// DeletedUser is a soft-deleted user.
type DeletedUser struct {
	Resource *Resource
	Deleted  time.Time
	PurgeAt  time.Time
}

// AccessStore reads and changes what decides a user's access beyond the
// SCIM resources themselves.
type AccessStore interface {
	CredentialStore
	// UserGroups returns the groups a user is in, directly or through
	// nested groups, each with its parents among them.
	UserGroups(ctx context.Context, workspaceID, userID string) ([]GroupNode, error)
	// SweepUsers returns up to limit of a workspace's users after cursor
	// ("" for the first page), in a stable order, each with its groups as
	// UserGroups gives them and its roles as UserRoles does, read for the
	// whole page at once: what recomputing every user's roles needs, at a
	// cost per page rather than per user. next is "" after the last page.
	SweepUsers(ctx context.Context, workspaceID, cursor string, limit int) (users []SweptUser, next string, err error)
	// DeletedUsers lists a workspace's soft-deleted users by deletion
	// time.
	DeletedUsers(ctx context.Context, workspaceID string) ([]DeletedUser, error)
	// RestoreUser brings a soft-deleted user back, without its former
	// group memberships or credentials, and writes the effects fx returns
	// for it; ErrAlreadyExists if its userName was taken since,
	// ErrSeatLimit if it is active and no seat is free, ErrNotFound if
	// there is no such deleted user.
	RestoreUser(ctx context.Context, workspaceID, userID string, fx func(*Resource) Effects) (*Resource, error)
	// PurgeUsers removes soft-deleted users, with their credentials, whose
	// PurgeAt is not after before: those of every workspace with
	// workspaceID "", of all the workspace's with userID "", or just that
	// one. It appends, for each, the event that event returns. It returns
	// the ids purged.
	PurgeUsers(ctx context.Context, workspaceID, userID string, before time.Time, event func(*DeletedUser) NewEvent) ([]string, error)

	// CreateInvitedUser stores a user the application created itself,
	// outside SCIM: r is a User whose Doc has at least a userName. SCIM
	// does not see it, but its userName is taken: ErrAlreadyExists if a
	// user or invited user of the workspace has it, compared
	// case-insensitively; and CreateResource refuses a user with it.
	// An invited user is active and takes a seat: ErrSeatLimit if none is
	// free. It sets r's Version, Created and LastModified.
	CreateInvitedUser(ctx context.Context, r *Resource) error
	// InvitedUsers lists a workspace's invited users in creation order.
	InvitedUsers(ctx context.Context, workspaceID string) ([]*Resource, error)
	// InvitedUser returns an invited user of the workspace, or ErrNotFound.
	InvitedUser(ctx context.Context, workspaceID, id string) (*Resource, error)
	// LinkInvitedUser turns the invited user with r's userName, or else the
	// first whose primary email is r's (schema.PrimaryEmail), compared
	// case-insensitively, into the SCIM user r, in one transaction: r takes the invited user's ID, and with
	// it the invited user's credentials, and Created, is stored with its
	// own Doc, the invited user goes, and the effects fx returns for r are
	// written. The invited user's seat becomes r's, if r is active. It
	// fails with ErrNotFound if there is no such invited user, and with
	// ErrSeatLimit as CreateResource does. It publishes a ChangeUser for
	// the ID.
	LinkInvitedUser(ctx context.Context, r *Resource, fx func(*Resource) Effects) error
	// DeleteInvitedUser deletes an invited user of the workspace and writes,
	// in the same transaction, the effects fx returns for it, such as
	// the revocation of its credentials; ErrNotFound if there is no such
	// invited user. It publishes a ChangeUser.
	DeleteInvitedUser(ctx context.Context, workspaceID, id string, fx func(*Resource) Effects) error

	// UserRoles returns what SetUserRoles last stored for a user; ok is
	// false if nothing is.
	UserRoles(ctx context.Context, workspaceID, userID string) (r UserRoles, ok bool, err error)
	// SetUserRoles stores a user's roles, unless they equal what is
	// stored, in which case it returns false and writes nothing.
	// Otherwise it also stores the effects (an event, an audit entry)
	// that fx returns for the roles stored before (had is false for
	// none) and returns true; but when all it stores is teams with roles
	// stored before teams were (see UserRoles.Storing), it stores no
	// effects and returns false. The compare and the writes are one
	// transaction, so that of processes recomputing the same change only
	// one writes its event and its entry. It fails with ErrNotFound if
	// the user does not exist.
	SetUserRoles(ctx context.Context, workspaceID, userID string, r UserRoles, fx func(old UserRoles, had bool) Effects) (bool, error)
}

// UserRoles are a user's effective roles, group keys and teams, as
// computed from its groups.
type UserRoles struct {
	Roles  []string `json:"roles"`
	Groups []string `json:"groups"`
	// Teams are nil in roles stored before teams were, and never
	// otherwise.
	Teams []Team `json:"teams"`
}

// Equal reports whether r and o hold the same roles, groups and teams in
// the same order, teams stored or not alike.
func (r UserRoles) Equal(o UserRoles) bool {
	return slices.Equal(r.Roles, o.Roles) && slices.Equal(r.Groups, o.Groups) &&
		slices.Equal(r.Teams, o.Teams) && (r.Teams == nil) == (o.Teams == nil)
}

// Storing says what storing r over the roles stored, old (had false for
// none), takes: a write unless they are equal, and telling of a change
// unless all that changes is that teams are stored with roles stored
// before teams were, which is no change of the user's access.
func (r UserRoles) Storing(old UserRoles, had bool) (write, tell bool) {
	if !had {
		return true, true
	}
	if r.Equal(old) {
		return false, false
	}
	quiet := old.Teams == nil && slices.Equal(r.Roles, old.Roles) && slices.Equal(r.Groups, old.Groups)
	return true, !quiet
}
