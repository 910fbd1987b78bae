package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// appTokenRE and adminTokenRE find an app token and an admin token in a
// page.
var (
	appTokenRE   = regexp.MustCompile(`scimd_app_[A-Za-z0-9_-]{40,}`)
	adminTokenRE = regexp.MustCompile(`scimd_admin_[A-Za-z0-9_-]{40,}`)
)

// TestTokenSets: app tokens and admin tokens are listed, created (shown
// once) and revoked on pages of their own, as the API does it.
func TestTokenSets(t *testing.T) {
	for _, tt := range []struct {
		name   string
		noun   string
		page   string // the console's page
		api    string // the API's list
		action string // the audit log's actions, before .create and .revoke
		re     *regexp.Regexp
		shows  string // on the secret page, what the token is for
	}{
		{"app tokens", "app token", "/admin/workspaces/acme/app-tokens", "/workspaces/acme/app-tokens", "app_token", appTokenRE, "the application API"},
		{"admin tokens", "admin token", "/admin/admin-tokens", "/admin-tokens", "admin_token", adminTokenRE, "the admin API"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.signIn()
			e.get(tt.page).want(http.StatusOK).has(`action="`+tt.page+`"`, `name="expires_in"`)

			p := e.post(tt.page, url.Values{"name": {"<b>backend</b>"}, "expires_in": {"30d"}}).want(http.StatusCreated)
			minted := tt.re.FindString(p.body)
			if minted == "" || minted == e.admin {
				t.Fatalf("no new token on the page:\n%s", p.body)
			}
			p.has(`<code class="copy secret">`+minted+`</code>`, "the only time it is shown", tt.shows, "&lt;b&gt;backend&lt;/b&gt;", `href="`+tt.page+`">Back to`).
				lacks("<b>backend</b>", e.admin, e.scim, scimURL)
			tk := find(e.apiOK(tt.api)["tokens"], "name", "<b>backend</b>")
			if tk == nil || tk["state"] != "active" || tk["created_by"] != "admin_token:"+e.adminID {
				t.Fatalf("token %v", tk)
			}
			if exp, _ := time.Parse(time.RFC3339, tk["expires"].(string)); exp.Sub(time.Unix(0, e.now.Load())).Round(time.Minute) != 30*24*time.Hour {
				t.Errorf("token expires %v, want in 30 days", tk["expires"])
			}
			id := tk["id"].(string)
			if a := e.audited(tt.action + ".create"); a["status"] != 201.0 || a["target"] != id {
				t.Errorf("audit entry %v", a)
			}
			// Shown once: the list has it without its secret.
			for _, path := range []string{tt.page, "/admin/audit", tt.page + "/" + id + "/revoke"} {
				e.get(path).want(http.StatusOK).lacks(minted, e.admin)
			}
			e.get(tt.page).has(`<td data-label="Name">&lt;b&gt;backend&lt;/b&gt;</td><td data-label="ID"><code>`+id+`</code></td><td class="state active" data-label="State">active</td>`, " days left</small>",
				`href="`+tt.page+`/`+id+`/revoke"`)

			// Refused: the API's message, the form as it was sent, no
			// token, nothing made.
			before := len(e.apiOK(tt.api)["tokens"].([]any))
			p = e.post(tt.page, url.Values{"name": {"ci"}, "expires_in": {"soon"}}).want(http.StatusBadRequest).
				has("expires_in &#34;soon&#34;: want a duration", `name="name" value="ci"`, `name="expires_in" value="soon"`)
			if tt.re.MatchString(p.body) {
				t.Errorf("a refused create shows a token:\n%s", p.body)
			}
			if n := len(e.apiOK(tt.api)["tokens"].([]any)); n != before {
				t.Errorf("%d tokens after a refused create, want %d", n, before)
			}
			if a := e.audited(tt.action + ".create"); a["status"] != 400.0 {
				t.Errorf("audit entry %v, want the refusal", a)
			}

			// Revoke, after asking.
			path := tt.page + "/" + id + "/revoke"
			e.get(path).want(http.StatusOK).has("Revoke "+tt.noun+" &#34;&lt;b&gt;backend&lt;/b&gt;&#34; ("+id+")", `action="`+path+`"`, ">Revoke</button>", `href="`+tt.page+`">Cancel`)
			if tk := find(e.apiOK(tt.api)["tokens"], "id", id); tk["state"] != "active" {
				t.Fatalf("the confirmation page revoked the token: %v", tk)
			}
			e.follow(e.post(path, nil).redirects(tt.page)).want(http.StatusOK).
				has("Revoked "+tt.noun+" &#34;&lt;b&gt;backend&lt;/b&gt;&#34; ("+id+").", `<td class="state revoked" data-label="State">revoked</td>`).lacks(path)
			if tk := find(e.apiOK(tt.api)["tokens"], "id", id); tk["state"] != "revoked" {
				t.Errorf("token %v, want revoked", tk)
			}
			if a := e.audited(tt.action + ".revoke"); a["status"] != 200.0 || a["target"] != id {
				t.Errorf("audit entry %v", a)
			}
			e.post(tt.page+"/tok_nope/revoke", nil).want(http.StatusNotFound).has("token_not_found", ">Revoke</button>")
			if a := e.audited(tt.action + ".revoke"); a["status"] != 404.0 {
				t.Errorf("audit entry %v, want the refusal", a)
			}
		})
	}
}

