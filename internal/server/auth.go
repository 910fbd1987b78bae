package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
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

// typesOf returns the resource types of the request's workspace: scimd's
// without one.
func typesOf(ctx context.Context) types {
	if e := authOf(ctx); e != nil && e.types.user != nil {
		return e.types
	}
	return baseTypes
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
		id, err := s.authn.Authenticate(r.Context(), r.Header.Get("Authorization"), auth.SCIM)
		var refused *auth.Error
		switch {
		case errors.As(err, &refused) && refused.Reason == auth.Disabled:
			s.fail(w, r, scimerr.New(http.StatusForbidden, "", "SCIM is disabled for workspace %q", refused.Workspace))
			return
		case errors.As(err, &refused):
			if s.authFailures != nil {
				s.authFailures.allow(addr, now)
			}
			s.unauthorized(w, r, addr, tokenRefusals[refused.Reason])
			return
		case errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded):
			s.fail(w, r, provision.Unavailable(err))
			return
		case err != nil:
			s.fail(w, r, scimerr.From(err))
			return
		}
		e := &authEntry{token: id.Token, workspace: id.Workspace}
		if e.types, err = s.types.get(r.Context(), id.Workspace.ID); err != nil {
			s.fail(w, r, provision.Unavailable(err))
			return
		}
		if id.Workspace.Config.UndeclaredExtensions == store.UndeclaredKeep {
			e.types = e.types.keeping()
		}
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

// maybeAuth is auth for requests with an Authorization header, and lets
// those without one through unscoped: discovery describes a workspace's
// resource types, extensions included, to its token, and scimd's to
// anyone.
func (s *Server) maybeAuth(h http.Handler) http.Handler {
	authed := s.auth(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			h.ServeHTTP(w, r)
			return
		}
		authed.ServeHTTP(w, r)
	})
}

// tokenRefusals are the details of the 401s for refused tokens.
var tokenRefusals = map[auth.Reason]string{
	auth.Missing: "a bearer token is required",
	auth.Invalid: "the bearer token is not valid",
	auth.Revoked: "the bearer token has been revoked",
	auth.Expired: "the bearer token has expired",
}

// unauthorized answers 401 to a request from addr, and counts it for the
// audit log.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, addr, detail string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="scimd"`)
	s.refused.add(refusalKey{"", addressActor(addr), ActionUnauthorized, http.StatusUnauthorized}, detail)
	s.fail(w, r, scimerr.New(http.StatusUnauthorized, "", "%s", detail))
}

// authEntry is what the request's token stands for.
type authEntry struct {
	token     store.Token
	workspace store.Workspace
	// types are the workspace's resource types, with the extensions it
	// declared.
	types types
}
