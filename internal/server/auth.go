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

// workspace returns the id of the workspace the request's token belongs to.
func workspace(ctx context.Context) string {
	ws, _ := ctx.Value(workspaceKey).(string)
	return ws
}

// auth admits requests that carry a valid SCIM bearer token (RFC 7644 §2)
// and scopes them to the token's workspace.
func (s *Server) auth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		if !ok {
			s.unauthorized(w, r, "a bearer token is required")
			return
		}
		ws, err := token.Parse(tok)
		if err != nil {
			s.unauthorized(w, r, "the bearer token is not valid")
			return
		}
		t, err := s.tokens.lookup(r.Context(), s.store, ws, s.hasher.Hash(ws, tok), s.now())
		if errors.Is(err, store.ErrNotFound) {
			s.unauthorized(w, r, "the bearer token is not valid")
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
		if !t.Expires.IsZero() && !s.now().Before(t.Expires) {
			s.unauthorized(w, r, "the bearer token has expired")
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), workspaceKey, t.WorkspaceID)))
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

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, detail string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="scimd"`)
	s.fail(w, r, scimerr.New(http.StatusUnauthorized, "", "%s", detail))
}

// tokenCacheTTL is how long a token found in the store is trusted without
// asking the store again. Tokens change only by creation, which a cache
// miss finds, and expiry, which is checked on every request.
const tokenCacheTTL = 10 * time.Second

// maxCachedTokens bounds the cache; only tokens that exist are cached, so
// it cannot be filled by guessing.
const maxCachedTokens = 10000

// tokenCache remembers recently used tokens by hash, saving a database
// query on every request.
type tokenCache struct {
	mu sync.RWMutex
	m  map[string]cachedToken
}

type cachedToken struct {
	token   store.Token
	fetched time.Time
}

func (c *tokenCache) lookup(ctx context.Context, st store.Store, ws string, hash []byte, now time.Time) (store.Token, error) {
	key := string(hash)
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if ok && now.Sub(e.fetched) < tokenCacheTTL && e.token.WorkspaceID == ws {
		return e.token, nil
	}
	t, err := st.TokenByHash(ctx, ws, hash)
	if err != nil {
		return t, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = make(map[string]cachedToken)
	}
	c.m[key] = cachedToken{token: t, fetched: now}
	c.mu.Unlock()
	return t, nil
}
