package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/tenant"
)

// App tokens authenticate a workspace's application to the application
// API (/v1), where it issues and verifies its users' API keys and
// sessions and reads the workspace's events. They are tokens of their
// own kind: a SCIM token does not work there, nor an app token on the
// SCIM endpoints.

func (h *Handler) appTokens() *access.Issuer {
	return access.NewIssuer(access.Config{Store: h.store, Hasher: h.hasher, Clock: h.now})
}

// appTokenErr turns the errors of app token operations into responses
// that name what is missing or wrong.
func appTokenErr(slug, tokenID string, err error) error {
	switch {
	case errors.Is(err, access.ErrTokenNotFound):
		return &Error{Status: http.StatusNotFound, Code: CodeTokenNotFound,
			Message: fmt.Sprintf("workspace %q has no app token %s; GET %s/workspaces/%s/app-tokens lists them", slug, tokenID, Prefix, slug), Err: err}
	case errors.Is(err, access.ErrInvalid):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidValue,
			Message: strings.TrimSuffix(err.Error(), ": "+access.ErrInvalid.Error()), Err: err}
	}
	return err
}

func listAppTokens(h *Handler, c *call) (int, any, error) {
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	ts, err := h.appTokens().AppTokens(c.r.Context(), w.ID)
	if err != nil {
		return 0, nil, err
	}
	now := h.now()
	out := TokenList{Tokens: make([]Token, len(ts))}
	for i, t := range ts {
		out.Tokens[i] = tokenOut(tenant.Describe(t, now))
	}
	return http.StatusOK, out, nil
}

// createAppToken mints an app token. expires_in is a duration ("720h",
// "90d"), "0" for a token that never expires, or absent for the
// installation's token lifetime.
func createAppToken(h *Handler, c *call) (int, any, error) {
	slug := c.pathValue("slug")
	c.target = slug
	var body struct {
		Name      string  `json:"name"`
		ExpiresIn *string `json:"expires_in"`
	}
	if err := h.api.Decode(c.w, c.r, &body, false); err != nil {
		return 0, nil, err
	}
	ttl, err := h.newTokenTTL(c, body.ExpiresIn)
	if err != nil {
		return 0, nil, err
	}
	if ttl == 0 {
		ttl = h.tenant.TokenTTL()
	}
	w, err := h.workspace(c.r.Context(), slug)
	if err != nil {
		return 0, nil, err
	}
	var expires time.Time
	if ttl > 0 {
		expires = h.now().Add(ttl)
	}
	ctx := tenant.WithActor(c.r.Context(), c.operator)
	plain, t, err := h.appTokens().CreateAppToken(ctx, w.ID, body.Name, expires)
	if err != nil {
		return 0, nil, appTokenErr(slug, "", err)
	}
	c.workspaceID, c.target = t.WorkspaceID, t.ID
	c.detail("slug", slug)
	c.detail("name", t.Name)
	c.detail("expires", optTime(t.Expires))
	return http.StatusCreated, NewToken{Token: tokenOut(tenant.Describe(t, h.now())), Secret: plain}, nil
}

// revokeAppToken revokes an app token at once: every server refuses it
// from its next request. Revoking it again changes nothing.
func revokeAppToken(h *Handler, c *call) (int, any, error) {
	slug, tokenID := c.pathValue("slug"), c.pathValue("id")
	c.target = tokenID
	w, err := h.workspace(c.r.Context(), slug)
	if err != nil {
		return 0, nil, err
	}
	t, err := h.appTokens().RevokeAppToken(c.r.Context(), w.ID, tokenID)
	if err != nil {
		return 0, nil, appTokenErr(slug, tokenID, err)
	}
	c.workspaceID = t.WorkspaceID
	c.detail("slug", slug)
	c.detail("name", t.Name)
	return http.StatusOK, tokenOut(tenant.Describe(t, h.now())), nil
}
