package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/docs/idp"
	adminapi "github.com/scimd/scimd/internal/admin"
)

// The set-up page is what a set-up link opens: the page of one workspace
// for the customer's IT administrator, who has no admin token and no
// session. The link's secret is the page's credential: it comes in the
// query of the page (never the path, which request logs record) and in
// the forms, and every call to the admin API is made with it, so that
// the API decides what it reaches (its workspace's SCIM tokens and SCIM
// requests) and audits what it does as setup_link:<id>. An operator
// signed in to the console in the same browser acts as the link too.

// setupPath is the page's path.
const setupPath = admin.SetupPath

// setupRefresh is how often the page reloads itself while its holder
// watches for requests.
const setupRefresh = 5

// setupRequests is how many of the latest SCIM requests the page shows.
const setupRequests = 20

// setupData is what the set-up page shows.
type setupData struct {
	Link    string // the link's secret, for the forms
	Setup   admin.Setup
	SCIMURL string
	Tokens  []admin.Token
	// Requests are the workspace's latest SCIM requests, newest first.
	Requests []setupRequest
	Guides   []idp.Guide
	// Guide is the one chosen, if any.
	Guide *idp.Guide
	// Watch says whether the page reloads itself.
	Watch bool
	// WatchURL and StopURL are the page, watching and not.
	WatchURL, StopURL string
	// New is a token just minted or rotated, shown this once.
	New *admin.NewToken
	// TokenName is what the form was sent with, after a refusal.
	TokenName string
}

// setupRequest is a SCIM request as the page shows it.
type setupRequest struct {
	Time                   time.Time
	Method, Path, Action   string
	Status                 int
	UserAgent, Error, Kind string
}

// setupPage shows the set-up page of the link in the query.
func setupPage(q *req) {
	q.showSetup(http.StatusOK, q.r.URL.Query().Get("link"), nil, func(*setupData) {})
}

// setupCreateToken mints a SCIM token with the link and shows it once.
func setupCreateToken(q *req) {
	if !q.form() {
		return
	}
	link := q.r.PostForm.Get("link")
	name := strings.TrimSpace(q.r.PostForm.Get("name"))
	var t admin.NewToken
	if e := q.linkAPI(link, "POST", "/workspaces/"+url.PathEscape(q.linkSlug(link))+"/tokens", nil, map[string]any{"name": name}, &t); e != nil {
		q.showSetup(e.Status, link, e, func(d *setupData) { d.TokenName = name })
		return
	}
	q.showSetup(http.StatusCreated, link, nil, func(d *setupData) { d.New = &t })
}

// setupRotateToken rotates a SCIM token with the link, keeping the old
// one working for the overlap chosen, and shows the new one once.
func setupRotateToken(q *req) {
	if !q.form() {
		return
	}
	link := q.r.PostForm.Get("link")
	body := map[string]any{}
	if o := strings.TrimSpace(q.r.PostForm.Get("overlap")); o != "" {
		body["overlap"] = o
	}
	var t admin.NewToken
	path := "/workspaces/" + url.PathEscape(q.linkSlug(link)) + "/tokens/" + url.PathEscape(q.r.PathValue("id")) + "/rotate"
	if e := q.linkAPI(link, "POST", path, nil, body, &t); e != nil {
		q.showSetup(e.Status, link, e, func(*setupData) {})
		return
	}
	q.showSetup(http.StatusCreated, link, nil, func(d *setupData) { d.New = &t })
}

// linkAPI calls the admin API with a set-up link.
func (q *req) linkAPI(link, method, path string, query url.Values, body, out any) *apiError {
	if link == "" {
		return &apiError{Status: http.StatusUnauthorized, Code: adminapi.CodeUnauthorized, Message: "no set-up link"}
	}
	return q.c.call(q.r, link, method, path, query, body, out)
}

// linkSlug returns the workspace of a link, for the paths of the API's
// routes; "" if the API does not accept the link, whose routes then
// refuse it.
func (q *req) linkSlug(link string) string {
	var s admin.Setup
	if q.linkAPI(link, "GET", "/setup", nil, nil, &s) != nil {
		return "-"
	}
	return s.Workspace
}

