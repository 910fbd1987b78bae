package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
)

// Operators link groups to teams here; package client/admin says what
// a team is.

func teamGroupOut(l store.TeamLink) TeamGroup {
	return TeamGroup{ID: l.GroupID, DisplayName: l.DisplayName, ExternalID: l.ExternalID, Role: l.Role, Linked: l.Updated.UTC()}
}

func listTeams(h *Handler, c *call) (int, any, error) {
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	links, err := h.store.TeamLinks(c.r.Context(), w.ID)
	if err != nil {
		return 0, nil, err
	}
	out := TeamList{Teams: []Team{}, DefaultTeam: w.Config.DefaultTeam, DefaultRole: w.Config.DefaultTeamRole}
	for _, l := range links { // by team
		if n := len(out.Teams); n == 0 || out.Teams[n-1].Key != l.Team {
			out.Teams = append(out.Teams, Team{Key: l.Team})
		}
		t := &out.Teams[len(out.Teams)-1]
		t.Groups = append(t.Groups, teamGroupOut(l))
	}
	return http.StatusOK, out, nil
}

// linkTeam links a group, named by its id or externalId, to a team.
func linkTeam(h *Handler, c *call) (int, any, error) {
	var body struct {
		Team string `json:"team"`
		Role string `json:"role"`
	}
	if err := h.api.Decode(c.w, c.r, &body, false); err != nil {
		return 0, nil, err
	}
	if err := tenant.ValidateTeamLink(body.Team, body.Role); err != nil {
		return 0, nil, err
	}
	w, g, err := h.teamGroup(c)
	if err != nil {
		return 0, nil, err
	}
	l, err := h.store.LinkTeam(c.r.Context(), w.ID, store.TeamLink{GroupID: g, Team: body.Team, Role: body.Role})
	if err != nil {
		return 0, nil, groupErr(c.pathValue("id"), err)
	}
	c.detail("team", l.Team)
	c.detail("role", l.Role)
	return http.StatusOK, TeamLink{Team: l.Team, Role: l.Role, Group: teamGroupOut(l)}, nil
}

// unlinkTeam gives a group its own team back.
func unlinkTeam(h *Handler, c *call) (int, any, error) {
	w, g, err := h.teamGroup(c)
	if err != nil {
		return 0, nil, err
	}
	l, err := h.store.UnlinkTeam(c.r.Context(), w.ID, g)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, &Error{Status: http.StatusNotFound, Code: CodeTeamLinkNotFound,
			Message: fmt.Sprintf("group %s is not linked to a team; GET %s/workspaces/%s/teams lists the links", c.pathValue("id"), Prefix, w.Slug), Err: err}
	}
	if err != nil {
		return 0, nil, err
	}
	c.detail("team", l.Team)
	return http.StatusNoContent, nil, nil
}

// teamGroup finds the workspace and the group of a team link's path: the
// group with the id, or else the one with the externalId.
func (h *Handler) teamGroup(c *call) (store.Workspace, string, error) {
	slug, ref := c.pathValue("slug"), c.pathValue("id")
	w, err := h.workspace(c.r.Context(), slug)
	if err != nil {
		return w, "", err
	}
	c.workspaceID, c.target = w.ID, ref
	id, err := findGroup(c.r.Context(), h.store, w.ID, ref)
	if err != nil {
		return w, "", groupErr(ref, err)
	}
	c.target = id
	return w, id, nil
}

// findGroup returns the id of the workspace's group with the id ref, or
// else with the externalId ref (RFC 7643 §3.1), which the identity
// provider knows it by.
func findGroup(ctx context.Context, st store.Store, ws, ref string) (string, error) {
	_, err := st.Resource(ctx, ws, schema.GroupType.ID, ref, false)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return ref, err
	}
	quoted, err := json.Marshal(ref)
	if err != nil {
		return "", err
	}
	f, err := filter.Parse(schema.GroupType, "externalId eq "+string(quoted))
	if err != nil {
		return "", err
	}
	page, err := st.ListResources(ctx, ws, schema.GroupType.ID, store.Query{Filter: f, Count: 2})
	switch {
	case err != nil:
		return "", err
	case len(page.Resources) == 0:
		return "", fmt.Errorf("group %q: %w", ref, store.ErrNotFound)
	case len(page.Resources) > 1:
		return "", badValue("%d groups have the externalId %q; name the group by its id", page.Total, ref)
	}
	return page.Resources[0].ID, nil
}

// groupErr turns store.ErrNotFound for a group into a 404 that names it.
func groupErr(ref string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: CodeGroupNotFound,
			Message: fmt.Sprintf("the workspace has no group with the id or externalId %q", ref), Err: err}
	}
	return err
}
