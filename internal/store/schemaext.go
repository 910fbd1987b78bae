package store

import (
	"context"
	"time"

	"github.com/scimd/scimd/internal/schema"
)

// SchemaExtension is an extension schema an operator declared for a
// workspace's resource type (RFC 7643 §3.3 and §6 schemaExtensions).
type SchemaExtension struct {
	WorkspaceID string
	// ResourceType is the schema.ResourceType ID it extends: "User" or
	// "Group".
	ResourceType string
	// Schema is the declaration, as schema.ParseDocument made it; its ID
	// is the extension's URN, unique per workspace compared
	// case-insensitively.
	Schema *schema.Schema
	// Required makes resources of the type invalid without it.
	Required bool
	Created  time.Time
	Updated  time.Time
}

// SchemaStore stores the extension schemas declared for workspaces.
// Every write publishes a ChangeSchemas.
type SchemaStore interface {
	// PutSchemaExtension stores e, replacing the declaration with its
	// URN, whose Created it keeps, and returns it as stored with the
	// one it replaced (nil if none). It fails with ErrAlreadyExists if
	// the URN is declared for another resource type.
	PutSchemaExtension(ctx context.Context, e SchemaExtension) (stored SchemaExtension, old *SchemaExtension, err error)
	// SchemaExtensions lists a workspace's declarations by resource type
	// and URN.
	SchemaExtensions(ctx context.Context, workspaceID string) ([]SchemaExtension, error)
	// DeleteSchemaExtension deletes the declaration with the URN and
	// returns it; ErrNotFound if there is none. Values stored under it
	// stay in the resources' documents.
	DeleteSchemaExtension(ctx context.Context, workspaceID, urn string) (SchemaExtension, error)
}
