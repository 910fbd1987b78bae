package client

import (
	"context"
	"crypto/sha256"
	"net/http"
	"slices"
	"time"
)

// Reasons a credential is not valid, in Verification.Reason. They never
// change; more may come.
const (
	// ReasonUnknown: not a credential of the workspace. It is malformed,
	// was never issued, belongs to another workspace, or was deleted
	// with its user.
	ReasonUnknown = "unknown"
	// ReasonRevoked: revoked by the application, or because its user
	// was deactivated or deleted.
	ReasonRevoked = "revoked"
	// ReasonExpired: past its expiry.
	ReasonExpired = "expired"
	// ReasonUserDeleted: its user was deleted.
	ReasonUserDeleted = "user_deleted"
	// ReasonUserInactive: its user is not active (its identity provider
	// deactivated it).
	ReasonUserInactive = "user_inactive"
)

// Verification is the answer of POST /v1/verify: whether a user's API
// key or session token is good and, if so, whose it is.
type Verification struct {
	Valid bool `json:"valid"`
	// Reason says why the credential is not valid: one of the Reason
	// constants; "" when it is.
	Reason string `json:"reason,omitempty"`
	// Workspace is the slug of the credential's workspace.
	Workspace string `json:"workspace,omitempty"`
	// User is who the credential stands for, when it is valid.
	User User `json:"user"`
	// Credential is the key or session verified, when it is valid.
	Credential Credential `json:"credential"`
}

// User is a user as the application sees it, with the access its
// identity provider's groups and the workspace's role mappings give it.
// Its slices are shared with the cache: do not change them.
type User struct {
	ID          string `json:"id"`
	UserName    string `json:"user_name"`
	DisplayName string `json:"display_name,omitempty"`
	Active      bool   `json:"active"`
	// Roles are the user's roles in the application.
	Roles []string `json:"roles"`
	// Groups name the groups the user is in, directly or through nested
	// groups.
	Groups []string `json:"groups"`
	// Teams are the teams the user is in, with its role in each.
	Teams []Team `json:"teams"`
}

// HasRole reports whether the user has the role.
func (u User) HasRole(role string) bool {
	return slices.Contains(u.Roles, role)
}

// Team is a user's membership of a team.
type Team struct {
	Key  string `json:"key"`
	Role string `json:"role"`
}

// Verify asks the server whether secret, a user's API key (scimd_key_…)
// or session token (scimd_sess_…), is valid, and whose it is. A
// credential that is not valid is not an error: Valid is false, with
// the Reason. An error means the server could not say.
//
// With WithCache, a valid verification is answered from memory while
// the cache holds it.
func (c *Client) Verify(ctx context.Context, secret string) (Verification, error) {
	if secret == "" {
		return Verification{Reason: ReasonUnknown}, nil
	}
	if c.cache == nil {
		return c.verify(ctx, secret)
	}
	key := sha256.Sum256([]byte(secret))
	if v, ok := c.cache.get(key); ok {
		return v, nil
	}
	gen := c.cache.generation()
	v, err := c.verify(ctx, secret)
	if err == nil && v.Valid {
		c.cache.put(key, v, gen)
	}
	return v, err
}

func (c *Client) verify(ctx context.Context, secret string) (Verification, error) {
	var v Verification
	err := c.do(ctx, http.MethodPost, "/verify", nil, verifyRequest{secret}, &v)
	return v, err
}

type verifyRequest struct {
	Token string `json:"token"`
}

// Credential states.
const (
	StateActive  = "active"
	StateExpired = "expired"
	StateRevoked = "revoked"
)

// Credential is a user's API key or session: never its secret.
type Credential struct {
	ID string `json:"id"`
	// Kind is "api_key" or "session".
	Kind    string     `json:"kind"`
	Name    string     `json:"name"`
	UserID  string     `json:"user_id"`
	Created time.Time  `json:"created"`
	Expires *time.Time `json:"expires"` // nil: never
	Revoked *time.Time `json:"revoked"` // nil: not revoked
	// RevokedReason says why scimd revoked it, such as
	// "user.deactivated"; "" when the application did.
	RevokedReason string `json:"revoked_reason,omitempty"`
	// State is one of the State constants.
	State string `json:"state"`
}
