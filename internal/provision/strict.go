package provision

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
)

// roleGuard enforces strict mode on the writes to one user: no write may
// give the user a role above what its identity provider groups grant.
// The zero guard, for workspaces without strict mode, lets all through.
type roleGuard struct {
	policy *roles.Compiled
	groups []roles.Group
}

// guardRoles returns the guard for writes to the user userID ("" for a
// user being created) of ws. It reads the user's groups before the write,
// which a concurrent change to them may overtake; the reconciliation of
// roles from groups has the last word either way.
func (s *Service) guardRoles(ctx context.Context, ws *store.Workspace, rt *schema.ResourceType, userID string) (roleGuard, error) {
	if rt.ID != schema.UserType.ID || !ws.Config.StrictMode {
		return roleGuard{}, nil
	}
	c, err := ws.Config.Policy().Compile()
	if err != nil {
		return roleGuard{}, scimerr.Internal(err)
	}
	g := roleGuard{policy: c}
	if userID == "" {
		return g, nil
	}
	nodes, err := s.store.UserGroups(ctx, ws.ID, userID)
	if err != nil {
		return g, storeError(rt, userID, err)
	}
	g.groups = RoleInput(nil, nodes).Groups
	return g, nil
}

// RoleInput is what decides a user's roles: the groups it is in, as
// store.AccessStore.UserGroups gives them, and the roles its document
// assigns directly.
func RoleInput(doc map[string]any, groups []store.GroupNode) roles.Input {
	in := roles.Input{Groups: make([]roles.Group, len(groups)), DirectRoles: roleValues(doc)}
	for i, n := range groups {
		in.Groups[i] = roles.Group{ID: n.ID, DisplayName: n.DisplayName, ExternalID: n.ExternalID, Parents: n.Parents,
			Team: n.Team, TeamRole: n.TeamRole}
	}
	return in
}

// check refuses after if it assigns the user a role that before did not
// and that ranks above what the user's groups grant. Roles the user
// already had are left alone, so that an unrelated change to a user whose
// groups changed since is not refused.
func (g roleGuard) check(before, after map[string]any) error {
	if g.policy == nil {
		return nil
	}
	had := roleValues(before)
	var added []string
	for _, r := range roleValues(after) {
		if !slices.ContainsFunc(had, func(h string) bool { return strings.EqualFold(h, r) }) {
			added = append(added, r)
		}
	}
	if len(added) == 0 {
		return nil
	}
	err := g.policy.Check(roles.Input{Groups: g.groups}, added)
	if ee := (*roles.EscalationError)(nil); errors.As(err, &ee) {
		return scimerr.New(http.StatusForbidden, "",
			"strict mode: the user's identity provider groups do not grant role %q (they grant at most %q); assign roles through group membership", ee.Role, ee.Allowed)
	}
	return err
}

// roleValues returns the values of a user's roles attribute.
func roleValues(doc map[string]any) []string {
	list, _ := doc["roles"].([]any)
	var out []string
	for _, r := range list {
		if v, _ := r.(map[string]any)["value"].(string); v != "" {
			out = append(out, v)
		}
	}
	return out
}
