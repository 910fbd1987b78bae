package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// scimTokenRE finds a SCIM token in a page.
var scimTokenRE = regexp.MustCompile(`scim_[A-Za-z0-9_-]{40,}`)

func TestCreateToken(t *testing.T) {
	e := newEnv(t)
	e.signIn()
	p := e.post("/admin/workspaces/acme/tokens", url.Values{"name": {"entra"}, "expires_in": {"90d"}}).want(http.StatusCreated)
	minted := scimTokenRE.FindString(p.body)
	if minted == "" || minted == e.scim {
		t.Fatalf("no new token on the page:\n%s", p.body)
	}
	p.has(`<code class="copy secret">`+minted+`</code>`, "the only time it is shown", scimURL).lacks(e.admin)
	tk := find(e.apiOK("/workspaces/acme/tokens")["tokens"], "name", "entra")
	if tk == nil || tk["state"] != "active" || tk["created_by"] != "admin_token:"+e.adminID {
		t.Fatalf("token %v", tk)
	}
	if exp, _ := time.Parse(time.RFC3339, tk["expires"].(string)); exp.Sub(time.Unix(0, e.now.Load())).Round(time.Minute) != 90*24*time.Hour {
		t.Errorf("token expires %v, want in 90 days", tk["expires"])
	}
	p.has(tk["id"].(string))
	if a := e.audited("token.create"); a["status"] != 201.0 || a["target"] != tk["id"] {
		t.Errorf("audit entry %v", a)
	}
	// Shown once: no other page has it.
	for _, path := range []string{"/admin/workspaces/acme", "/admin/", "/admin/audit", "/admin/workspaces/acme/tokens/" + tk["id"].(string) + "/rotate"} {
		e.get(path).want(http.StatusOK).lacks(minted, e.admin)
	}

	// Without a lifetime, the installation's.
	e.post("/admin/workspaces/acme/tokens", url.Values{"name": {"onelogin"}}).want(http.StatusCreated)
	if tk := find(e.apiOK("/workspaces/acme/tokens")["tokens"], "name", "onelogin"); tk == nil || tk["state"] != "active" {
		t.Errorf("token %v", tk)
	}

	// Refused: the API's message, the form as it was sent, no token.
	p = e.post("/admin/workspaces/acme/tokens", url.Values{"name": {"jumpcloud"}, "expires_in": {"soon"}}).want(http.StatusBadRequest).
		has("expires_in &#34;soon&#34;: want a duration", `name="name" value="jumpcloud"`, `name="expires_in" value="soon"`)
	if scimTokenRE.MatchString(p.body) {
		t.Errorf("a refused create shows a token:\n%s", p.body)
	}
	if n := len(e.apiOK("/workspaces/acme/tokens")["tokens"].([]any)); n != 3 {
		t.Errorf("%d tokens, want 3", n)
	}
	if a := e.audited("token.create"); a["status"] != 400.0 {
		t.Errorf("audit entry %v, want the refusal", a)
	}
	e.post("/admin/workspaces/nope/tokens", url.Values{"name": {"x"}}).want(http.StatusNotFound).has("workspace &#34;nope&#34; does not exist")
}

func TestRevokeToken(t *testing.T) {
	e := newEnv(t)
	e.signIn()
	path := "/admin/workspaces/acme/tokens/" + e.scimID + "/revoke"
	e.get(path).want(http.StatusOK).has(`action="`+path+`"`, ">Revoke</button>", `href="/admin/workspaces/acme">Cancel`)
	p := e.post(path, nil).redirects("/admin/workspaces/acme")
	e.follow(p).want(http.StatusOK).has(`Revoked token &#34;okta&#34; (`+e.scimID+`).`, `<td class="state revoked">revoked</td>`).lacks(path)
	if tk := find(e.apiOK("/workspaces/acme/tokens")["tokens"], "id", e.scimID); tk["state"] != "revoked" {
		t.Errorf("token %v", tk)
	}
	if a := e.audited("token.revoke"); a["status"] != 200.0 || a["target"] != e.scimID {
		t.Errorf("audit entry %v", a)
	}
	e.post("/admin/workspaces/acme/tokens/tok_nope/revoke", nil).want(http.StatusNotFound).has("workspace &#34;acme&#34; has no token tok_nope")
}

func TestRotateToken(t *testing.T) {
	e := newEnv(t)
	e.signIn()
	path := "/admin/workspaces/acme/tokens/" + e.scimID + "/rotate"
	e.get(path).want(http.StatusOK).has(`Rotate token &#34;okta&#34;`, `<option value="24h">`, `<option value="">`)
	p := e.post(path, url.Values{"overlap": {"24h"}}).want(http.StatusCreated)
	minted := scimTokenRE.FindString(p.body)
	if minted == "" || minted == e.scim {
		t.Fatalf("no new token on the page:\n%s", p.body)
	}
	p.has("Rotated SCIM token", e.scimID+"</code>: active, works until")
	tokens := e.apiOK("/workspaces/acme/tokens")["tokens"]
	old := find(tokens, "id", e.scimID)
	exp, _ := time.Parse(time.RFC3339, old["expires"].(string))
	if old["state"] != "active" || exp.Sub(time.Unix(0, e.now.Load())).Round(time.Minute) != 24*time.Hour {
		t.Errorf("old token %v, want active for 24 hours more", old)
	}
	a := e.audited("token.rotate")
	if a["status"] != 201.0 || a["target"] != e.scimID || a["payload"].(map[string]any)["overlap"] != "24h0m0s" {
		t.Errorf("audit entry %v", a)
	}
	next := a["payload"].(map[string]any)["new_token_id"].(string)
	if tk := find(tokens, "id", next); tk == nil || tk["name"] != "okta" || tk["state"] != "active" {
		t.Errorf("new token %v", tk)
	}
	e.get("/admin/workspaces/acme").want(http.StatusOK).lacks(minted)

	// At once, by default.
	e.post("/admin/workspaces/acme/tokens/"+next+"/rotate", nil).want(http.StatusCreated).has(next + "</code>: ended")
	if tk := find(e.apiOK("/workspaces/acme/tokens")["tokens"], "id", next); tk["state"] != "revoked" {
		t.Errorf("rotated token %v, want revoked", tk)
	}

	// A revoked token cannot be rotated: the API's 409, on the page that
	// asked.
	p = e.post("/admin/workspaces/acme/tokens/"+next+"/rotate", url.Values{"overlap": {"1h"}}).want(http.StatusConflict).has("token_inactive", `name="overlap"`)
	if scimTokenRE.MatchString(p.body) {
		t.Errorf("a refused rotation shows a token:\n%s", p.body)
	}
	if a := e.audited("token.rotate"); a["status"] != 409.0 {
		t.Errorf("audit entry %v, want the refusal", a)
	}
}
