package admin

import (
	"log/slog"
	"net/http"

	"github.com/scimd/scimd/internal/httpapi"
)

// newAPI returns what the API says of itself.
func newAPI(log *slog.Logger) *httpapi.API {
	return &httpapi.API{
		Name:    "admin",
		Prefix:  Prefix,
		Realm:   "scimd admin",
		Indent:  true, // for operators reading answers with curl
		MaxBody: maxBody,
		Known:   knownError,
		Log:     log,
		Title:   "scimd admin API",
		Description: "Manage workspaces, their SCIM configuration and tokens, list their users and query the audit log. " +
			"Authenticate with an admin token (scimd admin-token create): Authorization: Bearer scimd_admin_…. " +
			"Errors are {\"error\": {\"code\": …, \"message\": …}}: code is stable, message says what to fix. " +
			"Every write is recorded in the audit log (channel admin, actor admin_token:<id>).",
		Scheme:            "adminToken",
		SchemeDescription: "an admin token, scimd_admin_…",
		Wildcards:         wildcards,
		Errors:            errorCodes,
	}
}

// wildcards describe the wildcards of the routes' paths.
var wildcards = map[string]httpapi.Wildcard{
	"workspaces/{slug}":        {Description: "the workspace's slug", Errors: []string{CodeWorkspaceNotFound}},
	"tokens/{id}":              {Description: "the SCIM token's id (tok_…)", Errors: []string{CodeTokenNotFound}},
	"app-tokens/{id}":          {Description: "the app token's id (tok_…)", Errors: []string{CodeTokenNotFound}},
	"setup-links/{id}":         {Description: "the set-up link's id (tok_…)", Errors: []string{CodeSetupLinkNotFound}},
	"admin-tokens/{id}":        {Description: "the admin token's id (tok_…)", Errors: []string{CodeTokenNotFound}},
	"webhooks/{id}":            {Description: "the webhook's id (wh_…)", Errors: []string{CodeWebhookNotFound}},
	"deliveries/{delivery_id}": {Description: "the delivery's id (dlv_…)", Errors: []string{CodeDeliveryNotFound}},
	"users/{id}":               {Description: "the user's id (usr_…)", Errors: []string{CodeUserNotFound}},
	"invited/{id}":             {Description: "the invited user's id (usr_…)", Errors: []string{CodeUserNotFound}},
	"suspended/{id}":           {Description: "the suspended user's id (usr_…)", Errors: []string{CodeUserNotFound}},
	"groups/{id}":              {Description: "the group's id (grp_…), or else its externalId"},
	"schemas/{urn}":            {Description: "the extension schema's URN, compared case-insensitively", Errors: []string{CodeSchemaNotFound}},
}

// schemaDocument describes an RFC 7643 §7 schema document.
func schemaDocument(desc string) map[string]any {
	attr := map[string]any{"type": "object", "required": []string{"name", "type"}, "properties": map[string]any{
		"name":            httpapi.Type("string", "an ATTRNAME (RFC 7643 §2.1): a letter, then letters, digits, - or _"),
		"type":            map[string]any{"type": "string", "enum": []string{"string", "boolean", "decimal", "integer", "dateTime", "reference", "complex", "binary"}},
		"multiValued":     httpapi.Type("boolean", "default false"),
		"description":     httpapi.Type("string", ""),
		"required":        httpapi.Type("boolean", "default false"),
		"canonicalValues": map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		"caseExact":       httpapi.Type("boolean", "default false, true for reference and binary"),
		"mutability":      map[string]any{"type": "string", "enum": []string{"readWrite", "immutable", "readOnly"}, "description": "default readWrite"},
		"returned":        map[string]any{"type": "string", "enum": []string{"default", "always", "never", "request"}, "description": "default default"},
		"uniqueness":      map[string]any{"type": "string", "enum": []string{"none", "server"}, "description": "default none"},
		"referenceTypes":  map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		"subAttributes":   map[string]any{"type": "array", "description": "of a complex attribute: attributes as these, not complex themselves", "items": map[string]any{"type": "object"}},
	}}
	return map[string]any{"type": "object", "description": "an RFC 7643 §7 schema document, " + desc, "required": []string{"id", "attributes"},
		"properties": map[string]any{
			"id":          httpapi.Type("string", "the extension's URN"),
			"name":        httpapi.Type("string", "default: the URN's last segment"),
			"description": httpapi.Type("string", ""),
			"attributes":  map[string]any{"type": "array", "items": attr},
		}}
}

