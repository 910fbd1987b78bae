// Package appapi is the application API: a JSON API under /v1 through
// which the application scimd provisions acts on its users. It issues
// users' API keys and sessions, verifies them on every request the
// application serves (POST /v1/verify), and serves the workspace's
// events as a feed that can be replayed and waited on.
//
// Requests are authenticated by an app token of the workspace
// ("Authorization: Bearer scimd_app_…"), which administrators make with
// the admin API; an app token acts on its own workspace only.
//
// Every route is declared once, in the table that routes returns: the
// table registers the handlers and generates the OpenAPI document served
// at /v1/openapi.json, so the two cannot drift apart.
package appapi

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/httpapi"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

// Prefix is where the API lives.
const Prefix = "/v1"

// Config configures a Handler. Store and Hasher are required.
type Config struct {
	Store  store.Store
	Hasher *token.Hasher
	// Verifier verifies users' credentials; nil: one on Store and
	// Hasher with access.DefaultAccess and RequestTimeout as its
	// StoreTimeout, which Close closes.
	Verifier *access.Verifier
	// Log receives failures; nil discards them.
	Log *slog.Logger
	// RequestTimeout bounds the work on one request; 0: 30 s. A long
	// poll of the event feed waits for events beyond it, up to
	// MaxWait.
	RequestTimeout time.Duration
	// Clock replaces time.Now (for tests); it should be the Verifier's
	// too.
	Clock func() time.Time
	// Verifications, if not nil, counts verifications by workspace slug
	// and result ("valid" or the reason); see NewVerificationsCounter.
	Verifications *prometheus.CounterVec
	// Authenticator, if set, authenticates app tokens, shared with the
	// other surfaces; nil: one of the handler's own, with Clock and
	// RequestTimeout as its StoreTimeout, which Close closes.
	Authenticator *auth.Authenticator
}

// NewVerificationsCounter returns the counter Config.Verifications
// wants, for the caller to register: scimd_verifications_total.
func NewVerificationsCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "scimd_verifications_total",
		Help: "Verifications of users' API keys and sessions, by workspace and result: valid, or why not (unknown, revoked, expired, user_deleted, user_inactive).",
	}, []string{"workspace", "result"})
}

// Handler serves the application API.
type Handler struct {
	store       store.Store
	verifier    *access.Verifier
	ownVerifier bool
	issuer      *access.Issuer
	log         *slog.Logger
	timeout     time.Duration
	now         func() time.Time
	api         *httpapi.API
	mux         *httpapi.Mux
	openapi     map[string]any
	auth        *auth.Authenticator
	ownAuth     bool
	feed        *feed
	counts      *counters
	unsubscribe func()
	users       encodedUsers
	bufs        sync.Pool // *bytes.Buffer, for verifications
}

// New returns a Handler. Close stops what it runs in the background.
func New(cfg Config) *Handler {
	h := &Handler{
		store:    cfg.Store,
		verifier: cfg.Verifier,
		auth:     cfg.Authenticator,
		log:      cfg.Log,
		timeout:  cfg.RequestTimeout,
		now:      cfg.Clock,
		feed:     newFeed(),
		counts:   newCounters(cfg.Verifications),
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.timeout <= 0 {
		h.timeout = 30 * time.Second
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.verifier == nil {
		h.verifier = access.NewVerifier(access.Config{Store: cfg.Store, Hasher: cfg.Hasher, Clock: cfg.Clock, StoreTimeout: h.timeout})
		h.ownVerifier = true
	}
	if h.auth == nil {
		h.auth = auth.New(auth.Config{Store: cfg.Store, Hasher: cfg.Hasher, Clock: cfg.Clock, StoreTimeout: h.timeout, Log: h.log})
		h.ownAuth = true
	}
	h.issuer = access.NewIssuer(access.Config{Store: cfg.Store, Hasher: cfg.Hasher, Clock: cfg.Clock})
	h.unsubscribe = cfg.Store.Subscribe(h.feed.apply)
	h.api = newAPI(h.log)
	h.mux = httpapi.NewMux(h.api)
	table := routes()
	h.openapi = h.api.MustOpenAPI(docRoutes(table), schemas)
	h.register(table)
	return h
}

// Close stops watching the store, ends long polls and, with an
// Authenticator of its own, writes when app tokens were last used. The
// store must still be open.
func (h *Handler) Close() error {
	h.unsubscribe()
	h.feed.close()
	if h.ownVerifier {
		h.verifier.Close()
	}
	if h.ownAuth {
		return h.auth.Close()
	}
	return nil
}

// ServeHTTP serves a request under Prefix; anything else is a 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// route is one operation of the API: the handler and what the OpenAPI
// document says of it.
type route struct {
	method string
	// path is under Prefix, with ServeMux wildcards:
	// /workspaces/{slug}/events.
	path   string
	handle func(h *Handler, c *call) (int, any, error)
	// direct, if set, serves the route instead of handle and writes its
	// response itself.
	direct func(h *Handler, w http.ResponseWriter, r *http.Request)
	// long routes may outlast the request timeout, and bound what they
	// do themselves.
	long bool
	httpapi.Operation
}

// call is one authenticated request on its way through a route.
type call struct {
	r   *http.Request
	w   http.ResponseWriter
	app *appEntry // nil on a public route
}

// Paths returns the paths of the API's routes, with ServeMux wildcards
// (/v1/workspaces/{slug}/events), so that what is served beside the API
// can tell whether it would hide one of them.
func Paths() []string {
	var paths []string
	for _, rt := range routes() {
		paths = append(paths, Prefix+rt.path)
	}
	return paths
}

// register serves every route of the table.
func (h *Handler) register(table []route) {
	for _, rt := range table {
		if rt.direct != nil {
			h.mux.Handle(rt.method, rt.path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rt.direct(h, w, r) }))
			continue
		}
		h.mux.Handle(rt.method, rt.path, h.serve(rt))
	}
}

// serve runs a route: authentication, the workspace check, the handler,
// the response.
func (h *Handler) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !rt.long {
			ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		c := &call{r: r, w: w}
		if !rt.Public {
			app, err := h.authenticate(r.Context(), r)
			if err != nil {
				h.api.Fail(w, r, err)
				return
			}
			if slug := r.PathValue("slug"); slug != "" && slug != app.workspace.Slug {
				h.api.Fail(w, r, newError(http.StatusForbidden, CodeForbidden, "the app token is workspace %q's; it cannot act on workspace %q", app.workspace.Slug, slug))
				return
			}
			c.app = app
		}
		status, body, err := rt.handle(h, c)
		if err != nil {
			h.api.Fail(w, r, err)
			return
		}
		h.api.WriteJSON(w, status, body)
	})
}
