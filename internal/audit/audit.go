// Package audit records what scimd does, and for whom, in the audit log
// that store.AuditStore keeps: a Writer that takes entries without making
// requests wait, a Pruner that applies the retention period, and helpers
// for what an entry holds — the change a write made (Diff), the client's
// correlation id and the request headers worth keeping.
package audit

import (
	"net/http"
	"strings"
)

// Channels: where an action came from.
const (
	ChannelSCIM   = "scim"   // a request to the SCIM API
	ChannelAdmin  = "admin"  // an operator, through the command line or an admin API
	ChannelEffect = "effect" // scimd itself, as the consequence of another action
)

// Request is the payload of an entry for an HTTP request. Tokens appear by
// id and name, never by value.
type Request struct {
	Method    string            `json:"method"`
	Path      string            `json:"path"`
	TokenID   string            `json:"token_id,omitempty"`
	TokenName string            `json:"token_name,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	// Diff is what a write changed.
	Diff Changes `json:"diff,omitempty"`
	// Error is the scimType and detail of a failed request.
	Error string `json:"error,omitempty"`
}

// TokenActor is the actor of a request made with the token with the given
// id.
func TokenActor(tokenID string) string { return "token:" + tokenID }

// Action names what a SCIM request does to a resource of type rt ("User",
// "Group"): "user.create", "group.patch", "user.list"… item says whether
// the request is to one resource (/Users/{id}) rather than to the
// collection. Searches (POST …/.search) and bulk requests are not in this
// table: they are "user.search", "group.search", "search" and "bulk".
func Action(method, rt string, item bool) string {
	var verb string
	switch method {
	case http.MethodGet, http.MethodHead:
		verb = "list"
		if item {
			verb = "get"
		}
	case http.MethodPost:
		verb = "create"
	case http.MethodPut:
		verb = "replace"
	case http.MethodPatch:
		verb = "patch"
	case http.MethodDelete:
		verb = "delete"
	default:
		verb = strings.ToLower(method)
	}
	return strings.ToLower(rt) + "." + verb
}
