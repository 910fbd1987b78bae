package admin

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// serveOpenAPI serves the document that New built from the route table.
func serveOpenAPI(h *Handler, c *call) (int, any, error) {
	return http.StatusOK, h.openapi, nil
}

var wildcardRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPI returns the OpenAPI 3.1 document of the routes.
func openAPI(table []route) map[string]any {
	paths := map[string]any{}
	for _, rt := range table {
		item, _ := paths[Prefix+rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[Prefix+rt.path] = item
		}
		item[strings.ToLower(rt.method)] = operation(rt)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "scimd admin API",
			"version": "1",
			"description": "Manage workspaces, their SCIM configuration and tokens, list their users and query the audit log. " +
				"Authenticate with an admin token (scimd admin-token create): Authorization: Bearer scimd_admin_…. " +
				"Errors are {\"error\": {\"code\": …, \"message\": …}}: code is stable, message says what to fix. " +
				"Every write is recorded in the audit log (channel admin, actor admin_token:<id>).",
		},
		"paths":    paths,
		"security": []any{map[string]any{"adminToken": []any{}}},
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"adminToken": map[string]any{"type": "http", "scheme": "bearer", "description": "an admin token, scimd_admin_…"},
			},
			"schemas": schemas,
		},
	}
}

func operation(rt route) map[string]any {
	op := map[string]any{
		"operationId": operationID(rt),
		"summary":     rt.summary,
	}
	if rt.description != "" {
		op["description"] = rt.description
	}
	if rt.public {
		op["security"] = []any{}
	}
	var params []any
	for _, m := range wildcardRE.FindAllStringSubmatch(rt.path, -1) {
		desc := "the workspace's slug"
		if m[1] == "id" {
			desc = "the token's id (tok_…)"
		}
		if m[1] == "id" && strings.Contains(rt.path, "/webhooks/") {
			desc = "the webhook's id (wh_…)"
		}
		if m[1] == "delivery_id" {
			desc = "the delivery's id (dlv_…)"
		}
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "description": desc, "schema": str})
	}
	for _, p := range rt.query {
		params = append(params, map[string]any{"name": p.name, "in": "query", "description": p.description, "schema": p.schema})
	}
	if params != nil {
		op["parameters"] = params
	}
	if rt.request != "" {
		op["requestBody"] = map[string]any{
			"required": !rt.optional,
			"content":  map[string]any{"application/json": map[string]any{"schema": ref(rt.request)}},
		}
	}
	responses := map[string]any{}
	for status, schema := range rt.responses {
		r := map[string]any{"description": http.StatusText(status)}
		switch {
		case rt.public:
			r["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}
		case schema != "":
			r["content"] = map[string]any{"application/json": map[string]any{"schema": ref(schema)}}
		}
		responses[strconv.Itoa(status)] = r
	}
	errResp := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
	}
	if !rt.public {
		responses["401"] = errResp("no admin token, or not a valid one (a SCIM token, revoked, expired): code unauthorized")
	}
	responses["default"] = errResp("an error; code says which, message what to fix")
	op["responses"] = responses
	return op
}

