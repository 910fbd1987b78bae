package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// sessionCookie returns the session cookie a response sets, if any.
func sessionCookie(p *page) *http.Cookie {
	for _, line := range p.header.Values("Set-Cookie") {
		if ck, err := http.ParseSetCookie(line); err == nil && ck.Name == "scimd_console" {
			return ck
		}
	}
	return nil
}

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	revoked, rt, err := e.ten.CreateAdminToken(e.ctx, "gone", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ten.RevokeAdminToken(e.ctx, rt.ID); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, token string
		says        string // the API's message, shown on the page
	}{
		{"revoked admin token", revoked, "the admin token has been revoked"},
		{"SCIM token", e.scim, "this is a SCIM token, which works only on the SCIM endpoints"},
		{"not a token", "scimd_admin_nope", "the bearer token is not a valid admin token"},
		{"nothing", "", "an admin token is required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := e.post("/admin/login", url.Values{"token": {tt.token}}).want(http.StatusUnauthorized).has(tt.says, `name="token"`)
			if tt.token != "" {
				p.lacks(tt.token)
			}
			if ck := sessionCookie(p); ck != nil {
				t.Errorf("a refused sign-in sets a session cookie: %v", ck)
			}
			e.get("/admin/").redirects("/admin/login")
		})
	}

	t.Run("admin token", func(t *testing.T) {
		p := e.post("/admin/login", url.Values{"token": {" " + e.admin + "\n"}}).redirects("/admin/")
		ck := sessionCookie(p)
		if ck == nil {
			t.Fatal("no session cookie")
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/admin/" || ck.MaxAge != 12*3600 || ck.Secure {
			t.Errorf("session cookie %s: want HttpOnly, SameSite=Strict, Path=/admin/, Max-Age=43200, not Secure over plain HTTP", ck)
		}
		if strings.Contains(ck.Value, e.admin) || strings.Contains(ck.Value, strings.TrimPrefix(e.admin, "scimd_admin_")) {
			t.Error("the cookie holds the admin token in the clear")
		}
		e.follow(p).want(http.StatusOK).has("Signed in.", `href="/admin/workspaces/acme"`).lacks(e.admin)
		e.get("/admin/login").redirects("/admin/")
	})
}

func TestSignInOverTLSSetsSecureCookie(t *testing.T) {
	e := newEnvTLS(t, true)
	p := e.post("/admin/login", url.Values{"token": {e.admin}}).redirects("/admin/")
	if ck := sessionCookie(p); ck == nil || !ck.Secure {
		t.Errorf("session cookie over TLS %v, want Secure", ck)
	}
	e.follow(p).want(http.StatusOK)

	// Behind a proxy that ends TLS.
	e = newEnv(t)
	p = e.postWith("/admin/login", url.Values{"token": {e.admin}}, http.Header{"X-Forwarded-Proto": {"https"}}).redirects("/admin/")
	if ck := sessionCookie(p); ck == nil || !ck.Secure {
		t.Errorf("session cookie behind a TLS proxy %v, want Secure", ck)
	}
}

// TestSignOut: signing out ends the sign-in on the server, so that a
// copy of the cookie taken before is refused, for pages and actions
// alike; other sign-ins of the same token go on.
func TestSignOut(t *testing.T) {
	e := newEnv(t)
	e.signIn()
	u, _ := url.Parse(e.srv.URL + "/admin/")
	copied := e.client.Jar.Cookies(u)
	other := e.otherBrowser()
	other.signIn()

	p := e.post("/admin/logout", nil).redirects("/admin/login")
	if ck := sessionCookie(p); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("sign-out sets %v, want the session cookie deleted", ck)
	}
	e.follow(p).want(http.StatusOK).has("Signed out.")
	e.get("/admin/").redirects("/admin/login")

	e.client.Jar.SetCookies(u, copied)
	e.get("/admin/").redirects("/admin/login")
	e.get("/admin/workspaces/acme").redirects("/admin/login")
	e.post("/admin/workspaces", url.Values{"slug": {"beta"}}).redirects("/admin/login")
	e.get("/admin/login").want(http.StatusOK).has(`name="token"`)
	if status, _ := e.api("GET", "/workspaces/beta", ""); status != http.StatusNotFound {
		t.Errorf("a signed-out cookie created a workspace: GET /workspaces/beta %d", status)
	}
	// Nor does the cookie come back at its expiry's edge.
	e.advance(12*time.Hour - time.Minute)
	e.get("/admin/").redirects("/admin/login")

	other.get("/admin/").want(http.StatusOK)
}

