package console_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/scimd/scimd/internal/store"
)

// TestGroupAndUserPages provisions a nested directory and reads it back
// in the console: the groups page, a group's page, and a user's page with
// its roles, why, and what verification answers.
func TestGroupAndUserPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := newUsers(e)
	bob := u.create("bob@acme.test", "<i>Bob</i>")
	ws, err := e.st.WorkspaceBySlug(e.ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	platform := u.group("Platform", "", bob)
	eng := u.group("Engineering", "", platform)
	admins := u.group("<b>Admins</b>", "", bob)
	if st, m := e.api("PATCH", "/workspaces/acme", `{"config": {"roleMappings": [{"group": "Engineering", "role": "developer"}, {"group": "<b>Admins</b>", "role": "admin"}], "groupAllowlist": ["Engineering", "Platform"]}}`); st != http.StatusOK {
		t.Fatalf("set role mappings: %d %v", st, m)
	}
	e.signIn()

	e.get("/admin/workspaces/acme").want(http.StatusOK).has(`href="/admin/workspaces/acme/groups"`)
	e.get("/admin/workspaces/acme/groups").want(http.StatusOK).
		has(`href="/admin/workspaces/acme/groups/`+platform+`"`, "3 groups match", "<code>engineering/platform</code>",
			"&lt;b&gt;Admins&lt;/b&gt;", "(not in groupAllowlist)").lacks("<b>Admins")
	e.get("/admin/workspaces/acme/groups?filter="+url.QueryEscape(`displayName eq "Engineering"`)).want(http.StatusOK).
		has("1 groups match", eng).lacks(platform)
	e.get("/admin/workspaces/acme/groups?filter=" + url.QueryEscape("displayName zz 1")).want(http.StatusBadRequest).has("invalid_parameter")

	e.get("/admin/workspaces/acme/groups/"+platform).want(http.StatusOK).
		has("<h1>Platform</h1>", `href="/admin/workspaces/acme/groups/`+eng+`">Engineering</a>`,
			"<strong>developer</strong>: role mapping &#34;engineering&#34; matches &#34;engineering&#34; of group &#34;Platform&#34;",
			`href="/admin/workspaces/acme/users/`+bob+`"`)
	e.get("/admin/workspaces/acme/groups/grp_nope").want(http.StatusNotFound).has("group_not_found")

	e.get("/admin/workspaces/acme/users/"+bob).want(http.StatusOK).
		has("<h1>bob@acme.test</h1>", "&lt;i&gt;Bob&lt;/i&gt;", "<dt>Seat</dt><dd>takes one of the workspace's seats (no seat limit)</dd>",
			"<strong>developer</strong>: role mapping &#34;engineering&#34; matches &#34;engineering&#34; of group &#34;Engineering&#34;",
			"<s>admin</s>: not granted: role mapping",
			"<strong>valid</strong>", "is active: its API keys and sessions",
			`href="/admin/workspaces/acme/groups/`+admins+`"`, "through nesting",
			"None: the application has issued none.",
			"/admin/audit?workspace=acme&amp;target="+bob).lacks("<i>Bob")
	e.get("/admin/workspaces/acme/users/usr_nope").want(http.StatusNotFound).has("user_not_found")

	// The user list links to the page and shows roles as computed.
	if _, err := e.st.SetUserRoles(e.ctx, ws.ID, bob, store.UserRoles{Roles: []string{"developer", "billing"}}, func(store.UserRoles, bool) store.Effects {
		return store.Effects{Events: []store.NewEvent{store.NewEvent{Type: "user.roles_changed", Subject: bob, Data: []byte("{}")}}}
	}); err != nil {
		t.Fatal(err)
	}
	e.get("/admin/workspaces/acme/users").want(http.StatusOK).has(`href="/admin/workspaces/acme/users/`+bob+`"`, "<th>Roles</th>", "<td>developer, billing</td>")
}
