// Package console is scimd's admin web console: server-rendered HTML
// pages under /admin/ for workspaces, their SCIM configuration, tokens,
// users and webhooks, the installation's admin tokens, and the audit log;
// and the set-up page that a set-up link opens to a customer.
//
// The console is a client of the admin API and of nothing else. Every
// page and every action calls the API's handler in process, with the
// signed-in operator's admin token, decodes its JSON and renders it; the
// API's errors are shown as they come. Validation, audit entries and
// messages are therefore the API's, and the console knows no rule about
// workspaces, tokens or users of its own.
//
// It works without JavaScript: every action is a form, and those that
// cannot be undone ask first, on a page of their own.
package console

import (
	"bytes"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/scimd/scimd/client/admin"
)

// Prefix is where the console lives. Its paths never start with
// admin.Prefix, which the admin API keeps.
const Prefix = "/admin/"

// DefaultSessionTTL is how long a sign-in lasts unless Config says
// otherwise: a working day, so that a forgotten browser does not stay
// signed in for the life of a token that may never expire.
const DefaultSessionTTL = 12 * time.Hour

//go:embed templates static
var assets embed.FS

// Config configures a Console. API is required.
type Config struct {
	// API is the admin API's handler (admin.New), serving admin.Prefix.
	API http.Handler
	// Key seals the session cookie: 32 bytes, the same on every server
	// that serves the console to one operator (derive it from the
	// installation secret). nil: a random key, so that sign-ins end with
	// the process.
	Key []byte
	// SCIMURL is the base URL of the SCIM endpoints, shown on workspace
	// pages to be copied into identity providers.
	SCIMURL string
	// SessionTTL is how long a sign-in lasts; 0: DefaultSessionTTL.
	SessionTTL time.Duration
	// Log receives failures to render a page; nil discards them.
	Log *slog.Logger
	// Clock replaces time.Now (for tests).
	Clock func() time.Time
}

// Console serves the admin console.
type Console struct {
	client  *http.Client // of the admin API, in process
	scimURL string
	ttl     time.Duration
	log     *slog.Logger
	now     func() time.Time
	cookies *sealer
	// signedOut holds the sessions ended by signing out.
	signedOut signOuts
	pages     map[string]*template.Template
	handler   http.Handler
	setup     http.Handler // the set-up page alone
}

