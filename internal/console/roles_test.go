package console_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
)

// rolesForm is the roles page's form as a browser sends it back after
// the operator filled in rows: roles name:rank, mappings by, pattern and
// role, allowlist patterns; was holds what the page was given.
func rolesForm(was url.Values, roles [][2]string, mappings [][3]string, allow []string) url.Values {
	f := url.Values{}
	for _, k := range []string{"was.roles", "was.roleMappings", "was.groupAllowlist"} {
		f.Set(k, was.Get(k))
	}
	f.Set("role.rows", itoa(len(roles)))
	for i, r := range roles {
		f.Set("role."+itoa(i)+".name", r[0])
		f.Set("role."+itoa(i)+".rank", r[1])
	}
	f.Set("mapping.rows", itoa(len(mappings)+2)) // and two empty rows
	for i, m := range mappings {
		f.Set("mapping."+itoa(i)+".by", m[0])
		f.Set("mapping."+itoa(i)+".pattern", m[1])
		f.Set("mapping."+itoa(i)+".role", m[2])
	}
	f.Set("allow.rows", itoa(len(allow)))
	for i, a := range allow {
		f.Set("allow."+itoa(i)+".pattern", a)
	}
	return f
}

// TestRolesPage edits role mappings, the allowlist and the roles as rows,
// without JavaScript: a preview of the groups each row matches, more
// rows, removing one, saving only what changed, and the API's refusal
// shown with the rows as sent.
func TestRolesPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := newUsers(e)
	bob := u.create("bob@acme.test", "Bob")
	platform := u.group("Platform", "00g2", bob)
	eng := u.group("Engineering", "00g1", platform)
	sales := u.group("Sales", "00g3")
	e.signIn()

	// No mapping yet: the default roles, and empty rows to fill in.
	p := e.get("/admin/workspaces/acme/roles").want(http.StatusOK).has(
		"Role mappings <code>roleMappings</code>", "Group allowlist <code>groupAllowlist</code>",
		`name="role.0.name" value="viewer"`, `name="role.5.name" value="admin"`, `name="role.6.name" value=""`,
		`name="mapping.0.pattern" value=""`, `name="mapping.rows" value="2"`, `name="allow.rows" value="2"`,
		"among the workspace's 3 groups", `aria-label="Role of row 1"`)
	was := url.Values{}
	for _, k := range []string{"was.roles", "was.roleMappings", "was.groupAllowlist"} {
		was.Set(k, hiddenValue(t, p.body, k))
	}
	defaults := [][2]string{{"viewer", "10"}, {"auditor", "15"}, {"developer", "20"}, {"editor", "25"}, {"billing", "30"}, {"admin", "40"}}

	// Preview: each row with the groups it matches, nothing saved.
	form := rolesForm(was, defaults, [][3]string{{"group", "Eng*", "developer"}, {"externalId", "00g3", "billing"}, {"group", "Nobody", "admin"}}, []string{"*n*"})
	form.Set("action", "preview")
	e.post("/admin/workspaces/acme/roles", form).want(http.StatusOK).has(
		"Not saved yet",
		// Platform is nested in Engineering: Eng* reaches it by its path.
		`<td data-label="Matches"><a href="groups/`+platform+`">Platform</a>, <a href="groups/`+eng+`">Engineering</a></td>`,
		`<td data-label="Matches"><a href="groups/`+sales+`">Sales</a></td>`,
		`<span class="bad">no group</span>`,
		`name="mapping.0.pattern" value="Eng*"`, `<option value="externalId" selected>externalId</option>`)
	if m := e.apiOK("/workspaces/acme/scim-config")["roleMappings"]; m != nil {
		t.Fatalf("a preview saved %v", m)
	}

	// More rows keeps what was typed.
	form.Set("action", "more")
	e.post("/admin/workspaces/acme/roles", form).want(http.StatusOK).has(`name="mapping.rows" value="7"`, `name="mapping.2.pattern" value="Nobody"`)

	// Save: the mappings and the allowlist changed, the roles did not.
	form.Set("action", "save")
	p = e.post("/admin/workspaces/acme/roles", form).redirects("/admin/workspaces/acme/roles")
	e.follow(p).want(http.StatusOK).has("Saved roleMappings, groupAllowlist; the users&#39; roles are recomputed.",
		`name="mapping.0.pattern" value="Eng*"`, `<a href="groups/`+eng+`">Engineering</a>`)
	cfg := e.apiOK("/workspaces/acme/scim-config")
	if jsonText(e, cfg["roleMappings"]) != `[{"group":"Eng*","role":"developer"},{"externalId":"00g3","role":"billing"},{"group":"Nobody","role":"admin"}]` ||
		jsonText(e, cfg["groupAllowlist"]) != `["*n*"]` || cfg["roles"] != nil {
		t.Errorf("config %v", cfg)
	}
	a := e.audited("config.update")
	if diff, _ := a["payload"].(map[string]any)["diff"].(map[string]any); len(diff) != 2 {
		t.Errorf("audit entry %v, want a diff of two settings", a)
	}

	// Removing a row, and a role the mappings do not name.
	p = e.get("/admin/workspaces/acme/roles").want(http.StatusOK)
	for _, k := range []string{"was.roles", "was.roleMappings", "was.groupAllowlist"} {
		was.Set(k, hiddenValue(t, p.body, k))
	}
	form = rolesForm(was, append(defaults[:5:5], [2]string{"owner", "50"}), [][3]string{{"group", "Eng*", "developer"}, {"externalId", "00g3", "billing"}, {"group", "Nobody", "admin"}}, []string{"*n*"})
	form.Set("mapping.2.remove", "true")
	e.post("/admin/workspaces/acme/roles", form).redirects("/admin/workspaces/acme/roles")
	cfg = e.apiOK("/workspaces/acme/scim-config")
	if m, _ := cfg["roleMappings"].([]any); len(m) != 2 || jsonText(e, cfg["roles"]) == "null" {
		t.Errorf("config %v, want 2 mappings and 6 roles with owner", cfg)
	}

	// Refused: a mapping to a role that is not one. The rows stay as
	// sent, with the API's words; nothing changes.
	p = e.get("/admin/workspaces/acme/roles").want(http.StatusOK).has(`<option>owner</option>`)
	for _, k := range []string{"was.roles", "was.roleMappings", "was.groupAllowlist"} {
		was.Set(k, hiddenValue(t, p.body, k))
	}
	before := jsonText(e, e.apiOK("/workspaces/acme/scim-config"))
	form = rolesForm(was, defaults, [][3]string{{"group", "Sales", "wizard"}}, nil)
	e.post("/admin/workspaces/acme/roles", form).want(http.StatusBadRequest).
		has("role &#34;wizard&#34; is not a role", `name="mapping.0.pattern" value="Sales"`, `<option selected>wizard</option>`)
	form = rolesForm(was, [][2]string{{"viewer", "ten"}}, nil, nil)
	e.post("/admin/workspaces/acme/roles", form).want(http.StatusBadRequest).has("rank &#34;ten&#34; is not a whole number", `value="ten"`)
	if after := jsonText(e, e.apiOK("/workspaces/acme/scim-config")); after != before {
		t.Errorf("a refused save changed the config from %s to %s", before, after)
	}

	// Sent unchanged: nothing is sent.
	n := e.auditCount("config.update")
	form = rolesForm(was, append(defaults[:5:5], [2]string{"owner", "50"}), [][3]string{{"group", "Eng*", "developer"}, {"externalId", "00g3", "billing"}}, []string{"*n*"})
	e.follow(e.post("/admin/workspaces/acme/roles", form).redirects("/admin/workspaces/acme/roles")).has("Nothing changed.")
	if e.auditCount("config.update") != n {
		t.Error("an unchanged form changed the config")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// hiddenValue returns the value of the hidden field name in a page.
func hiddenValue(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<input type="hidden" name="` + regexp.QuoteMeta(name) + `" value="([^"]*)">`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no hidden field %s", name)
	}
	return html.UnescapeString(m[1])
}
