package console_test

import (
	"net/http"
	"net/url"
	"testing"
)

func TestCreateWorkspace(t *testing.T) {
	e := newEnv(t)
	e.signIn()
	p := e.post("/admin/workspaces", url.Values{"slug": {"beta"}}).redirects("/admin/workspaces/beta")
	e.follow(p).want(http.StatusOK).has("Created workspace beta.", "<h1>beta ")
	ws := e.apiOK("/workspaces/beta")
	if a := e.audited("workspace.create"); a["status"] != 201.0 || a["target"] != ws["id"] {
		t.Errorf("audit entry %v, want 201 on %v", a, ws["id"])
	}
	e.get("/admin/").want(http.StatusOK).has(`href="/admin/workspaces/acme"`, `href="/admin/workspaces/beta"`)

	// The API's refusals are shown, with the slug kept in the form, and
	// change nothing.
	for _, tt := range []struct {
		slug   string
		status int
		says   string
	}{
		{"acme", http.StatusConflict, "workspace &#34;acme&#34; already exists; choose another slug"},
		{"Not Valid", http.StatusBadRequest, "Not Valid"},
		{"", http.StatusBadRequest, "slug is required"},
	} {
		e.post("/admin/workspaces", url.Values{"slug": {tt.slug}}).want(tt.status).
			has(tt.says, `name="slug" value="`+tt.slug+`"`, `href="/admin/workspaces/beta"`)
		if a := e.audited("workspace.create"); a["status"] != float64(tt.status) {
			t.Errorf("slug %q: audit entry %v, want status %d", tt.slug, a, tt.status)
		}
	}
	if n := len(e.apiOK("/workspaces")["workspaces"].([]any)); n != 2 {
		t.Errorf("%d workspaces after refused creates, want 2", n)
	}
	if n := e.auditCount("workspace.create"); n != 4 {
		t.Errorf("%d workspace.create entries, want 4", n)
	}
}

func TestWorkspacePage(t *testing.T) {
	e := newEnv(t)
	e.signIn()
	p := e.get("/admin/workspaces/acme").want(http.StatusOK).has(
		`<code class="copy">`+scimURL+`</code>`,
		e.acmeID,
		`<td>okta</td><td><code>`+e.scimID+`</code></td><td class="state active">active</td>`,
		`href="/admin/workspaces/acme/tokens/`+e.scimID+`/rotate"`,
		`href="/admin/workspaces/acme/users"`,
		`href="/admin/audit?workspace=acme"`,
	).lacks(e.scim, e.admin)
	// A field for every setting the API has, labelled in words with its
	// key; the lists are edited as rows on a page of their own.
	cfg := e.apiOK("/workspaces/acme/scim-config")
	for k := range cfg {
		if listSettings[k] {
			p.lacks(`name="was.`+k+`"`).has(`<code>`+k+`</code>`, `href="/admin/workspaces/acme/roles"`)
			continue
		}
		p.has(`name="was.` + k + `"`)
	}
	p.has(`<label for="s-deleteMode">Delete mode <code>deleteMode</code></label>`,
		`<select id="s-deleteMode" name="deleteMode"><option selected>soft</option><option>hard</option>`,
		`<select id="s-defaultRole" name="defaultRole"><option selected>viewer</option><option>auditor</option>`,
		`<input type="number" id="s-softDeleteGraceDays" name="softDeleteGraceDays" value="30" min="1" max="3650" step="1" required>`,
		`<input type="number" id="s-seatLimit" name="seatLimit" value="" min="1" step="1" placeholder="none">`,
		`viewer:10,auditor:15,developer:20,editor:25,billing:30,admin:40`)
	if len(cfg) < 15 {
		t.Errorf("scim-config has %d settings: %v", len(cfg), cfg)
	}
}

// listSettings are the settings edited as rows on the roles page, not in
// the configuration form.
var listSettings = map[string]bool{"roles": true, "roleMappings": true, "groupAllowlist": true}

// configForm is the configuration form of the workspace page as a
// browser sends it back unchanged: every setting's value, and the value
// it had, as the page shows them. An unticked checkbox is not sent.
func configForm(e *env) url.Values {
	e.t.Helper()
	form := url.Values{}
	for k, v := range e.apiOK("/workspaces/acme/scim-config") {
		if listSettings[k] {
			continue
		}
		var text string
		switch v := v.(type) {
		case bool:
			text = "false"
			if v {
				text = "true"
				form.Set(k, "true")
			}
		case string:
			text = v
			form.Set(k, v)
		case nil:
			form.Set(k, "")
		default:
			text = jsonText(e, v)
			form.Set(k, text)
		}
		form.Set("was."+k, text)
	}
	return form
}

