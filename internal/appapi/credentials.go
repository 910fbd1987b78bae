package appapi

import (
	"net/http"
	"time"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/duration"
	"github.com/scimd/scimd/internal/store"
)

// newCredentialJSON is a credential just issued: the only response that
// shows its secret, as key (an API key) or token (a session).
type newCredentialJSON struct {
	credentialJSON
	Key   string `json:"key,omitempty"`
	Token string `json:"token,omitempty"`
}

type apiKeyList struct {
	APIKeys []credentialJSON `json:"api_keys"`
}

type sessionList struct {
	Sessions []credentialJSON `json:"sessions"`
}

// issued answers an issue: 201 with the secret.
func (h *Handler) issued(secret string, cred store.Credential, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	out := newCredentialJSON{credentialJSON: credentialOut(cred, h.now())}
	if cred.Kind == store.CredentialAPIKey {
		out.Key = secret
	} else {
		out.Token = secret
	}
	return http.StatusCreated, out, nil
}

// issueAPIKey issues an API key: {"name": "ci", "expires_in": "90d"} or
// {"name": "ci", "expires": "2026-01-01T00:00:00Z"}; without either it
// never expires.
func issueAPIKey(h *Handler, c *call) (int, any, error) {
	var body struct {
		Name      string     `json:"name"`
		ExpiresIn string     `json:"expires_in"`
		Expires   *time.Time `json:"expires"`
	}
	if err := h.api.Decode(c.w, c.r, &body, true); err != nil {
		return 0, nil, err
	}
	var expires time.Time
	switch {
	case body.ExpiresIn != "" && body.Expires != nil:
		return 0, nil, badValue("give expires_in or expires, not both")
	case body.Expires != nil:
		expires = *body.Expires
	case body.ExpiresIn != "":
		d, err := duration.Parse(body.ExpiresIn)
		if err != nil || d <= 0 {
			return 0, nil, badValue("expires_in %q: want a duration such as \"720h\" or \"90d\"; leave it out for a key that never expires", body.ExpiresIn)
		}
		expires = h.now().Add(d)
	}
	secret, cred, err := h.issuer.IssueAPIKey(c.r.Context(), c.app.workspace.ID, c.r.PathValue("id"), body.Name, expires)
	return h.issued(secret, cred, err)
}

// issueSession starts a session: {"name": "Firefox on Linux", "ttl":
// "8h"}, both optional; a session lasts 24 hours by default, 30 days at
// most.
func issueSession(h *Handler, c *call) (int, any, error) {
	var body struct {
		Name string `json:"name"`
		TTL  string `json:"ttl"`
	}
	if err := h.api.Decode(c.w, c.r, &body, true); err != nil {
		return 0, nil, err
	}
	var ttl time.Duration
	if body.TTL != "" {
		d, err := duration.Parse(body.TTL)
		if err != nil || d <= 0 || d > access.MaxSessionTTL {
			return 0, nil, badValue("ttl %q: want a duration from \"1s\" to \"30d\", such as \"8h\"", body.TTL)
		}
		ttl = d
	}
	secret, cred, err := h.issuer.IssueSession(c.r.Context(), c.app.workspace.ID, c.r.PathValue("id"), body.Name, ttl)
	return h.issued(secret, cred, err)
}

func (h *Handler) list(c *call, kind string) ([]credentialJSON, error) {
	cs, err := h.issuer.Credentials(c.r.Context(), c.app.workspace.ID, c.r.PathValue("id"), kind)
	if err != nil {
		return nil, err
	}
	now := h.now()
	out := make([]credentialJSON, len(cs))
	for i, cr := range cs {
		out[i] = credentialOut(cr, now)
	}
	return out, nil
}

func listAPIKeys(h *Handler, c *call) (int, any, error) {
	l, err := h.list(c, store.CredentialAPIKey)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, apiKeyList{l}, nil
}

func listSessions(h *Handler, c *call) (int, any, error) {
	l, err := h.list(c, store.CredentialSession)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, sessionList{l}, nil
}

// revoke revokes a credential of the user at once: every server on the
// database refuses it from its next verification.
func (h *Handler) revoke(c *call, kind string) (int, any, error) {
	cred, err := h.issuer.Revoke(c.r.Context(), c.app.workspace.ID, c.r.PathValue("id"), kind, c.r.PathValue("cred"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, credentialOut(cred, h.now()), nil
}

func revokeAPIKey(h *Handler, c *call) (int, any, error) {
	return h.revoke(c, store.CredentialAPIKey)
}

func revokeSession(h *Handler, c *call) (int, any, error) {
	return h.revoke(c, store.CredentialSession)
}
