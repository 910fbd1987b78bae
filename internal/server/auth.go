package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

type ctxKey int

const workspaceKey ctxKey = iota

// workspace returns the workspace the request's token belongs to. Only
// authenticated requests reach the handlers that ask.
func workspace(ctx context.Context) *store.Workspace {
	if e := authOf(ctx); e != nil {
		return &e.workspace
	}
	return &store.Workspace{}
}

// authOf returns what the request's token stands for, or nil before auth.
func authOf(ctx context.Context) *authEntry {
	e, _ := ctx.Value(workspaceKey).(*authEntry)
	return e
}

// auth admits requests that carry a valid SCIM bearer token (RFC 7644 §2)
// of a workspace with SCIM enabled, scopes them to that workspace and
// records the token's use.
func (s *Server) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now, addr := s.now(), clientAddress(r)
		if s.authThrottled(w, r, addr, now) {
			return
		}
		unauthorized := func(detail string) {
			if s.authFailures != nil {
				s.authFailures.allow(addr, now)
			}
			s.unauthorized(w, r, addr, detail)
		}
		tok, ok := bearer(r)
		if !ok {
			unauthorized("a bearer token is required")
			return
		}
		ws, err := token.Parse(tok)
		if err != nil {
			unauthorized("the bearer token is not valid")
			return
		}
		e, err := s.tokens.lookup(r.Context(), s.store, ws, s.hasher.Hash(ws, tok), now)
		if errors.Is(err, store.ErrNotFound) {
			unauthorized("the bearer token is not valid")
			return
		}
		if errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
			s.fail(w, r, provision.Unavailable(err))
			return
		}
		if err != nil {
			s.fail(w, r, scimerr.From(err))
			return
		}
		t := e.token
		if t.Kind != store.TokenSCIM {
			unauthorized("the bearer token is not valid")
			return
		}
		if !t.Revoked.IsZero() {
			unauthorized("the bearer token has been revoked")
			return
		}
		if !t.Expires.IsZero() && !now.Before(t.Expires) {
			unauthorized("the bearer token has expired")
			return
		}
		if !e.workspace.Config.SCIMEnabled {
			s.fail(w, r, scimerr.New(http.StatusForbidden, "", "SCIM is disabled for workspace %q", e.workspace.Slug))
			return
		}
		s.lastUsed.Record(t.ID, now)
		// Before the audit record learns the token: refused requests are
		// audited by the minute (see refusals), so that a flood of them
		// does not become a flood of audit log writes.
		if s.throttle(w, r, e, now) {
			return
		}
		recordOf(r.Context()).auth = e
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), workspaceKey, e)))
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// unauthorized answers 401 to a request from addr, and counts it for the
// audit log.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, addr, detail string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="scimd"`)
	s.refused.add(refusalKey{"", addressActor(addr), ActionUnauthorized, http.StatusUnauthorized}, detail)
	s.fail(w, r, scimerr.New(http.StatusUnauthorized, "", "%s", detail))
}

// tokenCacheTTL is how long a token found in the store is trusted without
// asking the store again. Revocations, expiry changes and workspace
// changes reach the cache at once through the store's notifications (see
// apply); the TTL only bounds how long a notification lost without the
// store noticing could leave it wrong.
const tokenCacheTTL = 10 * time.Second

// maxCachedTokens bounds the cache; only tokens that exist are cached, so
// it cannot be filled by guessing.
const maxCachedTokens = 10000

// tokenCache remembers recently used tokens by hash, with their
// workspaces, saving database queries on every request.
type tokenCache struct {
	mu sync.RWMutex
	m  map[string]*authEntry
	// gen counts invalidations. A lookup caches what it read only if
	// none happened since it began, since what it read may predate it.
	gen uint64
}

// authEntry is what a token stands for; never changed once made.
type authEntry struct {
	token     store.Token
	workspace store.Workspace
	fetched   time.Time
}

func (c *tokenCache) lookup(ctx context.Context, st store.Store, ws string, hash []byte, now time.Time) (*authEntry, error) {
	key := string(hash)
	c.mu.RLock()
	e, ok := c.m[key]
	gen := c.gen
	c.mu.RUnlock()
	if ok && now.Sub(e.fetched) < tokenCacheTTL && e.token.WorkspaceID == ws {
		return e, nil
	}
	t, err := st.TokenByHash(ctx, ws, hash)
	if err != nil {
		return nil, err
	}
	w, err := st.WorkspaceByID(ctx, t.WorkspaceID)
	if err != nil {
		return nil, err
	}
	e = &authEntry{token: t, workspace: w, fetched: now}
	c.mu.Lock()
	if c.gen == gen {
		if c.m == nil || len(c.m) >= maxCachedTokens {
			c.m = make(map[string]*authEntry)
		}
		c.m[key] = e
	}
	c.mu.Unlock()
	return e, nil
}

// apply drops what a change makes stale. The store calls it right after
// its own commits, so that a token revoked in this process is refused from
// the very next request.
func (c *tokenCache) apply(ch store.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ch.Kind {
	case store.ChangeToken:
		for k, e := range c.m {
			if e.token.ID == ch.ID {
				delete(c.m, k)
			}
		}
	case store.ChangeWorkspace:
		for k, e := range c.m {
			if e.token.WorkspaceID == ch.WorkspaceID {
				delete(c.m, k)
			}
		}
	case store.ChangeReset:
		c.m = nil
	default:
		return // about something not cached here
	}
	c.gen++
}