// TestSessionEnds: a sign-in lasts 12 hours, and no longer than the API
// accepts its token; a cookie the console did not seal is no sign-in.
func TestSessionEnds(t *testing.T) {
	t.Run("expiry", func(t *testing.T) {
		e := newEnv(t)
		e.signIn()
		e.advance(12*time.Hour - time.Minute)
		e.get("/admin/").want(http.StatusOK)
		e.advance(2 * time.Minute)
		e.get("/admin/").redirects("/admin/login")
	})
	t.Run("revoked token", func(t *testing.T) {
		e := newEnv(t)
		e.signIn()
		if _, err := e.ten.RevokeAdminToken(e.ctx, e.adminID); err != nil {
			t.Fatal(err)
		}
		p := e.get("/admin/").redirects("/admin/login")
		if ck := sessionCookie(p); ck == nil || ck.MaxAge >= 0 {
			t.Errorf("a refused token's page sets %v, want the session cookie deleted", ck)
		}
		e.follow(p).want(http.StatusOK).has("no longer accepts your token", "the admin token has been revoked")
		e.get("/admin/").redirects("/admin/login")
		// Nor does an action go through.
		e.post("/admin/workspaces", url.Values{"slug": {"beta"}}).redirects("/admin/login")
	})
	t.Run("forged cookie", func(t *testing.T) {
		e := newEnv(t)
		u, _ := url.Parse(e.srv.URL + "/admin/")
		for _, v := range []string{e.admin, "bm90IHNlYWxlZA", ""} {
			e.client.Jar.SetCookies(u, []*http.Cookie{{Name: "scimd_console", Value: v, Path: "/admin/"}})
			e.get("/admin/").redirects("/admin/login")
		}
	})
}