// showSetup renders the set-up page of a link, with the error of a
// refused action if there was one, or, for a link the API does not
// accept, a page that says so and shows nothing of the workspace.
func (q *req) showSetup(status int, link string, failed *apiError, edit func(*setupData)) {
	d := setupData{Link: link, SCIMURL: q.c.scimURL, Guides: idp.Guides()}
	if e := q.linkAPI(link, "GET", "/setup", nil, nil, &d.Setup); e != nil {
		q.setupRefused(e)
		return
	}
	var tokens admin.TokenList
	var audit admin.AuditPage
	e := q.linkAPI(link, "GET", "/workspaces/"+url.PathEscape(d.Setup.Workspace)+"/tokens", nil, nil, &tokens)
	if e == nil {
		e = q.linkAPI(link, "GET", "/audit", url.Values{"limit": {strconv.Itoa(setupRequests)}}, nil, &audit)
	}
	if e != nil {
		q.setupRefused(e)
		return
	}
	d.Tokens = tokens.Tokens
	for _, a := range audit.Entries {
		d.Requests = append(d.Requests, setupRequestOf(a))
	}
	query := q.r.URL.Query()
	for i, g := range d.Guides {
		if g.Key == query.Get("idp") {
			d.Guide = &d.Guides[i]
		}
	}
	d.Watch = query.Get("watch") == "1" && q.r.Method == http.MethodGet
	page := url.Values{"link": {link}}
	if d.Guide != nil {
		page.Set("idp", d.Guide.Key)
	}
	d.StopURL = setupPath + "?" + page.Encode() + "#requests"
	page.Set("watch", "1")
	// No fragment: the page's meta refresh reloads its URL, and a URL
	// with a fragment, reloaded, only scrolls to it. The browser keeps
	// the place on the page across reloads anyway.
	d.WatchURL = setupPath + "?" + page.Encode()
	edit(&d)
	v := view{Title: "Set up " + d.Setup.Workspace, Setup: true, Error: failed, Data: d}
	if d.Watch && d.New == nil {
		v.Refresh = setupRefresh
	}
	q.render(status, "setup", v)
}

// setupRefused renders the page of a link the API refused: ended (410),
// not one at all (404), or an error of the server. It shows nothing of
// any workspace.
func (q *req) setupRefused(e *apiError) {
	switch {
	case e.Code == adminapi.CodeSetupLinkEnded:
		q.render(http.StatusGone, "error", view{Title: "Set-up link ended", Setup: true,
			Error: &apiError{Status: http.StatusGone, Code: e.Code, Message: "This set-up link no longer works. " + sentence(e.Message)}})
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		q.render(http.StatusNotFound, "error", view{Title: "No such set-up link", Setup: true,
			Error: &apiError{Status: http.StatusNotFound, Code: "setup_link_not_found", Message: "This is not a set-up link of this server. Check that the whole link was copied, or ask whoever sent it for a new one."}})
	default:
		q.render(e.Status, "error", view{Title: http.StatusText(e.Status), Setup: true, Error: e})
	}
}

// setupRequestOf returns what the page shows of an audit entry of a
// SCIM request.
func setupRequestOf(a admin.AuditEntry) setupRequest {
	var p struct {
		Method  string            `json:"method"`
		Path    string            `json:"path"`
		Headers map[string]string `json:"headers"`
		Error   string            `json:"error"`
	}
	json.Unmarshal(a.Payload, &p) // a payload unread shows as blanks
	r := setupRequest{Time: a.Time, Method: p.Method, Path: p.Path, Action: a.Action, Status: a.Status,
		UserAgent: p.Headers["user-agent"], Error: p.Error, Kind: "good"}
	if a.Status >= 400 {
		r.Kind = "bad"
	}
	return r
}

// sentence makes a message of the API's a sentence: capitalised, with a
// full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + strings.TrimSuffix(msg[1:], ".") + "."
}
