package appapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

// authenticate returns what the app token of a request stands for:
// "Authorization: Bearer scimd_app_…", found by its keyed hash, not
// revoked, not expired. SCIM, admin and users' tokens are refused like
// any other invalid token: none parses as an app token, and each hashes
// in another domain (see package token), so none could match one anyway.
func (h *Handler) authenticate(ctx context.Context, r *http.Request) (*appEntry, error) {
	tok, ok := bearer(r)
	if !ok {
		return nil, unauthorized("an app token is required: send Authorization: Bearer scimd_app_… (POST /admin/v1/workspaces/{slug}/app-tokens makes one)")
	}
	kind, ws, err := token.ParseKind(tok)
	switch {
	case err == nil && kind == token.App:
	case err == nil:
		what := "an API key"
		if kind == token.Session {
			what = "a session token"
		}
		return nil, unauthorized("this is %s of a user, which the application verifies with POST %s/verify; authenticate with an app token (scimd_app_…)", what, Prefix)
	case strings.HasPrefix(tok, token.Prefix):
		return nil, unauthorized("this is a SCIM token, which works only on the SCIM endpoints; the application API needs an app token (scimd_app_…)")
	case strings.HasPrefix(tok, token.AdminPrefix):
		return nil, unauthorized("this is an admin token, which works only on the admin API; the application API needs an app token (scimd_app_…)")
	default:
		return nil, unauthorized("the bearer token is not a valid app token")
	}
	now := h.now()
	e, err := h.apps.lookup(ctx, h.store, ws, h.hasher.HashKind(token.App, ws, tok), now)
	if errors.Is(err, store.ErrNotFound) || (err == nil && e.token.Kind != store.TokenApp) {
		return nil, unauthorized("the bearer token is not a valid app token")
	}
	if err != nil {
		return nil, err
	}
	if !e.token.Revoked.IsZero() {
		return nil, unauthorized("the app token has been revoked")
	}
	if !e.token.Expires.IsZero() && !now.Before(e.token.Expires) {
		return nil, unauthorized("the app token has expired")
	}
	h.lastUsed.Record(e.token.ID, now)
	return e, nil
}

func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// appCacheTTL is how long an app token found in the store is trusted
// without asking the store again. Revocations, expiry changes and
// workspace changes reach the cache at once through the store's
// notifications (see apply); the TTL only bounds how long a notification
// lost without the store noticing could leave it wrong.
const appCacheTTL = 10 * time.Second

// maxCachedApps bounds the cache; only tokens that exist are cached, so
// it cannot be filled by guessing.
const maxCachedApps = 10000

// appCache remembers recently used app tokens by hash, with their
// workspaces, saving database queries on every request: verifications
// come by the thousand a second.
type appCache struct {
	timeout time.Duration // bounds the store reads of a lookup

	mu sync.RWMutex
	m  map[string]*appEntry
	// gen counts invalidations. A lookup caches what it read only if
	// none happened since it began, since what it read may predate it.
	gen uint64
}

// appEntry is what an app token stands for; never changed once made.
type appEntry struct {
	token     store.Token
	workspace store.Workspace
	fetched   time.Time
}

func (c *appCache) lookup(ctx context.Context, st store.Store, ws string, hash []byte, now time.Time) (*appEntry, error) {
	c.mu.RLock()
	e, ok := c.m[string(hash)]
	gen := c.gen
	c.mu.RUnlock()
	if ok && now.Sub(e.fetched) < appCacheTTL && e.token.WorkspaceID == ws {
		return e, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	t, err := st.TokenByHash(ctx, ws, hash)
	if err != nil {
		return nil, err
	}
	w, err := st.WorkspaceByID(ctx, t.WorkspaceID)
	if err != nil {
		return nil, err
	}
	e = &appEntry{token: t, workspace: w, fetched: now}
	c.mu.Lock()
	if c.gen == gen {
		if c.m == nil || len(c.m) >= maxCachedApps {
			c.m = make(map[string]*appEntry)
		}
		c.m[string(hash)] = e
	}
	c.mu.Unlock()
	return e, nil
}

// apply drops what a change makes stale. The store calls it right after
// its own commits, so that an app token revoked in this process is
// refused from the very next request.
func (c *appCache) apply(ch store.Change) {
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
