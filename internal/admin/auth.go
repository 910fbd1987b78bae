package admin

import (
	"errors"
	"net/http"
	"strings"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

// authenticate returns the admin token of a request: "Authorization:
// Bearer scimd_admin_…", found by its keyed hash, not revoked, not
// expired.
//
// Unlike SCIM tokens, admin tokens are not cached: administration is
// rare, and a lookup per request makes a revocation apply at once on
// every replica. A SCIM token is refused like any other invalid token: it
// does not parse as an admin token, and its hash lives in another domain
// (see package token), so it could not match one anyway.
func (h *Handler) authenticate(r *http.Request) (store.Token, error) {
	tok, ok := bearer(r)
	if !ok {
		return store.Token{}, unauthorized("an admin token is required: send Authorization: Bearer scimd_admin_… (scimd admin-token create makes one)")
	}
	if token.ParseAdmin(tok) != nil {
		if strings.HasPrefix(tok, token.Prefix) {
			return store.Token{}, unauthorized("this is a SCIM token, which works only on the SCIM endpoints; the admin API needs an admin token (scimd_admin_…)")
		}
		return store.Token{}, unauthorized("the bearer token is not a valid admin token")
	}
	t, err := h.store.TokenByHash(r.Context(), "", h.hasher.HashAdmin(tok))
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Kind != store.TokenAdmin) {
		return store.Token{}, unauthorized("the bearer token is not a valid admin token")
	}
	if err != nil {
		return store.Token{}, err
	}
	now := h.now()
	if !t.Revoked.IsZero() {
		return store.Token{}, unauthorized("the admin token has been revoked")
	}
	if !t.Expires.IsZero() && !now.Before(t.Expires) {
		return store.Token{}, unauthorized("the admin token has expired")
	}
	h.lastUsed.Record(t.ID, now)
	return t, nil
}

func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func unauthorized(msg string) *Error {
	return newError(http.StatusUnauthorized, CodeUnauthorized, "%s", msg)
}

// actorOf names who made a call in the audit log.
func actorOf(t store.Token) string {
	if t.ID == "" {
		return ""
	}
	return "admin_token:" + t.ID
}
