package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
)

// TenantStore stores workspaces and their tokens.
type TenantStore interface {
	// CreateWorkspace stores a new workspace; ErrAlreadyExists if the slug
	// is taken. The zero Config, which is not valid, stands for
	// DefaultWorkspaceConfig().
	CreateWorkspace(ctx context.Context, w Workspace) error
	// WorkspaceBySlug returns the workspace with the given slug.
	WorkspaceBySlug(ctx context.Context, slug string) (Workspace, error)
	// WorkspaceByID returns the workspace with the given id.
	WorkspaceByID(ctx context.Context, id string) (Workspace, error)
	// Workspaces lists all workspaces ordered by slug.
	Workspaces(ctx context.Context) ([]Workspace, error)
	// UpdateWorkspace runs fn on the current workspace inside a
	// transaction and stores the Config it leaves; the other fields are
	// not written. If fn returns an error, nothing is written and the
	// error is returned as is. It returns the workspace as stored and
	// publishes a ChangeWorkspace.
	UpdateWorkspace(ctx context.Context, slug string, fn func(*Workspace) error) (Workspace, error)
	// DeleteWorkspace deletes a workspace with its tokens and resources,
	// and publishes a ChangeWorkspace.
	DeleteWorkspace(ctx context.Context, slug string) error

	// CreateToken stores a token. A Kind of "" is TokenSCIM.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token whose hash is h within the workspace,
	// or among admin tokens when workspaceID is "". Revoked and expired
	// tokens are returned too.
	TokenByHash(ctx context.Context, workspaceID string, h []byte) (Token, error)
	// TokenByID returns a token without its Hash.
	TokenByID(ctx context.Context, id string) (Token, error)
	// Tokens lists the tokens of a workspace, or the admin tokens when
	// workspaceID is "", in creation order and without their Hash.
	Tokens(ctx context.Context, workspaceID string) ([]Token, error)
	// RevokeToken marks a token revoked at the given time, unless it
	// already is, and publishes a ChangeToken.
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// SetTokenExpiry sets when a token expires (zero: never) and
	// publishes a ChangeToken. ExpiryAnnounced becomes what
	// Token.WithExpiry says at the store's now, so that an expiry moved
	// away is announced again as it comes near.
	SetTokenExpiry(ctx context.Context, id string, expires time.Time) error
	// RotateToken replaces a token in one transaction: it stores r.New,
	// ends the old token as r says, and appends the workspace's events
	// (token.created, token.revoked if the old token is revoked at once,
	// and token.rotated, which ties them together). It fails with
	// ErrTokenInactive, writing nothing, if the old token is revoked or
	// expired at r.At, and then returns it as stored; otherwise it
	// returns the old token as ended. It publishes a ChangeToken for the
	// old token.
	RotateToken(ctx context.Context, r TokenRotation) (old Token, err error)
	// ExpiringTokens lists the workspaces' tokens (not admin tokens)
	// that are not revoked and expire after at but not after before,
	// soonest first, with their ExpiryAnnounced.
	ExpiringTokens(ctx context.Context, at, before time.Time) ([]Token, error)
	// AnnounceTokenExpiry records a.Lead as the token's ExpiryAnnounced
	// and appends a.Event to its workspace's outbox, in one transaction,
	// if the token is still active at a.At and its Expires and
	// ExpiryAnnounced are still those given; it reports whether it did.
	// Of several callers that read the token alike, one announces.
	AnnounceTokenExpiry(ctx context.Context, a ExpiryAnnouncement) (bool, error)
	// TouchTokens records when tokens were last used: each token's
	// LastUsed becomes the later of the stored time and the given one.
	// Unknown ids are ignored, as the token may have been deleted since.
	TouchTokens(ctx context.Context, used map[string]time.Time) error
}

// Workspace is a tenant: every resource and token belongs to one.
type Workspace struct {
	ID      string
	Slug    string
	Created time.Time
	Config  WorkspaceConfig
}

