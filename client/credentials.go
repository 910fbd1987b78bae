package client

import (
	"context"
	"net/http"
	"time"
)

// NewCredential is a credential just issued: the only answer that shows
// its secret, which the application hands to the user and does not keep.
type NewCredential struct {
	Credential
	// Secret is the API key (scimd_key_…) or session token
	// (scimd_sess_…).
	Secret string
}

type newCredentialJSON struct {
	Credential
	Key   string `json:"key"`
	Token string `json:"token"`
}

func (n newCredentialJSON) out() NewCredential {
	return NewCredential{Credential: n.Credential, Secret: n.Key + n.Token}
}

// IssueAPIKey issues an API key to a user of the workspace, named name,
// that expires at expires; the zero time for a key that never expires.
// Only an active user can be issued one (else the Error's Code is
// "user_inactive").
func (c *Client) IssueAPIKey(ctx context.Context, userID, name string, expires time.Time) (NewCredential, error) {
	path, err := c.workspacePath("users", userID, "api-keys")
	if err != nil {
		return NewCredential{}, err
	}
	body := map[string]any{"name": name}
	if !expires.IsZero() {
		body["expires"] = expires.UTC()
	}
	var out newCredentialJSON
	err = c.do(ctx, http.MethodPost, path, nil, body, &out)
	return out.out(), err
}

// IssueSession starts a session of a user of the workspace, named name
// (such as the browser's), that lasts ttl: 0 for the server's default
// of 24 hours, 30 days at most.
func (c *Client) IssueSession(ctx context.Context, userID, name string, ttl time.Duration) (NewCredential, error) {
	path, err := c.workspacePath("users", userID, "sessions")
	if err != nil {
		return NewCredential{}, err
	}
	body := map[string]any{"name": name}
	if ttl > 0 {
		body["ttl"] = ttl.String()
	}
	var out newCredentialJSON
	err = c.do(ctx, http.MethodPost, path, nil, body, &out)
	return out.out(), err
}

// APIKeys lists a user's API keys, including revoked and expired ones.
func (c *Client) APIKeys(ctx context.Context, userID string) ([]Credential, error) {
	path, err := c.workspacePath("users", userID, "api-keys")
	if err != nil {
		return nil, err
	}
	var out struct {
		APIKeys []Credential `json:"api_keys"`
	}
	err = c.do(ctx, http.MethodGet, path, nil, nil, &out)
	return out.APIKeys, err
}

// Sessions lists a user's sessions, including revoked and expired ones.
func (c *Client) Sessions(ctx context.Context, userID string) ([]Credential, error) {
	path, err := c.workspacePath("users", userID, "sessions")
	if err != nil {
		return nil, err
	}
	var out struct {
		Sessions []Credential `json:"sessions"`
	}
	err = c.do(ctx, http.MethodGet, path, nil, nil, &out)
	return out.Sessions, err
}

// RevokeAPIKey revokes a user's API key: the server refuses it from
// now on, and this client's cache forgets it at once.
func (c *Client) RevokeAPIKey(ctx context.Context, userID, id string) (Credential, error) {
	return c.revoke(ctx, userID, "api-keys", id)
}

// RevokeSession revokes a user's session, as RevokeAPIKey does a key: to
// sign the user out.
func (c *Client) RevokeSession(ctx context.Context, userID, id string) (Credential, error) {
	return c.revoke(ctx, userID, "sessions", id)
}

func (c *Client) revoke(ctx context.Context, userID, kind, id string) (Credential, error) {
	path, err := c.workspacePath("users", userID, kind, id)
	if err != nil {
		return Credential{}, err
	}
	if c.cache != nil {
		defer c.cache.dropCredential(id)
	}
	var out Credential
	err = c.do(ctx, http.MethodDelete, path, nil, nil, &out)
	return out, err
}
