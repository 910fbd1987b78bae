package access

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// Errors of issuing and revoking, checked with errors.Is.
var (
	// ErrInvalid is returned for input that breaks a rule; the message
	// says which.
	ErrInvalid = errors.New("invalid")
	// ErrUserNotFound is returned for a user the workspace does not
	// have (any more); it is a store.ErrNotFound.
	ErrUserNotFound = fmt.Errorf("user %w", store.ErrNotFound)
	// ErrCredentialNotFound is returned for a credential the user does
	// not have; it is a store.ErrNotFound.
	ErrCredentialNotFound = fmt.Errorf("credential %w", store.ErrNotFound)
	// ErrTokenNotFound is returned for an app token the workspace does
	// not have; it is a store.ErrNotFound.
	ErrTokenNotFound = fmt.Errorf("app token %w", store.ErrNotFound)
	// ErrUserInactive is returned when issuing for a user who is not
	// active: verification would refuse what was issued.
	ErrUserInactive = errors.New("user is not active")
)

// Session lifetimes.
const (
	DefaultSessionTTL = 24 * time.Hour
	MaxSessionTTL     = 30 * 24 * time.Hour
)

// ReasonRevokedByApp is recorded with credentials the application revokes.
const ReasonRevokedByApp = "revoked"

// Events of issuing, which the store appends with the credential.
// Applications subscribe to these names, so they never change.
const (
	EventAPIKeyCreated  = eventtype.APIKeyCreated
	EventSessionCreated = eventtype.SessionCreated
)

// Issuer issues, lists and revokes users' API keys and sessions, and
// workspaces' app tokens.
type Issuer struct {
	store  store.Store
	hasher *token.Hasher
	now    func() time.Time
}

// NewIssuer returns an Issuer; it uses Store, Hasher and Clock of cfg.
func NewIssuer(cfg Config) *Issuer {
	s := &Issuer{store: cfg.Store, hasher: cfg.Hasher, now: cfg.Clock}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// precision is that of the times the stores keep, to which those of new
// credentials are cut, so that what Issuer returns is what is stored.
const precision = time.Microsecond

// maxName bounds names, which are shown in listings.
const maxName = 100

func checkName(what, name string, required bool) error {
	switch {
	case required && strings.TrimSpace(name) == "":
		return fmt.Errorf("%s needs a name: %w", what, ErrInvalid)
	case len(name) > maxName:
		return fmt.Errorf("%s name %.20q…: at most %d bytes: %w", what, name, maxName, ErrInvalid)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("%s name %q: no control characters: %w", what, name, ErrInvalid)
	}
	return nil
}

// IssueAPIKey issues an API key to an active user of the workspace,
// provisioned or invited, and returns it, shown only now, with its
// record. expires zero makes a key that never expires.
func (s *Issuer) IssueAPIKey(ctx context.Context, workspaceID, userID, name string, expires time.Time) (string, store.Credential, error) {
	if err := checkName("an API key", name, true); err != nil {
		return "", store.Credential{}, err
	}
	if now := s.now(); !expires.IsZero() && !expires.After(now) {
		return "", store.Credential{}, fmt.Errorf("expiry %s is not in the future: %w", expires.UTC().Format(time.RFC3339), ErrInvalid)
	}
	return s.issue(ctx, token.APIKey, workspaceID, userID, name, expires)
}

// IssueSession starts a session of an active user of the workspace,
// provisioned or invited, for ttl (0: DefaultSessionTTL; at most
// MaxSessionTTL), and returns its token, shown only now, with its
// record. name, which may be empty, says where the user signed in, e.g.
// the browser.
func (s *Issuer) IssueSession(ctx context.Context, workspaceID, userID, name string, ttl time.Duration) (string, store.Credential, error) {
	if err := checkName("a session", name, false); err != nil {
		return "", store.Credential{}, err
	}
	if ttl == 0 {
		ttl = DefaultSessionTTL
	}
	if ttl < 0 || ttl > MaxSessionTTL {
		return "", store.Credential{}, fmt.Errorf("session lifetime %v: want more than 0 and at most %v: %w", ttl, MaxSessionTTL, ErrInvalid)
	}
	return s.issue(ctx, token.Session, workspaceID, userID, name, s.now().Add(ttl))
}

func (s *Issuer) issue(ctx context.Context, kind token.Kind, ws, userID, name string, expires time.Time) (string, store.Credential, error) {
	secret, hash, err := s.hasher.MintKind(kind, ws)
	if err != nil {
		return "", store.Credential{}, err
	}
	c := store.Credential{
		ID: id.New(id.Credential), WorkspaceID: ws, UserID: userID, Kind: string(kind),
		Name: name, Hash: hash, Created: s.now().Truncate(precision), Expires: expires.Truncate(precision),
	}
	// The store checks the user, atomically with deactivation, so that
	// no key escapes revocation; reading the user first would only cost
	// a query.
	if err := s.store.CreateCredential(ctx, c); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", store.Credential{}, fmt.Errorf("user %s: %w", userID, ErrUserNotFound)
		}
		if errors.Is(err, store.ErrUserInactive) {
			return "", store.Credential{}, fmt.Errorf("user %s: %w", userID, ErrUserInactive)
		}
		return "", store.Credential{}, fmt.Errorf("issue %s: %w", kind, err)
	}
	c.Hash = nil
	return secret, c, nil
}

