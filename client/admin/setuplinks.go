package admin

import (
	"context"
	"net/http"
	"net/url"
)

// SetupPath is where a server serves the set-up page that a set-up link
// opens, with the link's secret in the query parameter "link": not in
// the path, which request logs record.
const SetupPath = "/admin/setup"

// SetupURL returns the URL of the set-up page that the link's secret
// opens on the server at base (its origin, such as
// https://scimd.example.com); with base "", the path and query alone.
func SetupURL(base, secret string) string {
	u, err := url.Parse(base)
	if err != nil || base == "" {
		u = &url.URL{}
	}
	u.Path, u.RawPath, u.Fragment = SetupPath, "", ""
	u.RawQuery = url.Values{"link": {secret}}.Encode()
	return u.String()
}

// NewSetupLink is a set-up link just made: the only answer that shows
// its secret.
type NewSetupLink struct {
	Token
	// Secret is the link's secret, shown once.
	Secret string `json:"link"`
	// URL is the set-up page that the link opens: absolute if the server
	// knows its public URL, else its path and query, to append to the
	// server's origin.
	URL string `json:"url"`
}

// SetupLinkList is a listing of set-up links.
type SetupLinkList struct {
	Links []Token `json:"setup_links"`
}

// SetupLinkRequest describes a set-up link to make.
type SetupLinkRequest struct {
	// Name says whom the link is for; "" names it "set-up link".
	Name string
	// ExpiresIn is the link's lifetime, as a duration ("7d", "48h")
	// from 1h to 30d; "" is 7d.
	ExpiresIn string
}

// CreateSetupLink makes a set-up link for the workspace: a URL that
// lets its holder, with no admin token, see the workspace's SCIM base
// URL, mint and rotate its SCIM tokens and watch its first SCIM
// requests arrive, until it expires or is revoked.
func (c *Client) CreateSetupLink(ctx context.Context, slug string, r SetupLinkRequest) (NewSetupLink, error) {
	body := map[string]any{"name": r.Name}
	if r.ExpiresIn != "" {
		body["expires_in"] = r.ExpiresIn
	}
	var out NewSetupLink
	_, err := c.Do(ctx, http.MethodPost, Path("workspaces", slug, "setup-links"), nil, body, &out)
	return out, err
}

// SetupLinks lists the workspace's set-up links.
func (c *Client) SetupLinks(ctx context.Context, slug string) ([]Token, error) {
	var out SetupLinkList
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug, "setup-links"), nil, nil, &out)
	return out.Links, err
}

// RevokeSetupLink revokes a set-up link of the workspace at once.
func (c *Client) RevokeSetupLink(ctx context.Context, slug, id string) (Token, error) {
	var out Token
	_, err := c.Do(ctx, http.MethodDelete, Path("workspaces", slug, "setup-links", id), nil, nil, &out)
	return out, err
}

// Setup is what a set-up link opens, as GET /setup answers it to the
// link itself.
type Setup struct {
	// Link is the set-up link of the request.
	Link Token `json:"link"`
	// Workspace is the slug of the link's workspace, and WorkspaceID its
	// id.
	Workspace   string `json:"workspace"`
	WorkspaceID string `json:"workspace_id"`
	// SCIMEnabled says whether the workspace admits SCIM requests.
	SCIMEnabled bool `json:"scim_enabled"`
}