// New returns a Console.
func New(cfg Config) (*Console, error) {
	if cfg.API == nil {
		return nil, errors.New("console: no admin API")
	}
	key := cfg.Key
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key)
	}
	s, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	c := &Console{client: &http.Client{Transport: admin.InProcess(cfg.API)}, scimURL: cfg.SCIMURL, ttl: cfg.SessionTTL, log: cfg.Log, now: cfg.Clock, cookies: s}
	if c.ttl <= 0 {
		c.ttl = DefaultSessionTTL
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET "+Prefix+"static/", http.StripPrefix(Prefix+"static/", http.FileServerFS(static)))
	mux.HandleFunc("GET "+Prefix+"login", c.public(signInForm))
	mux.HandleFunc("POST "+Prefix+"login", c.public(signIn))
	mux.HandleFunc("POST "+Prefix+"logout", c.public(signOut))

	mux.HandleFunc("GET "+Prefix+"{$}", c.private(dashboard))
	mux.HandleFunc("GET "+Prefix+"workspaces", c.private(func(q *req) { q.redirect(Prefix, "") }))
	mux.HandleFunc("POST "+Prefix+"workspaces", c.private(createWorkspace))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}", c.private(workspacePage))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/config", c.private(saveConfig))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/config/reset", c.private(confirmReset))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/config/reset", c.private(resetConfig))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/delete", c.private(confirmDeleteWorkspace))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/delete", c.private(deleteWorkspace))

	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/tokens", c.private(createToken))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/tokens/{id}/revoke", c.private(confirmRevoke))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/tokens/{id}/revoke", c.private(revokeToken))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/tokens/{id}/rotate", c.private(confirmRotate))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/tokens/{id}/rotate", c.private(rotateToken))

	// App tokens, set-up links and admin tokens: the same pages, with
	// and without a workspace.
	for _, set := range tokenSetPaths {
		mux.HandleFunc("GET "+Prefix+set, c.private(tokenSetPage))
		mux.HandleFunc("POST "+Prefix+set, c.private(createInSet))
		mux.HandleFunc("GET "+Prefix+set+"/{id}/revoke", c.private(confirmRevokeInSet))
		mux.HandleFunc("POST "+Prefix+set+"/{id}/revoke", c.private(revokeInSet))
	}

	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/users", c.private(usersPage))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/users", c.private(inviteUser))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/users/{id}/reactivate", c.private(userAction("reactivate", "Reactivated")))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/users/{id}/restore", c.private(userAction("restore", "Restored")))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/users/{id}/purge", c.private(confirmPurge))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/users/{id}/purge", c.private(purgeUser))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/users/invited/{id}/delete", c.private(confirmDeleteInvited))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/users/invited/{id}/delete", c.private(deleteInvited))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/users/suspended/{id}/delete", c.private(confirmDeleteSuspended))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/users/suspended/{id}/delete", c.private(deleteSuspended))

	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/users/{id}", c.private(userPage))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/groups", c.private(groupsPage))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/groups/{id}", c.private(groupPage))

	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/activity", c.private(activityPage))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/roles", c.private(rolesPage))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/roles", c.private(saveRoles))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/teams", c.private(teamsPage))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/teams", c.private(linkTeam))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/teams/{id}/unlink", c.private(unlinkTeam))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/schemas", c.private(schemasPage))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/schemas", c.private(setSchema))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/schemas/{urn}", c.private(schemaPage))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/schemas/{urn}", c.private(setSchema))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/schemas/{urn}/delete", c.private(confirmDeleteSchema))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/schemas/{urn}/delete", c.private(deleteSchema))

	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/webhooks", c.private(createWebhook))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/webhooks/{id}", c.private(webhookPage))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/webhooks/{id}/enabled", c.private(enableWebhook))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/webhooks/{id}/settings", c.private(saveWebhook))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/webhooks/{id}/rotate-secret", c.private(confirmRotateSecret))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/webhooks/{id}/rotate-secret", c.private(rotateSecret))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/webhooks/{id}/delete", c.private(confirmDeleteWebhook))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/webhooks/{id}/delete", c.private(deleteWebhook))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/webhooks/{id}/deliveries/{delivery}/redeliver", c.private(redeliver))
	mux.HandleFunc("GET "+Prefix+"workspaces/{slug}/webhooks/{id}/deliveries/{delivery}", c.private(deliveryPage))
	mux.HandleFunc("POST "+Prefix+"workspaces/{slug}/webhooks/{id}/test", c.private(testWebhook))

	mux.HandleFunc("GET "+Prefix+"audit", c.private(auditPage))

	setupMux := http.NewServeMux()
	for _, m := range []*http.ServeMux{mux, setupMux} {
		m.HandleFunc("GET "+setupPath, c.public(setupPage))
		m.HandleFunc("POST "+setupPath+"/tokens", c.public(setupCreateToken))
		m.HandleFunc("POST "+setupPath+"/tokens/{id}/rotate", c.public(setupRotateToken))
	}
	setupMux.Handle("GET "+Prefix+"static/", http.StripPrefix(Prefix+"static/", http.FileServerFS(static)))
	setupMux.HandleFunc(Prefix, c.public(func(q *req) {
		q.render(http.StatusNotFound, "error", view{Title: "Not found", Setup: true,
			Error: &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "There is no page at " + q.r.URL.Path + "."}})
	}))

	mux.HandleFunc(Prefix, c.public(func(q *req) {
		q.fail(http.StatusNotFound, "not_found", "There is no page at "+q.r.URL.Path+".")
	}))

	// Every state-changing request is a POST of a form, which a browser
	// marks as cross-origin (Sec-Fetch-Site, else Origin) when another
	// site makes it; such requests are refused before any handler runs.
	// The session cookie's SameSite=Strict keeps it out of them too.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(c.public(func(q *req) {
		q.fail(http.StatusForbidden, "cross_origin", "This form was sent from another site, so it was refused. Use the console's own pages.")
	}))
	c.handler = securityHeaders(cop.Handler(mux))
	c.setup = securityHeaders(cop.Handler(setupMux))
	return c, nil
}

// Setup returns the handler of the set-up page alone, with the console's
// style sheet, for a listener that does not serve the console: the
// customers who open set-up links reach the server where identity
// providers do, while the console stays on a private listener. It serves
// SetupPath and below, and Prefix+"static/", and answers 404 below
// Prefix otherwise.
func (c *Console) Setup() http.Handler { return c.setup }

