package admin

import (
	"errors"
	"net/http"
	"time"

	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

// authenticate returns what the bearer token of a request stands for: an
// admin token, "Authorization: Bearer scimd_admin_…", or, on a route
// that admits them, a set-up link (scimd_setup_…); not revoked, not
// expired (see package auth). A SCIM token is refused like any other
// invalid token, with where it works.
func (h *Handler) authenticate(r *http.Request, link bool) (*auth.Identity, error) {
	want, what := auth.Admin, "admin token"
	if tok, ok := auth.Bearer(r.Header.Get("Authorization")); ok && link {
		if k, _, err := token.ParseKind(tok); err == nil && k == token.SetupLink {
			want, what = auth.Setup, "set-up link"
		}
	}
	id, err := h.auth.Authenticate(r.Context(), r.Header.Get("Authorization"), want)
	var refused *auth.Error
	if !errors.As(err, &refused) {
		return id, err
	}
	switch {
	case refused.Reason == auth.Missing:
		return nil, unauthorized("an admin token is required: send Authorization: Bearer scimd_admin_… (scimd admin-token create makes one)")
	case want == auth.Setup && (refused.Reason == auth.Revoked || refused.Reason == auth.Expired):
		// A code of its own, so that the set-up page can tell its
		// holder that the link has ended, not that it is wrong.
		return nil, newError(http.StatusUnauthorized, CodeSetupLinkEnded, "the set-up link has %s; ask whoever sent it for a new one",
			map[auth.Reason]string{auth.Revoked: "been revoked", auth.Expired: "expired"}[refused.Reason])
	case refused.Reason == auth.Revoked:
		return nil, unauthorized("the " + what + " has been revoked")
	case refused.Reason == auth.Expired:
		return nil, unauthorized("the " + what + " has expired")
	case refused.Presented == auth.SCIM:
		return nil, unauthorized("this is a SCIM token, which works only on the SCIM endpoints; the admin API needs an admin token (scimd_admin_…)")
	case refused.Presented == auth.Setup && want != auth.Setup:
		return nil, unauthorized("this is a set-up link, which opens only its workspace's set-up page; the admin API needs an admin token (scimd_admin_…)")
	}
	return nil, unauthorized("the bearer token is not a valid " + what)
}

func unauthorized(msg string) *Error {
	return newError(http.StatusUnauthorized, CodeUnauthorized, "%s", msg)
}

// actorOf names who made a call in the audit log.
func actorOf(t store.Token) string {
	switch {
	case t.ID == "":
		return ""
	case t.Kind == store.TokenSetup:
		return "setup_link:" + t.ID
	}
	return "admin_token:" + t.ID
}

// withinLink refuses a call of a set-up link on a route of a workspace
// other than the link's: a link reaches its own workspace only.
func (c *call) withinLink() error {
	if slug := c.pathValue("slug"); slug != "" && slug != c.link.Slug {
		return linkForbidden()
	}
	return nil
}

func linkForbidden() *Error {
	return newError(http.StatusForbidden, CodeForbidden, "a set-up link reaches its own workspace's set-up and nothing else")
}

// adminEnds returns when the admin token of the call expires, which
// bounds the tokens it mints; zero for one that never does, for the
// operator of Local, and for a set-up link, whose SCIM tokens are for an
// identity provider that goes on using them after the link has gone.
func (c *call) adminEnds() time.Time {
	if c.actor.Kind != store.TokenAdmin {
		return time.Time{}
	}
	return c.actor.Expires
}