// Token kinds.
const (
	// TokenSCIM authenticates an identity provider to the SCIM
	// endpoints of its workspace.
	TokenSCIM = "scim"
	// TokenAdmin authenticates an administrator of the installation; it
	// belongs to no workspace.
	TokenAdmin = "admin"
	// TokenApp authenticates a workspace's application to the
	// application API, where it issues and verifies its users' API keys
	// and sessions and reads the workspace's events.
	TokenApp = "app"
	// TokenSetup is a set-up link: it opens the set-up page of its
	// workspace, where a customer's IT administrator reads the SCIM base
	// URL, mints and rotates the workspace's SCIM tokens and watches the
	// first requests arrive. It is the installation's own business, not
	// the application's: its creation and revocation are no events of
	// the workspace.
	TokenSetup = "setup"
)

// Token is a bearer token, of which only a keyed hash is stored.
type Token struct {
	ID          string
	Kind        string // TokenSCIM, TokenAdmin, TokenApp or TokenSetup
	WorkspaceID string // "" for an admin token
	Name        string
	Hash        []byte
	Created     time.Time
	CreatedBy   string    // who created it, e.g. "cli:alice"
	Expires     time.Time // zero: never
	LastUsed    time.Time // zero: never used
	Revoked     time.Time // zero: not revoked
	// ExpiryAnnounced is how long before Expires the token's end was
	// last announced to its workspace, by a token.expiring or a
	// token.rotated event, to the second; 0: not announced.
	// Announcing it at a wider threshold would repeat what the
	// workspace knows.
	ExpiryAnnounced time.Duration
}

// TokenRotation replaces a token with another.
type TokenRotation struct {
	// OldID is the token replaced.
	OldID string
	// New is the token that replaces it, of the old token's kind and
	// workspace.
	New Token
	// At is when the rotation happens.
	At time.Time
	// Overlap is how long the old token keeps working: 0 revokes it at
	// At; otherwise it expires at At+Overlap, or when it expires, if
	// sooner. The token.rotated event announces that end, as the old
	// token's ExpiryAnnounced records.
	Overlap time.Duration
}

// Rotate returns old, as stored, ended as r says, and the events of the
// rotation (none for an admin token, which has no outbox). It fails with
// ErrTokenInactive if old is revoked or expired at r.At. Backends call it
// in the rotation's transaction, with old as it is there.
func (r TokenRotation) Rotate(old Token) (Token, []NewEvent, error) {
	// To the microsecond, as both backends keep times.
	at := r.At.UTC().Truncate(time.Microsecond)
	kind := r.New.Kind
	if kind == "" {
		kind = TokenSCIM
	}
	switch {
	case r.New.WorkspaceID != old.WorkspaceID || kind != old.Kind:
		return old, nil, fmt.Errorf("rotate token %s: the new token must be of its kind and workspace", old.ID)
	case r.Overlap < 0:
		return old, nil, fmt.Errorf("rotate token %s: overlap %v is negative", old.ID, r.Overlap)
	case !old.Revoked.IsZero():
		return old, nil, fmt.Errorf("token %s was revoked at %s: %w", old.ID, old.Revoked.UTC().Format(time.RFC3339), ErrTokenInactive)
	case !old.Expires.IsZero() && !at.Before(old.Expires):
		return old, nil, fmt.Errorf("token %s expired at %s: %w", old.ID, old.Expires.UTC().Format(time.RFC3339), ErrTokenInactive)
	}
	if r.Overlap == 0 {
		old.Revoked = at
	} else {
		if end := at.Add(r.Overlap); old.Expires.IsZero() || end.Before(old.Expires) {
			old.Expires = end
		}
		// token.rotated tells when the old token ends: announcing the
		// expiry again at a longer lead time would only repeat it.
		lead := max(old.Expires.Sub(at).Truncate(time.Second), time.Second)
		if old.ExpiryAnnounced == 0 || lead < old.ExpiryAnnounced {
			old.ExpiryAnnounced = lead
		}
	}
	if old.WorkspaceID == "" {
		return old, nil, nil
	}
	events := []NewEvent{TokenEvent(eventtype.TokenCreated, r.New)}
	if !old.Revoked.IsZero() {
		events = append(events, TokenEvent(eventtype.TokenRevoked, old))
	}
	return old, append(events, TokenRotatedEvent(old, r.New)), nil
}

