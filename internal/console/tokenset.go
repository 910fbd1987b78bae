package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/request"
)

// tokenSet is a kind of token with a page of its own, where it is
// listed, created and revoked: the app tokens of a workspace, with which
// its application uses the application API, the set-up links of a
// workspace, or the installation's admin tokens. The same handlers serve
// them all; the routes of admin tokens have no {slug}.
type tokenSet struct {
	slug string // the workspace of app tokens and set-up links; "" for admin tokens
	// links is set for set-up links.
	links bool
}

// tokenSetPaths are the paths of the sets' pages below Prefix.
var tokenSetPaths = []string{"workspaces/{slug}/app-tokens", "workspaces/{slug}/setup-links", "admin-tokens"}

func tokenSetOf(q *req) tokenSet {
	return tokenSet{slug: q.r.PathValue("slug"), links: strings.HasPrefix(q.r.Pattern, q.r.Method+" "+Prefix+tokenSetPaths[1])}
}

func (s tokenSet) admin() bool { return s.slug == "" }

// kind is the Kind of the secret page.
func (s tokenSet) kind() string {
	switch {
	case s.admin():
		return "admin"
	case s.links:
		return "setup"
	}
	return "app"
}

func (s tokenSet) noun() string {
	if s.links {
		return "set-up link"
	}
	return s.kind() + " token"
}

// list is where the API's answer lists the set.
type tokenList struct {
	Tokens []admin.Token `json:"tokens"`
	Links  []admin.Token `json:"setup_links"`
}

func (l tokenList) all() []admin.Token { return append(l.Tokens, l.Links...) }

// api is the path of the set's list in the admin API, with further path
// elements.
func (s tokenSet) api(elems ...string) string {
	switch {
	case s.admin():
		return admin.Path(append([]string{"admin-tokens"}, elems...)...)
	case s.links:
		return admin.Path(append([]string{"workspaces", s.slug, "setup-links"}, elems...)...)
	}
	return admin.Path(append([]string{"workspaces", s.slug, "app-tokens"}, elems...)...)
}

// page is the path of the set's page in the console, with further path
// elements.
func (s tokenSet) page(elems ...string) string {
	if s.admin() {
		p := Prefix + "admin-tokens"
		for _, e := range elems {
			p += "/" + url.PathEscape(e)
		}
		return p
	}
	if s.links {
		return workspacePath(s.slug, append([]string{"setup-links"}, elems...)...)
	}
	return workspacePath(s.slug, append([]string{"app-tokens"}, elems...)...)
}

func (s tokenSet) title() string {
	switch {
	case s.admin():
		return "Admin tokens"
	case s.links:
		return "Set-up links of " + s.slug
	}
	return "App tokens of " + s.slug
}

// name names the set's page in a sentence.
func (s tokenSet) name() string {
	switch {
	case s.admin():
		return "the admin tokens"
	case s.links:
		return "the set-up links of " + s.slug
	}
	return "the app tokens of " + s.slug
}

func (s tokenSet) section() string {
	if s.admin() {
		return "admin-tokens"
	}
	return "workspaces"
}

// tokenSetData is what the page of a token set shows.
type tokenSetData struct {
	Slug   string // "" for admin tokens
	Links  bool   // set-up links
	Page   string // the page's path: the create form posts to it
	Tokens []admin.Token
	// What the form was sent with, after a refusal.
	Name, Expires string
}

func tokenSetPage(q *req) {
	q.showTokenSet(http.StatusOK, nil, "", "")
}

// showTokenSet renders the page of a token set, with the error of a
// refused create and the form as it was sent, if there was one.
func (q *req) showTokenSet(status int, failed *apiError, name, expires string) {
	s := tokenSetOf(q)
	d := tokenSetData{Slug: s.slug, Links: s.links, Page: s.page(), Name: name, Expires: expires}
	var list tokenList
	if e := q.api("GET", s.api(), nil, nil, &list); e != nil {
		q.failAPI(e)
		return
	}
	d.Tokens = list.all()
	q.render(status, "tokens", view{Title: s.title(), Section: s.section(), Error: failed, Data: d})
}

