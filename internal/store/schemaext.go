package store

import (
	"context"
	"fmt"
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

// ValueTakenError is the error of a write that would give a resource the
// value of an extension attribute declared unique (uniqueness "server")
// that another resource of its type and workspace has. It is an
// ErrAlreadyExists.
type ValueTakenError struct {
	// Attribute is the attribute's name, without its schema's URN.
	Attribute string
}

func (e *ValueTakenError) Error() string {
	return fmt.Sprintf("another resource has that %s: %v", e.Attribute, ErrAlreadyExists)
}

func (e *ValueTakenError) Unwrap() error { return ErrAlreadyExists }

// SchemaStore stores the extension schemas declared for workspaces.
// Every write publishes a ChangeSchemas.
type SchemaStore interface {
	// PutSchemaExtension stores e, replacing the declaration with its
	// URN, whose Created it keeps, and returns it as stored with the
	// one it replaced (nil if none). It fails with ErrAlreadyExists if
	// the URN is declared for another resource type, and with a
	// *ValueTakenError if an attribute declared unique has a value that
	// two resources of the workspace share. From then on, the database
	// refuses a write that would give two resources of the workspace the
	// value of such an attribute, with a *ValueTakenError.
	PutSchemaExtension(ctx context.Context, e SchemaExtension) (stored SchemaExtension, old *SchemaExtension, err error)
	// SchemaExtensions lists a workspace's declarations by resource type
	// and URN.
	SchemaExtensions(ctx context.Context, workspaceID string) ([]SchemaExtension, error)
	// DeleteSchemaExtension deletes the declaration with the URN and
	// returns it; ErrNotFound if there is none. Values stored under it
	// stay in the resources' documents.
	DeleteSchemaExtension(ctx context.Context, workspaceID, urn string) (SchemaExtension, error)
}

// ResourceTypes returns scimd's User and Group types extended with the
// declarations es: the types of the workspace that declared them.
func ResourceTypes(es []SchemaExtension) (user, group *schema.ResourceType) {
	var us, gs []schema.Extension
	for _, e := range es {
		x := schema.Extension{Schema: e.Schema, Required: e.Required}
		if e.ResourceType == schema.GroupType.ID {
			gs = append(gs, x)
		} else {
			us = append(us, x)
		}
	}
	return schema.UserType.Extend(us...), schema.GroupType.Extend(gs...)
}
