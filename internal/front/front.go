// Package front is what a listener of the process serves: it routes each
// request to the surface that serves its path (SCIM, the application API,
// the admin API, the console) and wraps them all in request.Wrap.
package front

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/scimd/scimd/internal/admin"
	"github.com/scimd/scimd/internal/appapi"
	"github.com/scimd/scimd/internal/console"
	"github.com/scimd/scimd/internal/request"
	"github.com/scimd/scimd/internal/server"
)

// Config says what a listener serves. Every field may be nil.
type Config struct {
	// SCIM serves its base path, /healthz, /readyz and /metrics (unless
	// served elsewhere), and answers whatever no other surface serves.
	SCIM *server.Server
	// App serves the application API, under appapi.Prefix.
	App http.Handler
	// Admin serves the admin API, under admin.Prefix, and Console the
	// console, under console.Prefix.
	Admin, Console http.Handler
	// Setup serves the set-up page that set-up links open, under
	// console.Prefix, on a listener without the console
	// (console.Console.Setup).
	Setup http.Handler
	// MetricsHandler is served at GET /metrics, on a listener without
	// SCIM.
	MetricsHandler http.Handler
	// Log receives a line for each request; Metrics counts them.
	Log     *slog.Logger
	Metrics *request.Metrics
}

// surface is a part of the process served under a path.
type surface struct {
	name   string
	prefix string // the surface serves prefix and the paths below it
	h      http.Handler
	// routes are the surface's paths, with ServeMux wildcards; nil: it
	// serves every path below prefix.
	routes []string
	// endpoint names the surface's requests in the metrics.
	endpoint string
	scim     bool
}

// Handler is a listener's root handler.
type Handler struct {
	surfaces []surface // the longest prefix first
	fallback http.Handler
	scim     *server.Server
	wrapped  http.Handler
}

// New returns the root handler of a listener serving what cfg says. It
// fails if the SCIM base path would hide a route of another surface.
func New(cfg Config) (*Handler, error) {
	h := &Handler{scim: cfg.SCIM, surfaces: surfaces(cfg)}
	h.fallback = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "404 page not found", http.StatusNotFound)
	})
	if s := cfg.SCIM; s != nil {
		h.fallback = s
		if base := s.BasePath(); base != "" {
			if err := check(h.surfaces, base); err != nil {
				return nil, err
			}
			h.surfaces = append(h.surfaces, surface{name: "SCIM", prefix: base, h: s, scim: true})
		}
	}
	slices.SortStableFunc(h.surfaces, func(a, b surface) int { return len(b.prefix) - len(a.prefix) })
	h.wrapped = request.Wrap(http.HandlerFunc(h.route), request.Config{Log: cfg.Log, Metrics: cfg.Metrics, Internal: h.internal})
	return h, nil
}

// surfaces returns the surfaces other than SCIM that cfg serves.
func surfaces(cfg Config) []surface {
	var ss []surface
	if cfg.App != nil {
		ss = append(ss, surface{name: "the application API", prefix: appapi.Prefix, h: cfg.App, routes: appapi.Paths(), endpoint: appapi.Prefix + "/*"})
	}
	if cfg.Admin != nil {
		ss = append(ss, surface{name: "the admin API", prefix: admin.Prefix, h: cfg.Admin, endpoint: admin.Prefix + "/*"})
	}
	if cfg.Console != nil {
		p := strings.TrimSuffix(console.Prefix, "/")
		ss = append(ss, surface{name: "the console", prefix: p, h: cfg.Console, endpoint: p + "/*"})
	}
	if cfg.Setup != nil && cfg.Console == nil {
		// Its paths alone: the rest of console.Prefix is SCIM's 404.
		for _, p := range []string{console.SetupPath, console.Prefix + "static"} {
			ss = append(ss, surface{name: "the set-up page", prefix: p, h: cfg.Setup, endpoint: p + "/*"})
		}
	}
	if cfg.MetricsHandler != nil {
		ss = append(ss, surface{name: "the metrics", prefix: "/metrics", h: cfg.MetricsHandler, endpoint: "/metrics"})
	}
	return ss
}

// CheckBasePath is New's check of the SCIM base path, for a listener that
// serves the application API beside SCIM and, with admin, the admin API
// and the console, else the set-up page: so that a configuration is
// refused before anything starts.
func CheckBasePath(base string, admin bool) error {
	var cfg Config
	cfg.App = http.NotFoundHandler()
	if admin {
		cfg.Admin, cfg.Console = cfg.App, cfg.App
	} else {
		cfg.Setup = cfg.App
	}
	// As server.New has it: no trailing slash, and "" for the root.
	if base = "/" + strings.Trim(base, "/"); base == "/" {
		return nil
	}
	return check(surfaces(cfg), base)
}

// check refuses a SCIM base path that would hide another surface's
// route: with the longest prefix winning, SCIM under /v1/auth/scim/v2 and
// the application API under /v1 are both served, but SCIM under /v1 or
// under /v1/workspaces would take the application API's requests.
func check(surfaces []surface, base string) error {
	for _, s := range surfaces {
		switch {
		case base == s.prefix:
			return fmt.Errorf("the SCIM base path %s is where %s is served; choose another", base, s.name)
		case !strings.HasPrefix(base, s.prefix+"/"):
			continue
		case s.routes == nil:
			return fmt.Errorf("the SCIM base path %s is under %s, which %s serves; choose another", base, s.prefix, s.name)
		}
		for _, rt := range s.routes {
			if covers(base, rt) {
				return fmt.Errorf("the SCIM base path %s would hide %s's %s; choose another", base, s.name, rt)
			}
		}
	}
	return nil
}

// covers says whether the subtree of base holds paths of the route, whose
// {wildcards} match any segment.
func covers(base, route string) bool {
	bs := strings.Split(strings.Trim(base, "/"), "/")
	rs := strings.Split(strings.Trim(route, "/"), "/")
	if len(rs) < len(bs) {
		return false
	}
	for i, b := range bs {
		if rs[i] != b && !strings.HasPrefix(rs[i], "{") {
			return false
		}
	}
	return true
}

// ServeHTTP serves a request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.wrapped.ServeHTTP(w, r)
}

// route hands a request to the surface with the longest prefix of its
// path. Repeated slashes count as one, as an identity provider configured
// with a base URL ending in / sends them, rather than the redirect of
// http.ServeMux.
func (h *Handler) route(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.URL.Path, "//") {
		u := *r.URL
		u.Path, u.RawPath = squeeze(u.Path), ""
		r2 := *r
		r2.URL = &u
		r = &r2
	}
	s := h.surfaceOf(r.URL.Path)
	if s == nil {
		h.fallback.ServeHTTP(w, r)
		return
	}
	if !s.scim {
		request.SetEndpoint(r.Context(), s.endpoint)
	}
	s.h.ServeHTTP(w, r)
}

func (h *Handler) surfaceOf(path string) *surface {
	for i := range h.surfaces {
		s := &h.surfaces[i]
		if rest, ok := strings.CutPrefix(path, s.prefix); ok && (rest == "" || rest[0] == '/') {
			return s
		}
	}
	return nil
}

// squeeze replaces each run of slashes in p with one.
func squeeze(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// internal answers a request whose handler panicked, in its surface's
// language.
func (h *Handler) internal(w http.ResponseWriter, r *http.Request) {
	s := h.surfaceOf(squeeze(r.URL.Path))
	if h.scim != nil && (s == nil || s.scim) {
		h.scim.InternalError(w, r)
		return
	}
	// The application and admin APIs' error body.
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write([]byte(`{"error":{"code":"internal","message":"internal server error"}}` + "\n"))
}
