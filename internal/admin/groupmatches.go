package admin

import (
	"errors"
	"net/http"
	"strings"

	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// Bounds of a preview of group matches: the groups read, and the groups
// named for each pattern. Each group read costs the queries of its
// nesting, as a listing's do.
const (
	maxMatchGroups = 500
	maxMatchShown  = 20
)

// matchGroups says which groups each role mapping and allowlist entry
// matches, those of the body or else the workspace's (with the roles of
// the body or else the workspace's), checked as a change
// of them would be, with package roles's matching, one pattern at a time.
// It changes nothing.
func matchGroups(h *Handler, c *call) (int, any, error) {
	ctx := c.r.Context()
	w, err := h.workspace(ctx, c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		Roles          *[]roles.Role    `json:"roles"`
		RoleMappings   *[]roles.Mapping `json:"roleMappings"`
		GroupAllowlist *[]string        `json:"groupAllowlist"`
	}
	if err := h.api.Decode(c.w, c.r, &body, true); err != nil {
		return 0, nil, err
	}
	policy := w.Config.Policy()
	if body.Roles != nil {
		policy.Roles = *body.Roles
	}
	if body.RoleMappings != nil {
		policy.Mappings = *body.RoleMappings
	}
	if body.GroupAllowlist != nil {
		policy.Allowlist = *body.GroupAllowlist
	}
	m, err := policy.Matcher()
	if errors.Is(err, roles.ErrInvalid) {
		return 0, nil, badValue("%s", strings.TrimSuffix(err.Error(), ": "+roles.ErrInvalid.Error()))
	}
	if err != nil {
		return 0, nil, err
	}
	page, err := h.store.ListResources(ctx, w.ID, schema.GroupType.ID, store.Query{Count: maxMatchGroups})
	if err != nil {
		return 0, nil, err
	}
	v, err := h.groupViewer(ctx, w)
	if err != nil {
		return 0, nil, err
	}
	out := GroupMatches{RoleMappings: make([]MappingMatch, len(policy.Mappings)), GroupAllowlist: make([]AllowlistMatch, len(policy.Allowlist)),
		Checked: len(page.Resources), Total: page.Total}
	for i, mp := range policy.Mappings {
		out.RoleMappings[i] = MappingMatch{RoleMapping: RoleMapping{Group: mp.Group, ExternalID: mp.ExternalID, Role: mp.Role}, Groups: []GroupMatch{}}
	}
	for i, a := range policy.Allowlist {
		out.GroupAllowlist[i] = AllowlistMatch{Pattern: a, Groups: []GroupMatch{}}
	}
	add := func(count *int, groups *[]GroupMatch, g GroupMatch) {
		if *count++; len(*groups) < maxMatchShown {
			*groups = append(*groups, g)
		}
	}
	for _, r := range page.Resources {
		g, _, err := v.group(ctx, r)
		if err != nil {
			return 0, nil, err
		}
		gp := roles.GroupPaths{Group: roles.Group{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID}, Paths: g.Paths}
		for i := range out.RoleMappings {
			if k := m.Mapping(i, gp); k != "" {
				mm := &out.RoleMappings[i]
				add(&mm.Count, &mm.Groups, GroupMatch{ID: g.ID, DisplayName: g.DisplayName, Matched: k})
			}
		}
		for i := range out.GroupAllowlist {
			if m.Allows(i, g.DisplayName) {
				am := &out.GroupAllowlist[i]
				add(&am.Count, &am.Groups, GroupMatch{ID: g.ID, DisplayName: g.DisplayName})
			}
		}
	}
	return http.StatusOK, out, nil
}
