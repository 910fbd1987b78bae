package store

import (
	"context"
	"time"
)

// TenantStore stores workspaces and their tokens.
type TenantStore interface {
	// CreateWorkspace stores a new workspace; ErrAlreadyExists if the slug
	// is taken.
	CreateWorkspace(ctx context.Context, w Workspace) error
	// WorkspaceBySlug returns the workspace with the given slug.
	WorkspaceBySlug(ctx context.Context, slug string) (Workspace, error)
	// Workspaces lists all workspaces ordered by slug.
	Workspaces(ctx context.Context) ([]Workspace, error)

	// CreateToken stores a token.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token whose hash is h within the workspace.
	TokenByHash(ctx context.Context, workspaceID string, h []byte) (Token, error)
}

// Workspace is a tenant: every resource and token belongs to one.
type Workspace struct {
	ID      string
	Slug    string
	Created time.Time
}

// Token is a SCIM bearer token, of which only a keyed hash is stored.
type Token struct {
	ID          string
	WorkspaceID string
	Name        string
	Hash        []byte
	Created     time.Time
	Expires     time.Time // zero: never
}