// operationID names an operation after its method and path:
// post_workspaces_slug_tokens.
func operationID(rt route) string {
	p := strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(rt.path)
	return strings.ToLower(rt.method) + p
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func obj(required []string, props map[string]any) map[string]any {
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func typ(t, desc string) map[string]any {
	s := map[string]any{"type": t}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func nullable(t, desc string) map[string]any {
	return map[string]any{"type": []string{t, "null"}, "description": desc}
}

func list(item string) map[string]any {
	return map[string]any{"type": "array", "items": ref(item)}
}

var dateTime = map[string]any{"type": "string", "format": "date-time"}

func nullableTime(desc string) map[string]any {
	return map[string]any{"type": []string{"string", "null"}, "format": "date-time", "description": desc}
}

// schemas are the component schemas. Config lists the settings of
// store.WorkspaceConfig; a test checks that they agree.
var schemas = map[string]any{
	"Error": obj([]string{"error"}, map[string]any{
		"error": obj([]string{"code", "message"}, map[string]any{
			"code": typ("string", "stable machine-readable code: unauthorized, route_not_found, method_not_allowed, workspace_not_found, token_not_found, "+
				"workspace_exists, token_inactive, no_active_token, webhook_not_found, delivery_not_found, invalid_json, invalid_value, invalid_parameter, invalid_cursor, "+
				"unsupported_media_type, body_too_large, unavailable, internal"),
			"message": typ("string", "what went wrong and what to fix, for people"),
		}),
	}),
	"Config": map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"description":          "A workspace's SCIM configuration, by the names scimd workspace set uses. In a request, settings left out keep their value (PATCH) or take their default (PUT, POST).",
		"properties": map[string]any{
			"scimEnabled":            typ("boolean", "admit SCIM requests; without it every SCIM request of the workspace is refused (403). Default true"),
			"createUsers":            typ("boolean", "let identity providers create users; updates apply either way. Default true"),
			"syncDisplayName":        typ("boolean", "keep the display names applications see in step with identity providers; when false, a user's stays the one it was created with. Default true"),
			"defaultRole":            typ("string", "role of a provisioned user: 1-64 letters, digits, spaces or _.:@/-. Default viewer"),
			"defaultTeam":            typ("string", "team provisioned users join; empty for none. Default empty"),
			"defaultTeamRole":        typ("string", "their role in defaultTeam. Default member"),
			"revokeKeysOnDeactivate": typ("boolean", "revoke a user's credentials when an identity provider deactivates the user. Default true"),
			"deleteMode":             map[string]any{"type": "string", "enum": []string{"soft", "hard"}, "description": "what a delete from an identity provider does. Default soft"},
			"softDeleteGraceDays":    map[string]any{"type": "integer", "minimum": 1, "maximum": 3650, "description": "how long a soft-deleted user can be restored. Default 30"},
			"strictMode":             typ("boolean", "refuse (403) any SCIM write that would give a user a role above what its groups grant, and ignore roles assigned directly. Default false"),
			"seatLimit":              map[string]any{"type": []string{"integer", "null"}, "minimum": 1, "description": "most active users; null for no limit. Default null"},
			"roles": map[string]any{"type": []string{"array", "null"}, "description": "the application's roles with their privilege ranks; null or empty for the defaults: viewer 10, auditor 15, developer 20, editor 25, billing 30, admin 40",
				"items": obj([]string{"name", "rank"}, map[string]any{"name": typ("string", ""), "rank": typ("integer", "higher grants more")})},
			"roleMappings": map[string]any{"type": []string{"array", "null"}, "description": "grant a role to the members of groups, by displayName (case-insensitive, * and ? globs, matching the group's path and its ancestors) or by externalId",
				"items": obj([]string{"role"}, map[string]any{"group": typ("string", "displayName or glob"), "externalId": typ("string", ""), "role": typ("string", "one of roles")})},
			"allowLinking":       typ("boolean", "let an identity provider create a user with the userName or primary email of an invited user, which it becomes (keeping its id); without it that create gets 409. Default false"),
			"deleteOnDeactivate": typ("boolean", "make an identity provider's deactivation of a user delete it, as its DELETE would (see deleteMode); the deactivation is answered 200 with the user as written. Default false"),
			"groupAllowlist": map[string]any{"type": []string{"array", "null"}, "items": str,
				"description": "the groups that have an effect, by displayName or glob; null or empty for all. Other groups are stored but grant nothing"},
		},
	},
	"Workspace": obj([]string{"id", "slug", "created", "config"}, map[string]any{
		"id":      typ("string", "ws_…"),
		"slug":    typ("string", "the workspace's name in URLs"),
		"created": dateTime,
		"config":  ref("Config"),
	}),
	"WorkspaceList": obj([]string{"workspaces"}, map[string]any{"workspaces": list("Workspace")}),
	"WorkspaceCreate": obj([]string{"slug"}, map[string]any{
		"slug":   map[string]any{"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", "description": "1-63 lower-case letters, digits or inner hyphens"},
		"config": ref("Config"),
	}),
	"WorkspacePatch": obj(nil, map[string]any{
		"slug":   typ("string", "if given, must be the current slug: slugs cannot change"),
		"config": ref("Config"),
	}),
	"Token": obj([]string{"id", "name", "created", "expires", "days_left", "last_used", "revoked", "state"}, map[string]any{
		"id":         typ("string", "tok_…"),
		"name":       typ("string", ""),
		"created":    dateTime,
		"created_by": typ("string", "who created it: admin_token:<id>, cli:<user>, bootstrap"),
		"expires":    nullableTime("null: never"),
		"days_left":  nullable("integer", "whole days until it expires; null: never expires"),
		"last_used":  nullableTime("recorded every few seconds; null: never used"),
		"revoked":    nullableTime("null: not revoked"),
		"state":      map[string]any{"type": "string", "enum": []string{"active", "expired", "revoked"}},
	}),
	"TokenList": obj([]string{"tokens"}, map[string]any{"tokens": list("Token")}),
	"NewToken": map[string]any{
		"description": "A token just minted: a Token with the token itself, shown in this response only.",
		"allOf": []any{ref("Token"), obj([]string{"token"}, map[string]any{
			"token":    typ("string", "the bearer token to give the identity provider: scim_…"),
			"previous": map[string]any{"$ref": "#/components/schemas/Token", "description": "after a rotation, the token replaced, as it now is"},
		})},
	},
	"TokenCreate": obj([]string{"name"}, map[string]any{
		"name":       typ("string", "e.g. the identity provider it is for; at most 100 bytes"),
		"expires_in": typ("string", "lifetime: a duration (720h, 90d), or \"0\" for never; default: the installation's token lifetime"),
	}),
	"NewAppToken": map[string]any{
		"description": "An app token just minted: a Token with the token itself, shown in this response only.",
		"allOf": []any{ref("Token"), obj([]string{"token"}, map[string]any{
			"token": typ("string", "the bearer token to give the application: scimd_app_…"),
		})},
	},
	"NewAdminToken": map[string]any{
		"description": "An admin token just minted: a Token with the token itself, shown in this response only.",
		"allOf": []any{ref("Token"), obj([]string{"token"}, map[string]any{
			"token": typ("string", "the bearer token for this API: scimd_admin_…"),
		})},
	},
	"AppTokenCreate": obj([]string{"name"}, map[string]any{
		"name":       typ("string", "e.g. the application it is for; at most 100 bytes"),
		"expires_in": typ("string", "lifetime: a duration (720h, 90d), or \"0\" for never; default: the installation's token lifetime"),
	}),
	"Webhook": obj([]string{"id", "url", "event_types", "enabled", "created"}, map[string]any{
		"id":              typ("string", "wh_…"),
		"url":             typ("string", "the endpoint events are POSTed to"),
		"event_types":     map[string]any{"type": []string{"array", "null"}, "items": str, "description": "the events it receives: types (user.created) and nouns' every type (group.*); null: every type"},
		"enabled":         typ("boolean", ""),
		"created":         dateTime,
		"disabled_reason": typ("string", "why scimd disabled it, e.g. its endpoint answered 410 Gone"),
	}),
	"NewWebhook": map[string]any{
		"description": "A webhook with its signing secret, shown in this response only.",
		"allOf": []any{ref("Webhook"), obj([]string{"secret"}, map[string]any{
			"secret": typ("string", "the Standard Webhooks signing secret to give the endpoint: whsec_…"),
		})},
	},
	"WebhookList": obj([]string{"webhooks"}, map[string]any{"webhooks": list("Webhook")}),
	"WebhookCreate": obj([]string{"url"}, map[string]any{
		"url":         typ("string", "an absolute http or https URL"),
		"event_types": map[string]any{"type": []string{"array", "null"}, "items": str, "minItems": 1, "description": "types (user.created) and nouns' every type (group.*); left out or null: every type"},
		"enabled":     typ("boolean", "default true"),
	}),
	"WebhookPatch": obj(nil, map[string]any{
		"url":         typ("string", "an absolute http or https URL"),
		"event_types": map[string]any{"type": []string{"array", "null"}, "items": str, "minItems": 1, "description": "null: every type"},
		"enabled":     typ("boolean", "true also clears disabled_reason"),
	}),
	"Delivery": obj([]string{"id", "webhook_id", "event_id", "event_type", "event_seq", "status", "attempts"}, map[string]any{
		"id":           typ("string", "dlv_…"),
		"webhook_id":   typ("string", ""),
		"event_id":     typ("string", "evt_…, sent as webhook-id"),
		"event_type":   typ("string", ""),
		"event_seq":    typ("integer", "the event's place in the workspace's outbox"),
		"status":       map[string]any{"type": "string", "enum": []string{"pending", "delivered", "dead"}, "description": "dead: every attempt failed, or the endpoint answered 410 Gone"},
		"attempts":     typ("integer", "attempts made since the delivery was made or last redelivered"),
		"attempt_log":  list("DeliveryAttempt"),
		"next_attempt": nullableTime("when a pending delivery is due"),
		"last_attempt": nullableTime("null: never attempted"),
		"last_status":  nullable("integer", "HTTP status of the last attempt; null: no response"),
		"last_error":   typ("string", "why the last attempt failed"),
		"delivered_at": nullableTime(""),
		"warning":      typ("string", "after a redelivery, why it will not go yet"),
	}),
	"DeliveryAttempt": obj([]string{"at", "status"}, map[string]any{
		"at":     dateTime,
		"status": nullable("integer", "HTTP status of the response; null: no response"),
		"error":  typ("string", "why the attempt failed"),
	}),
	"DeliveryPage": obj([]string{"deliveries"}, map[string]any{
		"deliveries":  list("Delivery"),
		"next_cursor": typ("string", "cursor of the next (older) page; absent on the last"),
	}),
	"TokenRotate": obj(nil, map[string]any{
		"overlap": typ("string", "how long the old token keeps working: 0 (default) to 30d, e.g. 24h"),
	}),
	"ConfigRotate": obj(nil, map[string]any{
		"token_id": typ("string", "the token to rotate; default: the workspace's newest active token"),
		"overlap":  typ("string", "how long the old token keeps working: 0 (default) to 30d, e.g. 24h"),
	}),
	"User": obj([]string{"id", "user_name", "state", "created", "last_modified"}, map[string]any{
		"id":           typ("string", "usr_…"),
		"user_name":    typ("string", ""),
		"external_id":  typ("string", "the identity provider's id"),
		"display_name": typ("string", ""),
		"email":        typ("string", "the primary email, else the first"),
		"state": typ("string", "active, suspended (the identity provider sent active false), soft_deleted (with deleted and purge_at) or invited (created through this API, not provisioned); "+
			"show unknown states as they are"),
		"created":       dateTime,
		"last_modified": dateTime,
		"deleted":       dateTime,
		"purge_at":      dateTime,
	}),
	"DeletedUserList": obj([]string{"users"}, map[string]any{
		"users": list("User"),
	}),
	"UserInvite": obj([]string{"user_name"}, map[string]any{
		"user_name":    typ("string", "unique in the workspace, compared case-insensitively"),
		"display_name": typ("string", ""),
		"email":        typ("string", "primary email"),
	}),
	"UserList": obj([]string{"users", "total"}, map[string]any{
		"users":       list("User"),
		"total":       typ("integer", "users matching the filter, on every page"),
		"next_cursor": typ("string", "cursor of the next page; absent on the last"),
	}),
	"TeamList": obj([]string{"teams", "default_team", "default_role"}, map[string]any{
		"teams":        list("Team"),
		"default_team": typ("string", "the workspace's defaultTeam, which every provisioned user is in; empty for none"),
		"default_role": typ("string", "the workspace's defaultTeamRole: the role of members of groups linked without one, and of unlinked groups in their own team"),
	}),
	"Team": obj([]string{"key", "groups"}, map[string]any{
		"key":    typ("string", "the team's key, as the application knows it"),
		"groups": list("TeamGroup"),
	}),
	"TeamGroup": obj([]string{"id", "display_name", "linked"}, map[string]any{
		"id":           typ("string", "grp_…"),
		"display_name": typ("string", "as it is now"),
		"external_id":  typ("string", "the identity provider's id"),
		"role":         typ("string", "its members' role in the team; absent: default_role"),
		"linked":       dateTime,
	}),
	"TeamLink": obj([]string{"team", "group"}, map[string]any{
		"team":  typ("string", ""),
		"role":  typ("string", "absent: the workspace's defaultTeamRole"),
		"group": ref("TeamGroup"),
	}),
	"TeamLinkSet": obj([]string{"team"}, map[string]any{
		"team": typ("string", "the team's key: 1-64 letters, digits, spaces or _.:@/-, starting with a letter or digit"),
		"role": typ("string", "its members' role there, a name as team; absent or empty: the workspace's defaultTeamRole"),
	}),
	"AuditEntry": obj([]string{"id", "ts", "channel", "action"}, map[string]any{
		"id":             typ("integer", "grows in the order entries are stored"),
		"ts":             dateTime,
		"workspace_id":   typ("string", ""),
		"workspace":      typ("string", "the workspace's slug, if it still exists"),
		"channel":        map[string]any{"type": "string", "enum": []string{"scim", "admin", "effect"}},
		"action":         typ("string", "noun.verb: user.create, token.revoke, workspace.create, …"),
		"actor":          typ("string", "token:<id> for SCIM requests, admin_token:<id> for this API"),
		"target":         typ("string", "the id of the object acted on"),
		"correlation_id": typ("string", ""),
		"status":         typ("integer", "HTTP status of the response"),
		"duration_ms":    typ("number", ""),
		"payload":        typ("object", "details: method, path, token_id, error, diff, …"),
	}),
	"AuditPage": obj([]string{"entries"}, map[string]any{
		"entries":     list("AuditEntry"),
		"next_cursor": typ("string", "cursor of the next (older) page; absent on the last"),
	}),
}
