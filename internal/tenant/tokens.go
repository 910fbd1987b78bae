package tenant

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/store"
)

type actorKey struct{}

// WithActor returns a context that names who acts, e.g. "cli:alice", so
// that what is created in it records its creator.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// Actor returns the actor of ctx, or "".
func Actor(ctx context.Context) string {
	a, _ := ctx.Value(actorKey{}).(string)
	return a
}

// maxTokenName bounds token names, which are shown in listings.
const maxTokenName = 100

func checkTokenName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("a token needs a name: %w", ErrInvalid)
	case len(name) > maxTokenName:
		return fmt.Errorf("token name %.20q…: at most %d bytes: %w", name, maxTokenName, ErrInvalid)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("token name %q: no control characters: %w", name, ErrInvalid)
	}
	return nil
}

// newToken returns the record of a token created now: ttl 0 is the
// installation's default, a negative ttl never expires.
func (s *Service) newToken(ctx context.Context, kind, workspaceID, name string, hash []byte, ttl time.Duration) store.Token {
	now := s.now()
	t := store.Token{
		ID: id.New(id.Token), Kind: kind, WorkspaceID: workspaceID, Name: name, Hash: hash,
		Created: now, CreatedBy: Actor(ctx),
	}
	if ttl == 0 {
		ttl = s.ttl
	}
	if ttl > 0 {
		t.Expires = now.Add(ttl)
	}
	return t
}

// CreateAdminToken mints an admin token, which belongs to the installation
// rather than a workspace, and returns it with its stored record; ttl as
// for CreateToken. The token is shown only now.
func (s *Service) CreateAdminToken(ctx context.Context, name string, ttl time.Duration) (string, store.Token, error) {
	if err := checkTokenName(name); err != nil {
		return "", store.Token{}, err
	}
	plain, hash := s.hasher.MintAdmin()
	t := s.newToken(ctx, store.TokenAdmin, "", name, hash, ttl)
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", store.Token{}, err
	}
	return plain, t, nil
}

// Token states.
const (
	StateActive  = "active"
	StateExpired = "expired"
	StateRevoked = "revoked"
)

// TokenInfo is a token as listed: never its secret, nor its hash.
type TokenInfo struct {
	store.Token
	// State is StateActive, StateExpired or StateRevoked.
	State string
	// DaysLeft is the number of whole days until the token expires, 0
	// once it has, -1 if it never does.
	DaysLeft int
}

// Describe returns what a listing shows of a token at a time.
func Describe(t store.Token, now time.Time) TokenInfo {
	t.Hash = nil
	info := TokenInfo{Token: t, State: StateActive, DaysLeft: -1}
	if !t.Expires.IsZero() {
		info.DaysLeft = max(0, int(t.Expires.Sub(now)/(24*time.Hour)))
		if !now.Before(t.Expires) {
			info.State = StateExpired
		}
	}
	if !t.Revoked.IsZero() {
		info.State = StateRevoked
	}
	return info
}

// ListTokens lists the SCIM tokens of a workspace, oldest first.
func (s *Service) ListTokens(ctx context.Context, slug string) ([]TokenInfo, error) {
	w, err := s.store.WorkspaceBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	return s.list(ctx, w.ID, store.TokenSCIM)
}

// ListAdminTokens lists the admin tokens, oldest first.
func (s *Service) ListAdminTokens(ctx context.Context) ([]TokenInfo, error) {
	return s.list(ctx, "", store.TokenAdmin)
}