// TestPagesNeedSignIn: without a sign-in, every page and every action
// sends the browser to sign in, and no action has an effect.
func TestPagesNeedSignIn(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{
		"/admin/", "/admin/workspaces", "/admin/workspaces/acme", "/admin/workspaces/acme/users",
		"/admin/workspaces/acme/tokens/" + e.scimID + "/revoke", "/admin/workspaces/acme/tokens/" + e.scimID + "/rotate",
		"/admin/workspaces/acme/users/usr_x/purge", "/admin/workspaces/acme/webhooks/wh_x",
		"/admin/workspaces/acme/webhooks/wh_x/delete", "/admin/audit",
		"/admin/workspaces/acme/delete", "/admin/workspaces/acme/config/reset",
		"/admin/workspaces/acme/app-tokens", "/admin/workspaces/acme/app-tokens/tok_x/revoke",
		"/admin/admin-tokens", "/admin/admin-tokens/" + e.adminID + "/revoke",
		"/admin/workspaces/acme/webhooks/wh_x/rotate-secret", "/admin/workspaces/acme/users/invited/usr_x/delete",
	} {
		e.get(path).redirects("/admin/login")
	}
	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{"/admin/workspaces", url.Values{"slug": {"beta"}}},
		{"/admin/workspaces/acme/config", url.Values{"was.createUsers": {"true"}}},
		{"/admin/workspaces/acme/tokens", url.Values{"name": {"entra"}}},
		{"/admin/workspaces/acme/tokens/" + e.scimID + "/revoke", nil},
		{"/admin/workspaces/acme/tokens/" + e.scimID + "/rotate", nil},
		{"/admin/workspaces/acme/webhooks", url.Values{"url": {"https://example.com/h"}}},
		{"/admin/workspaces/acme/delete", nil},
		{"/admin/workspaces/acme/config/reset", nil},
		{"/admin/workspaces/acme/app-tokens", url.Values{"name": {"backend"}}},
		{"/admin/admin-tokens", url.Values{"name": {"ci"}}},
		{"/admin/admin-tokens/" + e.adminID + "/revoke", nil},
		{"/admin/workspaces/acme/users", url.Values{"user_name": {"grace"}}},
		{"/admin/workspaces/acme/users/invited/usr_x/delete", nil},
	} {
		e.post(tt.path, tt.form).redirects("/admin/login")
	}
	if ws := e.apiOK("/workspaces/acme"); ws["config"].(map[string]any)["createUsers"] != true {
		t.Errorf("config changed without a sign-in: %v", ws)
	}
	if tokens := e.apiOK("/workspaces/acme/tokens")["tokens"].([]any); len(tokens) != 1 || tokens[0].(map[string]any)["state"] != "active" {
		t.Errorf("tokens changed without a sign-in: %v", tokens)
	}
	if n := len(e.apiOK("/workspaces")["workspaces"].([]any)); n != 1 {
		t.Errorf("%d workspaces after creates without a sign-in", n)
	}
	if n := len(e.apiOK("/workspaces/acme/webhooks")["webhooks"].([]any)); n != 0 {
		t.Errorf("%d webhooks after creates without a sign-in", n)
	}
	if n := len(e.apiOK("/workspaces/acme/app-tokens")["tokens"].([]any)); n != 0 {
		t.Errorf("%d app tokens after creates without a sign-in", n)
	}
	if tokens := e.apiOK("/admin-tokens")["tokens"].([]any); len(tokens) != 1 || tokens[0].(map[string]any)["state"] != "active" {
		t.Errorf("admin tokens changed without a sign-in: %v", tokens)
	}
	if n := len(e.apiOK("/workspaces/acme/users/invited")["users"].([]any)); n != 0 {
		t.Errorf("%d invited users without a sign-in", n)
	}
	if n := e.auditCount("*"); n != 0 {
		t.Errorf("%d admin audit entries: a request without a sign-in reached the API", n)
	}
	// The sign-in page and the style sheet are for everyone.
	e.get("/admin/login").want(http.StatusOK).has(`action="/admin/login"`)
	e.get("/admin/static/console.css").want(http.StatusOK).has(".copy")
}

