package admin

import "github.com/scimd/scimd/internal/httpapi"

var (
	pageParams = []httpapi.Param{
		{Name: "cursor", Description: "next_cursor of the page before; leave out for the first page", Schema: map[string]any{"type": "string"}},
		{Name: "limit", Description: "most items on the page: 1 to 1000, default 100", Schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
	}
)

// byLink ends the description of a route that set-up links may call.
const byLink = " A set-up link of the workspace may call it too (Authorization: Bearer scimd_setup_…); for another workspace it gets 403 forbidden."

// routes is the API: every operation, once. register serves it and
// openAPI documents it.
func routes() []route {
	return []route{
		{method: "GET", path: "/openapi.json", handle: serveOpenAPI, Operation: httpapi.Operation{
			Summary: "This document", Description: "The OpenAPI 3.1 description of the admin API. Needs no token.",
			Public: true, Responses: httpapi.OK("OpenAPI")}},

		{method: "GET", path: "/workspaces", handle: listWorkspaces, Operation: httpapi.Operation{
			Summary: "List workspaces", Description: "All workspaces, by slug.", Responses: httpapi.OK("WorkspaceList")}},
		{method: "POST", path: "/workspaces", handle: createWorkspace, action: "workspace.create", Operation: httpapi.Operation{
			Summary:     "Create a workspace",
			Description: "Creates a workspace with the default configuration, changed by the settings in config if given. Fails with 409 workspace_exists if the slug is taken.",
			Request:     "WorkspaceCreate", Responses: httpapi.Created("Workspace"), Errors: []string{CodeWorkspaceExists}}},
		{method: "GET", path: "/workspaces/{slug}", handle: getWorkspace, Operation: httpapi.Operation{
			Summary: "Show a workspace", Responses: httpapi.OK("Workspace")}},
		{method: "PATCH", path: "/workspaces/{slug}", handle: patchWorkspace, action: "workspace.update", Operation: httpapi.Operation{
			Summary:     "Change a workspace",
			Description: "Changes the settings given in config and keeps the others. The slug cannot change.",
			Request:     "WorkspacePatch", Responses: httpapi.OK("Workspace")}},
		{method: "DELETE", path: "/workspaces/{slug}", handle: deleteWorkspace, action: "workspace.delete", Operation: httpapi.Operation{
			Summary:     "Delete a workspace",
			Description: "Deletes the workspace with all its users, groups and tokens, which stop working at once. Cannot be undone.",
			Responses:   httpapi.NoContent()}},

		{method: "GET", path: "/workspaces/{slug}/activity", handle: getActivity, Operation: httpapi.Operation{
			Summary:     "Show what provisioning does",
			Description: "The workspace's SCIM requests over the last day, or since the time given (at most 7 days back), from the audit log: how many, how many failed, and for each token its requests, errors and latest request with the identity provider its User-Agent names; and the active SCIM and app tokens that expire within 30 days.",
			Query: []httpapi.Param{
				{Name: "since", Description: "from this time on: RFC 3339, a date, or a duration back from now (24h, 7d); default 24h", Schema: httpapi.Type("string", "")},
			},
			Responses: httpapi.OK("Activity"), Errors: []string{CodeInvalidParameter}}},
		{method: "GET", path: "/workspaces/{slug}/scim-config", handle: getConfig, Operation: httpapi.Operation{
			Summary: "Show the SCIM configuration", Responses: httpapi.OK("Config")}},
		{method: "PUT", path: "/workspaces/{slug}/scim-config", handle: putConfig, action: "config.replace", Operation: httpapi.Operation{
			Summary:     "Replace the SCIM configuration",
			Description: "Sets the configuration to the body; settings left out take their default values.",
			Request:     "Config", Responses: httpapi.OK("Config")}},
		{method: "PATCH", path: "/workspaces/{slug}/scim-config", handle: patchConfig, action: "config.update", Operation: httpapi.Operation{
			Summary:     "Change SCIM settings",
			Description: "Changes the settings given and keeps the others.",
			Request:     "Config", Responses: httpapi.OK("Config")}},
		{method: "DELETE", path: "/workspaces/{slug}/scim-config", handle: resetConfig, action: "config.reset", Operation: httpapi.Operation{
			Summary:     "Reset the SCIM configuration and disable SCIM",
			Description: "Resets every setting to its default, except scimEnabled, which becomes false: the workspace's identity providers are refused (403) until SCIM is enabled again. Tokens are kept, so that PATCH {\"scimEnabled\": true} resumes provisioning; revoke them to cut them off. Answers with the configuration now in force.",
			Responses:   httpapi.OK("Config")}},
		{method: "POST", path: "/workspaces/{slug}/scim-config/rotate-token", handle: rotateConfigToken, action: "token.rotate", Operation: httpapi.Operation{
			Summary:     "Rotate the workspace's SCIM token",
			Description: "Rotates the token token_id, or else the newest active token of the workspace; see POST /workspaces/{slug}/tokens/{id}/rotate. Fails with 409 no_active_token if there is none.",
			Request:     "ConfigRotate", Optional: true, Responses: httpapi.Created("NewToken"), Errors: []string{CodeTokenNotFound, CodeTokenInactive, CodeNoActiveToken}}},

		{method: "GET", path: "/workspaces/{slug}/tokens", handle: listTokens, link: true, Operation: httpapi.Operation{
			Summary: "List SCIM tokens", Description: "The workspace's tokens, oldest first, without their secrets." + byLink, Responses: httpapi.OK("TokenList")}},
		{method: "POST", path: "/workspaces/{slug}/tokens", handle: createToken, action: "token.create", link: true, Operation: httpapi.Operation{
			Summary:     "Create a SCIM token",
			Description: "Mints a token for the workspace's identity provider. The token is in this response only: scimd keeps a keyed hash of it. Made with a set-up link, it has the installation's token lifetime, not the link's." + byLink,
			Request:     "TokenCreate", Responses: httpapi.Created("NewToken")}},
		{method: "DELETE", path: "/workspaces/{slug}/tokens/{id}", handle: revokeToken, action: "token.revoke", Operation: httpapi.Operation{
			Summary:     "Revoke a SCIM token",
			Description: "Every server refuses the token from its next request. Revoking a revoked token changes nothing. Answers with the token as revoked.",
			Responses:   httpapi.OK("Token")}},
		{method: "POST", path: "/workspaces/{slug}/tokens/{id}/rotate", handle: rotateToken, action: "token.rotate", link: true, Operation: httpapi.Operation{
			Summary:     "Rotate a SCIM token",
			Description: "Mints a token with the same name and lifetime, shown in this response only, and ends the old one after overlap (at once by default), so that the identity provider can be given the new one meanwhile. Fails with 409 token_inactive for a revoked or expired token." + byLink,
			Request:     "TokenRotate", Optional: true, Responses: httpapi.Created("NewToken"), Errors: []string{CodeTokenInactive}}},

		{method: "GET", path: "/workspaces/{slug}/setup-links", handle: listSetupLinks, Operation: httpapi.Operation{
			Summary: "List set-up links", Description: "The workspace's set-up links, oldest first, without their secrets, with when each expires and was last used.", Responses: httpapi.OK("SetupLinkList")}},
		{method: "POST", path: "/workspaces/{slug}/setup-links", handle: createSetupLink, action: "setup_link.create", Operation: httpapi.Operation{
			Summary:     "Create a set-up link",
			Description: "Makes a link to the workspace's set-up page for the customer's IT administrator, who needs no admin token there: it shows the SCIM base URL, mints and rotates the workspace's SCIM tokens, shows the guide of each identity provider and the workspace's SCIM requests as they arrive, and reaches nothing else. Every write made with it is audited with actor setup_link:<id>. It lasts expires_in, from 1h to 30d (default 7d), and no longer than the admin token of the request. The link is in this response only: scimd keeps a keyed hash of it.",
			Request:     "SetupLinkCreate", Optional: true, Responses: httpapi.Created("NewSetupLink")}},
		{method: "DELETE", path: "/workspaces/{slug}/setup-links/{id}", handle: revokeSetupLink, action: "setup_link.revoke", Operation: httpapi.Operation{
			Summary:     "Revoke a set-up link",
			Description: "The set-up page refuses the link from its next request; the SCIM tokens made with it go on working. Revoking a revoked link changes nothing. Answers with the link as revoked.",
			Responses:   httpapi.OK("Token"), Errors: []string{CodeSetupLinkNotFound}}},
		{method: "GET", path: "/setup", handle: getSetup, link: true, Operation: httpapi.Operation{
			Summary:     "Show what a set-up link opens",
			Description: "Answers a set-up link (Authorization: Bearer scimd_setup_…) with itself and its workspace; an admin token gets 403 forbidden.",
			Responses:   httpapi.OK("Setup"), Errors: []string{CodeForbidden}}},

		{method: "GET", path: "/workspaces/{slug}/app-tokens", handle: listAppTokens, Operation: httpapi.Operation{
			Summary: "List app tokens", Description: "The workspace's app tokens, oldest first, without their secrets.", Responses: httpapi.OK("TokenList")}},
		{method: "POST", path: "/workspaces/{slug}/app-tokens", handle: createAppToken, action: "app_token.create", Operation: httpapi.Operation{
			Summary:     "Create an app token",
			Description: "Mints a token for the workspace's application, with which it uses the application API (/v1): issuing and verifying its users' API keys and sessions, reading the workspace's events. The token is in this response only: scimd keeps a keyed hash of it.",
			Request:     "AppTokenCreate", Responses: httpapi.Created("NewAppToken")}},
		{method: "DELETE", path: "/workspaces/{slug}/app-tokens/{id}", handle: revokeAppToken, action: "app_token.revoke", Operation: httpapi.Operation{
			Summary:     "Revoke an app token",
			Description: "Every server refuses the token from its next request. Revoking a revoked token changes nothing. Answers with the token as revoked.",
			Responses:   httpapi.OK("Token")}},

		{method: "GET", path: "/workspaces/{slug}/webhooks", handle: listWebhooks, Operation: httpapi.Operation{
			Summary: "List webhooks", Description: "The workspace's webhooks, oldest first, without their secrets.", Responses: httpapi.OK("WebhookList")}},
		{method: "POST", path: "/workspaces/{slug}/webhooks", handle: createWebhook, action: "webhook.create", Operation: httpapi.Operation{
			Summary:     "Create a webhook",
			Description: "Registers an endpoint that receives the workspace's events from now on, POSTed and signed as Standard Webhooks (webhook-id is the event's id). The signing secret is in this response only.",
			Request:     "WebhookCreate", Responses: httpapi.Created("NewWebhook")}},
		{method: "GET", path: "/workspaces/{slug}/webhooks/{id}", handle: getWebhook, Operation: httpapi.Operation{
			Summary: "Show a webhook", Responses: httpapi.OK("Webhook")}},
		{method: "PATCH", path: "/workspaces/{slug}/webhooks/{id}", handle: patchWebhook, action: "webhook.update", Operation: httpapi.Operation{
			Summary:     "Change a webhook",
			Description: "Changes the settings given and keeps the others. A disabled webhook gets no deliveries for the events while it is disabled; enabling it sends those still pending.",
			Request:     "WebhookPatch", Responses: httpapi.OK("Webhook")}},
		{method: "DELETE", path: "/workspaces/{slug}/webhooks/{id}", handle: deleteWebhook, action: "webhook.delete", Operation: httpapi.Operation{
			Summary: "Delete a webhook", Description: "Deletes the webhook with its delivery log; what is pending is not sent.", Responses: httpapi.NoContent()}},
		{method: "POST", path: "/workspaces/{slug}/webhooks/{id}/rotate-secret", handle: rotateWebhookSecret, action: "webhook.rotate", Operation: httpapi.Operation{
			Summary:     "Rotate a webhook's secret",
			Description: "Gives the webhook a new signing secret, shown in this response only, with which everything sent from now on is signed.",
			Responses:   httpapi.OK("NewWebhook")}},
		{method: "GET", path: "/workspaces/{slug}/webhooks/{id}/deliveries", handle: listDeliveries, Operation: httpapi.Operation{
			Summary:     "List a webhook's deliveries",
			Description: "The delivery log: each event sent or to send to the webhook, with its attempts and how the last went, newest event first, a page at a time.",
			Query: append([]httpapi.Param{
				{Name: "status", Description: "only deliveries in this state", Schema: map[string]any{"type": "string", "enum": []string{"pending", "delivered", "dead"}}},
			}, pageParams...),
			Responses: httpapi.OK("DeliveryPage"), Errors: []string{CodeInvalidParameter, CodeInvalidCursor}}},
		{method: "GET", path: "/workspaces/{slug}/webhooks/{id}/deliveries/{delivery_id}", handle: getDelivery, Operation: httpapi.Operation{
			Summary:     "Show a delivery",
			Description: "One delivery with every attempt (time, HTTP status, error with the start of the response's body) and the body sent on each, as long as the workspace's outbox holds the event.",
			Responses:   httpapi.OK("DeliveryDetail")}},
		{method: "POST", path: "/workspaces/{slug}/webhooks/{id}/test", handle: testWebhook, action: "webhook.test", Operation: httpapi.Operation{
			Summary:     "Send a test event",
			Description: "Appends a webhook.test event to the workspace's outbox with a delivery to this webhook alone, due at once, which is sent, retried and logged as any other. A disabled webhook's waits until it is enabled, as the warning says.",
			Responses:   httpapi.Created("TestDelivery")}},
		{method: "POST", path: "/workspaces/{slug}/webhooks/{id}/deliveries/{delivery_id}/redeliver", handle: redeliver, action: "delivery.redeliver", Operation: httpapi.Operation{
			Summary:     "Redeliver",
			Description: "Sends a delivery again, delivered or dead: it becomes pending, due at once, with its attempts counted afresh.",
			Responses:   httpapi.OK("Redelivery")}},

		{method: "GET", path: "/workspaces/{slug}/users", handle: listUsers, Operation: httpapi.Operation{
			Summary:     "List users",
			Description: "The workspace's users in creation order, with their state, a page at a time.",
			Query: append([]httpapi.Param{
				{Name: "filter", Description: "a SCIM filter (RFC 7644 §3.4.2.2), e.g. userName sw \"a\" or active eq false", Schema: httpapi.Type("string", "")},
			}, pageParams...),
			Responses: httpapi.OK("UserList"), Errors: []string{CodeInvalidParameter, CodeInvalidCursor}}},
		{method: "GET", path: "/workspaces/{slug}/users/{id}", handle: getUser, Operation: httpapi.Operation{
			Summary:     "Show a user's whole picture",
			Description: "A user in any state (active, suspended, invited, soft_deleted) with its SCIM attributes; the groups it is in, directly or through nesting, with their paths and whether the groupAllowlist syncs them; its effective roles, each with the grants that give it (a role mapping matching a group, a role assigned directly, or the default role); the roles refused (assigned directly in strict mode or not a role, or mapped to a group the allowlist does not sync); its group keys and teams; its API keys and sessions with their state, never their secrets; whether it takes a seat, and the workspace's seatLimit; and links to its audit entries and the workspace's events.",
			Responses:   httpapi.OK("UserDetail")}},
		{method: "GET", path: "/workspaces/{slug}/users/{id}/access", handle: explainAccess, Operation: httpapi.Operation{
			Summary:     "Explain a user's access",
			Description: "What POST /v1/verify answers for the user's API keys and sessions now: valid with the user's roles, groups and teams, or the reason each is refused, with the reasoning in sentences.",
			Responses:   httpapi.OK("UserAccess")}},
		{method: "POST", path: "/workspaces/{slug}/users", handle: inviteUser, action: "user.invite", Operation: httpapi.Operation{
			Summary:     "Invite a user",
			Description: "Creates a user outside SCIM, for an application that invites people itself. No identity provider sees it, but its userName is taken: one that creates a user with it gets 409, unless the workspace's allowLinking is on, when that user becomes this one and keeps its id and credentials. The user is active, has the workspace's defaultRole, may be given API keys and sessions through the application API, and takes a seat. Fails with 409 user_name_taken if a user already has the userName, 403 seat_limit if no seat is free.",
			Request:     "UserInvite", Responses: httpapi.Created("User"), Errors: []string{CodeUserNameTaken, CodeSeatLimit}}},
		{method: "GET", path: "/workspaces/{slug}/users/invited", handle: listInvitedUsers, Operation: httpapi.Operation{
			Summary:     "List invited users",
			Description: "Users invited through this API that no identity provider has provisioned, oldest first.",
			Responses:   httpapi.OK("DeletedUserList")}},
		{method: "DELETE", path: "/workspaces/{slug}/users/invited/{id}", handle: deleteInvitedUser, action: "user.delete", Operation: httpapi.Operation{
			Summary:     "Delete an invited user",
			Description: "Deletes a user invited through this API that no identity provider has provisioned, and revokes its API keys and sessions in the same transaction, with the events user.deleted and api_key.revoked or session.revoked. Its seat and userName are free at once. Cannot be undone. Users an identity provider provisioned are deleted through it: for them this fails with 404 user_not_found.",
			Responses:   httpapi.NoContent()}},
		{method: "DELETE", path: "/workspaces/{slug}/users/suspended/{id}", handle: deleteUser, action: "user.delete", Operation: httpapi.Operation{
			Summary:     "Delete a suspended user for good",
			Description: "Deletes a suspended (deactivated) user an identity provider provisioned, at once and for good whatever the workspace's deleteMode, with its API keys and sessions, and sends user.deleted in mode hard with the placeholder identity (deleted-{id}, \"Deleted user\") to which the application re-points what it attributes to the user, as user.purged does. Cannot be undone. Fails with 409 user_active for an active user: deactivate it in its identity provider first. An identity provider that still has the user gets 404 for it, and may provision it again as a new user.",
			Responses:   httpapi.NoContent(), Errors: []string{CodeUserActive}}},
		{method: "GET", path: "/workspaces/{slug}/users/deleted", handle: listDeletedUsers, Operation: httpapi.Operation{
			Summary:     "List soft-deleted users",
			Description: "Users deleted by the identity provider in a workspace with deleteMode soft, oldest deletion first, with when they are purged.",
			Responses:   httpapi.OK("DeletedUserList")}},
		{method: "POST", path: "/workspaces/{slug}/users/{id}/reactivate", handle: reactivateUser, action: "user.reactivate", Operation: httpapi.Operation{
			Summary:     "Reactivate a user",
			Description: "Makes a suspended user active, as if its identity provider had. Its revoked API keys and sessions stay revoked. Fails with 403 seat_limit when every seat is taken.",
			Responses:   httpapi.OK("User"), Errors: []string{CodeSeatLimit}}},
		{method: "POST", path: "/workspaces/{slug}/users/{id}/restore", handle: restoreUser, action: "user.restore", Operation: httpapi.Operation{
			Summary:     "Restore a soft-deleted user",
			Description: "Brings back a soft-deleted user within its grace period, without its former group memberships or credentials. Fails with 409 user_name_taken if another user has its userName now, 403 seat_limit if it is active and no seat is free.",
			Responses:   httpapi.OK("User"), Errors: []string{CodeUserNameTaken, CodeSeatLimit}}},
		{method: "POST", path: "/workspaces/{slug}/users/{id}/purge", handle: purgeUser, action: "user.purge", Operation: httpapi.Operation{
			Summary:     "Purge a soft-deleted user now",
			Description: "Removes a soft-deleted user and its credentials at once rather than at the end of its grace period, and sends user.purged. Cannot be undone.",
			Responses:   httpapi.NoContent()}},

		{method: "GET", path: "/workspaces/{slug}/teams", handle: listTeams, Operation: httpapi.Operation{
			Summary:     "List teams",
			Description: "The teams groups are linked to, by key, each with its groups; and the workspace's defaultTeam and defaultTeamRole. A synced group not linked is a team of its own, keyed by its group key (group:engineering/platform), and is not listed.",
			Responses:   httpapi.OK("TeamList")}},
		{method: "GET", path: "/workspaces/{slug}/groups", handle: listGroups, Operation: httpapi.Operation{
			Summary:     "List groups",
			Description: "The workspace's groups in creation order, a page at a time, each with its member count, whether the groupAllowlist lets it act, the roles its members get from it and the groups it is nested in, the team it is linked to, its paths and its parents.",
			Query: append([]httpapi.Param{
				{Name: "filter", Description: "a SCIM filter (RFC 7644 §3.4.2.2), e.g. displayName sw \"eng\" or externalId eq \"00g1\"", Schema: httpapi.Type("string", "")},
			}, pageParams...),
			Responses: httpapi.OK("GroupList"), Errors: []string{CodeInvalidParameter, CodeInvalidCursor}}},
		{method: "GET", path: "/workspaces/{slug}/groups/{id}", handle: getGroup, Operation: httpapi.Operation{
			Summary:     "Show a group",
			Description: "The group with the id, or else the externalId, as listed, with why it grants each role and a page of its direct members, users and groups.",
			Query:       pageParams,
			Responses:   httpapi.OK("GroupDetail"), Errors: []string{CodeGroupNotFound, CodeInvalidParameter, CodeInvalidCursor}}},
		{method: "POST", path: "/workspaces/{slug}/group-matches", handle: matchGroups, Operation: httpapi.Operation{
			Summary:     "Preview which groups role mappings and allowlist entries match",
			Description: "For each role mapping and groupAllowlist entry, of the body (a draft, with the roles it may name, checked as a change of the configuration would be) or else of the workspace, the groups it matches, as provisioning matches them: a mapping by displayName, path or ancestor, or externalId; an allowlist entry by displayName. The first 500 groups are checked, in creation order. Saves nothing, and is not audited.",
			Request:     "GroupMatchQuery", Responses: httpapi.OK("GroupMatches"), Errors: []string{CodeInvalidValue}}},
		{method: "PUT", path: "/workspaces/{slug}/groups/{id}/team", handle: linkTeam, action: "group.team_link", Operation: httpapi.Operation{
			Summary:     "Link a group to a team",
			Description: "Links the group with the id, or else with the externalId, to the team with the key, new or one other groups are linked to, replacing any link it had: its members are in that team, with the role given or else the workspace's defaultTeamRole, instead of a team of its own. The link holds to the group whatever it is renamed, and goes with it. The users under the group are recomputed at once: GET /v1/verify answers with the team, and user.roles_changed events say so. Fails with 404 group_not_found.",
			Request:     "TeamLinkSet", Responses: httpapi.OK("TeamLink"), Errors: []string{CodeGroupNotFound}}},
		{method: "DELETE", path: "/workspaces/{slug}/groups/{id}/team", handle: unlinkTeam, action: "group.team_unlink", Operation: httpapi.Operation{
			Summary:     "Unlink a group from its team",
			Description: "The group, named by its id or externalId, is a team of its own again, and its users are recomputed. Fails with 404 team_link_not_found if it is not linked.",
			Responses:   httpapi.NoContent(), Errors: []string{CodeGroupNotFound, CodeTeamLinkNotFound}}},

		{method: "GET", path: "/workspaces/{slug}/schemas", handle: listSchemas, Operation: httpapi.Operation{
			Summary:     "List extension schemas",
			Description: "The extension schemas declared for the workspace's Users and Groups, by resource type and URN.",
			Responses:   httpapi.OK("SchemaExtensionList")}},
		{method: "GET", path: "/workspaces/{slug}/schemas/{urn}", handle: getSchema, Operation: httpapi.Operation{
			Summary: "Show an extension schema", Responses: httpapi.OK("SchemaExtension")}},
		{method: "PUT", path: "/workspaces/{slug}/schemas/{urn}", handle: putSchema, action: "schema.set", Operation: httpapi.Operation{
			Summary: "Declare an extension schema",
			Description: "Declares the RFC 7643 §7 schema document for the resource type (201), or changes the declaration with its URN (200), whose resource type cannot change (409 schema_declared). " +
				"The workspace's identity providers may then send attributes under the URN, which are validated, stored, returned and filtered on as core attributes are, and described by /Schemas and /ResourceTypes to its token; with required, resources without it are refused. " +
				"Adding attributes changes nothing stored. Values of an attribute no longer declared, or no longer of its declared type, stay stored but are neither returned nor filterable; declaring it again as it was brings them back. notes says which. " +
				"An attribute with uniqueness server gets a unique index, made here: one whose values resources already share is refused (400 invalid_value). " +
				"Fails with 400 invalid_value listing every problem of the document, each with where it is (attributes[2].type).",
			Request: "SchemaExtensionSet", Responses: httpapi.OK("SchemaExtension"), Errors: []string{CodeSchemaDeclared}}},
		{method: "DELETE", path: "/workspaces/{slug}/schemas/{urn}", handle: deleteSchema, action: "schema.delete", Operation: httpapi.Operation{
			Summary:     "Delete an extension schema",
			Description: "Identity providers' attributes under the URN are treated again as those of any schema not declared: ignored, or kept as sent with the workspace's undeclaredExtensions \"keep\". Values stored under it are kept, neither returned nor filterable unless kept so, and come back if it is declared again.",
			Responses:   httpapi.NoContent()}},
		{method: "GET", path: "/workspaces/{slug}/undeclared-schemas", handle: inferSchemas, Operation: httpapi.Operation{
			Summary: "Propose declarations of undeclared extensions",
			Description: "For each URN under which the workspace's resources carry attributes without its declaration (kept with undeclaredExtensions \"keep\"), an RFC 7643 §7 schema document proposed from the values of the newest 1,000 resources of the type: each attribute multiValued if a value is an array, complex with the sub-attributes seen if a value is an object, else of the type its values share (boolean, integer, decimal, dateTime or string, which also stands for values of several types, as its description then says). " +
				"Ready for PUT /workspaces/{slug}/schemas/{urn}. Fails with 400 invalid_parameter for a resource_type other than User or Group.",
			Query: []httpapi.Param{
				{Name: "resource_type", Description: "User or Group; default both", Schema: httpapi.Type("string", "")},
				{Name: "urn", Description: "only this URN, spelt as the resources spell it", Schema: httpapi.Type("string", "")},
			},
			Responses: httpapi.OK("UndeclaredSchemaList"), Errors: []string{CodeInvalidParameter}}},

		{method: "GET", path: "/admin-tokens", handle: listAdminTokens, Operation: httpapi.Operation{
			Summary: "List admin tokens", Description: "The installation's admin tokens, oldest first, without their secrets.", Responses: httpapi.OK("TokenList")}},
		{method: "POST", path: "/admin-tokens", handle: createAdminToken, action: "admin_token.create", Operation: httpapi.Operation{
			Summary:     "Create an admin token",
			Description: "Mints a token for this API, for another operator or program. The token is in this response only: scimd keeps a keyed hash of it.",
			Request:     "TokenCreate", Responses: httpapi.Created("NewAdminToken")}},
		{method: "DELETE", path: "/admin-tokens/{id}", handle: revokeAdminToken, action: "admin_token.revoke", Operation: httpapi.Operation{
			Summary:     "Revoke an admin token",
			Description: "Every server refuses the token from its next request, even when it is the token of this request. Revoking a revoked token changes nothing. Answers with the token as revoked.",
			Responses:   httpapi.OK("Token")}},

		{method: "GET", path: "/audit", handle: listAudit, link: true, Operation: httpapi.Operation{
			Summary:     "Query the audit log",
			Description: "Entries matching every parameter given, newest first, a page at a time. A set-up link gets the SCIM requests of its workspace only (channel scim), and 403 forbidden for any other workspace or channel.",
			Query: append([]httpapi.Param{
				{Name: "workspace", Description: "a workspace's slug, or the id (ws_…) of one, deleted or not", Schema: httpapi.Type("string", "")},
				{Name: "channel", Description: "scim, admin or effect", Schema: map[string]any{"type": "string", "enum": []string{"scim", "admin", "effect"}}},
				{Name: "action", Description: "an action (user.create), or a prefix ending in * (user.*)", Schema: httpapi.Type("string", "")},
				{Name: "actor", Description: "e.g. token:tok_… or admin_token:tok_…", Schema: httpapi.Type("string", "")},
				{Name: "target", Description: "the id of the object acted on", Schema: httpapi.Type("string", "")},
				{Name: "correlation_id", Description: "the client's request or trace id", Schema: httpapi.Type("string", "")},
				{Name: "since", Description: "from this time on: RFC 3339, a date, or a duration back from now (24h, 7d)", Schema: httpapi.Type("string", "")},
				{Name: "until", Description: "before this time, as for since", Schema: httpapi.Type("string", "")},
				{Name: "after", Description: "only entries with a greater id, for following the log; with several replicas on PostgreSQL, entries can be stored out of id order, so ask again a few seconds back", Schema: map[string]any{"type": "integer", "minimum": 0}},
			}, pageParams...),
			Responses: httpapi.OK("AuditPage"), Errors: []string{CodeInvalidParameter, CodeInvalidCursor, CodeWorkspaceNotFound}}},
	}
}
