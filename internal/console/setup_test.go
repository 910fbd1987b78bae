package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSetupLinkPages: the operator makes, lists and revokes set-up links
// on the workspace's set-up links page; the link's URL is shown once, on
// the host the operator reached.
func TestSetupLinkPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signIn()
	e.get("/admin/workspaces/acme").want(http.StatusOK).has(`href="/admin/workspaces/acme/setup-links"`)
	e.get("/admin/workspaces/acme/setup-links").want(http.StatusOK).has("Set-up links of acme", "No set-up link.")
	e.post("/admin/workspaces/acme/setup-links", url.Values{"name": {"Acme IT"}, "expires_in": {"45d"}}).
		want(http.StatusBadRequest).has("want a duration from 1h to 30d", `value="45d"`)
	p := e.post("/admin/workspaces/acme/setup-links", url.Values{"name": {"Acme IT"}, "expires_in": {"2d"}}).want(http.StatusCreated)
	p.has(e.srv.URL+"/admin/setup?link=scimd_setup_", "the only time it is shown")
	list := e.get("/admin/workspaces/acme/setup-links").want(http.StatusOK).has("Acme IT", "active", "by admin_token:"+e.adminID)
	id := regexp.MustCompile(`tok_[a-z2-7]{16}`).FindString(list.body)
	e.get("/admin/workspaces/acme/setup-links/" + id + "/revoke").want(http.StatusOK).has("Revoke set-up link &#34;Acme IT&#34;")
	e.follow(e.post("/admin/workspaces/acme/setup-links/"+id+"/revoke", nil)).want(http.StatusOK).has("Revoked set-up link", "revoked")
	if n := e.auditCount("setup_link.revoke"); n != 1 {
		t.Errorf("%d setup_link.revoke entries", n)
	}
}

// TestSetupPage: what the set-up page shows and refuses, on the clock:
// a link that expires gets a page that says so, with nothing of the
// workspace; one that is none, a 404; a refused form, the page again
// with the API's message.
func TestSetupPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, link := e.api("POST", "/workspaces/acme/setup-links", `{"expires_in":"1h"}`)
	secret := link["link"].(string)
	page := "/admin/setup?link=" + url.QueryEscape(secret)
	p := e.get(page+"&idp=keycloak").want(http.StatusOK).has("Set up provisioning for acme", scimURL, "okta", "# Keycloak", `<option value="keycloak" selected>`)
	p.lacks("<script", `href="/admin/"`)
	if got := p.header.Get("Content-Security-Policy"); !strings.Contains(got, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", got)
	}
	// Markdown is shown as text: what looks like a tag in it (Keycloak's
	// guide has "Users/<id>") is escaped.
	p.has("Users/&lt;id&gt;").lacks("Users/<id>")
	e.post("/admin/setup/tokens", url.Values{"link": {secret}, "name": {" "}}).want(http.StatusBadRequest).has("a token needs a name", "Set up provisioning for acme")
	e.post("/admin/setup/tokens", url.Values{"name": {"okta"}}).want(http.StatusNotFound).has("This is not a set-up link").lacks("acme")
	// The admin token is no link, and the link no admin token.
	e.get("/admin/setup?link=" + url.QueryEscape(e.admin)).want(http.StatusNotFound).lacks("acme")
	e.get("/admin/?link=" + url.QueryEscape(secret)).redirects("/admin/login")

	e.advance(time.Hour)
	e.get(page).want(http.StatusGone).has("This set-up link no longer works. The set-up link has expired").lacks("acme", scimURL, "okta")
	e.post("/admin/setup/tokens", url.Values{"link": {secret}, "name": {"late"}}).want(http.StatusGone)
}
