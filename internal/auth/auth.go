// Package auth authenticates the bearer tokens of scimd's surfaces: SCIM
// tokens on the SCIM endpoints, app tokens on the application API, admin
// tokens on the admin API, and set-up links on the set-up page and the
// few routes of the admin API it uses.
//
// Tokens are found by their keyed hash (see package token). SCIM and app
// tokens, which come with every request of an identity provider or an
// application, are cached, set-up links alike, with their workspaces; the cache drops what the
// store says changed (see store.Notifier), so that a token revoked in this
// process is refused from the very next request, and in another process on
// the same database within a fraction of a second. Admin tokens are read
// from the store on every request: administration is rare, and a read per
// request makes a revocation apply at once on every replica.
//
// What a refusal says, and with which status, is each surface's own: an
// Authenticator returns an *Error with the Reason, and the surfaces word
// it.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// Kind is a kind of token: what a token looks like, or what a surface
// wants. SCIM, App and Admin are the kinds of tokens stored
// (store.TokenSCIM and so on); APIKey and Session are users' credentials,
// which only the application verifies, named so that a surface can say
// what was sent in their place.
type Kind string

// Kinds of token.
const (
	SCIM    Kind = store.TokenSCIM
	App     Kind = store.TokenApp
	Admin   Kind = store.TokenAdmin
	Setup   Kind = store.TokenSetup
	APIKey  Kind = Kind(token.APIKey)
	Session Kind = Kind(token.Session)
)

// Reason says why a token was refused.
type Reason int

// Reasons a token is refused.
const (
	// Missing: the request has no bearer token.
	Missing Reason = iota + 1
	// Invalid: the token is malformed, of another kind, or unknown: never
	// issued, issued for another workspace, or deleted with its workspace.
	Invalid
	// Revoked: the token was revoked.
	Revoked
	// Expired: the token is past its expiry, which for a token rotated
	// with an overlap is the end of the overlap.
	Expired
	// Disabled: the token is a SCIM token of a workspace with SCIM
	// disabled.
	Disabled
)

var reasons = map[Reason]string{
	Missing:  "no bearer token",
	Invalid:  "the bearer token is not valid",
	Revoked:  "the bearer token has been revoked",
	Expired:  "the bearer token has expired",
	Disabled: "SCIM is disabled for the token's workspace",
}

func (r Reason) String() string {
	if s, ok := reasons[r]; ok {
		return s
	}
	return fmt.Sprintf("auth.Reason(%d)", int(r))
}

// Error is a refused token.
type Error struct {
	Reason Reason
	// Presented is the kind the token looks like, "" if none: with
	// Invalid, a token of another kind has the kind it has.
	Presented Kind
	// Workspace is the slug of the token's workspace with Revoked,
	// Expired and Disabled.
	Workspace string
}

func (e *Error) Error() string {
	return "authenticate: " + e.Reason.String()
}

// Identity is what a token stands for. It is shared and must not be
// changed.
type Identity struct {
	Token store.Token
	// Workspace is the token's workspace; zero for an admin token.
	Workspace store.Workspace
}

// Store is what an Authenticator needs of a store.
type Store interface {
	store.TenantStore
	store.Notifier
}

// Config configures an Authenticator. Store and Hasher are required.
type Config struct {
	Store  Store
	Hasher *token.Hasher
	// Clock replaces time.Now for expiry and last use (for tests).
	Clock func() time.Time
	// StoreTimeout bounds the store reads of one authentication; 0: only
	// the request's context does.
	StoreTimeout time.Duration
	// Log receives failed writes of when tokens were last used; nil
	// discards them.
	Log *slog.Logger
}

// Authenticator authenticates bearer tokens and records their use.
type Authenticator struct {
	store       Store
	hasher      *token.Hasher
	now         func() time.Time
	timeout     time.Duration
	cache       cache
	lastUsed    *tenant.LastUsed
	subscribe   sync.Once
	unsubscribe func() // nil: not subscribed
}

