package httpapi

import (
	"net/http"
	"strings"
)

// Mux routes an API's requests: each route to its handler, a path that
// some route serves with another method to a JSON 405 with an Allow
// header, and any other path to a JSON 404.
type Mux struct {
	api *API
	mux *http.ServeMux
}

// NewMux returns a Mux that serves no route yet.
func NewMux(a *API) *Mux {
	m := &Mux{api: a, mux: http.NewServeMux()}
	m.mux.HandleFunc("/", m.notFound)
	return m
}

// Handle serves method on path, a path under the API's prefix with
// ServeMux wildcards: /workspaces/{slug}.
func (m *Mux) Handle(method, path string, h http.Handler) {
	m.mux.Handle(method+" "+m.api.Prefix+path, h)
}

// ServeHTTP serves a request.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mux.ServeHTTP(w, r)
}

func (m *Mux) notFound(w http.ResponseWriter, r *http.Request) {
	if allow := m.allowed(r); allow != "" {
		w.Header().Set("Allow", allow)
		m.api.Fail(w, r, Errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "%s is not allowed on %s; use %s", r.Method, r.URL.Path, allow))
		return
	}
	m.api.Fail(w, r, Errorf(http.StatusNotFound, CodeRouteNotFound, "no endpoint at %s; GET %s/openapi.json lists them", r.URL.Path, m.api.Prefix))
}

// methods are the methods routes may use, in the order Allow lists them.
var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// allowed returns the methods with which some route serves r's path,
// joined for an Allow header, or "" if none does. It asks the mux rather
// than serving each path without a method: such a pattern
// (…/users/{id}/purge) would conflict with a route of another method
// that matches some of its paths (DELETE …/users/invited/{id}).
func (m *Mux) allowed(r *http.Request) string {
	var allow []string
	for _, method := range methods {
		probe := &http.Request{Method: method, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := m.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, method)
		}
	}
	return strings.Join(allow, ", ")
}
