// Package access decides who a request to the application is: it issues
// users' API keys and sessions, and verifies them on every request the
// application serves.
//
// Verification is served from memory. What it reads from the store, the
// credential, its user with the user's access and the workspace, is
// cached and dropped as soon as the store says it changed (see
// store.Notifier): a credential revoked, or a user deactivated or deleted,
// in this process is refused from the very next verification, since the
// store tells before its write returns; in another process on the same
// PostgreSQL database, within milliseconds.
package access

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

// Reasons a verification fails. Applications branch on them, so they
// never change; they may show them to the user.
const (
	// ReasonUnknown: not a credential of the workspace. It is malformed,
	// was never issued, belongs to another workspace, or was deleted
	// with its user.
	ReasonUnknown = "unknown"
	// ReasonRevoked: revoked by the application, or because its user
	// was deactivated or deleted.
	ReasonRevoked = "revoked"
	// ReasonExpired: past its expiry.
	ReasonExpired = "expired"
	// ReasonUserDeleted: its user was deleted.
	ReasonUserDeleted = "user_deleted"
	// ReasonUserInactive: its user is not active (the identity provider
	// sent active false).
	ReasonUserInactive = "user_inactive"
)

// Access is what a user may do in the application.
type Access struct {
	// Roles are the user's roles.
	Roles []string `json:"roles"`
	// Groups name the groups the user is in.
	Groups []string `json:"groups"`
	// Teams are the user's teams, in whatever form the AccessFunc gives
	// them; they are passed on as JSON.
	Teams any `json:"teams"`
}

// AccessFunc computes a user's access from the user, the groups it is in
// (directly or through nesting, see store.AccessStore.UserGroups) and its
// workspace's configuration. It is called once each time a user is read
// into the cache, not on every verification. It must not change its
// arguments.
type AccessFunc func(ctx context.Context, ws *store.Workspace, user *store.Resource, groups []store.GroupNode) (Access, error)

// DefaultAccess computes a user's roles, group keys and teams, the
// workspace's default team among them, from the groups it is in, the
// teams they are linked to and its workspace's access policy (see
// package roles).
func DefaultAccess(_ context.Context, ws *store.Workspace, user *store.Resource, groups []store.GroupNode) (Access, error) {
	c, err := ws.Config.Policy().Compile()
	if err != nil {
		return Access{}, fmt.Errorf("workspace %s: %w", ws.Slug, err)
	}
	a := c.Compute(provision.RoleInput(user.Doc, groups))
	teams := make([]Team, len(a.Teams))
	for i, t := range a.Teams {
		teams[i] = Team{Key: t.Key, Role: t.Role}
	}
	return Access{Roles: a.Roles, Groups: a.Groups, Teams: teams}, nil
}

// Team is a user's membership of a team, as DefaultAccess gives it.
type Team struct {
	Key  string `json:"key"`
	Role string `json:"role"`
}

// User is the user a credential stands for, as cached: shared between
// verifications, and never to be changed.
type User struct {
	ID          string
	UserName    string
	DisplayName string
	Active      bool
	Access
}

// Result is the outcome of a verification.
type Result struct {
	Valid bool
	// Reason says why a credential is not valid: one of the Reason
	// constants; "" when it is.
	Reason string
	// Credential is the credential verified, without its hash; zero for
	// ReasonUnknown.
	Credential store.Credential
	// WorkspaceID is the credential's workspace; "" for ReasonUnknown.
	WorkspaceID string
	// Workspace is the workspace's slug, when the credential has not
	// ended: not for ReasonUnknown, ReasonRevoked or ReasonExpired.
	Workspace string
	// User is the credential's user: set when the credential is valid,
	// and for ReasonUserInactive. It is shared: do not change it.
	User *User
}

// DefaultTTL is how long what the cache holds is trusted without asking
// the store again. Changes reach the cache at once through the store's
// notifications; the TTL only bounds how long a notification lost
// without the store noticing could leave it wrong, and is long enough
// that a busy cache costs the store little.
const DefaultTTL = time.Minute

// DefaultMaxEntries bounds each of the caches of credentials and users
// unless Config says otherwise: some tens of megabytes at most.
const DefaultMaxEntries = 100_000

// Config configures a Verifier or an Issuer. Store and Hasher are
// required.
type Config struct {
	Store  store.Store
	Hasher *token.Hasher
	// Access computes users' access; nil: DefaultAccess.
	Access AccessFunc
	// MaxEntries bounds the number of credentials, and of users, cached;
	// 0: DefaultMaxEntries.
	MaxEntries int
	// TTL is how long a cached entry is trusted; 0: DefaultTTL.
	TTL time.Duration
	// StoreTimeout bounds the store reads of one verification, so that
	// verifications served from memory need no deadline of their own;
	// 0: only the context bounds them.
	StoreTimeout time.Duration
	// Clock replaces time.Now (for tests).
	Clock func() time.Time
}

// Verifier verifies API keys and sessions.
type Verifier struct {
	store       store.Store
	timeout     time.Duration
	hasher      *token.Hasher
	access      AccessFunc
	now         func() time.Time
	cache       *cache
	unsubscribe func()
}

