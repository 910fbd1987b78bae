package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Workspaces lists the installation's workspaces.
func (c *Client) Workspaces(ctx context.Context) ([]Workspace, error) {
	var out WorkspaceList
	_, err := c.Do(ctx, http.MethodGet, "/workspaces", nil, nil, &out)
	return out.Workspaces, err
}

// Workspace returns the workspace of a slug.
func (c *Client) Workspace(ctx context.Context, slug string) (Workspace, error) {
	var out Workspace
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug), nil, nil, &out)
	return out, err
}

// CreateWorkspace creates a workspace with the default configuration,
// changed by settings: WorkspaceConfig's JSON names with their values,
// such as {"defaultRole": "editor", "seatLimit": 50}; nil for none.
func (c *Client) CreateWorkspace(ctx context.Context, slug string, settings map[string]any) (Workspace, error) {
	body := map[string]any{"slug": slug}
	if settings != nil {
		body["config"] = settings
	}
	var out Workspace
	_, err := c.Do(ctx, http.MethodPost, "/workspaces", nil, body, &out)
	return out, err
}

// UpdateWorkspace changes the settings named in settings, by
// WorkspaceConfig's JSON names, and leaves the others as they are. The
// server checks the configuration as a whole: a refused change changes
// nothing.
func (c *Client) UpdateWorkspace(ctx context.Context, slug string, settings map[string]any) (Workspace, error) {
	var out Workspace
	_, err := c.Do(ctx, http.MethodPatch, Path("workspaces", slug), nil, map[string]any{"config": settings}, &out)
	return out, err
}

// SetRoleMappings replaces the workspace's role mappings: which groups'
// members get which roles. The server recomputes its users' roles.
func (c *Client) SetRoleMappings(ctx context.Context, slug string, mappings []RoleMapping) (Workspace, error) {
	if mappings == nil {
		mappings = []RoleMapping{}
	}
	return c.UpdateWorkspace(ctx, slug, map[string]any{"roleMappings": mappings})
}

// DeleteWorkspace deletes a workspace with its users, groups, tokens and
// credentials.
func (c *Client) DeleteWorkspace(ctx context.Context, slug string) error {
	_, err := c.Do(ctx, http.MethodDelete, Path("workspaces", slug), nil, nil, nil)
	return err
}

// TokenRequest describes a token to mint.
type TokenRequest struct {
	// Name says what the token is for, such as the identity provider
	// that uses it.
	Name string
	// ExpiresIn is the token's lifetime: 0 for the server's default
	// (--token-ttl), negative for a token that never expires.
	ExpiresIn time.Duration
}

func (r TokenRequest) body() map[string]any {
	body := map[string]any{"name": r.Name}
	switch {
	case r.ExpiresIn < 0:
		body["expires_in"] = "0"
	case r.ExpiresIn > 0:
		body["expires_in"] = r.ExpiresIn.String()
	}
	return body
}

// CreateSCIMToken mints a SCIM token for the workspace: what its
// identity provider authenticates with. The answer is the only place
// the token is shown.
func (c *Client) CreateSCIMToken(ctx context.Context, slug string, r TokenRequest) (NewToken, error) {
	var out NewToken
	_, err := c.Do(ctx, http.MethodPost, Path("workspaces", slug, "tokens"), nil, r.body(), &out)
	return out, err
}

// SCIMTokens lists the workspace's SCIM tokens.
func (c *Client) SCIMTokens(ctx context.Context, slug string) ([]Token, error) {
	var out TokenList
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug, "tokens"), nil, nil, &out)
	return out.Tokens, err
}

// RevokeSCIMToken revokes a SCIM token of the workspace at once.
func (c *Client) RevokeSCIMToken(ctx context.Context, slug, id string) (Token, error) {
	var out Token
	_, err := c.Do(ctx, http.MethodDelete, Path("workspaces", slug, "tokens", id), nil, nil, &out)
	return out, err
}