// New returns an Authenticator. Close stops what it runs in the
// background.
func New(cfg Config) *Authenticator {
	a := &Authenticator{
		store:    cfg.Store,
		hasher:   cfg.Hasher,
		now:      cfg.Clock,
		timeout:  cfg.StoreTimeout,
		lastUsed: tenant.NewLastUsed(cfg.Store, 0, cfg.Log),
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// Close stops watching the store and writes when tokens were last used.
// The store must still be open.
func (a *Authenticator) Close() error {
	a.subscribe.Do(func() {}) // none from now on
	if a.unsubscribe != nil {
		a.unsubscribe()
	}
	return a.lastUsed.Close()
}

// watch subscribes the cache to the store's changes, before its first
// lookup: not before, so that an Authenticator of admin tokens alone, as
// the command line's in-process admin API has, caches nothing and starts
// no watcher of the store.
func (a *Authenticator) watch() {
	a.subscribe.Do(func() { a.unsubscribe = a.store.Subscribe(a.cache.apply) })
}

// LastUsed returns the record of when tokens were last used, which is
// written to the store in batches.
func (a *Authenticator) LastUsed() *tenant.LastUsed {
	return a.lastUsed
}

// Authenticate returns what the bearer token of a request's Authorization
// header stands for, if it is a token of kind want that is good now, and
// records its use. A refused token is an *Error; any other error is the
// store's.
func (a *Authenticator) Authenticate(ctx context.Context, authorization string, want Kind) (*Identity, error) {
	tok, ok := Bearer(authorization)
	if !ok {
		return nil, &Error{Reason: Missing}
	}
	ws, hash, ok := a.parse(tok, want)
	if !ok {
		return nil, &Error{Reason: Invalid, Presented: kindOf(tok)}
	}
	now := a.now()
	id, err := a.lookup(ctx, want, ws, hash, now)
	if errors.Is(err, store.ErrNotFound) || (err == nil && Kind(id.Token.Kind) != want) {
		return nil, &Error{Reason: Invalid, Presented: want}
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate a %s token: %w", want, err)
	}
	t := &id.Token
	switch {
	case !t.Revoked.IsZero():
		return nil, &Error{Reason: Revoked, Presented: want, Workspace: id.Workspace.Slug}
	case !t.Expires.IsZero() && !now.Before(t.Expires):
		return nil, &Error{Reason: Expired, Presented: want, Workspace: id.Workspace.Slug}
	case want == SCIM && !id.Workspace.Config.SCIMEnabled:
		return nil, &Error{Reason: Disabled, Presented: want, Workspace: id.Workspace.Slug}
	}
	a.lastUsed.Record(t.ID, now)
	return id, nil
}

// Bearer returns the token of an Authorization header value (RFC 6750
// §2.1), whose scheme is case-insensitive (RFC 9110 §11.1).
func Bearer(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// parse returns the workspace a token of kind k names ("" for an admin
// token) and the hash it is stored under, or false if tok is not one.
func (a *Authenticator) parse(tok string, k Kind) (ws string, hash []byte, ok bool) {
	switch k {
	case SCIM:
		ws, err := token.Parse(tok)
		if err != nil {
			return "", nil, false
		}
		return ws, a.hasher.Hash(ws, tok), true
	case App, Setup:
		kind, ws, err := token.ParseKind(tok)
		if err != nil || Kind(kind) != k {
			return "", nil, false
		}
		return ws, a.hasher.HashKind(kind, ws, tok), true
	case Admin:
		if token.ParseAdmin(tok) != nil {
			return "", nil, false
		}
		return "", a.hasher.HashAdmin(tok), true
	}
	return "", nil, false
}

// kindOf returns the kind tok looks like, "" if none. SCIM and admin
// tokens are known by their prefix alone, so that even a mangled one is
// named as what it was meant to be.
func kindOf(tok string) Kind {
	if k, _, err := token.ParseKind(tok); err == nil {
		return Kind(k)
	}
	switch {
	case strings.HasPrefix(tok, token.Prefix):
		return SCIM
	case strings.HasPrefix(tok, token.AdminPrefix):
		return Admin
	}
	return ""
}

// lookup returns what the token with hash stands for: from the cache for
// the kinds cached, else from the store.
func (a *Authenticator) lookup(ctx context.Context, k Kind, ws string, hash []byte, now time.Time) (*Identity, error) {
	if k == Admin {
		return a.read(ctx, ws, hash)
	}
	a.watch()
	key := string(hash)
	id, gen, ok := a.cache.get(key, ws, now)
	if ok {
		return id, nil
	}
	id, err := a.read(ctx, ws, hash)
	if err != nil {
		return nil, err
	}
	a.cache.put(key, id, gen, now)
	return id, nil
}

// read reads a token and its workspace from the store.
func (a *Authenticator) read(ctx context.Context, ws string, hash []byte) (*Identity, error) {
	if a.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.timeout)
		defer cancel()
	}
	t, err := a.store.TokenByHash(ctx, ws, hash)
	if err != nil {
		return nil, err
	}
	id := &Identity{Token: t}
	if t.WorkspaceID != "" {
		if id.Workspace, err = a.store.WorkspaceByID(ctx, t.WorkspaceID); err != nil {
			return nil, err
		}
	}
	return id, nil
}