// serveOpenAPI serves the document that New built from the route table.
func serveOpenAPI(h *Handler, c *call) (int, any, error) {
	return http.StatusOK, h.openapi, nil
}

// docRoutes returns the route table as its documentation sees it.
func docRoutes(table []route) []httpapi.Route {
	rs := make([]httpapi.Route, len(table))
	for i, rt := range table {
		rs[i] = httpapi.Route{Method: rt.method, Path: rt.path, Operation: rt.Operation}
	}
	return rs
}

// schemas are the component schemas. Config is made from the settings
// of package tenant.
var schemas = map[string]any{
	"Config": configSchema(),
	"Workspace": httpapi.Object([]string{"id", "slug", "created", "config"}, map[string]any{
		"id":      httpapi.Type("string", "ws_…"),
		"slug":    httpapi.Type("string", "the workspace's name in URLs"),
		"created": httpapi.Time(""),
		"config":  httpapi.Ref("Config"),
	}),
	"WorkspaceList": httpapi.Object([]string{"workspaces"}, map[string]any{"workspaces": httpapi.ArrayOf("Workspace")}),
	"WorkspaceCreate": httpapi.Object([]string{"slug"}, map[string]any{
		"slug":   map[string]any{"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", "description": "1-63 lower-case letters, digits or inner hyphens"},
		"config": httpapi.Ref("Config"),
	}),
	"WorkspacePatch": httpapi.Object(nil, map[string]any{
		"slug":   httpapi.Type("string", "if given, must be the current slug: slugs cannot change"),
		"config": httpapi.Ref("Config"),
	}),
	"Token": httpapi.Object([]string{"id", "name", "created", "expires", "days_left", "last_used", "revoked", "state"}, map[string]any{
		"id":         httpapi.Type("string", "tok_…"),
		"name":       httpapi.Type("string", ""),
		"created":    httpapi.Time(""),
		"created_by": httpapi.Type("string", "who created it: admin_token:<id>, cli:<user>, bootstrap"),
		"expires":    httpapi.NullableTime("null: never"),
		"days_left":  httpapi.Nullable("integer", "whole days until it expires; null: never expires"),
		"last_used":  httpapi.NullableTime("recorded every few seconds; null: never used"),
		"revoked":    httpapi.NullableTime("null: not revoked"),
		"state":      map[string]any{"type": "string", "enum": []string{"active", "expired", "revoked"}},
	}),
	"TokenList": httpapi.Object([]string{"tokens"}, map[string]any{"tokens": httpapi.ArrayOf("Token")}),
	"NewToken": map[string]any{
		"description": "A token just minted: a Token with the token itself, shown in this response only.",
		"allOf": []any{httpapi.Ref("Token"), httpapi.Object([]string{"token"}, map[string]any{
			"token":    httpapi.Type("string", "the bearer token to give the identity provider: scim_…"),
			"previous": map[string]any{"$ref": "#/components/schemas/Token", "description": "after a rotation, the token replaced, as it now is"},
		})},
	},
	"TokenCreate": httpapi.Object([]string{"name"}, map[string]any{
		"name":       httpapi.Type("string", "e.g. the identity provider it is for; at most 100 bytes"),
		"expires_in": httpapi.Type("string", "lifetime: a duration (720h, 90d), or \"0\" for never; default: the installation's token lifetime"),
	}),
	"SetupLinkList": httpapi.Object([]string{"setup_links"}, map[string]any{"setup_links": httpapi.ArrayOf("Token")}),
	"SetupLinkCreate": httpapi.Object(nil, map[string]any{
		"name":       httpapi.Type("string", "whom the link is for, e.g. \"Acme IT\"; at most 100 bytes; default \"set-up link\""),
		"expires_in": httpapi.Type("string", "lifetime: a duration from 1h to 30d (48h, 7d); default 7d"),
	}),
	"NewSetupLink": map[string]any{
		"description": "A set-up link just made: a Token with the link itself, shown in this response only.",
		"allOf": []any{httpapi.Ref("Token"), httpapi.Object([]string{"link", "url"}, map[string]any{
			"link": httpapi.Type("string", "the link's secret: scimd_setup_…"),
			"url":  httpapi.Type("string", "the set-up page it opens, to give the customer: absolute when the server knows its public URL (--public-url), else the path and query to append to the console's origin"),
		})},
	},
	"Setup": httpapi.Object([]string{"link", "workspace", "workspace_id", "scim_enabled"}, map[string]any{
		"link":         httpapi.Ref("Token"),
		"workspace":    httpapi.Type("string", "the slug of the link's workspace"),
		"workspace_id": httpapi.Type("string", "ws_…"),
		"scim_enabled": httpapi.Type("boolean", "whether the workspace admits SCIM requests"),
	}),
	"NewAppToken": map[string]any{
		"description": "An app token just minted: a Token with the token itself, shown in this response only.",
		"allOf": []any{httpapi.Ref("Token"), httpapi.Object([]string{"token"}, map[string]any{
			"token": httpapi.Type("string", "the bearer token to give the application: scimd_app_…"),
		})},
	},
	"NewAdminToken": map[string]any{
		"description": "An admin token just minted: a Token with the token itself, shown in this response only.",
		"allOf": []any{httpapi.Ref("Token"), httpapi.Object([]string{"token"}, map[string]any{
			"token": httpapi.Type("string", "the bearer token for this API: scimd_admin_…"),
		})},
	},
	"AppTokenCreate": httpapi.Object([]string{"name"}, map[string]any{
		"name":       httpapi.Type("string", "e.g. the application it is for; at most 100 bytes"),
		"expires_in": httpapi.Type("string", "lifetime: a duration (720h, 90d), or \"0\" for never; default: the installation's token lifetime"),
	}),
	"Webhook": httpapi.Object([]string{"id", "url", "event_types", "enabled", "created"}, map[string]any{
		"id":              httpapi.Type("string", "wh_…"),
		"url":             httpapi.Type("string", "the endpoint events are POSTed to"),
		"event_types":     map[string]any{"type": []string{"array", "null"}, "items": httpapi.Type("string", ""), "description": "the events it receives: types (user.created) and nouns' every type (group.*); null: every type"},
		"enabled":         httpapi.Type("boolean", ""),
		"created":         httpapi.Time(""),
		"disabled_reason": httpapi.Type("string", "why scimd disabled it, e.g. its endpoint answered 410 Gone"),
	}),
	"NewWebhook": map[string]any{
		"description": "A webhook with its signing secret, shown in this response only.",
		"allOf": []any{httpapi.Ref("Webhook"), httpapi.Object([]string{"secret"}, map[string]any{
			"secret": httpapi.Type("string", "the Standard Webhooks signing secret to give the endpoint: whsec_…"),
		})},
	},
	"WebhookList": httpapi.Object([]string{"webhooks"}, map[string]any{"webhooks": httpapi.ArrayOf("Webhook")}),
	"WebhookCreate": httpapi.Object([]string{"url"}, map[string]any{
		"url":         httpapi.Type("string", "an absolute http or https URL"),
		"event_types": map[string]any{"type": []string{"array", "null"}, "items": httpapi.Type("string", ""), "minItems": 1, "description": "types (user.created) and nouns' every type (group.*); left out or null: every type"},
		"enabled":     httpapi.Type("boolean", "default true"),
	}),
	"WebhookPatch": httpapi.Object(nil, map[string]any{
		"url":         httpapi.Type("string", "an absolute http or https URL"),
		"event_types": map[string]any{"type": []string{"array", "null"}, "items": httpapi.Type("string", ""), "minItems": 1, "description": "null: every type"},
		"enabled":     httpapi.Type("boolean", "true also clears disabled_reason"),
	}),
	"Delivery": httpapi.Object([]string{"id", "webhook_id", "event_id", "event_type", "event_seq", "status", "attempts", "attempt_log", "next_attempt", "last_attempt", "last_status", "delivered_at"}, map[string]any{
		"id":           httpapi.Type("string", "dlv_…"),
		"webhook_id":   httpapi.Type("string", ""),
		"event_id":     httpapi.Type("string", "evt_…, sent as webhook-id"),
		"event_type":   httpapi.Type("string", ""),
		"event_seq":    httpapi.Type("integer", "the event's place in the workspace's outbox"),
		"status":       map[string]any{"type": "string", "enum": []string{"pending", "delivered", "dead"}, "description": "dead: every attempt failed, or the endpoint answered 410 Gone"},
		"attempts":     httpapi.Type("integer", "attempts made since the delivery was made or last redelivered"),
		"attempt_log":  httpapi.ArrayOf("DeliveryAttempt"),
		"next_attempt": httpapi.NullableTime("when a pending delivery is due"),
		"last_attempt": httpapi.NullableTime("null: never attempted"),
		"last_status":  httpapi.Nullable("integer", "HTTP status of the last attempt; null: no response"),
		"last_error":   httpapi.Type("string", "why the last attempt failed"),
		"delivered_at": httpapi.NullableTime(""),
	}),
	"Redelivery": map[string]any{
		"description": "A delivery just made pending again.",
		"allOf": []any{httpapi.Ref("Delivery"), httpapi.Object(nil, map[string]any{
			"warning": httpapi.Type("string", "why it will not go yet, e.g. the webhook is disabled"),
		})},
	},
	"DeliveryDetail": map[string]any{
		"description": "A delivery with the body sent for it.",
		"allOf": []any{httpapi.Ref("Delivery"), httpapi.Object([]string{"payload"}, map[string]any{
			"payload": map[string]any{"type": []string{"object", "null"}, "description": "the body POSTed on each attempt: {\"type\", \"timestamp\", \"data\"}; null once the outbox no longer holds the event"},
		})},
	},
	"TestDelivery": map[string]any{
		"description": "The delivery of a test event just sent to a webhook.",
		"allOf": []any{httpapi.Ref("Delivery"), httpapi.Object(nil, map[string]any{
			"warning": httpapi.Type("string", "why it will not go yet, e.g. the webhook is disabled"),
		})},
	},
	"DeliveryAttempt": httpapi.Object([]string{"at", "status"}, map[string]any{
		"at":       httpapi.Time(""),
		"status":   httpapi.Nullable("integer", "HTTP status of the response; null: no response"),
		"error":    httpapi.Type("string", "why the attempt failed, ending with the start of the endpoint's answer"),
		"response": httpapi.Type("string", "the start of the endpoint's answer to an attempt it accepted (at most 256 bytes)"),
	}),
	"DeliveryPage": httpapi.Object([]string{"deliveries"}, map[string]any{
		"deliveries":  httpapi.ArrayOf("Delivery"),
		"next_cursor": httpapi.Type("string", "cursor of the next (older) page; absent on the last"),
	}),
	"TokenRotate": httpapi.Object(nil, map[string]any{
		"overlap": httpapi.Type("string", "how long the old token keeps working: 0 (default) to 30d, e.g. 24h"),
	}),
	"ConfigRotate": httpapi.Object(nil, map[string]any{
		"token_id": httpapi.Type("string", "the token to rotate; default: the workspace's newest active token"),
		"overlap":  httpapi.Type("string", "how long the old token keeps working: 0 (default) to 30d, e.g. 24h"),
	}),
	"User": httpapi.Object([]string{"id", "user_name", "state", "created", "last_modified"}, map[string]any{
		"id":           httpapi.Type("string", "usr_…"),
		"user_name":    httpapi.Type("string", ""),
		"external_id":  httpapi.Type("string", "the identity provider's id"),
		"display_name": httpapi.Type("string", ""),
		"email":        httpapi.Type("string", "the primary email, else the first"),
		"state": httpapi.Type("string", "active, suspended (the identity provider sent active false), soft_deleted (with deleted and purge_at) or invited (created through this API, not provisioned); "+
			"show unknown states as they are"),
		"created":       httpapi.Time(""),
		"last_modified": httpapi.Time(""),
		"roles":         map[string]any{"type": "array", "items": httpapi.Type("string", ""), "description": "in listings: the user's effective roles as last computed, highest rank first"},
		"deleted":       httpapi.Time(""),
		"purge_at":      httpapi.Time(""),
	}),
	"DeletedUserList": httpapi.Object([]string{"users"}, map[string]any{
		"users": httpapi.ArrayOf("User"),
	}),
	"UserInvite": httpapi.Object([]string{"user_name"}, map[string]any{
		"user_name":    httpapi.Type("string", "unique in the workspace, compared case-insensitively"),
		"display_name": httpapi.Type("string", ""),
		"email":        httpapi.Type("string", "primary email"),
	}),
	"UserList": httpapi.Object([]string{"users", "total"}, map[string]any{
		"users":       httpapi.ArrayOf("User"),
		"total":       httpapi.Type("integer", "users matching the filter, on every page"),
		"next_cursor": httpapi.Type("string", "cursor of the next page; absent on the last"),
	}),
	"TeamList": httpapi.Object([]string{"teams", "default_team", "default_role"}, map[string]any{
		"teams":        httpapi.ArrayOf("Team"),
		"default_team": httpapi.Type("string", "the workspace's defaultTeam, which every provisioned user is in; empty for none"),
		"default_role": httpapi.Type("string", "the workspace's defaultTeamRole: the role of members of groups linked without one, and of unlinked groups in their own team"),
	}),
	"Team": httpapi.Object([]string{"key", "groups"}, map[string]any{
		"key":    httpapi.Type("string", "the team's key, as the application knows it"),
		"groups": httpapi.ArrayOf("TeamGroup"),
	}),
	"TeamGroup": httpapi.Object([]string{"id", "display_name", "linked"}, map[string]any{
		"id":           httpapi.Type("string", "grp_…"),
		"display_name": httpapi.Type("string", "as it is now"),
		"external_id":  httpapi.Type("string", "the identity provider's id"),
		"role":         httpapi.Type("string", "its members' role in the team; absent: default_role"),
		"linked":       httpapi.Time(""),
	}),
	"TeamLink": httpapi.Object([]string{"team", "group"}, map[string]any{
		"team":  httpapi.Type("string", ""),
		"role":  httpapi.Type("string", "absent: the workspace's defaultTeamRole"),
		"group": httpapi.Ref("TeamGroup"),
	}),
	"TeamLinkSet": httpapi.Object([]string{"team"}, map[string]any{
		"team": httpapi.Type("string", "the team's key: 1-64 letters, digits, spaces or _.:@/-, starting with a letter or digit"),
		"role": httpapi.Type("string", "its members' role there, a name as team; absent or empty: the workspace's defaultTeamRole"),
	}),
	"SchemaExtensionList": httpapi.Object([]string{"schemas"}, map[string]any{"schemas": httpapi.ArrayOf("SchemaExtension")}),
	"SchemaExtension": httpapi.Object([]string{"urn", "resource_type", "required", "schema", "created", "updated"}, map[string]any{
		"urn":           httpapi.Type("string", "the schema's id, e.g. urn:ietf:params:scim:schemas:extension:acme:2.0:User"),
		"resource_type": map[string]any{"type": "string", "enum": []string{"User", "Group"}},
		"required":      httpapi.Type("boolean", "resources of the type must carry the extension"),
		"schema":        schemaDocument("as scimd reads it, every characteristic spelt out with its default"),
		"created":       httpapi.Time(""),
		"updated":       httpapi.Time(""),
		"notes": map[string]any{"type": "array", "items": map[string]any{"type": "string"},
			"description": "in the answer to a change: what it does to values stored under the declaration replaced (attributes no longer declared or of another type)"},
	}),
	"UndeclaredSchemaList": httpapi.Object([]string{"schemas"}, map[string]any{"schemas": httpapi.ArrayOf("UndeclaredSchema")}),
	"UndeclaredSchema": httpapi.Object([]string{"urn", "resource_type", "resources", "sampled", "schema"}, map[string]any{
		"urn":           httpapi.Type("string", "the URN the resources carry attributes under, as they spell it"),
		"resource_type": map[string]any{"type": "string", "enum": []string{"User", "Group"}},
		"resources":     httpapi.Type("integer", "how many of the resources read carry it"),
		"sampled":       httpapi.Type("integer", "how many resources of the type were read: the newest, at most 1,000"),
		"schema":        schemaDocument("the proposed declaration, as PUT /workspaces/{slug}/schemas/{urn} takes it"),
	}),
	"SchemaExtensionSet": httpapi.Object([]string{"resource_type", "schema"}, map[string]any{
		"resource_type": map[string]any{"type": "string", "enum": []string{"User", "Group"}},
		"required":      httpapi.Type("boolean", "resources of the type must carry the extension; default false"),
		"schema":        schemaDocument("its id is the URN of the path"),
	}),
	"AuditEntry": httpapi.Object([]string{"id", "ts", "channel", "action"}, map[string]any{
		"id":             httpapi.Type("integer", "grows in the order entries are stored"),
		"ts":             httpapi.Time(""),
		"workspace_id":   httpapi.Type("string", ""),
		"workspace":      httpapi.Type("string", "the workspace's slug, if it still exists"),
		"channel":        map[string]any{"type": "string", "enum": []string{"scim", "admin", "effect"}},
		"action":         httpapi.Type("string", "noun.verb: user.create, token.revoke, workspace.create, …"),
		"actor":          httpapi.Type("string", "token:<id> for SCIM requests, admin_token:<id> for this API"),
		"target":         httpapi.Type("string", "the id of the object acted on"),
		"correlation_id": httpapi.Type("string", ""),
		"status":         httpapi.Type("integer", "HTTP status of the response"),
		"duration_ms":    httpapi.Type("number", ""),
		"payload":        httpapi.Type("object", "details: method, path, token_id, error, diff, …"),
	}),
	"AuditPage": httpapi.Object([]string{"entries"}, map[string]any{
		"entries":     httpapi.ArrayOf("AuditEntry"),
		"next_cursor": httpapi.Type("string", "cursor of the next (older) page; absent on the last"),
	}),
}