// CreateAppToken mints an app token for the workspace: what its
// application authenticates to the application API with (see package
// github.com/scimd/scimd/client). The answer is the only place the
// token is shown.
func (c *Client) CreateAppToken(ctx context.Context, slug string, r TokenRequest) (NewToken, error) {
	var out NewToken
	_, err := c.Do(ctx, http.MethodPost, Path("workspaces", slug, "app-tokens"), nil, r.body(), &out)
	return out, err
}

// AppTokens lists the workspace's app tokens.
func (c *Client) AppTokens(ctx context.Context, slug string) ([]Token, error) {
	var out TokenList
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug, "app-tokens"), nil, nil, &out)
	return out.Tokens, err
}

// RevokeAppToken revokes an app token of the workspace at once.
func (c *Client) RevokeAppToken(ctx context.Context, slug, id string) (Token, error) {
	var out Token
	_, err := c.Do(ctx, http.MethodDelete, Path("workspaces", slug, "app-tokens", id), nil, nil, &out)
	return out, err
}

// Teams lists the teams the workspace's groups are linked to.
func (c *Client) Teams(ctx context.Context, slug string) (TeamList, error) {
	var out TeamList
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug, "teams"), nil, nil, &out)
	return out, err
}

// LinkTeam links the group with the id or externalId group to the team
// with the key team; role "" is the workspace's defaultTeamRole.
func (c *Client) LinkTeam(ctx context.Context, slug, group, team, role string) (TeamLink, error) {
	var out TeamLink
	_, err := c.Do(ctx, http.MethodPut, Path("workspaces", slug, "groups", group, "team"), nil,
		map[string]string{"team": team, "role": role}, &out)
	return out, err
}

// UnlinkTeam unlinks the group with the id or externalId group from its
// team: it is a team of its own again.
func (c *Client) UnlinkTeam(ctx context.Context, slug, group string) error {
	_, err := c.Do(ctx, http.MethodDelete, Path("workspaces", slug, "groups", group, "team"), nil, nil, nil)
	return err
}

// Schemas lists the extension schemas declared for the workspace.
func (c *Client) Schemas(ctx context.Context, slug string) (SchemaExtensionList, error) {
	var out SchemaExtensionList
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug, "schemas"), nil, nil, &out)
	return out, err
}

// Schema returns the extension schema declared with the URN.
func (c *Client) Schema(ctx context.Context, slug, urn string) (SchemaExtension, error) {
	var out SchemaExtension
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug, "schemas", urn), nil, nil, &out)
	return out, err
}

// SetSchema declares an extension schema, or changes the declaration
// with its URN; the answer's Notes say what a change does to stored
// values.
func (c *Client) SetSchema(ctx context.Context, slug string, set SchemaExtensionSet) (SchemaExtension, error) {
	var doc struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(set.Schema, &doc); err != nil || doc.ID == "" {
		return SchemaExtension{}, errors.New("the schema document must be a JSON object with its URN in id")
	}
	var out SchemaExtension
	_, err := c.Do(ctx, http.MethodPut, Path("workspaces", slug, "schemas", doc.ID), nil, set, &out)
	return out, err
}

// InferSchemas proposes a declaration for each extension the
// workspace's resources carry without one, from what the newest of them
// carry; resourceType ("User" or "Group") and urn, if not "", narrow the
// search.
func (c *Client) InferSchemas(ctx context.Context, slug, resourceType, urn string) (UndeclaredSchemaList, error) {
	q := url.Values{}
	if resourceType != "" {
		q.Set("resource_type", resourceType)
	}
	if urn != "" {
		q.Set("urn", urn)
	}
	var out UndeclaredSchemaList
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug, "undeclared-schemas"), q, nil, &out)
	return out, err
}

