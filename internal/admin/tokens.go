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

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// tokensOut is tokenOut of each of infos.
func tokensOut(infos []tenant.TokenInfo) []Token {
	out := make([]Token, len(infos))
	for i, t := range infos {
		out[i] = tokenOut(t)
	}
	return out
}

func tokenOut(i tenant.TokenInfo) Token {
	t := Token{
		ID: i.ID, Name: i.Name, Created: i.Created.UTC(), CreatedBy: i.CreatedBy,
		Expires: optTime(i.Expires), LastUsed: optTime(i.LastUsed), Revoked: optTime(i.Revoked), State: i.State,
	}
	if i.DaysLeft >= 0 {
		t.DaysLeft = &i.DaysLeft
	}
	return t
}

// tokenErr turns store.ErrNotFound from a token operation into the 404
// that says which of the workspace or the token is missing.
func (h *Handler) tokenErr(c *call, slug, tokenID string, err error) error {
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, werr := h.workspace(c.r.Context(), slug); werr != nil {
		return werr
	}
	return &Error{Status: http.StatusNotFound, Code: CodeTokenNotFound,
		Message: fmt.Sprintf("workspace %q has no token %s; GET %s/workspaces/%s/tokens lists them", slug, tokenID, Prefix, slug), Err: err}
}

func listTokens(h *Handler, c *call) (int, any, error) {
	slug := c.pathValue("slug")
	infos, err := h.tenant.ListTokens(c.r.Context(), slug)
	if err != nil {
		return 0, nil, workspaceErr(slug, err)
	}
	return http.StatusOK, TokenList{Tokens: tokensOut(infos)}, nil
}

// createToken mints a SCIM token. expires_in is a duration ("720h",
// "90d"), "0" for a token that never expires, or absent for the
// installation's default lifetime.
func createToken(h *Handler, c *call) (int, any, error) {
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
	ctx := tenant.WithActor(c.r.Context(), c.operator)
	plain, t, err := h.tenant.CreateToken(ctx, slug, body.Name, ttl)
	if err != nil {
		return 0, nil, workspaceErr(slug, err)
	}
	c.workspaceID, c.target = t.WorkspaceID, t.ID
	c.detail("slug", slug)
	c.detail("name", t.Name)
	c.detail("expires", optTime(t.Expires))
	return http.StatusCreated, NewToken{Token: tokenOut(tenant.Describe(t, h.now())), Secret: plain}, nil
}

// revokeToken revokes a token at once; revoking it again changes nothing.
func revokeToken(h *Handler, c *call) (int, any, error) {
	slug, tokenID := c.pathValue("slug"), c.pathValue("id")
	c.target = tokenID
	t, err := h.tenant.RevokeToken(c.r.Context(), slug, tokenID)
	if err != nil {
		return 0, nil, h.tokenErr(c, slug, tokenID, err)
	}
	c.workspaceID = t.WorkspaceID
	c.detail("slug", slug)
	c.detail("name", t.Name)
	return http.StatusOK, tokenOut(tenant.Describe(t, h.now())), nil
}

func rotateToken(h *Handler, c *call) (int, any, error) {
	slug, tokenID := c.pathValue("slug"), c.pathValue("id")
	c.target = tokenID
	var body struct {
		Overlap string `json:"overlap"`
	}
	if err := h.api.Decode(c.w, c.r, &body, true); err != nil {
		return 0, nil, err
	}
	overlap, err := parseOverlap(body.Overlap)
	if err != nil {
		return 0, nil, err
	}
	return h.rotate(c, slug, tokenID, overlap)
}

// maxOverlap bounds how long a rotated token keeps working: long enough
// to reach every identity provider, short enough that a rotation means
// the old token ends.
const maxOverlap = 30 * 24 * time.Hour

// parseOverlap reads how long a rotated token keeps working: "" or "0"
// ends it at once.
func parseOverlap(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := duration.Parse(s)
	if err != nil || d < 0 || d > maxOverlap {
		return 0, badValue("overlap %q: want a duration from \"0\" (the old token ends at once) to \"30d\", such as \"24h\"", s)
	}
	return d, nil
}

// rotate replaces a token: the new one is shown once, the old one ends
// after overlap.
func (h *Handler) rotate(c *call, slug, tokenID string, overlap time.Duration) (int, any, error) {
	c.target = tokenID
	ctx := tenant.WithActor(c.r.Context(), c.operator)
	// The new token ends with the admin token of the request, if that
	// ends first, as a token created without expires_in does.
	plain, next, old, err := h.tenant.RotateToken(ctx, slug, tokenID, overlap, c.adminEnds())
	if errors.Is(err, tenant.ErrInvalid) {
		return 0, nil, &Error{Status: http.StatusConflict, Code: CodeTokenInactive,
			Message: h.api.AsError(err).Message, Err: err}
	}
	if err != nil {
		return 0, nil, h.tokenErr(c, slug, tokenID, err)
	}
	c.workspaceID = old.WorkspaceID
	c.detail("slug", slug)
	c.detail("new_token_id", next.ID)
	c.detail("overlap", overlap.String())
	now := h.now()
	prev := tokenOut(tenant.Describe(old, now))
	out := NewToken{Token: tokenOut(tenant.Describe(next, now)), Secret: plain, Previous: &prev}
	return http.StatusCreated, out, nil
}