// SetupPath is the path of the set-up page.
const SetupPath = setupPath

// ServeHTTP serves a request under Prefix.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.handler.ServeHTTP(w, r)
}

// securityHeaders sets the headers every response has: no script but
// the console's own files (and it has none), no framing, no referrer
// leaving with an id in it, and no copy in any cache, since pages show
// tokens and users.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// req is one request to the console on its way through a handler.
type req struct {
	c *Console
	w http.ResponseWriter
	r *http.Request
	// session is the id of the operator's sign-in, and token its admin
	// token; both "" if no one is signed in.
	session, token string
	// signedOut is set when the API refused the token: the page is not
	// rendered, the operator signs in again.
	signedOut *apiError
}

// request starts a req, with the sign-in of r if it has one.
func (c *Console) request(w http.ResponseWriter, r *http.Request) *req {
	q := &req{c: c, w: w, r: r}
	q.session, q.token = c.session(r)
	return q
}

// public serves a page that needs no sign-in.
func (c *Console) public(fn func(*req)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		fn(c.request(w, r))
	}
}

// private serves a page of a signed-in operator, and sends anyone else
// to sign in.
func (c *Console) private(fn func(*req)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := c.request(w, r)
		if q.token == "" {
			q.redirect(Prefix+"login", "")
			return
		}
		fn(q)
	}
}

// view is what every page template gets.
type view struct {
	Title    string
	Section  string // "workspaces", "admin-tokens" or "audit", for the navigation
	SignedIn bool
	Notice   string
	Error    *apiError
	Data     any
	// Setup marks a page of a set-up link, which shows nothing of the
	// console, not even to a signed-in operator.
	Setup bool
	// Refresh, if not 0, reloads the page after so many seconds.
	Refresh int
}

// render writes a page.
func (q *req) render(status int, name string, v view) {
	if q.signedOut != nil {
		q.endSession("The admin API no longer accepts your token (" + q.signedOut.Message + "). Sign in again.")
		return
	}
	v.SignedIn = q.token != "" && !v.Setup
	if flash := q.takeFlash(); v.Notice == "" {
		v.Notice = flash
	}
	var b bytes.Buffer
	if err := q.c.pages[name].ExecuteTemplate(&b, "layout", v); err != nil {
		q.c.log.Error("console: render page", "page", name, "err", err)
		http.Error(q.w, "internal error: the page could not be rendered", http.StatusInternalServerError)
		return
	}
	q.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q.w.WriteHeader(status)
	q.w.Write(b.Bytes())
}

// fail renders an error page of the console's own.
func (q *req) fail(status int, code, message string) {
	q.render(status, "error", view{Title: http.StatusText(status), Error: &apiError{Status: status, Code: code, Message: message}})
}

// failAPI renders an error page for an error of the API.
func (q *req) failAPI(e *apiError) {
	q.render(e.Status, "error", view{Title: http.StatusText(e.Status), Error: e})
}

// redirect sends the browser to a page of the console with a GET, after
// an action (so that reloading does not repeat it), with a notice to show
// there.
func (q *req) redirect(path, notice string) {
	if q.signedOut != nil {
		q.endSession("The admin API no longer accepts your token (" + q.signedOut.Message + "). Sign in again.")
		return
	}
	if notice != "" {
		q.setFlash(notice)
	}
	http.Redirect(q.w, q.r, path, http.StatusSeeOther)
}

// workspacePath is the console's page of a workspace, with optional
// further path elements.
func workspacePath(slug string, elems ...string) string {
	p := Prefix + "workspaces/" + url.PathEscape(slug)
	for _, e := range elems {
		p += "/" + url.PathEscape(e)
	}
	return p
}

// parsePages parses every page with the layout.
func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("").Funcs(funcs).ParseFS(assets, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := n[len("templates/") : len(n)-len(".html")]
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(assets, n)
		if err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
		pages[name] = t
	}
	return pages, nil
}

var funcs = template.FuncMap{
	"when":      when,
	"workspace": workspacePath,
	"inc":       func(i int) int { return i + 1 },
	"sub":       func(a, b int) int { return a - b },
	"has":       slices.Contains[[]string],
}
