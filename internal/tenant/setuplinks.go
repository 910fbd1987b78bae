package tenant

import (
	"context"
	"fmt"
	"time"

	"github.com/scimd/scimd/internal/duration"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

// A set-up link opens the set-up page of one workspace to whoever has
// it: the customer's IT administrator, who has no admin token. It is a
// token of kind store.TokenSetup, kept as a keyed hash like the others,
// and it always expires: a link sent by mail ends up in mailboxes,
// tickets and chat logs, so it must stop working by itself.
const (
	// DefaultSetupLinkTTL is how long a set-up link lasts unless told
	// otherwise: a working week for the customer to get to it.
	DefaultSetupLinkTTL = 7 * 24 * time.Hour
	// MinSetupLinkTTL and MaxSetupLinkTTL bound its lifetime: shorter
	// than an hour cannot be relied on to reach anyone, longer than 30
	// days leaves a working link lying about long after the set-up is
	// done.
	MinSetupLinkTTL = time.Hour
	MaxSetupLinkTTL = 30 * 24 * time.Hour
)

// defaultSetupLinkName names a set-up link created without a name.
const defaultSetupLinkName = "set-up link"

// ParseSetupLinkTTL reads how long a set-up link lasts: a duration such
// as "7d" or "48h" from MinSetupLinkTTL to MaxSetupLinkTTL; "" is
// DefaultSetupLinkTTL.
func ParseSetupLinkTTL(s string) (time.Duration, error) {
	if s == "" {
		return DefaultSetupLinkTTL, nil
	}
	d, err := duration.Parse(s)
	if err != nil || d < MinSetupLinkTTL || d > MaxSetupLinkTTL {
		return 0, fmt.Errorf("expires %q: want a duration from 1h to 30d, such as \"7d\" or \"48h\" (default 7d): %w", s, ErrInvalid)
	}
	return d, nil
}

// CreateSetupLink makes a set-up link for the workspace that lasts for
// ttl (0: DefaultSetupLinkTTL), and returns its secret, shown only now,
// with its record. An empty name is "set-up link". The actor of ctx
// (WithActor) is recorded as its creator.
func (s *Service) CreateSetupLink(ctx context.Context, slug, name string, ttl time.Duration) (string, store.Token, error) {
	if name == "" {
		name = defaultSetupLinkName
	}
	if err := checkTokenName(name); err != nil {
		return "", store.Token{}, err
	}
	if ttl == 0 {
		ttl = DefaultSetupLinkTTL
	}
	if ttl < MinSetupLinkTTL || ttl > MaxSetupLinkTTL {
		return "", store.Token{}, fmt.Errorf("a set-up link lasts from 1h to 30d, not %v: %w", ttl, ErrInvalid)
	}
	w, err := s.store.WorkspaceBySlug(ctx, slug)
	if err != nil {
		return "", store.Token{}, err
	}
	plain, hash, err := s.hasher.MintKind(token.SetupLink, w.ID)
	if err != nil {
		return "", store.Token{}, err
	}
	t := s.newToken(ctx, store.TokenSetup, w.ID, name, hash, ttl)
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", store.Token{}, err
	}
	t.Hash = nil
	return plain, t, nil
}

// ListSetupLinks lists the set-up links of a workspace, oldest first.
func (s *Service) ListSetupLinks(ctx context.Context, slug string) ([]TokenInfo, error) {
	w, err := s.store.WorkspaceBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	return s.list(ctx, w.ID, store.TokenSetup)
}

// RevokeSetupLink revokes a set-up link of the workspace at once and
// returns it as revoked; revoking it again keeps the first time.
func (s *Service) RevokeSetupLink(ctx context.Context, slug, linkID string) (store.Token, error) {
	return s.revoke(ctx, slug, store.TokenSetup, linkID)
}