// createInSet mints a token of the set and shows it once, as createToken
// does a SCIM token.
func createInSet(q *req) {
	if !q.form() {
		return
	}
	s := tokenSetOf(q)
	name := strings.TrimSpace(q.r.PostForm.Get("name"))
	expires := strings.TrimSpace(q.r.PostForm.Get("expires_in"))
	body := map[string]any{"name": name}
	if expires != "" {
		body["expires_in"] = expires
	}
	var t admin.NewToken
	var link admin.NewSetupLink
	out := any(&t)
	if s.links {
		out = &link
	}
	if e := q.api("POST", s.api(), nil, body, out); e != nil {
		q.showTokenSet(e.Status, e, name, expires)
		return
	}
	if s.links {
		// The secret page shows the link's URL, which is all the
		// customer needs.
		t = admin.NewToken{Token: link.Token, Secret: q.absolute(link.URL)}
	}
	q.render(http.StatusCreated, "secret", view{Title: "New " + s.noun(), Section: s.section(),
		Data: secretData{Slug: s.slug, Kind: s.kind(), Token: &t, Back: s.page(), BackTo: s.name()}})
}

func confirmRevokeInSet(q *req) {
	q.confirmRevokeInSet(http.StatusOK, nil)
}

func (q *req) confirmRevokeInSet(status int, failed *apiError) {
	s, id := tokenSetOf(q), q.r.PathValue("id")
	t, e := q.findToken(s.api(), id)
	if e != nil {
		q.failAPI(e)
		return
	}
	d := confirmData{
		Question: fmt.Sprintf("Revoke app token %s of workspace %s?", tokenLabel(t), s.slug),
		Detail:   "Every server refuses it from its next request: the application that uses it can no longer issue or verify its users' API keys and sessions, nor read the workspace's events.",
		Action:   s.page(id, "revoke"),
		Button:   "Revoke",
		Back:     s.page(),
	}
	switch {
	case s.links:
		d.Question = fmt.Sprintf("Revoke set-up link %s of workspace %s?", tokenLabel(t), s.slug)
		d.Detail = "Its page refuses it from its next request. The SCIM tokens made with it go on working: revoke them on the workspace's page."
	case s.admin():
		d.Question = fmt.Sprintf("Revoke admin token %s?", tokenLabel(t))
		d.Detail = "Every server refuses it from its next request: whoever uses it can no longer administer scimd. If you are signed in with it, you are signed out."
	}
	q.render(status, "confirm", view{Title: "Revoke " + s.noun(), Section: s.section(), Error: failed, Data: d})
}

// absolute returns a URL of the API's, which is a path when the server
// does not know its public URL, as one on the host the browser reached.
func (q *req) absolute(u string) string {
	if !strings.HasPrefix(u, "/") {
		return u
	}
	return request.Scheme(q.r) + "://" + q.r.Host + u
}

// revokeInSet revokes a token of the set. An operator may revoke the
// admin token they are signed in with: the API then refuses it, and the
// console signs them out at once rather than at their next page.
func revokeInSet(q *req) {
	s, id := tokenSetOf(q), q.r.PathValue("id")
	var t admin.Token
	if e := q.api("DELETE", s.api(id), nil, nil, &t); e != nil {
		q.confirmRevokeInSet(e.Status, e)
		return
	}
	done := fmt.Sprintf("Revoked %s %s.", s.noun(), tokenLabel(t))
	if s.admin() {
		if q.api("GET", s.api(), nil, nil, nil); q.signedOut != nil {
			q.endSession(done + " It was the token you were signed in with: sign in with another.")
			return
		}
	}
	q.redirect(s.page(), done)
}