// list lists the tokens of a kind in a workspace, or among admin tokens
// with workspaceID "". Application tokens, which also belong to
// workspaces, are managed by the access package.
func (s *Service) list(ctx context.Context, workspaceID, kind string) ([]TokenInfo, error) {
	ts, err := s.store.Tokens(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	infos := make([]TokenInfo, 0, len(ts))
	for _, t := range ts {
		if t.Kind == kind {
			infos = append(infos, Describe(t, now))
		}
	}
	return infos, nil
}

// token returns the token of a kind with the given id if it belongs to
// the workspace with the given slug, or is an admin token when slug is
// "".
func (s *Service) token(ctx context.Context, slug, kind, tokenID string) (store.Token, error) {
	wsID := ""
	if slug != "" {
		w, err := s.store.WorkspaceBySlug(ctx, slug)
		if err != nil {
			return store.Token{}, err
		}
		wsID = w.ID
	}
	t, err := s.store.TokenByID(ctx, tokenID)
	if err != nil {
		return store.Token{}, err
	}
	if t.WorkspaceID != wsID || t.Kind != kind {
		switch kind {
		case store.TokenAdmin:
			return store.Token{}, fmt.Errorf("admin token %s: %w", tokenID, store.ErrNotFound)
		case store.TokenSetup:
			return store.Token{}, fmt.Errorf("set-up link %s in workspace %q: %w", tokenID, slug, store.ErrNotFound)
		}
		return store.Token{}, fmt.Errorf("token %s in workspace %q: %w", tokenID, slug, store.ErrNotFound)
	}
	return t, nil
}

// RevokeToken revokes a SCIM token of the workspace at once: every server
// on the database refuses it from its next request. It returns the token
// as revoked; revoking a revoked token keeps the first time.
func (s *Service) RevokeToken(ctx context.Context, slug, tokenID string) (store.Token, error) {
	return s.revoke(ctx, slug, store.TokenSCIM, tokenID)
}

// RevokeAdminToken revokes an admin token at once.
func (s *Service) RevokeAdminToken(ctx context.Context, tokenID string) (store.Token, error) {
	return s.revoke(ctx, "", store.TokenAdmin, tokenID)
}

func (s *Service) revoke(ctx context.Context, slug, kind, tokenID string) (store.Token, error) {
	t, err := s.token(ctx, slug, kind, tokenID)
	if err != nil {
		return t, err
	}
	if err := s.store.RevokeToken(ctx, t.ID, s.now()); err != nil {
		return t, err
	}
	return s.store.TokenByID(ctx, t.ID)
}

// RotateToken replaces a SCIM token of the workspace: it mints a new token
// with the same name and lifetime, shown only now, and ends the old one
// at once when overlap is 0, else after overlap (or when it expires, if
// sooner), so that the identity provider can be given the new token
// meanwhile. It returns the new token, its record and the old token's as
// ended. The new token's creation, the old one's end and their events are
// one transaction: the rotation happens whole or not at all. latest, if
// not zero, is when the new token ends at the latest, if its lifetime
// would take it further: the end of the admin token that asks for it.
func (s *Service) RotateToken(ctx context.Context, slug, tokenID string, overlap time.Duration, latest time.Time) (plain string, next, old store.Token, err error) {
	if overlap < 0 {
		return "", next, old, fmt.Errorf("overlap %v: must not be negative: %w", overlap, ErrInvalid)
	}
	kind := store.TokenSCIM
	if slug == "" {
		kind = store.TokenAdmin
	}
	old, err = s.token(ctx, slug, kind, tokenID)
	if err != nil {
		return "", next, old, err
	}
	plain, hash, err := s.hasher.Mint(old.WorkspaceID)
	if err != nil {
		return "", next, old, err
	}
	ttl := time.Duration(-1)
	if !old.Expires.IsZero() {
		ttl = old.Expires.Sub(old.Created)
	}
	if !latest.IsZero() {
		if left := latest.Sub(s.now()); ttl < 0 || ttl > left {
			ttl = max(left, time.Second)
		}
	}
	next = s.newToken(ctx, old.Kind, old.WorkspaceID, old.Name, hash, ttl)
	now := next.Created
	old, err = s.store.RotateToken(ctx, store.TokenRotation{OldID: old.ID, New: next, At: now, Overlap: overlap})
	if errors.Is(err, store.ErrTokenInactive) {
		// Checked in the rotation's transaction, since another process
		// may have ended the token since it was read.
		return "", store.Token{}, old, fmt.Errorf("token %s is %s; create a new one instead: %w", tokenID, Describe(old, now).State, ErrInvalid)
	}
	if err != nil {
		return "", store.Token{}, old, err
	}
	return plain, next, old, nil
}
