package provision

import (
	"context"
	"errors"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
)

// managerOf returns the id a user document gives as its manager's, or "".
func managerOf(doc map[string]any) string {
	ext, _ := doc[schema.EnterpriseUserURN].(map[string]any)
	m, _ := ext["manager"].(map[string]any)
	v, _ := m["value"].(string)
	return v
}

// checkManager refuses a manager that is not a user of the workspace:
// RFC 7643 §4.3 makes manager.value the id of the manager's User
// resource. A manager the user had before is let through, so that an
// unrelated change to a user whose manager has gone since is not
// refused.
func (s *Service) checkManager(ctx context.Context, ws *store.Workspace, before, after map[string]any) error {
	v := managerOf(after)
	if v == "" || v == managerOf(before) {
		return nil
	}
	_, err := s.store.Resource(ctx, ws.ID, schema.UserType.ID, v, false)
	if errors.Is(err, store.ErrNotFound) {
		return scimerr.BadRequest(scimerr.InvalidValue,
			"manager.value %q is not the id of a user of this workspace; give the id of the manager's User resource", v)
	}
	return storeError(schema.UserType, v, err)
}
