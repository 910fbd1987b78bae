package console

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/scimd/scimd/client/admin"
)

type teamsData struct {
	Slug string
	admin.TeamList
	// Link is what the link form was sent with, after a refusal.
	Link linkForm
}

type linkForm struct {
	Group, Team, Role string
}

// teamsPage lists the teams a workspace's groups are linked to, with a
// form to link one more.
func teamsPage(q *req) {
	q.showTeams(http.StatusOK, nil, linkForm{})
}

// showTeams renders the teams page, with the error of a refused action
// if there was one, and the link form as it was sent.
func (q *req) showTeams(status int, failed *apiError, link linkForm) {
	slug := q.r.PathValue("slug")
	d := teamsData{Slug: slug, Link: link}
	if e := q.api("GET", admin.Path("workspaces", slug, "teams"), nil, nil, &d.TeamList); e != nil {
		q.failAPI(e)
		return
	}
	q.render(status, "teams", view{Title: "Teams of " + slug, Section: "workspaces", Error: failed, Data: d})
}

// linkTeam links a group, by id or externalId, to a team.
func linkTeam(q *req) {
	if !q.form() {
		return
	}
	slug := q.r.PathValue("slug")
	f := linkForm{
		Group: strings.TrimSpace(q.r.PostForm.Get("group")),
		Team:  strings.TrimSpace(q.r.PostForm.Get("team")),
		Role:  strings.TrimSpace(q.r.PostForm.Get("role")),
	}
	if f.Group == "" {
		q.showTeams(http.StatusBadRequest, &apiError{Status: http.StatusBadRequest, Code: "invalid_value",
			Message: "name the group to link by its id (grp_…) or its externalId"}, f)
		return
	}
	var l admin.TeamLink
	if e := q.api("PUT", admin.Path("workspaces", slug, "groups", f.Group, "team"), nil, map[string]string{"team": f.Team, "role": f.Role}, &l); e != nil {
		q.showTeams(e.Status, e, f)
		return
	}
	q.redirect(workspacePath(slug, "teams"), fmt.Sprintf("Linked %s (%s) to team %s.", l.Group.DisplayName, l.Group.ID, l.Team))
}

// unlinkTeam gives a group its own team back. It can be undone by
// linking again, so it does not ask first.
func unlinkTeam(q *req) {
	if !q.form() {
		return
	}
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	if e := q.api("DELETE", admin.Path("workspaces", slug, "groups", id, "team"), nil, nil, nil); e != nil {
		q.showTeams(e.Status, e, linkForm{})
		return
	}
	q.redirect(workspacePath(slug, "teams"), fmt.Sprintf("Unlinked %s: it is a team of its own again.", id))
}
