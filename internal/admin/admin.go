// Package admin is scimd's administration API: a JSON REST API under
// /admin/v1 for workspaces, their SCIM configuration and tokens, their
// users and the audit log, authenticated by admin tokens.
//
// Every route is declared once, in the table that routes returns: the
// table registers the handlers and generates the OpenAPI document served
// at /admin/v1/openapi.json, so the two cannot drift apart.
//
// Handlers return a status and a body, or an error, and never write the
// response themselves: the error responses are made in one place
// (httpapi.API.Fail),
// and the audit entry of a write is stored before its response is sent.
package admin

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	api "github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/httpapi"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// Prefix is where the API lives.
const Prefix = api.Prefix

// Config configures a Handler. Store and Hasher are required.
type Config struct {
	Store  store.Store
	Hasher *token.Hasher
	// Tenant manages workspaces and tokens; nil: one on Store and Hasher
	// with the default token lifetime.
	Tenant *tenant.Service
	// Log receives failures; nil discards them.
	Log *slog.Logger
	// RequestTimeout bounds the work on one request; 0: 30 s.
	RequestTimeout time.Duration
	// Clock replaces time.Now (for tests); it should be the Tenant's too.
	Clock func() time.Time
	// PublicURL is the origin at which the server's console is reached,
	// such as https://scimd.example.com, for the URLs of set-up links;
	// "": they are paths.
	PublicURL string
	// Authenticator, if set, authenticates admin tokens, shared with the
	// other surfaces; nil: one of the handler's own, with Clock and
	// RequestTimeout as its StoreTimeout, which Close closes.
	Authenticator *auth.Authenticator
}

// Handler serves the admin API.
type Handler struct {
	store    store.Store
	hasher   *token.Hasher
	tenant   *tenant.Service
	users    *provision.Service
	log      *slog.Logger
	timeout  time.Duration
	now      func() time.Time
	api      *httpapi.API
	mux      *httpapi.Mux
	auth     *auth.Authenticator
	ownAuth  bool
	lastUsed *tenant.LastUsed // the Authenticator's
	openapi  map[string]any
	// publicURL is Config.PublicURL.
	publicURL string
}

// New returns a Handler. Close stops what it runs in the background.
func New(cfg Config) *Handler {
	h := &Handler{
		store:   cfg.Store,
		hasher:  cfg.Hasher,
		tenant:  cfg.Tenant,
		users:   provision.New(cfg.Store),
		log:     cfg.Log,
		timeout: cfg.RequestTimeout,
		now:     cfg.Clock,
		auth:    cfg.Authenticator,

		publicURL: cfg.PublicURL,
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.tenant == nil {
		h.tenant = tenant.New(cfg.Store, cfg.Hasher)
	}
	if h.timeout <= 0 {
		h.timeout = 30 * time.Second
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.auth == nil {
		h.auth = auth.New(auth.Config{Store: cfg.Store, Hasher: cfg.Hasher, Clock: cfg.Clock, StoreTimeout: h.timeout, Log: h.log})
		h.ownAuth = true
	}
	h.lastUsed = h.auth.LastUsed()
	h.api = newAPI(h.log)
	h.mux = httpapi.NewMux(h.api)
	table := routes()
	h.openapi = h.api.MustOpenAPI(docRoutes(table), schemas)
	h.register(table)
	return h
}

// Close writes, with an Authenticator of its own, when admin tokens were
// last used. The store must still be open.
func (h *Handler) Close() error {
	if h.ownAuth {
		return h.auth.Close()
	}
	return nil
}

// ServeHTTP serves a request under Prefix; anything else is a 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	h.mux.ServeHTTP(w, r.WithContext(ctx))
}

// localOperator is the context key of the operator of a Local request.
type localOperator struct{}

// Local returns a handler that serves the API to an operator who needs no
// admin token: one with access to the database already, such as the
// scimd command run on the database's machine, which uses the API in
// process so that it does what the API does, audited alike. operator
// names them in the audit log, e.g. "cli:alice". The handler must never
// be reachable from the network.
func (h *Handler) Local(operator string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), localOperator{}, operator)))
	})
}

// route is one operation of the API: the handler and what the OpenAPI
// document says of it.
type route struct {
	method string
	// path is under Prefix, with ServeMux wildcards: /workspaces/{slug}.
	path   string
	handle func(h *Handler, c *call) (int, any, error)
	// action, for a write, is its audit action: "workspace.create".
	action string
	// link admits set-up links besides admin tokens: those of the
	// workspace of the path's {slug}, or, on a route without one, any,
	// which its handler confines to the link's workspace.
	link bool
	httpapi.Operation
}

// call is one request on its way through a route: what the handler reads
// and what it tells the audit entry.
type call struct {
	r     *http.Request
	w     http.ResponseWriter
	actor store.Token // the admin token or set-up link, for authenticated routes
	// operator names who made the call, for the audit log and the
	// tokens it creates: admin_token:<id>, setup_link:<id>, or the
	// operator of Local.
	operator string
	// link is the workspace of the set-up link that made the call; nil
	// for any other caller.
	link *store.Workspace

	// Set by the handler for the audit entry of a write.
	workspaceID string
	target      string
	details     map[string]any
}

// register serves every route of the table.
func (h *Handler) register(table []route) {
	for _, rt := range table {
		h.mux.Handle(rt.method, rt.path, h.serve(rt))
	}
}

// serve runs a route: authentication, the handler, the audit entry of a
// write, the response.
func (h *Handler) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		c := &call{r: r, w: w}
		if op, ok := r.Context().Value(localOperator{}).(string); ok {
			c.operator = op
		} else if !rt.Public {
			id, err := h.authenticate(r, rt.link)
			if err == nil && id.Token.Kind == store.TokenSetup {
				c.link = &id.Workspace
				err = c.withinLink()
			}
			if err != nil {
				h.api.Fail(w, r, err)
				return
			}
			c.actor, c.operator = id.Token, actorOf(id.Token)
		}
		status, body, err := rt.handle(h, c)
		if err != nil {
			status = h.api.AsError(err).Status
		}
		if rt.action != "" {
			h.record(c, rt.action, status, err, time.Since(start))
		}
		if err != nil {
			h.api.Fail(w, r, err)
			return
		}
		if body == nil {
			w.WriteHeader(status)
			return
		}
		h.api.WriteJSON(w, status, body)
	})
}

// pathValue returns a wildcard of the request's path.
func (c *call) pathValue(name string) string { return c.r.PathValue(name) }

// query returns a query parameter.
func (c *call) query(name string) string { return c.r.URL.Query().Get(name) }

// detail adds a detail to the audit entry of a write.
func (c *call) detail(key string, v any) {
	if c.details == nil {
		c.details = map[string]any{}
	}
	c.details[key] = v
}