// TestEveryPageRenders: a signed-in operator gets every page, each with
// the security headers, and never with the admin token in it.
func TestEveryPageRenders(t *testing.T) {
	e := newEnv(t)
	_, wh := e.api("POST", "/workspaces/acme/webhooks", `{"url":"https://example.com/hooks"}`)
	whID := wh["id"].(string)
	e.signIn()
	for _, tt := range []struct {
		path   string
		status int
		shows  string
	}{
		{"/admin/", 200, "Create a workspace"},
		{"/admin/workspaces", 303, ""},
		{"/admin/workspaces/acme", 200, "SCIM configuration"},
		{"/admin/workspaces/acme/users", 200, "Soft-deleted users"},
		{"/admin/workspaces/acme/tokens/" + e.scimID + "/revoke", 200, `Revoke token &#34;okta&#34; (` + e.scimID + `) of workspace acme?`},
		{"/admin/workspaces/acme/tokens/" + e.scimID + "/rotate", 200, `name="overlap"`},
		{"/admin/workspaces/acme/users/usr_x/purge", 200, "Purge user usr_x of workspace acme now?"},
		{"/admin/workspaces/acme/users/invited/usr_x/delete", 200, "Delete invited user usr_x of workspace acme?"},
		{"/admin/workspaces/acme/webhooks/" + whID, 200, "Deliveries"},
		{"/admin/workspaces/acme/webhooks/" + whID + "/delete", 200, "Delete webhook " + whID},
		{"/admin/workspaces/acme/webhooks/" + whID + "/rotate-secret", 200, "Rotate the signing secret of webhook " + whID},
		{"/admin/workspaces/acme/delete", 200, "Delete workspace acme"},
		{"/admin/workspaces/acme/config/reset", 200, "Reset the SCIM configuration of workspace acme"},
		{"/admin/workspaces/acme/app-tokens", 200, "App tokens of acme"},
		{"/admin/workspaces/acme/app-tokens/tok_x/revoke", 200, "Revoke app token tok_x of workspace acme?"},
		{"/admin/admin-tokens", 200, e.adminID},
		{"/admin/admin-tokens/" + e.adminID + "/revoke", 200, "Revoke admin token &#34;ops&#34; (" + e.adminID + ")?"},
		{"/admin/workspaces/nope/app-tokens", 404, `workspace &#34;nope&#34; does not exist`},
		{"/admin/audit", 200, "Correlation id"},
		{"/admin/login", 303, ""},
		{"/admin/nowhere", 404, "There is no page at /admin/nowhere."},
		{"/admin/workspaces/nope", 404, `workspace &#34;nope&#34; does not exist`},
		{"/admin/workspaces/acme/webhooks/wh_nope", 404, "workspace &#34;acme&#34; has no webhook wh_nope"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			p := e.get(tt.path).want(tt.status).has(tt.shows).lacks(e.admin)
			for h, want := range map[string]string{
				"Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
				"X-Frame-Options":         "DENY",
				"Referrer-Policy":         "no-referrer",
				"Cache-Control":           "no-store",
				"X-Content-Type-Options":  "nosniff",
			} {
				if got := p.header.Get(h); got != want {
					t.Errorf("%s: %q, want %q", h, got, want)
				}
			}
			if tt.status == 200 {
				p.has("Sign out", `<link rel="stylesheet" href="/admin/static/console.css">`).lacks("<script", "style=")
				if ct := p.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
			}
		})
	}
}

// TestCrossOriginRefused: a form posted from another site is refused
// before it reaches the API, whatever cookies the browser sends.
func TestCrossOriginRefused(t *testing.T) {
	e := newEnv(t)
	e.signIn()
	for _, tt := range []struct {
		name string
		h    http.Header
	}{
		{"Sec-Fetch-Site cross-site", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"Sec-Fetch-Site same-site", http.Header{"Sec-Fetch-Site": {"same-site"}}},
		{"Origin of another site", http.Header{"Origin": {"https://evil.example"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.postWith("/admin/workspaces", url.Values{"slug": {"evil"}}, tt.h).want(http.StatusForbidden).has("sent from another site")
			e.postWith("/admin/workspaces/acme/tokens/"+e.scimID+"/revoke", nil, tt.h).want(http.StatusForbidden)
			e.postWith("/admin/workspaces/acme/delete", nil, tt.h).want(http.StatusForbidden)
			e.postWith("/admin/admin-tokens/"+e.adminID+"/revoke", nil, tt.h).want(http.StatusForbidden)
			e.postWith("/admin/logout", nil, tt.h).want(http.StatusForbidden)
			e.postWith("/admin/login", url.Values{"token": {e.admin}}, tt.h).want(http.StatusForbidden)
		})
	}
	if status, _ := e.api("GET", "/workspaces/evil", ""); status != http.StatusNotFound {
		t.Errorf("GET evil: %d, want 404: a cross-origin create went through", status)
	}
	if tk := find(e.apiOK("/workspaces/acme/tokens")["tokens"], "id", e.scimID); tk["state"] != "active" {
		t.Errorf("token %v after a cross-origin revoke", tk)
	}
	if n := e.auditCount("*"); n != 0 {
		t.Errorf("%d admin audit entries: a refused request reached the API", n)
	}
	// Still signed in, and the same form from the console's own page
	// goes through.
	e.post("/admin/workspaces", url.Values{"slug": {"evil"}}).redirects("/admin/workspaces/evil")
	if n := e.auditCount("*"); n != 1 {
		t.Errorf("%d admin audit entries, want the create's", n)
	}
}