func TestSaveConfig(t *testing.T) {
	e := newEnv(t)
	e.signIn()

	// Untick createUsers and change defaultRole; meanwhile another
	// operator sets seatLimit through the API, which the form, sent
	// unchanged there, keeps.
	form := configForm(e)
	form.Del("createUsers")
	form.Set("defaultRole", "editor")
	if status, _ := e.api("PATCH", "/workspaces/acme/scim-config", `{"seatLimit": 7}`); status != 200 {
		t.Fatalf("PATCH seatLimit: %d", status)
	}
	p := e.post("/admin/workspaces/acme/config", form).redirects("/admin/workspaces/acme")
	e.follow(p).want(http.StatusOK).has("Saved createUsers, defaultRole.", `<option selected>editor</option>`, `name="seatLimit" value="7"`)
	cfg := e.apiOK("/workspaces/acme/scim-config")
	if cfg["createUsers"] != false || cfg["defaultRole"] != "editor" || cfg["seatLimit"] != 7.0 || cfg["scimEnabled"] != true {
		t.Errorf("config %v", cfg)
	}
	a := e.audited("config.update")
	diff, _ := a["payload"].(map[string]any)["diff"].(map[string]any)
	if a["status"] != 200.0 || len(diff) != 2 || diff["createUsers"] == nil || diff["defaultRole"] == nil {
		t.Errorf("audit entry %v, want a diff of createUsers and defaultRole", a)
	}

	// An empty number is null: none.
	form = configForm(e)
	form.Set("seatLimit", "")
	e.post("/admin/workspaces/acme/config", form).redirects("/admin/workspaces/acme")
	cfg = e.apiOK("/workspaces/acme/scim-config")
	if cfg["seatLimit"] != nil {
		t.Errorf("config %v, want no seat limit", cfg)
	}

	// Sent unchanged, the form changes nothing and calls nothing.
	before := e.auditCount("config.update")
	e.follow(e.post("/admin/workspaces/acme/config", configForm(e)).redirects("/admin/workspaces/acme")).has("Nothing changed.")
	if n := e.auditCount("config.update"); n != before {
		t.Errorf("an unchanged form made %d config.update entries", n-before)
	}
}

// TestSaveConfigRefused: a value the API refuses is shown with the API's
// message, the form keeps what was sent, and nothing changes, not even
// the other settings sent with it.
func TestSaveConfigRefused(t *testing.T) {
	e := newEnv(t)
	e.signIn()
	for _, tt := range []struct {
		key, value, says string
	}{
		{"softDeleteGraceDays", "0", "softDeleteGraceDays 0 must be from 1 to 3650"},
		{"seatLimit", "lots", "field &#34;seatLimit&#34; must not be a JSON string"},
		{"deleteMode", "later", "deleteMode &#34;later&#34; must be &#34;soft&#34; or &#34;hard&#34;"},
	} {
		t.Run(tt.key, func(t *testing.T) {
			before := e.apiOK("/workspaces/acme/scim-config")
			form := configForm(e)
			form.Set("defaultRole", "editor")
			form.Set(tt.key, tt.value)
			e.post("/admin/workspaces/acme/config", form).want(http.StatusBadRequest).has(tt.says, `<option selected>editor</option>`, tt.value)
			after := e.apiOK("/workspaces/acme/scim-config")
			if jsonText(e, before) != jsonText(e, after) {
				t.Errorf("config changed from %v to %v", before, after)
			}
			if a := e.audited("config.update"); a["status"] != 400.0 {
				t.Errorf("audit entry %v, want the refusal", a)
			}
		})
	}
}

// TestHostileSettingEscaped: what a setting holds is shown as text,
// never as markup.
func TestHostileSettingEscaped(t *testing.T) {
	e := newEnv(t)
	e.signIn()
	e.api("PATCH", "/workspaces/acme/scim-config", `{"groupAllowlist": ["<script>alert(1)</script>", "a\"b"]}`)
	if list, _ := e.apiOK("/workspaces/acme/scim-config")["groupAllowlist"].([]any); len(list) != 2 || list[0] != "<script>alert(1)</script>" {
		t.Fatalf("groupAllowlist %v", list)
	}
	for _, page := range []string{"/admin/workspaces/acme", "/admin/workspaces/acme/roles"} {
		e.get(page).want(http.StatusOK).
			has(`&lt;script&gt;alert(1)&lt;/script&gt;`).
			lacks("<script>alert(1)", `\u003cscript`)
	}
	e.get("/admin/audit?action=config.update").want(http.StatusOK).
		has(`&lt;script&gt;alert(1)&lt;/script&gt;`).
		lacks("<script>alert(1)")
}

