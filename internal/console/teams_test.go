package console_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/scimd/scimd/internal/schema"
)

func TestTeamsPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := newUsers(e)
	ws, err := e.st.WorkspaceBySlug(e.ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	g, err := u.svc.Create(e.ctx, &ws, schema.GroupType, map[string]any{"displayName": "<b>Engineering</b>", "externalId": "00g1"})
	if err != nil {
		t.Fatal(err)
	}
	e.signIn()

	e.get("/admin/workspaces/acme").want(http.StatusOK).has(`href="/admin/workspaces/acme/teams"`)
	e.get("/admin/workspaces/acme/teams").want(http.StatusOK).has("No group is linked to a team", "<code>member</code>")

	// Linked by externalId, the group is listed under the team, by name.
	p := e.post("/admin/workspaces/acme/teams", url.Values{"group": {"00g1"}, "team": {"eng"}, "role": {"lead"}}).
		redirects("/admin/workspaces/acme/teams")
	e.follow(p).want(http.StatusOK).has("Linked &lt;b&gt;Engineering&lt;/b&gt; ("+g.Resource.ID+") to team eng.",
		"<code>eng</code>", g.Resource.ID, "00g1", "<td>lead</td>", `action="/admin/workspaces/acme/teams/`+g.Resource.ID+`/unlink"`).lacks("<b>Engineering")
	if l := e.apiOK("/workspaces/acme/teams"); find(l["teams"], "key", "eng") == nil {
		t.Errorf("the API lists no team eng: %v", l)
	}
	if a := e.audited("group.team_link"); a["target"] != g.Resource.ID {
		t.Errorf("audit entry of the link: %v", a)
	}

	// Refusals are the API's, with the form kept.
	e.post("/admin/workspaces/acme/teams", url.Values{"group": {"grp_nope"}, "team": {"eng"}}).want(http.StatusNotFound).
		has("group_not_found", `value="grp_nope"`)
	e.post("/admin/workspaces/acme/teams", url.Values{"group": {g.Resource.ID}, "team": {"-eng"}}).want(http.StatusBadRequest).
		has("invalid_value", `value="-eng"`)
	e.post("/admin/workspaces/acme/teams", url.Values{"team": {"eng"}}).want(http.StatusBadRequest).has("name the group to link")

	// Unlinked, it is a team of its own again.
	e.follow(e.post("/admin/workspaces/acme/teams/"+g.Resource.ID+"/unlink", nil)).want(http.StatusOK).
		has("Unlinked "+g.Resource.ID, "No group is linked to a team")
	e.post("/admin/workspaces/acme/teams/"+g.Resource.ID+"/unlink", nil).want(http.StatusNotFound).has("team_link_not_found")
}
