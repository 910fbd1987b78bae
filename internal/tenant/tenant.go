// Package tenant manages workspaces, their configuration and their SCIM
// tokens, and the installation's admin tokens.
package tenant

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

// DefaultTokenTTL is how long a token lives unless the installation or the
// token says otherwise.
const DefaultTokenTTL = 365 * 24 * time.Hour

// ErrInvalid is returned for input that breaks a rule; the message says
// which.
var ErrInvalid = errors.New("invalid")

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// Service manages workspaces and tokens.
type Service struct {
	store  store.Store
	hasher *token.Hasher
	now    func() time.Time
	ttl    time.Duration // lifetime of tokens created without one; < 0: never expire
}

// Option configures a Service.
type Option func(*Service)

// TokenTTL returns the installation's token lifetime, for tokens
// created without one; negative: they never expire.
func (s *Service) TokenTTL() time.Duration { return s.ttl }

// WithDefaultTokenTTL sets the installation's token lifetime, for tokens
// created without one: 0 is DefaultTokenTTL, a negative ttl never expires.
func WithDefaultTokenTTL(ttl time.Duration) Option {
	return func(s *Service) {
		if ttl != 0 {
			s.ttl = ttl
		}
	}
}

// WithClock sets the clock (for tests).
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// New returns a Service.
func New(st store.Store, h *token.Hasher, opts ...Option) *Service {
	s := &Service{store: st, hasher: h, now: time.Now, ttl: DefaultTokenTTL}
	for _, o := range opts {
		o(s)
	}
	return s
}

// CreateWorkspace creates a workspace with the given slug: lower-case
// letters, digits and inner hyphens, at most 63 characters.
func (s *Service) CreateWorkspace(ctx context.Context, slug string) (store.Workspace, error) {
	if !slugRE.MatchString(slug) {
		return store.Workspace{}, fmt.Errorf("workspace slug %q must be 1-63 lower-case letters, digits or inner hyphens: %w", slug, ErrInvalid)
	}
	w := store.Workspace{ID: id.New(id.Workspace), Slug: slug, Created: s.now(), Config: store.DefaultWorkspaceConfig()}
	if err := s.store.CreateWorkspace(ctx, w); err != nil {
		return store.Workspace{}, err
	}
	return w, nil
}

// CreateToken mints a SCIM token for the workspace and returns it with its
// stored record. The token is shown only now: only its hash is kept. A ttl
// of 0 means the installation's default; a negative ttl means it never
// expires. The actor of ctx (WithActor) is recorded as its creator.
func (s *Service) CreateToken(ctx context.Context, slug, name string, ttl time.Duration) (string, store.Token, error) {
	if err := checkTokenName(name); err != nil {
		return "", store.Token{}, err
	}
	w, err := s.store.WorkspaceBySlug(ctx, slug)
	if err != nil {
		return "", store.Token{}, err
	}
	plain, hash, err := s.hasher.Mint(w.ID)
	if err != nil {
		return "", store.Token{}, err
	}
	t := s.newToken(ctx, store.TokenSCIM, w.ID, name, hash, ttl)
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", store.Token{}, err
	}
	return plain, t, nil
}

// Bootstrap creates the workspace "default" and a token for it when the
// store has no workspace yet, so that a fresh install works at once. It
// returns the token, or "" if there was nothing to do.
func (s *Service) Bootstrap(ctx context.Context) (string, error) {
	ws, err := s.store.Workspaces(ctx)
	if err != nil || len(ws) > 0 {
		return "", err
	}
	if _, err := s.CreateWorkspace(ctx, "default"); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return "", err
	}
	tok, _, err := s.CreateToken(WithActor(ctx, "bootstrap"), "default", "default", 0)
	return tok, err
}
