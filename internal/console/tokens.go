package console

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/scimd/scimd/client/admin"
)

// secretData is what the page that shows a new secret once shows.
type secretData struct {
	Slug string // the workspace; "" for an admin token
	// Kind is that of Token: "scim", "app" or "admin".
	Kind    string
	SCIMURL string
	Token   *admin.NewToken   // a token, created or rotated
	Webhook *admin.NewWebhook // or a webhook, with its signing secret
	// Back is the page to go back to, and BackTo names it.
	Back, BackTo string
}

// createToken mints a SCIM token and shows it, on this page only: the
// answer to the POST is not kept by the browser (Cache-Control: no-store)
// and the console keeps nothing of it.
func createToken(q *req) {
	if !q.form() {
		return
	}
	slug := q.r.PathValue("slug")
	name := strings.TrimSpace(q.r.PostForm.Get("name"))
	expires := strings.TrimSpace(q.r.PostForm.Get("expires_in"))
	body := map[string]any{"name": name}
	if expires != "" {
		body["expires_in"] = expires
	}
	var t admin.NewToken
	if e := q.api("POST", admin.Path("workspaces", slug, "tokens"), nil, body, &t); e != nil {
		q.showWorkspace(e.Status, e, nil, func(d *workspaceData) { d.TokenName, d.TokenExpires = name, expires })
		return
	}
	q.render(http.StatusCreated, "secret", view{Title: "New SCIM token", Section: "workspaces",
		Data: secretData{Slug: slug, Kind: "scim", SCIMURL: q.c.scimURL, Token: &t, Back: workspacePath(slug), BackTo: slug}})
}

// confirmData is what a page that asks before an action shows.
type confirmData struct {
	Question string
	Detail   string
	Action   string // the path the form posts to
	Button   string
	// Lose lists what goes with what the action removes, and After
	// follows the list.
	Lose  []string
	After string
	Back  string // the path of the page to go back to
	// Overlap offers the choice of a rotation's overlap.
	Overlap bool
}

// findToken returns the token id of the list at the API's path, for a
// page to name it; the API says whether it exists when the action is
// taken.
func (q *req) findToken(list, id string) (admin.Token, *apiError) {
	var tokens tokenList
	if e := q.api("GET", list, nil, nil, &tokens); e != nil {
		return admin.Token{}, e
	}
	for _, t := range tokens.all() {
		if t.ID == id {
			return t, nil
		}
	}
	return admin.Token{ID: id}, nil
}

// tokenLabel names a token on a page.
func tokenLabel(t admin.Token) string {
	if t.Name == "" {
		return t.ID
	}
	return fmt.Sprintf("%q (%s)", t.Name, t.ID)
}

func confirmRevoke(q *req) {
	q.confirmToken(http.StatusOK, nil, false)
}

func confirmRotate(q *req) {
	q.confirmToken(http.StatusOK, nil, true)
}

// confirmToken asks before a token is revoked or rotated, with the error
// of a refused attempt if there was one.
func (q *req) confirmToken(status int, failed *apiError, rotate bool) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	t, e := q.findToken(admin.Path("workspaces", slug, "tokens"), id)
	if e != nil {
		q.failAPI(e)
		return
	}
	d := confirmData{
		Question: fmt.Sprintf("Revoke token %s of workspace %s?", tokenLabel(t), slug),
		Detail:   "Every server refuses it from its next request. An identity provider that still uses it stops provisioning.",
		Action:   workspacePath(slug, "tokens", id, "revoke"),
		Button:   "Revoke",
		Back:     workspacePath(slug),
	}
	title := "Revoke token"
	if rotate {
		title = "Rotate token"
		d.Question = fmt.Sprintf("Rotate token %s of workspace %s?", tokenLabel(t), slug)
		d.Detail = "A new token with the same name and lifetime is shown once. Choose how long the old one keeps working, so that the identity provider can be given the new one meanwhile."
		d.Action = workspacePath(slug, "tokens", id, "rotate")
		d.Button, d.Overlap = "Rotate", true
	}
	q.render(status, "confirm", view{Title: title, Section: "workspaces", Error: failed, Data: d})
}

func revokeToken(q *req) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	var t admin.Token
	if e := q.api("DELETE", admin.Path("workspaces", slug, "tokens", id), nil, nil, &t); e != nil {
		q.confirmToken(e.Status, e, false)
		return
	}
	q.redirect(workspacePath(slug), fmt.Sprintf("Revoked token %s.", tokenLabel(t)))
}

// rotateToken mints the replacement of a token and shows it once, like
// createToken.
func rotateToken(q *req) {
	if !q.form() {
		return
	}
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	body := map[string]any{}
	if o := strings.TrimSpace(q.r.PostForm.Get("overlap")); o != "" {
		body["overlap"] = o
	}
	var t admin.NewToken
	if e := q.api("POST", admin.Path("workspaces", slug, "tokens", id, "rotate"), nil, body, &t); e != nil {
		q.confirmToken(e.Status, e, true)
		return
	}
	q.render(http.StatusCreated, "secret", view{Title: "Rotated SCIM token", Section: "workspaces",
		Data: secretData{Slug: slug, Kind: "scim", SCIMURL: q.c.scimURL, Token: &t, Back: workspacePath(slug), BackTo: slug}})
}
