package admin

import (
	"errors"
	"net/http"

	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/store"
)

// authenticate returns the admin token of a request: "Authorization:
// Bearer scimd_admin_…", not revoked, not expired (see package auth). A
// SCIM token is refused like any other invalid token, with where it
// works.
func (h *Handler) authenticate(r *http.Request) (store.Token, error) {
	id, err := h.auth.Authenticate(r.Context(), r.Header.Get("Authorization"), auth.Admin)
	var refused *auth.Error
	if !errors.As(err, &refused) {
		if err != nil {
			return store.Token{}, err
		}
		return id.Token, nil
	}
	switch {
	case refused.Reason == auth.Missing:
		return store.Token{}, unauthorized("an admin token is required: send Authorization: Bearer scimd_admin_… (scimd admin-token create makes one)")
	case refused.Reason == auth.Revoked:
		return store.Token{}, unauthorized("the admin token has been revoked")
	case refused.Reason == auth.Expired:
		return store.Token{}, unauthorized("the admin token has expired")
	case refused.Presented == auth.SCIM:
		return store.Token{}, unauthorized("this is a SCIM token, which works only on the SCIM endpoints; the admin API needs an admin token (scimd_admin_…)")
	}
	return store.Token{}, unauthorized("the bearer token is not a valid admin token")
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