// DeleteSchema deletes the declaration of an extension schema; values
// stored under it are kept, and come back if it is declared again.
func (c *Client) DeleteSchema(ctx context.Context, slug, urn string) error {
	_, err := c.Do(ctx, http.MethodDelete, Path("workspaces", slug, "schemas", urn), nil, nil, nil)
	return err
}

// GroupQuery selects a page of groups.
type GroupQuery struct {
	// Filter is a SCIM filter on the groups, such as displayName sw "eng"
	// or externalId eq "00g1"; "" for all.
	Filter string
	// Limit is the most groups on the page; 0 for the server's default.
	Limit int
	// Cursor is the NextCursor of the page before; "" for the first.
	Cursor string
}

func (q GroupQuery) values() url.Values {
	v := url.Values{}
	if q.Filter != "" {
		v.Set("filter", q.Filter)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	return v
}

// Groups lists a page of the workspace's groups.
func (c *Client) Groups(ctx context.Context, slug string, q GroupQuery) (GroupPage, error) {
	var out GroupPage
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug, "groups"), q.values(), nil, &out)
	return out, err
}

// Group returns a group, named by its id or externalId, with a page of
// its members: q's Limit and Cursor page through them.
func (c *Client) Group(ctx context.Context, slug, group string, q GroupQuery) (GroupDetail, error) {
	var out GroupDetail
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug, "groups", group), q.values(), nil, &out)
	return out, err
}

// User returns a user's whole picture: its SCIM attributes, state,
// groups, roles with why, teams and credentials.
func (c *Client) User(ctx context.Context, slug, id string) (UserDetail, error) {
	var out UserDetail
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug, "users", id), nil, nil, &out)
	return out, err
}

// UserAccess explains what POST /v1/verify answers for the user now.
func (c *Client) UserAccess(ctx context.Context, slug, id string) (UserAccess, error) {
	var out UserAccess
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug, "users", id, "access"), nil, nil, &out)
	return out, err
}

// Delivery returns one delivery of a webhook with every attempt and the
// body sent.
func (c *Client) Delivery(ctx context.Context, slug, webhookID, deliveryID string) (DeliveryDetail, error) {
	var out DeliveryDetail
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug, "webhooks", webhookID, "deliveries", deliveryID), nil, nil, &out)
	return out, err
}

// TestWebhook sends a webhook.test event to the webhook alone; its
// delivery is in the webhook's delivery log.
func (c *Client) TestWebhook(ctx context.Context, slug, webhookID string) (TestDelivery, error) {
	var out TestDelivery
	_, err := c.Do(ctx, http.MethodPost, Path("workspaces", slug, "webhooks", webhookID, "test"), nil, nil, &out)
	return out, err
}

// GroupMatches says which groups each role mapping and allowlist entry
// matches: the workspace's own, or those given (nil for the
// workspace's), which are checked as a change of the configuration
// would be but not saved. Roles, if not nil, are those the mappings may
// name instead of the workspace's.
func (c *Client) GroupMatches(ctx context.Context, slug string, roles []Role, mappings []RoleMapping, allowlist []string) (GroupMatches, error) {
	body := map[string]any{}
	if roles != nil {
		body["roles"] = roles
	}
	if mappings != nil {
		body["roleMappings"] = mappings
	}
	if allowlist != nil {
		body["groupAllowlist"] = allowlist
	}
	var out GroupMatches
	_, err := c.Do(ctx, http.MethodPost, Path("workspaces", slug, "group-matches"), nil, body, &out)
	return out, err
}

// Activity sums up a workspace's SCIM requests since a time (zero for
// the last day) and names the tokens that expire soon.
func (c *Client) Activity(ctx context.Context, slug string, since time.Duration) (Activity, error) {
	var q url.Values
	if since > 0 {
		q = url.Values{"since": {since.String()}}
	}
	var out Activity
	_, err := c.Do(ctx, http.MethodGet, Path("workspaces", slug, "activity"), q, nil, &out)
	return out, err
}
