package admin

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/scimd/scimd/internal/duration"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
)

// Admin tokens administer the installation: this API, for every
// workspace. An operator with one can mint others, say one for each
// person or program, and revoke them, its own included.

func listAdminTokens(h *Handler, c *call) (int, any, error) {
	infos, err := h.tenant.ListAdminTokens(c.r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, TokenList{Tokens: tokensOut(infos)}, nil
}

// createAdminToken mints an admin token; expires_in as for SCIM tokens.
func createAdminToken(h *Handler, c *call) (int, any, error) {
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
	ctx := tenant.WithActor(c.r.Context(), c.operator)
	plain, t, err := h.tenant.CreateAdminToken(ctx, body.Name, ttl)
	if err != nil {
		return 0, nil, err
	}
	c.target = t.ID
	c.detail("name", t.Name)
	c.detail("expires", optTime(t.Expires))
	return http.StatusCreated, NewToken{Token: tokenOut(tenant.Describe(t, h.now())), Secret: plain}, nil
}

// tokenTTL reads the expires_in of a new token, as the tenant service
// takes it: a duration ("720h", "90d"); "0" for a token that never
// expires, -1; absent for the installation's default, 0.
func tokenTTL(expiresIn *string) (time.Duration, error) {
	if expiresIn == nil {
		return 0, nil
	}
	d, err := duration.Parse(*expiresIn)
	switch {
	case err != nil || d < 0:
		return 0, badValue("expires_in %q: want a duration such as \"720h\" or \"90d\", or \"0\" for a token that never expires", *expiresIn)
	case d == 0:
		return -1, nil
	}
	return d, nil
}

// newTokenTTL reads the expires_in of a token the request mints, as
// tokenTTL does, and keeps it within the life of the admin token of the
// request. A token that expires cannot make one that outlives it, admin,
// SCIM or app token alike: else a short-lived token, leaked, would buy
// access for good. Without expires_in, the installation's lifetime is cut
// to what the admin token has left.
func (h *Handler) newTokenTTL(c *call, expiresIn *string) (time.Duration, error) {
	ttl, err := tokenTTL(expiresIn)
	if err != nil {
		return 0, err
	}
	ends := c.adminEnds()
	if ends.IsZero() {
		return ttl, nil
	}
	left := ends.Sub(h.now())
	switch def := h.tenant.TokenTTL(); {
	case ttl == 0 && (def < 0 || def > left):
		ttl = left
	case ttl < 0 || ttl > left:
		return 0, badValue("expires_in %q: the admin token of this request expires at %s, and cannot make one that outlives it; ask for %s at most, or use a token that expires later",
			*expiresIn, ends.UTC().Format(time.RFC3339), left.Truncate(time.Minute))
	}
	return ttl, nil
}

// revokeAdminToken revokes an admin token at once; revoking it again
// changes nothing.
func revokeAdminToken(h *Handler, c *call) (int, any, error) {
	tokenID := c.pathValue("id")
	c.target = tokenID
	t, err := h.tenant.RevokeAdminToken(c.r.Context(), tokenID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, &Error{Status: http.StatusNotFound, Code: CodeTokenNotFound,
			Message: fmt.Sprintf("there is no admin token %s; GET %s/admin-tokens lists them", tokenID, Prefix), Err: err}
	}
	if err != nil {
		return 0, nil, err
	}
	c.detail("name", t.Name)
	return http.StatusOK, tokenOut(tenant.Describe(t, h.now())), nil
}