// NewVerifier returns a Verifier, which watches the store for changes
// until Close.
func NewVerifier(cfg Config) *Verifier {
	v := &Verifier{store: cfg.Store, hasher: cfg.Hasher, access: cfg.Access, now: cfg.Clock, timeout: cfg.StoreTimeout}
	if v.access == nil {
		v.access = DefaultAccess
	}
	if v.now == nil {
		v.now = time.Now
	}
	v.cache = newCache(cfg.MaxEntries, cfg.TTL)
	v.unsubscribe = cfg.Store.Subscribe(v.cache.apply)
	return v
}

// Close stops watching the store.
func (v *Verifier) Close() {
	v.unsubscribe()
}

// Verify checks an API key or a session token (scimd_key_…, scimd_sess_…)
// of any workspace. Verification itself never fails: a secret that is
// not good gives a Result with Valid false and the reason. The error
// says that the store could not be read.
func (v *Verifier) Verify(ctx context.Context, secret string) (Result, error) {
	return v.VerifyIn(ctx, "", secret)
}

// VerifyIn is Verify for the workspace with the given id only: a secret
// of any other is ReasonUnknown, without the store being asked.
// workspaceID "" admits every workspace.
func (v *Verifier) VerifyIn(ctx context.Context, workspaceID, secret string) (Result, error) {
	kind, ws, err := token.ParseKind(secret)
	if err != nil || (kind != token.APIKey && kind != token.Session) || (workspaceID != "" && ws != workspaceID) {
		return Result{Reason: ReasonUnknown}, nil
	}
	hash := v.hasher.HashKind(kind, ws, secret)
	now := v.now()
	e := v.cache.lookup(ws, hash, now)
	if e.user == nil { // else all is in memory, as it mostly is
		if v.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, v.timeout)
			defer cancel()
		}
		if err := v.read(ctx, &e, ws, now); err != nil {
			return Result{}, fmt.Errorf("verify: %w", err)
		}
		v.cache.install(&e, now)
	}
	c := e.cred
	if c == nil || c.Kind != string(kind) { // kinds hash in domains of their own: a bug, or a forged row
		return Result{Reason: ReasonUnknown}, nil
	}
	res := Result{Credential: *c, WorkspaceID: ws}
	if res.Reason = ended(c, now); res.Reason != "" {
		return res, nil
	}
	if e.ws == nil { // deleted, with its credentials, since they were cached
		return Result{Reason: ReasonUnknown}, nil
	}
	res.Workspace = e.ws.Slug
	res.Reason = userReason(e.user)
	if e.user != nil {
		res.User = e.user
	}
	res.Valid = res.Reason == ""
	return res, nil
}

// userReason returns why a credential that has not ended is not valid
// for its user, nil if deleted: ReasonUserDeleted or ReasonUserInactive;
// "" if it is valid.
func userReason(u *User) string {
	switch {
	case u == nil:
		return ReasonUserDeleted
	case !u.Active:
		return ReasonUserInactive
	}
	return ""
}

// ended returns ReasonRevoked or ReasonExpired for a credential that has
// ended, else "".
func ended(c *store.Credential, now time.Time) string {
	switch {
	case !c.Revoked.IsZero():
		return ReasonRevoked
	case !c.Expires.IsZero() && !now.Before(c.Expires):
		return ReasonExpired
	}
	return ""
}

// read reads from the store what e lacks, as far as needed to decide: the
// credential (left nil if there is none), its workspace unless it is
// revoked or expired (nil if the workspace is gone), then its user (nil
// if deleted). What is not found is not cached: a user restored within
// its grace period, for one, would not tell the cache.
func (v *Verifier) read(ctx context.Context, e *pending, ws string, now time.Time) error {
	if e.cred == nil {
		c, err := v.store.CredentialByHash(ctx, ws, e.hash)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		c.Hash = nil
		e.cred, e.load = &c, e.load|loadCred
	}
	if ended(e.cred, now) != "" {
		return nil
	}
	if e.ws == nil {
		w, err := v.store.WorkspaceByID(ctx, ws)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		e.ws, e.load = &w, e.load|loadWorkspace
	}
	u, err := v.loadUser(ctx, e.ws, e.cred.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	e.user, e.load = u, e.load|loadUser
	return nil
}

// loadUser reads a user, provisioned or invited, and computes its
// access.
func (v *Verifier) loadUser(ctx context.Context, ws *store.Workspace, id string) (*User, error) {
	r, err := findUser(ctx, v.store, ws.ID, id)
	if err != nil {
		return nil, err
	}
	groups, err := v.store.UserGroups(ctx, ws.ID, id)
	if err != nil {
		return nil, err
	}
	a, err := v.access(ctx, ws, r, groups)
	if err != nil {
		return nil, fmt.Errorf("access of user %s: %w", id, err)
	}
	u := &User{ID: r.ID, DisplayName: r.AppDisplayName, Active: r.Doc["active"] != false, Access: a}
	u.UserName, _ = r.Doc["userName"].(string)
	return u, nil
}

// findUser reads a user of the workspace: a SCIM user, or an invited user
// (invited by the application, in no group and active), or
// store.ErrNotFound.
func findUser(ctx context.Context, st store.Store, ws, id string) (*store.Resource, error) {
	r, err := st.Resource(ctx, ws, schema.UserType.ID, id, false)
	if !errors.Is(err, store.ErrNotFound) {
		return r, err
	}
	r, err = st.InvitedUser(ctx, ws, id)
	if !errors.Is(err, store.ErrNotFound) {
		return r, err
	}
	// A link may have turned the invited user into a SCIM user of the same
	// id between the two reads; it goes that way only.
	return st.Resource(ctx, ws, schema.UserType.ID, id, false)
}