// TestAppTokensOfMissingWorkspace: the API's 404, whatever the page.
func TestAppTokensOfMissingWorkspace(t *testing.T) {
	e := newEnv(t)
	e.signIn()
	e.get("/admin/workspaces/nope/app-tokens").want(http.StatusNotFound).has("workspace &#34;nope&#34; does not exist")
	e.post("/admin/workspaces/nope/app-tokens", url.Values{"name": {"x"}}).want(http.StatusNotFound).has("workspace &#34;nope&#34; does not exist")
	e.get("/admin/workspaces/acme").want(http.StatusOK).has(`href="/admin/workspaces/acme/app-tokens"`)
	e.get("/admin/workspaces/acme/app-tokens").want(http.StatusOK).has("No token").lacks(e.scimID)
}

// TestRevokeOwnAdminToken: revoking the admin token one is signed in with
// signs one out at once, and says why; revoking another does not.
func TestRevokeOwnAdminToken(t *testing.T) {
	e := newEnv(t)
	_, ot, err := e.ten.CreateAdminToken(e.ctx, "ci", 0)
	if err != nil {
		t.Fatal(err)
	}
	e.signIn()
	e.get("/admin/admin-tokens").want(http.StatusOK).has(`href="/admin/admin-tokens"`+` aria-current="page">`, e.adminID, ot.ID)
	e.get("/admin/admin-tokens/" + e.adminID + "/revoke").want(http.StatusOK).has("If you are signed in with it, you are signed out.")

	// Another operator's: still signed in.
	e.follow(e.post("/admin/admin-tokens/"+ot.ID+"/revoke", nil).redirects("/admin/admin-tokens")).want(http.StatusOK).has("Revoked admin token &#34;ci&#34;")

	// One's own: signed out, with the reason, and the API refuses it.
	p := e.post("/admin/admin-tokens/"+e.adminID+"/revoke", nil).redirects("/admin/login")
	if ck := sessionCookie(p); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("revoking one's own token sets %v, want the session cookie deleted", ck)
	}
	e.follow(p).want(http.StatusOK).has("Revoked admin token &#34;ops&#34; ("+e.adminID+"). It was the token you were signed in with: sign in with another.", `name="token"`)
	e.get("/admin/").redirects("/admin/login")
	if status, _ := e.api("GET", "/admin-tokens", ""); status != http.StatusUnauthorized {
		t.Errorf("the revoked token: %d, want 401", status)
	}
	// The audit log, read with a token of its own, has the revocation by
	// the token revoked.
	ours := e.admin
	e.admin, _, err = e.ten.CreateAdminToken(e.ctx, "auditor", 0)
	if err != nil {
		t.Fatal(err)
	}
	if a := e.audited("admin_token.revoke"); a["status"] != 200.0 || a["target"] != e.adminID {
		t.Errorf("audit entry %v", a)
	}
	e.post("/admin/login", url.Values{"token": {ours}}).want(http.StatusUnauthorized).has("the admin token has been revoked")
}
