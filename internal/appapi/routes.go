package appapi

import (
	"strconv"

	"github.com/scimd/scimd/internal/httpapi"
)

// routes is the API: every operation, once. register serves it and
// openAPI documents it.
func routes() []route {
	return []route{
		{method: "GET", path: "/openapi.json", handle: serveOpenAPI, Operation: httpapi.Operation{
			Summary: "This document", Description: "The OpenAPI 3.1 description of the application API. Needs no token.",
			Public: true, Responses: httpapi.OK("OpenAPI")}},

		{method: "POST", path: "/verify", direct: (*Handler).verify, Operation: httpapi.Operation{
			Summary: "Verify an API key or a session token",
			Description: "Says whether a user's API key or session token is good, and whose it is, with the user's roles, groups and teams, " +
				"in the manner of token introspection (RFC 7662): the application calls it on every request it serves, and scimd answers from memory. " +
				"Only credentials of the app token's workspace are valid; any other is unknown. The body may also be a form, token=….",
			Request: "VerifyRequest", Form: true, Responses: httpapi.OK("Verification")}},

		{method: "GET", path: "/workspaces/{slug}/users/{id}/api-keys", handle: listAPIKeys, Operation: httpapi.Operation{
			Summary: "List a user's API keys", Description: "The user's API keys, without their secrets, with their state.",
			Responses: httpapi.OK("APIKeyList")}},
		{method: "POST", path: "/workspaces/{slug}/users/{id}/api-keys", handle: issueAPIKey, Operation: httpapi.Operation{
			Summary:     "Issue an API key",
			Description: "Issues an API key (scimd_key_…) to an active user, shown in this response only: scimd keeps a keyed hash of it. Without expires_in or expires it never expires. Fails with 409 user_inactive for a user who is not active.",
			Request:     "APIKeyIssue", Optional: true, Responses: httpapi.Created("NewCredential"), Errors: []string{CodeUserInactive}}},
		{method: "DELETE", path: "/workspaces/{slug}/users/{id}/api-keys/{cred}", handle: revokeAPIKey, Operation: httpapi.Operation{
			Summary:     "Revoke an API key",
			Description: "Every server refuses the key from its next verification. Answers with the key as revoked.",
			Responses:   httpapi.OK("Credential")}},
		{method: "GET", path: "/workspaces/{slug}/users/{id}/sessions", handle: listSessions, Operation: httpapi.Operation{
			Summary: "List a user's sessions", Description: "The user's sessions, without their tokens, with their state.",
			Responses: httpapi.OK("SessionList")}},
		{method: "POST", path: "/workspaces/{slug}/users/{id}/sessions", handle: issueSession, Operation: httpapi.Operation{
			Summary:     "Start a session",
			Description: "Issues a session token (scimd_sess_…) to an active user, shown in this response only. A session lasts ttl, 24 hours by default, 30 days at most. Fails with 409 user_inactive for a user who is not active.",
			Request:     "SessionIssue", Optional: true, Responses: httpapi.Created("NewCredential"), Errors: []string{CodeUserInactive}}},
		{method: "DELETE", path: "/workspaces/{slug}/users/{id}/sessions/{cred}", handle: revokeSession, Operation: httpapi.Operation{
			Summary:     "End a session",
			Description: "Every server refuses the session token from its next verification. Answers with the session as revoked.",
			Responses:   httpapi.OK("Credential")}},

		{method: "GET", path: "/workspaces/{slug}/events", handle: listEvents, long: true, Operation: httpapi.Operation{
			Summary: "Read the event feed",
			Description: "The workspace's events after the seq after, in order, at most limit of them. With wait and nothing after after, it waits up to wait for events to come (a long poll); an empty page says none came. " +
				"Events are numbered per workspace without gaps, in commit order, so a reader that passes next back as after sees every event once.",
			Query: []httpapi.Param{
				{Name: "after", Description: "the seq of the last event read; 0 or left out for the first", Schema: map[string]any{"type": "integer", "minimum": 0, "default": 0}},
				{Name: "limit", Description: "most events on the page", Schema: map[string]any{"type": "integer", "minimum": 1, "maximum": MaxEventLimit, "default": DefaultEventLimit}},
				{Name: "wait", Description: "how long to wait for events when there are none: a duration (30s) or seconds, at most " + strconv.Itoa(int(MaxWait.Seconds())) + "s", Schema: httpapi.Type("string", "")},
			},
			Responses: httpapi.OK("EventPage"), Errors: []string{CodeInvalidParameter}}},
	}
}
