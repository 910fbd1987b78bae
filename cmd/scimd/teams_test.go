package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestTeams links a group to a team through the admin API, on SQLite and
// on PostgreSQL, and follows the team through /v1/verify and the event
// feed while the identity provider renames the group.
func TestTeams(t *testing.T) {
	t.Parallel()
	for _, backend := range []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "scimd.db") }},
		{"postgres", testDB},
	} {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			testTeams(t, backend.db(t))
		})
	}
}

func testTeams(t *testing.T, db string) {
	const secret = "the installation secret of the teams, at least 32 bytes"
	srv, scimToken := serveFirstRun(t, db, secret)
	root := strings.TrimSuffix(srv.url, "/scim/v2")
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	idp := caller{base: srv.url, token: scimToken, header: http.Header{"Content-Type": {"application/scim+json"}}}
	admin := caller{base: root + "/admin/v1", token: runScimd(t, secret, "admin-token", "create", "--name", "ops", "--db", db), header: jsonHeader}
	appToken := admin.must(t, http.StatusCreated, "POST", "/workspaces/default/app-tokens", map[string]any{"name": "app"})["token"].(string)
	app := caller{base: root + "/v1", token: appToken, header: jsonHeader}

	ada := idp.must(t, http.StatusCreated, "POST", "/Users", map[string]any{"schemas": []any{userURN}, "userName": "ada@example.com"})["id"].(string)
	eng := idp.must(t, http.StatusCreated, "POST", "/Groups", map[string]any{
		"schemas": []any{groupURN}, "displayName": "Engineering", "externalId": "00g1",
		"members": []any{map[string]any{"value": ada}},
	})["id"].(string)
	key := app.issue(t, ada, "api-keys", map[string]any{"name": "ci"})
	teams := func() string {
		t.Helper()
		v := app.verify(t, key.secret)
		var out []string
		for _, tm := range v.User.Teams {
			out = append(out, tm.Key+"="+tm.Role)
		}
		return strings.Join(out, " ")
	}

	// A new group is a team of its own, named after it.
	if got := teams(); got != "group:engineering=member" {
		t.Fatalf("teams before any link: %s", got)
	}
	if l := admin.must(t, http.StatusOK, "GET", "/workspaces/default/teams", nil); fmt.Sprint(l["teams"]) != "[]" || l["default_role"] != "member" || l["default_team"] != "" {
		t.Errorf("teams before any link: %v", l)
	}

	// Linked by its externalId, with a role of its own.
	after := feedHead(t, app)
	l := admin.must(t, http.StatusOK, "PUT", "/workspaces/default/groups/00g1/team", map[string]any{"team": "eng", "role": "lead"})
	if g, _ := l["group"].(map[string]any); l["team"] != "eng" || l["role"] != "lead" || g["id"] != eng || g["display_name"] != "Engineering" {
		t.Errorf("link: %v", l)
	}
	if got := teams(); got != "eng=lead" {
		t.Errorf("teams once linked: %s", got)
	}
	teamIs := func(want string) func(map[string]any) bool {
		return func(data map[string]any) bool {
			a, _ := data["after"].(map[string]any)
			return fmt.Sprint(a["teams"]) == want
		}
	}
	awaitEvent(t, app, after, "user.roles_changed", ada, teamIs("[map[key:eng role:lead]]"))

	// Renamed by the identity provider, the group keeps its team; its
	// group key follows the name.
	idp.must(t, http.StatusNoContent, "PATCH", "/Groups/"+eng, patchOp(map[string]any{"op": "replace", "path": "displayName", "value": "Eng Dept"}))
	if got, v := teams(), app.verify(t, key.secret); got != "eng=lead" || fmt.Sprint(v.User.Groups) != "[group:eng dept]" {
		t.Errorf("after a rename: teams %s, groups %v", got, v.User.Groups)
	}
	list := admin.must(t, http.StatusOK, "GET", "/workspaces/default/teams", nil)
	if !strings.Contains(fmt.Sprint(list["teams"]), "display_name:Eng Dept") || !strings.Contains(fmt.Sprint(list["teams"]), "key:eng") {
		t.Errorf("teams after a rename: %v", list["teams"])
	}

	// Linked again, by id, to another team with the default role.
	after = feedHead(t, app)
	admin.must(t, http.StatusOK, "PUT", "/workspaces/default/groups/"+eng+"/team", map[string]any{"team": "platform"})
	if got := teams(); got != "platform=member" {
		t.Errorf("teams once relinked: %s", got)
	}
	awaitEvent(t, app, after, "user.roles_changed", ada, teamIs("[map[key:platform role:member]]"))

	// Unlinked, the group is a team of its own again, under its name now.
	admin.must(t, http.StatusNoContent, "DELETE", "/workspaces/default/groups/00g1/team", nil)
	if got := teams(); got != "group:eng dept=member" {
		t.Errorf("teams once unlinked: %s", got)
	}

	for _, tt := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"PUT", "/workspaces/default/groups/grp_nope/team", map[string]any{"team": "eng"}, http.StatusNotFound, "group_not_found"},
		{"PUT", "/workspaces/default/groups/" + ada + "/team", map[string]any{"team": "eng"}, http.StatusNotFound, "group_not_found"},
		{"PUT", "/workspaces/nope/groups/" + eng + "/team", map[string]any{"team": "eng"}, http.StatusNotFound, "workspace_not_found"},
		{"PUT", "/workspaces/default/groups/" + eng + "/team", map[string]any{}, http.StatusBadRequest, "invalid_value"},
		{"PUT", "/workspaces/default/groups/" + eng + "/team", map[string]any{"team": "-eng"}, http.StatusBadRequest, "invalid_value"},
		{"PUT", "/workspaces/default/groups/" + eng + "/team", map[string]any{"team": "eng", "role": strings.Repeat("x", 65)}, http.StatusBadRequest, "invalid_value"},
		{"PUT", "/workspaces/default/groups/" + eng + "/team", map[string]any{"team": "eng", "rank": 1}, http.StatusBadRequest, "invalid_json"},
		{"DELETE", "/workspaces/default/groups/" + eng + "/team", nil, http.StatusNotFound, "team_link_not_found"},
	} {
		res := admin.send(t, tt.method, tt.path, tt.body)
		e, _ := res.body["error"].(map[string]any)
		if res.status != tt.status || e["code"] != tt.code {
			t.Errorf("%s %s %v: %d %s; want %d %s", tt.method, tt.path, tt.body, res.status, res.raw, tt.status, tt.code)
		}
	}
	if got := teams(); got != "group:eng dept=member" {
		t.Errorf("teams after refused requests: %s", got)
	}
}