func TestDeleteWorkspace(t *testing.T) {
	e := newEnv(t)
	u := newUsers(e)
	u.create("ada@acme.test", "")
	u.create("bob@acme.test", "")
	u.create("cyd@acme.test", "")
	u.delete("cyd@acme.test")
	e.api("POST", "/workspaces/acme/users", `{"user_name": "dan@acme.test"}`)
	e.api("POST", "/workspaces/acme/app-tokens", `{"name": "backend"}`)
	e.api("POST", "/workspaces/acme/webhooks", `{"url": "https://example.com/hooks"}`)
	e.api("POST", "/workspaces", `{"slug": "beta"}`)
	e.signIn()

	e.get("/admin/workspaces/acme").want(http.StatusOK).has(`href="/admin/workspaces/acme/delete"`)
	// The page that asks names what goes with the workspace.
	e.get("/admin/workspaces/acme/delete").want(http.StatusOK).has(
		"Delete workspace acme ("+e.acmeID+")?",
		"<li>2 provisioned users, 1 invited user and 1 soft-deleted user, with their API keys and sessions; its groups</li>",
		"<li>1 SCIM token (1 active): its identity providers can no longer connect</li>",
		"<li>1 app token (1 active)",
		"<li>its events, and 1 webhook with the delivery logs",
		"under its id "+e.acmeID, "cannot be undone",
		`action="/admin/workspaces/acme/delete"`, ">Delete acme</button>", `href="/admin/workspaces/acme">Cancel`,
	)
	if status, _ := e.api("GET", "/workspaces/acme", ""); status != http.StatusOK {
		t.Fatalf("the confirmation page deleted the workspace: %d", status)
	}

	p := e.post("/admin/workspaces/acme/delete", nil).redirects("/admin/")
	e.follow(p).want(http.StatusOK).has("Deleted workspace acme; its audit log entries stay, under "+e.acmeID+".", `href="/admin/workspaces/beta"`).
		lacks(`href="/admin/workspaces/acme"`)
	for _, path := range []string{"/workspaces/acme", "/workspaces/acme/tokens", "/workspaces/acme/users/invited"} {
		if status, _ := e.api("GET", path, ""); status != http.StatusNotFound {
			t.Errorf("GET %s after the delete: %d, want 404", path, status)
		}
	}
	if a := e.audited("workspace.delete"); a["status"] != 204.0 || a["target"] != e.acmeID {
		t.Errorf("audit entry %v", a)
	}
	// Its audit log is still there, by its id.
	e.get("/admin/audit?workspace="+e.acmeID).want(http.StatusOK).has("workspace.delete", "user.invite")

	// Gone: the API's 404, on both pages.
	e.get("/admin/workspaces/acme/delete").want(http.StatusNotFound).has("workspace &#34;acme&#34; does not exist")
	e.post("/admin/workspaces/acme/delete", nil).want(http.StatusNotFound).has("workspace &#34;acme&#34; does not exist")
	if n := len(e.apiOK("/workspaces")["workspaces"].([]any)); n != 1 {
		t.Errorf("%d workspaces, want beta alone", n)
	}
}

func TestResetConfig(t *testing.T) {
	e := newEnv(t)
	e.signIn()
	if status, _ := e.api("PATCH", "/workspaces/acme/scim-config", `{"defaultRole": "editor", "seatLimit": 7, "strictMode": true}`); status != 200 {
		t.Fatalf("PATCH: %d", status)
	}
	e.get("/admin/workspaces/acme").want(http.StatusOK).has(`href="/admin/workspaces/acme/config/reset"`)
	e.get("/admin/workspaces/acme/config/reset").want(http.StatusOK).has(
		"Reset the SCIM configuration of workspace acme and disable SCIM?", "get 403 until SCIM is enabled again", "Its tokens are kept",
		`action="/admin/workspaces/acme/config/reset"`, ">Reset and disable SCIM</button>",
	)
	if cfg := e.apiOK("/workspaces/acme/scim-config"); cfg["scimEnabled"] != true || cfg["defaultRole"] != "editor" {
		t.Fatalf("the confirmation page changed the configuration: %v", cfg)
	}

	p := e.post("/admin/workspaces/acme/config/reset", nil).redirects("/admin/workspaces/acme")
	e.follow(p).want(http.StatusOK).has("Reset the SCIM configuration to the defaults; SCIM is disabled.",
		`<option selected>viewer</option>`, `name="seatLimit" value=""`)
	cfg := e.apiOK("/workspaces/acme/scim-config")
	if cfg["scimEnabled"] != false || cfg["defaultRole"] != "viewer" || cfg["seatLimit"] != nil || cfg["strictMode"] != false || cfg["createUsers"] != true {
		t.Errorf("config %v, want the defaults with SCIM disabled", cfg)
	}
	if tk := find(e.apiOK("/workspaces/acme/tokens")["tokens"], "id", e.scimID); tk["state"] != "active" {
		t.Errorf("token %v, want it kept", tk)
	}
	a := e.audited("config.reset")
	if diff, _ := a["payload"].(map[string]any)["diff"].(map[string]any); a["status"] != 200.0 || diff["scimEnabled"] == nil || diff["defaultRole"] == nil {
		t.Errorf("audit entry %v", a)
	}
	e.get("/admin/").want(http.StatusOK).has(`<span class="bad">disabled</span>`)

	e.get("/admin/workspaces/nope/config/reset").want(http.StatusNotFound).has("workspace &#34;nope&#34; does not exist")
	e.post("/admin/workspaces/nope/config/reset", nil).want(http.StatusNotFound).has("workspace &#34;nope&#34; does not exist")
	if a := e.audited("config.reset"); a["status"] != 404.0 {
		t.Errorf("audit entry %v, want the refusal", a)
	}
}
