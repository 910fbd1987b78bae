// Package httpapi is what scimd's JSON APIs (the admin API and the
// application API) are made of: errors with a status, a stable code and a
// message, rendered in one place; request bodies decoded with a size
// limit and errors that say what to fix; routing with JSON 404s and 405s;
// and the OpenAPI 3.1 document generated from the route table that
// routes the requests, so that the two cannot drift apart.
//
// Each API describes itself once, in an API value, and declares its
// operations in a table of Routes.
package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
)

// API is one JSON API: what it says of itself in responses, logs and its
// OpenAPI document.
type API struct {
	// Name names the API in log lines: "admin".
	Name string
	// Prefix is where the API is served, without a trailing slash:
	// "/admin/v1".
	Prefix string
	// Realm is the realm of the WWW-Authenticate header of a 401.
	Realm string
	// Indent indents response bodies, for people who read them.
	Indent bool
	// MaxBody caps request bodies, in bytes.
	MaxBody int64
	// Known maps the errors of the packages the API serves (such as
	// their sentinel errors) to responses, returning nil for an error
	// it does not know, which is then a 500. Nil knows none.
	Known func(error) *Error
	// Log receives failures; nil discards them.
	Log *slog.Logger

	// For the OpenAPI document.
	Title, Description string
	// Scheme names the bearer token the API is authenticated with, and
	// SchemeDescription says what it is.
	Scheme, SchemeDescription string
	// Wildcards describes the wildcards of the routes' paths, by the
	// segment before the wildcard and the wildcard:
	// "workspaces/{slug}".
	Wildcards map[string]Wildcard
	// Errors lists every code the API answers with.
	Errors []ErrorCode
}

// Wildcard is what the OpenAPI document says of a wildcard of a path, and
// the errors a route with it can answer with.
type Wildcard struct {
	Description string
	Errors      []string
}

// ErrorCode documents an error code: the status it comes with and when.
type ErrorCode struct {
	Code    string
	Status  int
	Meaning string
}

func (a *API) log() *slog.Logger {
	if a.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Log
}

// WriteJSON writes a response body. Responses are small, so they are
// marshaled whole, to send a Content-Length and to turn a marshaling
// failure into a 500 rather than a truncated body.
func (a *API) WriteJSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	var err error
	if a.Indent {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		a.log().Error(a.Name+": encode response", "err", err)
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{errorDetail{CodeInternal, "internal server error"}})
	}
	a.WriteBody(w, status, append(b, '\n'))
}

// WriteBody writes b, a JSON response body.
func (a *API) WriteBody(w http.ResponseWriter, status int, b []byte) {
	hd := w.Header()
	hd["Content-Type"] = contentTypeJSON
	hd["Content-Length"] = []string{strconv.Itoa(len(b))}
	hd["Cache-Control"] = noStore // responses may carry secrets, and who holds them
	w.WriteHeader(status)
	w.Write(b)
}

// Header values shared by every response, saving an allocation each.
var (
	contentTypeJSON = []string{"application/json"}
	noStore         = []string{"no-store"}
)
