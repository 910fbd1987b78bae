// Package client is the Go client of scimd's application API: what an
// application that scimd provisions uses to verify its users' API keys
// and sessions, to issue and revoke them, and to follow the events of
// its workspace.
//
// An application authenticates with an app token of its workspace
// (scimd_app_…), which an administrator mints with the admin API
// (package github.com/scimd/scimd/client/admin, or scimd app-token
// create):
//
//	c, err := client.New("https://scimd.example.com", appToken, client.WithWorkspace("acme"))
//	...
//	v, err := c.Verify(ctx, userKey)
//	if err == nil && v.Valid {
//		// v.User is who the key stands for, with roles, groups and teams.
//	}
//
// Programs in other languages can generate a client from the API's
// OpenAPI document, which the server serves at GET /v1/openapi.json.
//
// # Verifying every request
//
// Middleware verifies the bearer token of each request before passing it
// on, with the verified user in the request's context (see UserFrom), and
// answers 401 to a request without a valid one. By itself it asks the
// server once per request. With WithCache, verifications are remembered
// for a short time, and Watch follows the workspace's event feed to
// forget at once what a deactivation, a deletion, a revocation or a
// change of roles makes stale, so that a deactivated user's key is
// refused within milliseconds without a network call per request. An
// application that receives scimd's webhooks instead can pass their
// events to Invalidate.
//
// # Following events
//
// Feed reads the workspace's events in order, waiting for new ones with
// long polls; its cursor, an event's Seq, can be saved and given back to
// resume where it left off.
//
// # Compatibility
//
// This package and client/admin follow semantic versioning with the
// module github.com/scimd/scimd: within a major version, exported names
// keep their meaning and signatures, answer types only gain fields, and
// fields are never removed or retyped. Everything under internal/ may
// change at any time. The types decode the server's JSON leniently: a
// field a newer server adds is ignored until a newer client names it.
package client