// TestTeamCommands links, lists and unlinks teams with the command line,
// on the database and on a server.
func TestTeamCommands(t *testing.T) {
	bothWays(t, func(t *testing.T, s *testServer, c *cli) {
		idp := caller{base: s.url + "/scim/v2", token: s.scim, header: http.Header{"Content-Type": {"application/scim+json"}}}
		eng := idp.must(t, http.StatusCreated, "POST", "/Groups", map[string]any{
			"schemas": []any{groupURN}, "displayName": "Engineering", "externalId": "00g1"})["id"].(string)
		idp.must(t, http.StatusCreated, "POST", "/Groups", map[string]any{"schemas": []any{groupURN}, "displayName": "Platform", "externalId": "00g2"})

		if out := c.must("team", "list", "--workspace", "default"); !strings.Contains(out, "no group is linked") {
			t.Errorf("team list before any link:\n%s", out)
		}
		if out := c.must("team", "link", "--workspace", "default", eng, "--team", "eng", "--role", "lead"); !strings.Contains(out, `linked group `+eng+` "Engineering" to team eng as lead`) {
			t.Errorf("team link:\n%s", out)
		}
		// By externalId; flags may come after the group.
		c.must("team", "link", "00g2", "--workspace", "default", "--team", "eng")
		out := c.must("team", "list", "--workspace", "default")
		for _, want := range []string{"TEAM", "eng", eng, "Engineering", "00g1", "lead", "Platform", "member (default)"} {
			if !strings.Contains(out, want) {
				t.Errorf("team list lacks %q:\n%s", want, out)
			}
		}
		if out := c.must("team", "unlink", "--workspace", "default", "00g1"); !strings.Contains(out, "unlinked group 00g1") {
			t.Errorf("team unlink:\n%s", out)
		}
		if out := c.must("team", "list", "--workspace", "default"); strings.Contains(out, "Engineering") || !strings.Contains(out, "Platform") {
			t.Errorf("team list after unlinking Engineering:\n%s", out)
		}
		c.fails("usage: scimd team link --workspace SLUG GROUP --team KEY", "team", "link", "--workspace", "default", eng)
		c.fails(`the workspace has no group with the id or externalId "grp_nope"`, "team", "link", "--workspace", "default", "grp_nope", "--team", "eng")
		c.fails("is not linked to a team", "team", "unlink", "--workspace", "default", eng)
		c.fails(`team "-x" must be a team key`, "team", "link", "--workspace", "default", eng, "--team", "-x")
	})
}
