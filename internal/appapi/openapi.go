package appapi

import (
	"log/slog"
	"net/http"

	"github.com/scimd/scimd/internal/httpapi"
)

// newAPI returns what the API says of itself.
func newAPI(log *slog.Logger) *httpapi.API {
	return &httpapi.API{
		Name:    "app api",
		Prefix:  Prefix,
		Realm:   "scimd app",
		MaxBody: maxBody,
		Known:   knownError,
		Log:     log,
		Title:   "scimd application API",
		Description: "Issue and verify the API keys and sessions of a workspace's users, and read the workspace's events. " +
			"Authenticate with an app token of the workspace (POST /admin/v1/workspaces/{slug}/app-tokens): Authorization: Bearer scimd_app_…. " +
			"Errors are {\"error\": {\"code\": …, \"message\": …}}: code is stable, message says what to fix.",
		Scheme:            "appToken",
		SchemeDescription: "an app token, scimd_app_…",
		Wildcards:         wildcards,
		Errors:            errorCodes,
	}
}

// wildcards describe the wildcards of the routes' paths.
var wildcards = map[string]httpapi.Wildcard{
	"workspaces/{slug}": {Description: "the app token's workspace's slug", Errors: []string{CodeForbidden}},
	"users/{id}":        {Description: "the user's id (usr_…)", Errors: []string{CodeUserNotFound}},
	"api-keys/{cred}":   {Description: "the API key's id (cred_…)", Errors: []string{CodeCredentialNotFound}},
	"sessions/{cred}":   {Description: "the session's id (cred_…)", Errors: []string{CodeCredentialNotFound}},
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

// schemas are the component schemas, which a test checks against the
// types the handlers answer with.
var schemas = map[string]any{
	"VerifyRequest": httpapi.Object([]string{"token"}, map[string]any{
		"token":           httpapi.Type("string", "an API key (scimd_key_…) or a session token (scimd_sess_…)"),
		"token_type_hint": httpapi.Type("string", "accepted and ignored, as RFC 7662 allows: the secret says its kind"),
	}),
	"Verification": httpapi.Object([]string{"valid"}, map[string]any{
		"valid":      httpapi.Type("boolean", ""),
		"reason":     map[string]any{"type": "string", "enum": []string{"unknown", "revoked", "expired", "user_deleted", "user_inactive"}, "description": "why the secret is not valid; absent when it is"},
		"workspace":  httpapi.Type("string", "the workspace's slug, when valid"),
		"user":       httpapi.Ref("VerifiedUser"),
		"credential": httpapi.Ref("Credential"),
	}),
	"VerifiedUser": httpapi.Object([]string{"id", "user_name", "active", "roles", "groups", "teams"}, map[string]any{
		"id":           httpapi.Type("string", "usr_…"),
		"user_name":    httpapi.Type("string", ""),
		"display_name": httpapi.Type("string", ""),
		"active":       httpapi.Type("boolean", ""),
		"roles":        map[string]any{"type": "array", "items": httpapi.Type("string", ""), "description": "the user's roles, from its groups and the workspace's role mappings"},
		"groups":       map[string]any{"type": "array", "items": httpapi.Type("string", ""), "description": "the groups the user is in, directly or through nesting"},
		"teams":        map[string]any{"type": "array", "description": "the user's teams, as the workspace's teams make them"},
	}),
	"Credential": httpapi.Object([]string{"id", "kind", "name", "user_id", "created", "expires", "revoked", "state"}, map[string]any{
		"id":             httpapi.Type("string", "cred_…"),
		"kind":           map[string]any{"type": "string", "enum": []string{"api_key", "session"}},
		"name":           httpapi.Type("string", ""),
		"user_id":        httpapi.Type("string", ""),
		"created":        httpapi.Time(""),
		"expires":        httpapi.NullableTime("null: never"),
		"revoked":        httpapi.NullableTime("null: not revoked"),
		"revoked_reason": httpapi.Type("string", "why scimd revoked it, e.g. the user was deactivated"),
		"state":          map[string]any{"type": "string", "enum": []string{StateActive, StateExpired, StateRevoked}},
	}),
	"NewCredential": map[string]any{
		"description": "A credential just issued: a Credential with its secret, shown in this response only.",
		"allOf": []any{httpapi.Ref("Credential"), httpapi.Object(nil, map[string]any{
			"key":   httpapi.Type("string", "the API key, scimd_key_…, for an API key"),
			"token": httpapi.Type("string", "the session token, scimd_sess_…, for a session"),
		})},
	},
	"APIKeyList":  httpapi.Object([]string{"api_keys"}, map[string]any{"api_keys": httpapi.ArrayOf("Credential")}),
	"SessionList": httpapi.Object([]string{"sessions"}, map[string]any{"sessions": httpapi.ArrayOf("Credential")}),
	"APIKeyIssue": httpapi.Object(nil, map[string]any{
		"name":       httpapi.Type("string", "e.g. what the key is for"),
		"expires_in": httpapi.Type("string", "lifetime: a duration (720h, 90d); give this or expires, or neither for a key that never expires"),
		"expires":    httpapi.Time("when the key expires"),
	}),
	"SessionIssue": httpapi.Object(nil, map[string]any{
		"name": httpapi.Type("string", "e.g. the browser the session is in"),
		"ttl":  httpapi.Type("string", "lifetime: a duration from 1s to 30d; default 24h"),
	}),
	"EventPage": httpapi.Object([]string{"events", "next"}, map[string]any{
		"events": httpapi.ArrayOf("Event"),
		"next":   httpapi.Type("integer", "the after of the next request: the seq of the page's last event, or the request's after if it has none"),
	}),
	"Event": httpapi.Object([]string{"id", "seq", "type", "occurred", "data"}, map[string]any{
		"id":       httpapi.Type("string", "evt_…"),
		"seq":      httpapi.Type("integer", "the event's place in the workspace's outbox"),
		"type":     httpapi.Type("string", "user.created, session.revoked, …; see docs/events.md"),
		"occurred": httpapi.Time(""),
		"subject":  httpapi.Type("string", "the id of what the event is about"),
		"data":     httpapi.Type("object", "what the event says, by type"),
	}),
}
