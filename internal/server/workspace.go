package server

import (
	"context"
	"net/http"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
)

// allowCreate refuses to create a resource of type rt when the workspace's
// configuration says identity providers may not.
func allowCreate(ctx context.Context, rt *schema.ResourceType) error {
	e := authOf(ctx)
	if rt.ID == schema.UserType.ID && e != nil && !e.workspace.Config.CreateUsers {
		return scimerr.New(http.StatusForbidden, "",
			"creating users through SCIM is disabled for workspace %q (createUsers is false); existing users can still be updated", e.workspace.Slug)
	}
	return nil
}
