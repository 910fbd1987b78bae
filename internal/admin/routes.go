package admin

import "net/http"

// ok, created and noContent describe responses for the route table.
func ok(schema string) map[int]string      { return map[int]string{http.StatusOK: schema} }
func created(schema string) map[int]string { return map[int]string{http.StatusCreated: schema} }

var noContent = map[int]string{http.StatusNoContent: ""}

var (
	pageParams = []param{
		{"cursor", "next_cursor of the page before; leave out for the first page", map[string]any{"type": "string"}},
		{"limit", "most items on the page: 1 to 1000, default 100", map[string]any{"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
	}
	str = map[string]any{"type": "string"}
)

// routes is the API: every operation, once. register serves it and
// openAPI documents it.
func routes() []route {
	return []route{
		{method: "GET", path: "/openapi.json", handle: serveOpenAPI, public: true,
			summary: "This document", description: "The OpenAPI 3.1 description of the admin API. Needs no token.",
			responses: ok("")},

		{method: "GET", path: "/workspaces", handle: listWorkspaces,
			summary: "List workspaces", description: "All workspaces, by slug.", responses: ok("WorkspaceList")},
		{method: "POST", path: "/workspaces", handle: createWorkspace, action: "workspace.create",
			summary:     "Create a workspace",
			description: "Creates a workspace with the default configuration, changed by the settings in config if given. Fails with 409 workspace_exists if the slug is taken.",
			request:     "WorkspaceCreate", responses: created("Workspace")},
		{method: "GET", path: "/workspaces/{slug}", handle: getWorkspace,
			summary: "Show a workspace", responses: ok("Workspace")},
		{method: "PATCH", path: "/workspaces/{slug}", handle: patchWorkspace, action: "workspace.update",
			summary:     "Change a workspace",
			description: "Changes the settings given in config and keeps the others. The slug cannot change.",
			request:     "WorkspacePatch", responses: ok("Workspace")},
		{method: "DELETE", path: "/workspaces/{slug}", handle: deleteWorkspace, action: "workspace.delete",
			summary:     "Delete a workspace",
			description: "Deletes the workspace with all its users, groups and tokens, which stop working at once. Cannot be undone.",
			responses:   noContent},

		{method: "GET", path: "/workspaces/{slug}/scim-config", handle: getConfig,
			summary: "Show the SCIM configuration", responses: ok("Config")},
		{method: "PUT", path: "/workspaces/{slug}/scim-config", handle: putConfig, action: "config.replace",
			summary:     "Replace the SCIM configuration",
			description: "Sets the configuration to the body; settings left out take their default values.",
			request:     "Config", responses: ok("Config")},
		{method: "PATCH", path: "/workspaces/{slug}/scim-config", handle: patchConfig, action: "config.update",
			summary:     "Change SCIM settings",
			description: "Changes the settings given and keeps the others.",
			request:     "Config", responses: ok("Config")},
		{method: "DELETE", path: "/workspaces/{slug}/scim-config", handle: resetConfig, action: "config.reset",
			summary:     "Reset the SCIM configuration and disable SCIM",
			description: "Resets every setting to its default, except scimEnabled, which becomes false: the workspace's identity providers are refused (403) until SCIM is enabled again. Tokens are kept, so that PATCH {\"scimEnabled\": true} resumes provisioning; revoke them to cut them off. Answers with the configuration now in force.",
			responses:   ok("Config")},
		{method: "POST", path: "/workspaces/{slug}/scim-config/rotate-token", handle: rotateConfigToken, action: "token.rotate",
			summary:     "Rotate the workspace's SCIM token",
			description: "Rotates the token token_id, or else the newest active token of the workspace; see POST /workspaces/{slug}/tokens/{id}/rotate. Fails with 409 no_active_token if there is none.",
			request:     "ConfigRotate", optional: true, responses: created("NewToken")},

		{method: "GET", path: "/workspaces/{slug}/tokens", handle: listTokens,
			summary: "List SCIM tokens", description: "The workspace's tokens, oldest first, without their secrets.", responses: ok("TokenList")},
		{method: "POST", path: "/workspaces/{slug}/tokens", handle: createToken, action: "token.create",
			summary:     "Create a SCIM token",
			description: "Mints a token for the workspace's identity provider. The token is in this response only: scimd keeps a keyed hash of it.",
			request:     "TokenCreate", responses: created("NewToken")},
		{method: "DELETE", path: "/workspaces/{slug}/tokens/{id}", handle: revokeToken, action: "token.revoke",
			summary:     "Revoke a SCIM token",
			description: "Every server refuses the token from its next request. Revoking a revoked token changes nothing. Answers with the token as revoked.",
			responses:   ok("Token")},
		{method: "POST", path: "/workspaces/{slug}/tokens/{id}/rotate", handle: rotateToken, action: "token.rotate",
			summary:     "Rotate a SCIM token",
			description: "Mints a token with the same name and lifetime, shown in this response only, and ends the old one after overlap (at once by default), so that the identity provider can be given the new one meanwhile. Fails with 409 token_inactive for a revoked or expired token.",
			request:     "TokenRotate", optional: true, responses: created("NewToken")},

		{method: "GET", path: "/workspaces/{slug}/app-tokens", handle: listAppTokens,
			summary: "List app tokens", description: "The workspace's app tokens, oldest first, without their secrets.", responses: ok("TokenList")},
		{method: "POST", path: "/workspaces/{slug}/app-tokens", handle: createAppToken, action: "app_token.create",
			summary:     "Create an app token",
			description: "Mints a token for the workspace's application, with which it uses the application API (/v1): issuing and verifying its users' API keys and sessions, reading the workspace's events. The token is in this response only: scimd keeps a keyed hash of it.",
			request:     "AppTokenCreate", responses: created("NewAppToken")},
		{method: "DELETE", path: "/workspaces/{slug}/app-tokens/{id}", handle: revokeAppToken, action: "app_token.revoke",
			summary:     "Revoke an app token",
			description: "Every server refuses the token from its next request. Revoking a revoked token changes nothing. Answers with the token as revoked.",
			responses:   ok("Token")},

		{method: "GET", path: "/workspaces/{slug}/webhooks", handle: listWebhooks,
			summary: "List webhooks", description: "The workspace's webhooks, oldest first, without their secrets.", responses: ok("WebhookList")},
		{method: "POST", path: "/workspaces/{slug}/webhooks", handle: createWebhook, action: "webhook.create",
			summary:     "Create a webhook",
			description: "Registers an endpoint that receives the workspace's events from now on, POSTed and signed as Standard Webhooks (webhook-id is the event's id). The signing secret is in this response only.",
			request:     "WebhookCreate", responses: created("NewWebhook")},
		{method: "GET", path: "/workspaces/{slug}/webhooks/{id}", handle: getWebhook,
			summary: "Show a webhook", responses: ok("Webhook")},
		{method: "PATCH", path: "/workspaces/{slug}/webhooks/{id}", handle: patchWebhook, action: "webhook.update",
			summary:     "Change a webhook",
			description: "Changes the settings given and keeps the others. A disabled webhook gets no deliveries for the events while it is disabled; enabling it sends those still pending.",
			request:     "WebhookPatch", responses: ok("Webhook")},
		{method: "DELETE", path: "/workspaces/{slug}/webhooks/{id}", handle: deleteWebhook, action: "webhook.delete",
			summary: "Delete a webhook", description: "Deletes the webhook with its delivery log; what is pending is not sent.", responses: noContent},
		{method: "POST", path: "/workspaces/{slug}/webhooks/{id}/rotate-secret", handle: rotateWebhookSecret, action: "webhook.rotate",
			summary:     "Rotate a webhook's secret",
			description: "Gives the webhook a new signing secret, shown in this response only, with which everything sent from now on is signed.",
			responses:   ok("NewWebhook")},
		{method: "GET", path: "/workspaces/{slug}/webhooks/{id}/deliveries", handle: listDeliveries,
			summary:     "List a webhook's deliveries",
			description: "The delivery log: each event sent or to send to the webhook, with its attempts and how the last went, newest event first, a page at a time.",
			query: append([]param{
				{"status", "only deliveries in this state", map[string]any{"type": "string", "enum": []string{"pending", "delivered", "dead"}}},
			}, pageParams...),
			responses: ok("DeliveryPage")},
		{method: "POST", path: "/workspaces/{slug}/webhooks/{id}/deliveries/{delivery_id}/redeliver", handle: redeliver, action: "delivery.redeliver",
			summary:     "Redeliver",
			description: "Sends a delivery again, delivered or dead: it becomes pending, due at once, with its attempts counted afresh.",
			responses:   ok("Delivery")},

		{method: "GET", path: "/workspaces/{slug}/users", handle: listUsers,
			summary:     "List users",
			description: "The workspace's users in creation order, with their state, a page at a time.",
			query: append([]param{
				{"filter", "a SCIM filter (RFC 7644 §3.4.2.2), e.g. userName sw \"a\" or active eq false", str},
			}, pageParams...),
			responses: ok("UserList")},
		{method: "GET", path: "/workspaces/{slug}/users/deleted", handle: listDeletedUsers,
			summary:     "List soft-deleted users",
			description: "Users deleted by the identity provider in a workspace with deleteMode soft, oldest deletion first, with when they are purged.",
			responses:   ok("DeletedUserList")},
		{method: "POST", path: "/workspaces/{slug}/users/{id}/reactivate", handle: reactivateUser, action: "user.reactivate",
			summary:     "Reactivate a user",
			description: "Makes a suspended user active, as if its identity provider had. Its revoked API keys and sessions stay revoked. Fails with 403 seat_limit when every seat is taken.",
			responses:   ok("User")},
		{method: "POST", path: "/workspaces/{slug}/users/{id}/restore", handle: restoreUser, action: "user.restore",
			summary:     "Restore a soft-deleted user",
			description: "Brings back a soft-deleted user within its grace period, without its former group memberships or credentials. Fails with 409 user_name_taken if another user has its userName now, 403 seat_limit if it is active and no seat is free.",
			responses:   ok("User")},
		{method: "POST", path: "/workspaces/{slug}/users/{id}/purge", handle: purgeUser, action: "user.purge",
			summary:     "Purge a soft-deleted user now",
			description: "Removes a soft-deleted user and its credentials at once rather than at the end of its grace period, and sends user.purged. Cannot be undone.",
			responses:   noContent},

		{method: "GET", path: "/audit", handle: listAudit,
			summary:     "Query the audit log",
			description: "Entries matching every parameter given, newest first, a page at a time.",
			query: append([]param{
				{"workspace", "a workspace's slug, or the id (ws_…) of one, deleted or not", str},
				{"channel", "scim, admin or effect", map[string]any{"type": "string", "enum": []string{"scim", "admin", "effect"}}},
				{"action", "an action (user.create), or a prefix ending in * (user.*)", str},
				{"actor", "e.g. token:tok_… or admin_token:tok_…", str},
				{"target", "the id of the object acted on", str},
				{"correlation_id", "the client's request or trace id", str},
				{"since", "from this time on: RFC 3339, a date, or a duration back from now (24h, 7d)", str},
				{"until", "before this time, as for since", str},
			}, pageParams...),
			responses: ok("AuditPage")},
	}
}
