package store

import (
	"context"
	"encoding/json"
	"time"
)

// TenantStore stores workspaces and their tokens.
type TenantStore interface {
	// CreateWorkspace stores a new workspace; ErrAlreadyExists if the slug
	// is taken. The zero Config, which is not valid, stands for
	// DefaultWorkspaceConfig().
	CreateWorkspace(ctx context.Context, w Workspace) error
	// WorkspaceBySlug returns the workspace with the given slug.
	WorkspaceBySlug(ctx context.Context, slug string) (Workspace, error)
	// WorkspaceByID returns the workspace with the given id.
	WorkspaceByID(ctx context.Context, id string) (Workspace, error)
	// Workspaces lists all workspaces ordered by slug.
	Workspaces(ctx context.Context) ([]Workspace, error)
	// UpdateWorkspace runs fn on the current workspace inside a
	// transaction and stores the Config it leaves; the other fields are
	// not written. If fn returns an error, nothing is written and the
	// error is returned as is. It returns the workspace as stored and
	// publishes a ChangeWorkspace.
	UpdateWorkspace(ctx context.Context, slug string, fn func(*Workspace) error) (Workspace, error)
	// DeleteWorkspace deletes a workspace with its tokens and resources,
	// and publishes a ChangeWorkspace.
	DeleteWorkspace(ctx context.Context, slug string) error

	// CreateToken stores a token. A Kind of "" is TokenSCIM.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token whose hash is h within the workspace,
	// or among admin tokens when workspaceID is "". Revoked and expired
	// tokens are returned too.
	TokenByHash(ctx context.Context, workspaceID string, h []byte) (Token, error)
	// TokenByID returns a token without its Hash.
	TokenByID(ctx context.Context, id string) (Token, error)
	// Tokens lists the tokens of a workspace, or the admin tokens when
	// workspaceID is "", in creation order and without their Hash.
	Tokens(ctx context.Context, workspaceID string) ([]Token, error)
	// RevokeToken marks a token revoked at the given time, unless it
	// already is, and publishes a ChangeToken.
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// SetTokenExpiry sets when a token expires (zero: never) and
	// publishes a ChangeToken.
	SetTokenExpiry(ctx context.Context, id string, expires time.Time) error
	// TouchTokens records when tokens were last used: each token's
	// LastUsed becomes the later of the stored time and the given one.
	// Unknown ids are ignored, as the token may have been deleted since.
	TouchTokens(ctx context.Context, used map[string]time.Time) error
}

// Workspace is a tenant: every resource and token belongs to one.
type Workspace struct {
	ID      string
	Slug    string
	Created time.Time
	Config  WorkspaceConfig
}

// Token kinds.
const (
	// TokenSCIM authenticates an identity provider to the SCIM
	// endpoints of its workspace.
	TokenSCIM = "scim"
	// TokenAdmin authenticates an administrator of the installation; it
	// belongs to no workspace.
	TokenAdmin = "admin"
	// TokenApp authenticates a workspace's application to the
	// application API, where it issues and verifies its users' API keys
	// and sessions and reads the workspace's events.
	TokenApp = "app"
)

// Token is a bearer token, of which only a keyed hash is stored.
type Token struct {
	ID          string
	Kind        string // TokenSCIM, TokenAdmin or TokenApp
	WorkspaceID string // "" for an admin token
	Name        string
	Hash        []byte
	Created     time.Time
	CreatedBy   string    // who created it, e.g. "cli:alice"
	Expires     time.Time // zero: never
	LastUsed    time.Time // zero: never used
	Revoked     time.Time // zero: not revoked
}

// Event types of workspace tokens' lives, which backends append as they
// write them.
const (
	EventTokenCreated = "token.created"
	EventTokenRevoked = "token.revoked"
	EventTokenRotated = "token.rotated"
)

// TokenEvent returns the event of a workspace token: what it is, never
// its secret or hash.
func TokenEvent(typ string, t Token) NewEvent {
	type tokenJSON struct {
		ID        string     `json:"id"`
		Kind      string     `json:"kind"`
		Name      string     `json:"name"`
		Created   time.Time  `json:"created"`
		CreatedBy string     `json:"createdBy,omitempty"`
		Expires   *time.Time `json:"expires"`
		Revoked   *time.Time `json:"revoked,omitempty"`
	}
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	b, _ := json.Marshal(map[string]any{"token": tokenJSON{t.ID, t.Kind, t.Name, t.Created.UTC(), t.CreatedBy, opt(t.Expires), opt(t.Revoked)}})
	return NewEvent{Type: typ, Subject: t.ID, Data: b}
}
