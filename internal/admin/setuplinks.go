package admin

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	api "github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
)

// Set-up links let a customer's IT administrator, who has no admin
// token, set up the identity provider of one workspace: the link is a
// token of its own kind that the routes marked link admit, for that
// workspace only, and every write made with it is audited with the link
// as its actor (setup_link:<id>).

func listSetupLinks(h *Handler, c *call) (int, any, error) {
	slug := c.pathValue("slug")
	infos, err := h.tenant.ListSetupLinks(c.r.Context(), slug)
	if err != nil {
		return 0, nil, workspaceErr(slug, err)
	}
	return http.StatusOK, SetupLinkList{Links: tokensOut(infos)}, nil
}

// createSetupLink makes a set-up link. expires_in is a duration from 1h
// to 30d, 7d if absent; an admin token that expires sooner ends the
// link with it, as it would a token it mints.
func createSetupLink(h *Handler, c *call) (int, any, error) {
	slug := c.pathValue("slug")
	c.target = slug
	var body struct {
		Name      string `json:"name"`
		ExpiresIn string `json:"expires_in"`
	}
	if err := h.api.Decode(c.w, c.r, &body, true); err != nil {
		return 0, nil, err
	}
	ttl, err := tenant.ParseSetupLinkTTL(body.ExpiresIn)
	if err != nil {
		return 0, nil, err
	}
	if ends := c.adminEnds(); !ends.IsZero() {
		if left := ends.Sub(h.now()); left < ttl {
			return 0, nil, badValue("expires_in %q: the admin token of this request expires at %s, and cannot make a link that outlives it; ask for %s at most, or use a token that expires later",
				body.ExpiresIn, ends.UTC().Format(time.RFC3339), left.Truncate(time.Minute))
		}
	}
	ctx := tenant.WithActor(c.r.Context(), c.operator)
	secret, t, err := h.tenant.CreateSetupLink(ctx, slug, body.Name, ttl)
	if err != nil {
		return 0, nil, workspaceErr(slug, err)
	}
	c.workspaceID, c.target = t.WorkspaceID, t.ID
	c.detail("slug", slug)
	c.detail("name", t.Name)
	c.detail("expires", optTime(t.Expires))
	out := NewSetupLink{Token: tokenOut(tenant.Describe(t, h.now())), Secret: secret, URL: api.SetupURL(h.publicURL, secret)}
	return http.StatusCreated, out, nil
}

// revokeSetupLink revokes a set-up link at once: its page is gone from
// the next request. Revoking it again changes nothing.
func revokeSetupLink(h *Handler, c *call) (int, any, error) {
	slug, linkID := c.pathValue("slug"), c.pathValue("id")
	c.target = linkID
	t, err := h.tenant.RevokeSetupLink(c.r.Context(), slug, linkID)
	if errors.Is(err, store.ErrNotFound) {
		if _, werr := h.workspace(c.r.Context(), slug); werr != nil {
			return 0, nil, werr
		}
		return 0, nil, &Error{Status: http.StatusNotFound, Code: CodeSetupLinkNotFound,
			Message: fmt.Sprintf("workspace %q has no set-up link %s; GET %s/workspaces/%s/setup-links lists them", slug, linkID, Prefix, slug), Err: err}
	}
	if err != nil {
		return 0, nil, err
	}
	c.workspaceID = t.WorkspaceID
	c.detail("slug", slug)
	c.detail("name", t.Name)
	return http.StatusOK, tokenOut(tenant.Describe(t, h.now())), nil
}

// getSetup answers a set-up link with what it opens.
func getSetup(h *Handler, c *call) (int, any, error) {
	if c.link == nil {
		return 0, nil, newError(http.StatusForbidden, CodeForbidden, "GET /setup answers a set-up link (Authorization: Bearer scimd_setup_…) with what it opens; an admin token has GET /workspaces/{slug}")
	}
	return http.StatusOK, Setup{
		Link:        tokenOut(tenant.Describe(c.actor, h.now())),
		Workspace:   c.link.Slug,
		WorkspaceID: c.link.ID,
		SCIMEnabled: c.link.Config.SCIMEnabled,
	}, nil
}

// linkAuditQuery confines a set-up link's query of the audit log to the
// SCIM requests of its workspace: what its holder needs to see the
// identity provider's requests arrive, and nothing of the installation.
func linkAuditQuery(c *call, q *store.AuditQuery) error {
	if ws := c.query("workspace"); ws != "" && ws != c.link.Slug && ws != c.link.ID {
		return linkForbidden()
	}
	if q.Channel != "" && q.Channel != audit.ChannelSCIM {
		return linkForbidden()
	}
	q.WorkspaceID, q.Channel = c.link.ID, audit.ChannelSCIM
	return nil
}