// WithExpiry returns t expiring at expires instead, set at now. An
// expiry moved farther away than ExpiryAnnounced counts as announced at
// its new distance: thresholds the token is still within are not
// announced again, closer ones are when it reaches them.
func (t Token) WithExpiry(expires, now time.Time) Token {
	t.Expires = expires
	switch {
	case t.ExpiryAnnounced == 0:
	case expires.IsZero():
		t.ExpiryAnnounced = 0
	case expires.After(now.Add(t.ExpiryAnnounced)):
		t.ExpiryAnnounced = expires.Sub(now).Truncate(time.Second)
	}
	return t
}

// ExpiryAnnouncement is the announcement of a token's coming expiry.
type ExpiryAnnouncement struct {
	TokenID string
	// Expires and Prev are the token's Expires and ExpiryAnnounced as
	// read: if either changed since, nothing is written.
	Expires time.Time
	Prev    time.Duration
	// Lead becomes the token's ExpiryAnnounced.
	Lead time.Duration
	// At is now: a token revoked or expired by then is not announced.
	At    time.Time
	Event NewEvent
	// Token, Within and DaysLeft say what tokenexpiry.Announce announced:
	// the token as read, the threshold's name ("7d") and the whole days
	// left. Stores ignore them.
	Token    Token
	Within   string
	DaysLeft int
}

// HasEvents reports whether the creation and end of a token are events of
// its workspace: not for admin tokens, which belong to none, nor for
// set-up links.
func (t Token) HasEvents() bool {
	return t.WorkspaceID != "" && t.Kind != TokenSetup
}

// TokenEvent returns the event of a workspace token: what it is, never
// its secret or hash.
func TokenEvent(typ string, t Token) NewEvent {
	return tokenEvent(typ, t, nil)
}

// TokenExpiringEvent returns the token.expiring event of t: its expiry is
// within the lead time named within ("7d"), daysLeft whole days away.
func TokenExpiringEvent(t Token, within string, daysLeft int) NewEvent {
	return tokenEvent(eventtype.TokenExpiring, t, map[string]any{"within": within, "daysLeft": daysLeft})
}

// TokenRotatedEvent returns the token.rotated event of old's replacement
// by next, which the events of next's creation and old's revocation
// accompany. Its oldEnds is when old, as ended, stops working.
func TokenRotatedEvent(old, next Token) NewEvent {
	ends := old.Revoked
	if ends.IsZero() {
		ends = old.Expires
	}
	b, _ := json.Marshal(map[string]any{"old": old.ID, "new": next.ID, "name": old.Name, "oldEnds": ends.UTC()})
	return NewEvent{Type: eventtype.TokenRotated, Subject: old.ID, Data: b}
}

func tokenEvent(typ string, t Token, extra map[string]any) NewEvent {
	type tokenJSON struct {
		ID        string     `json:"id"`
		Kind      string     `json:"kind"`
		Name      string     `json:"name"`
		Created   time.Time  `json:"created"`
		CreatedBy string     `json:"createdBy,omitempty"`
		Expires   *time.Time `json:"expires"`
		Revoked   *time.Time `json:"revoked,omitempty"`
	}
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	data := map[string]any{"token": tokenJSON{t.ID, t.Kind, t.Name, t.Created.UTC(), t.CreatedBy, opt(t.Expires), opt(t.Revoked)}}
	maps.Copy(data, extra)
	b, _ := json.Marshal(data)
	return NewEvent{Type: typ, Subject: t.ID, Data: b}
}