// user returns a user of the workspace, provisioned or invited, or
// ErrUserNotFound.
func (s *Issuer) user(ctx context.Context, ws, userID string) (*store.Resource, error) {
	u, err := findUser(ctx, s.store, ws, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("user %s: %w", userID, ErrUserNotFound)
	}
	return u, err
}

// Credentials lists a user's API keys or sessions (kind
// store.CredentialAPIKey or store.CredentialSession), revoked and expired
// ones included, in creation order and without their hashes.
func (s *Issuer) Credentials(ctx context.Context, workspaceID, userID, kind string) ([]store.Credential, error) {
	if _, err := s.user(ctx, workspaceID, userID); err != nil {
		return nil, err
	}
	all, err := s.store.Credentials(ctx, workspaceID, userID)
	if err != nil {
		return nil, err
	}
	out := make([]store.Credential, 0, len(all))
	for _, c := range all {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out, nil
}

// Revoke revokes a user's API key or session (kind as for Credentials)
// at once: every Verifier on the database refuses it from its next
// verification. It returns the credential as revoked; revoking it again
// changes nothing.
func (s *Issuer) Revoke(ctx context.Context, workspaceID, userID, kind, credentialID string) (store.Credential, error) {
	find := func() (store.Credential, error) {
		cs, err := s.Credentials(ctx, workspaceID, userID, kind)
		if err != nil {
			return store.Credential{}, err
		}
		for _, c := range cs {
			if c.ID == credentialID {
				return c, nil
			}
		}
		return store.Credential{}, fmt.Errorf("%s %s of user %s: %w", kind, credentialID, userID, ErrCredentialNotFound)
	}
	c, err := find()
	if err != nil || !c.Revoked.IsZero() {
		return c, err
	}
	if err := s.store.RevokeCredential(ctx, workspaceID, c.ID, ReasonRevokedByApp); err != nil {
		return c, fmt.Errorf("revoke %s %s: %w", kind, c.ID, err)
	}
	return find()
}

// CreateAppToken mints an app token for the workspace and returns it,
// shown only now, with its record. expires zero makes a token that never
// expires. The actor of ctx (tenant.WithActor) is recorded as its
// creator.
func (s *Issuer) CreateAppToken(ctx context.Context, workspaceID, name string, expires time.Time) (string, store.Token, error) {
	if err := checkName("an app token", name, true); err != nil {
		return "", store.Token{}, err
	}
	now := s.now()
	if !expires.IsZero() && !expires.After(now) {
		return "", store.Token{}, fmt.Errorf("expiry %s is not in the future: %w", expires.UTC().Format(time.RFC3339), ErrInvalid)
	}
	secret, hash, err := s.hasher.MintKind(token.App, workspaceID)
	if err != nil {
		return "", store.Token{}, err
	}
	t := store.Token{
		ID: id.New(id.Token), Kind: store.TokenApp, WorkspaceID: workspaceID, Name: name, Hash: hash,
		Created: now, CreatedBy: tenant.Actor(ctx), Expires: expires,
	}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", store.Token{}, fmt.Errorf("create app token: %w", err)
	}
	t.Hash = nil
	return secret, t, nil
}

// AppTokens lists the workspace's app tokens, oldest first, without their
// hashes.
func (s *Issuer) AppTokens(ctx context.Context, workspaceID string) ([]store.Token, error) {
	all, err := s.store.Tokens(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	out := make([]store.Token, 0, len(all))
	for _, t := range all {
		if t.Kind == store.TokenApp {
			out = append(out, t)
		}
	}
	return out, nil
}

// RevokeAppToken revokes an app token of the workspace at once and
// returns it as revoked; revoking it again keeps the first time.
func (s *Issuer) RevokeAppToken(ctx context.Context, workspaceID, tokenID string) (store.Token, error) {
	t, err := s.store.TokenByID(ctx, tokenID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (t.Kind != store.TokenApp || t.WorkspaceID != workspaceID)) {
		return store.Token{}, fmt.Errorf("%s: %w", tokenID, ErrTokenNotFound)
	}
	if err != nil {
		return store.Token{}, err
	}
	if err := s.store.RevokeToken(ctx, t.ID, s.now()); err != nil {
		return t, err
	}
	return s.store.TokenByID(ctx, t.ID)
}
