package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// maxAncestors bounds the groups read above one group, so that a tangled
// nesting costs bounded work.
const maxAncestors = 256

// groupViewer reads groups with what they give their members under a
// workspace's policy, remembering the groups it read for the rest of the
// request.
type groupViewer struct {
	st     store.Store
	ws     store.Workspace
	policy *roles.Compiled
	links  map[string]store.TeamLink  // by group id
	nodes  map[string]roles.Group     // by id, with Parents
	read   map[string]*store.Resource // parents read, by id
}

func (h *Handler) groupViewer(ctx context.Context, w store.Workspace) (*groupViewer, error) {
	policy, err := w.Config.Policy().Compile()
	if err != nil {
		return nil, fmt.Errorf("workspace %s: %w", w.Slug, err)
	}
	links, err := h.store.TeamLinks(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	v := &groupViewer{st: h.store, ws: w, policy: policy, links: make(map[string]store.TeamLink, len(links)), nodes: map[string]roles.Group{}}
	for _, l := range links {
		v.links[l.GroupID] = l
	}
	return v, nil
}

// node returns a group as package roles sees it, with its parents: the
// groups that have it as a member.
func (v *groupViewer) node(ctx context.Context, r *store.Resource) (roles.Group, error) {
	if g, ok := v.nodes[r.ID]; ok {
		return g, nil
	}
	g := roles.Group{ID: r.ID}
	g.DisplayName, _ = r.Doc["displayName"].(string)
	g.ExternalID, _ = r.Doc["externalId"].(string)
	if l, ok := v.links[r.ID]; ok {
		g.Team, g.TeamRole = l.Team, l.Role
	}
	quoted, err := json.Marshal(r.ID)
	if err != nil {
		return g, err
	}
	f, err := filter.Parse(schema.GroupType, "members.value eq "+string(quoted))
	if err != nil {
		return g, err
	}
	// The store has no query for a group's parents: the filter finds
	// them, a page of the most a directory nests one group in.
	page, err := v.st.ListResources(ctx, v.ws.ID, schema.GroupType.ID, store.Query{Filter: f, Count: maxAncestors})
	if err != nil {
		return g, fmt.Errorf("parents of group %s: %w", r.ID, err)
	}
	for _, p := range page.Resources {
		g.Parents = append(g.Parents, p.ID)
		if _, ok := v.nodes[p.ID]; !ok {
			v.pending(p)
		}
	}
	v.nodes[r.ID] = g
	return g, nil
}

// pending keeps a parent read by node, for ancestors to find without
// reading it again.
func (v *groupViewer) pending(r *store.Resource) {
	if v.read == nil {
		v.read = map[string]*store.Resource{}
	}
	v.read[r.ID] = r
}

// name returns the displayName of a group read.
func (v *groupViewer) name(id string) string {
	if g, ok := v.nodes[id]; ok {
		return g.DisplayName
	}
	if r, ok := v.read[id]; ok {
		name, _ := r.Doc["displayName"].(string)
		return name
	}
	return ""
}

// ancestors returns the groups above g, each once.
func (v *groupViewer) ancestors(ctx context.Context, g roles.Group) ([]roles.Group, error) {
	var out []roles.Group
	seen := map[string]bool{g.ID: true}
	queue := append([]string(nil), g.Parents...)
	for len(queue) > 0 && len(out) < maxAncestors {
		id := queue[0]
		queue = queue[1:]
		if seen[id] {
			continue
		}
		seen[id] = true
		r, ok := v.read[id]
		if !ok {
			var err error
			if r, err = v.st.Resource(ctx, v.ws.ID, schema.GroupType.ID, id, false); errors.Is(err, store.ErrNotFound) {
				continue // deleted meanwhile
			} else if err != nil {
				return nil, err
			}
		}
		p, err := v.node(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
		queue = append(queue, p.Parents...)
	}
	return out, nil
}

// group returns a group as the API shows it, and why it grants its roles.
func (v *groupViewer) group(ctx context.Context, r *store.Resource) (Group, roles.Explanation, error) {
	g, err := v.node(ctx, r)
	if err != nil {
		return Group{}, roles.Explanation{}, err
	}
	up, err := v.ancestors(ctx, g)
	if err != nil {
		return Group{}, roles.Explanation{}, err
	}
	x := v.policy.Explain(roles.Input{Groups: append([]roles.Group{g}, up...)})
	out := Group{
		ID: r.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, MemberCount: len(r.Members),
		Synced: x.Paths[0].Synced, Roles: x.GroupRoles(), Paths: x.Paths[0].Paths, Parents: []GroupRef{},
		Created: r.Created.UTC(), LastModified: r.LastModified.UTC(),
	}
	if out.Paths == nil {
		out.Paths = []string{}
	}
	if g.Team != "" {
		out.Team = &GroupTeam{Key: g.Team, Role: g.TeamRole}
	}
	for _, id := range g.Parents {
		out.Parents = append(out.Parents, GroupRef{ID: id, DisplayName: v.name(id)})
	}
	return out, x, nil
}

// listGroups lists a workspace's groups in creation order, a page at a
// time, each with its member count, roles, team and nesting.
func listGroups(h *Handler, c *call) (int, any, error) {
	ctx := c.r.Context()
	w, err := h.workspace(ctx, c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	q, err := h.listQuery(c, schema.GroupType)
	if err != nil {
		return 0, nil, err
	}
	// Members are loaded to be counted: the store has no count of them.
	q.Load = true
	page, err := h.store.ListResources(ctx, w.ID, schema.GroupType.ID, q)
	if errors.Is(err, store.ErrInvalidCursor) {
		return 0, nil, newError(http.StatusBadRequest, CodeInvalidCursor, "the cursor is not one this listing issued; start again without it")
	}
	if err != nil {
		return 0, nil, err
	}
	v, err := h.groupViewer(ctx, w)
	if err != nil {
		return 0, nil, err
	}
	out := GroupPage{Groups: make([]Group, len(page.Resources)), Total: page.Total, NextCursor: page.NextCursor}
	for i, r := range page.Resources {
		if out.Groups[i], _, err = v.group(ctx, r); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusOK, out, nil
}

// getGroup shows a group, named by its id or externalId, with a page of
// its direct members.
func getGroup(h *Handler, c *call) (int, any, error) {
	ctx := c.r.Context()
	w, err := h.workspace(ctx, c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	limit, err := parseLimit(c.query("limit"), 100, 1000)
	if err != nil {
		return 0, nil, err
	}
	start := 0
	if cur := c.query("cursor"); cur != "" {
		if start, err = strconv.Atoi(cur); err != nil || start < 0 {
			return 0, nil, newError(http.StatusBadRequest, CodeInvalidCursor, "the cursor is not one this group's members issued; start again without it")
		}
	}
	ref := c.pathValue("id")
	id, err := findGroup(ctx, h.store, w.ID, ref)
	if err != nil {
		return 0, nil, groupErr(ref, err)
	}
	// The store reads all members at once; the page is cut from them.
	r, err := h.store.Resource(ctx, w.ID, schema.GroupType.ID, id, true)
	if err != nil {
		return 0, nil, groupErr(ref, err)
	}
	v, err := h.groupViewer(ctx, w)
	if err != nil {
		return 0, nil, err
	}
	g, x, err := v.group(ctx, r)
	if err != nil {
		return 0, nil, err
	}
	out := GroupDetail{Group: g, Grants: []RoleGrant{}, Members: []GroupMember{}}
	for _, gr := range x.Grants {
		if gr.Source == roles.SourceGroup {
			out.Grants = append(out.Grants, grantOut(gr))
		}
	}
	start = min(start, len(r.Members))
	end := min(start+limit, len(r.Members))
	for _, m := range r.Members[start:end] {
		out.Members = append(out.Members, GroupMember{ID: m.Value, Type: m.Type, Display: m.Display})
	}
	if end < len(r.Members) {
		out.NextCursor = strconv.Itoa(end)
	}
	return http.StatusOK, out, nil
}

func grantOut(g roles.Grant) RoleGrant {
	return RoleGrant{Role: g.Role, Source: g.Source, GroupID: g.GroupID, GroupName: g.GroupName, Mapping: g.Mapping, Matched: g.Matched, Why: g.String()}
}

func refusalOut(r roles.Refusal) RoleRefusal {
	return RoleRefusal{Role: r.Role, Reason: r.Reason, GroupID: r.GroupID, GroupName: r.GroupName, Mapping: r.Mapping, Matched: r.Matched, Why: r.String()}
}
