package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/httpapi"
	"github.com/scimd/scimd/internal/store"
)

var errTeapot = errors.New("teapot")

// newAPI returns an API under /api with a few routes:
//
//	POST /api/things        decodes {"name": string, "n": int}
//	POST /api/things/opt    the same, with an optional body
//	POST /api/forms         reads a JSON body or a form
//	GET  /api/things/{id}   fails with the error named by id
func newAPI(t *testing.T) (*httpapi.API, http.Handler) {
	t.Helper()
	a := &httpapi.API{
		Name: "test", Prefix: "/api", Realm: "test realm", MaxBody: 64,
		Known: func(err error) *httpapi.Error {
			if errors.Is(err, errTeapot) {
				return httpapi.Errorf(http.StatusTeapot, "teapot", "short and stout")
			}
			return nil
		},
	}
	m := httpapi.NewMux(a)
	thing := func(optional bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var body struct {
				Name string `json:"name"`
				N    int    `json:"n"`
			}
			if err := a.Decode(w, r, &body, optional); err != nil {
				a.Fail(w, r, err)
				return
			}
			a.WriteJSON(w, http.StatusCreated, body)
		}
	}
	m.Handle("POST", "/things", thing(false))
	m.Handle("POST", "/things/opt", thing(true))
	m.Handle("POST", "/forms", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		mt, err := a.ReadBody(w, r, &buf, true)
		if err != nil {
			a.Fail(w, r, err)
			return
		}
		a.WriteJSON(w, http.StatusOK, map[string]string{"type": mt})
	}))
	m.Handle("GET", "/things/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		errs := map[string]error{
			"teapot":      fmt.Errorf("brewing: %w", errTeapot),
			"unavailable": fmt.Errorf("query: %w", store.ErrUnavailable),
			"timeout":     context.DeadlineExceeded,
			"bug":         errors.New("nil map"),
			"token":       httpapi.Unauthorized("a token is required"),
			"value":       httpapi.InvalidValue("n must be positive"),
			"param":       httpapi.InvalidParameter("limit=0: want 1 to 10"),
		}
		a.Fail(w, r, errs[r.PathValue("id")])
	}))
	return a, m
}

func TestErrors(t *testing.T) {
	_, h := newAPI(t)
	for _, tt := range []struct {
		name, method, path, ct, body string
		status                       int
		code, message                string
	}{
		{"unknown path", "GET", "/api/nothing", "", "", 404, "route_not_found", "no endpoint at /api/nothing; GET /api/openapi.json lists them"},
		{"other method", "DELETE", "/api/things", "", "", 405, "method_not_allowed", "DELETE is not allowed on /api/things; use POST"},
		{"known error", "GET", "/api/things/teapot", "", "", 418, "teapot", "short and stout"},
		{"unavailable", "GET", "/api/things/unavailable", "", "", 503, "unavailable", "the database is unavailable or the request timed out; try again shortly"},
		{"timeout", "GET", "/api/things/timeout", "", "", 503, "unavailable", "the database is unavailable or the request timed out; try again shortly"},
		{"bug", "GET", "/api/things/bug", "", "", 500, "internal", "internal server error"},
		{"unauthorized", "GET", "/api/things/token", "", "", 401, "unauthorized", "a token is required"},
		{"invalid value", "GET", "/api/things/value", "", "", 400, "invalid_value", "n must be positive"},
		{"invalid parameter", "GET", "/api/things/param", "", "", 400, "invalid_parameter", "limit=0: want 1 to 10"},

		{"empty", "POST", "/api/things", "", "", 400, "invalid_json", "the request body is empty; send a JSON object"},
		{"blank", "POST", "/api/things", "", " \n", 400, "invalid_json", "the request body is empty; send a JSON object"},
		{"syntax", "POST", "/api/things", "", `{"name":`, 400, "invalid_json", "the request body is not valid JSON: unexpected EOF"},
		{"bad token", "POST", "/api/things", "", `{"name" 1}`, 400, "invalid_json", "the request body is not valid JSON: invalid character '1' after object key (at byte 9)"},
		{"array", "POST", "/api/things", "", `[1]`, 400, "invalid_json", "the request body must be a JSON object"},
		{"trailing data", "POST", "/api/things", "", `{} {}`, 400, "invalid_json", "the request body has data after the JSON object"},
		{"wrong type", "POST", "/api/things", "", `{"name": 3}`, 400, "invalid_json", `field "name" must not be a JSON number; want a string`},
		{"wrong type, int", "POST", "/api/things", "", `{"n": "3"}`, 400, "invalid_json", `field "n" must not be a JSON string; want a whole number`},
		{"unknown field", "POST", "/api/things", "", `{"colour": "red"}`, 400, "invalid_json", `unknown field "colour"`},
		{"too large", "POST", "/api/things", "", `{"name": "` + strings.Repeat("a", 64) + `"}`, 413, "body_too_large", "the request body is larger than 64 bytes"},
		{"form", "POST", "/api/things", "application/x-www-form-urlencoded", `name=a`, 415, "unsupported_media_type",
			`Content-Type "application/x-www-form-urlencoded" is not supported; send application/json (with curl: -H 'Content-Type: application/json')`},
		{"bad media type", "POST", "/api/forms", "text/plain", `a`, 415, "unsupported_media_type",
			`Content-Type "text/plain" is not supported; send application/json or application/x-www-form-urlencoded (with curl: -H 'Content-Type: application/json')`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.ct != "" {
				req.Header.Set("Content-Type", tt.ct)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var got struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if rec.Code != tt.status || got.Error.Code != tt.code || got.Error.Message != tt.message {
				t.Errorf("%d %s %q, want %d %s %q", rec.Code, got.Error.Code, got.Error.Message, tt.status, tt.code, tt.message)
			}
			if ct, cc := rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"); ct != "application/json" || cc != "no-store" {
				t.Errorf("Content-Type %q, Cache-Control %q", ct, cc)
			}
			if got, want := rec.Header().Get("WWW-Authenticate"), map[bool]string{true: `Bearer realm="test realm"`}[tt.status == 401]; got != want {
				t.Errorf("WWW-Authenticate %q, want %q", got, want)
			}
			if got, want := rec.Header().Get("Allow"), map[bool]string{true: "POST"}[tt.status == 405]; got != want {
				t.Errorf("Allow %q, want %q", got, want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	a, h := newAPI(t)
	for _, tt := range []struct {
		name, path, ct, body, want string
		indent                     bool
	}{
		{"object", "/api/things", "application/json", `{"name": "a", "n": 2}`, `{"name":"a","n":2}` + "\n", false},
		{"no Content-Type", "/api/things", "", `{"name": "a"}`, `{"name":"a","n":0}` + "\n", false},
		{"with charset", "/api/things", "application/json; charset=utf-8", `{"n": 1}`, `{"name":"","n":1}` + "\n", false},
		{"optional, empty", "/api/things/opt", "", ``, `{"name":"","n":0}` + "\n", false},
		{"indented", "/api/things", "", `{"name": "a"}`, "{\n  \"name\": \"a\",\n  \"n\": 0\n}\n", true},
		{"form", "/api/forms", "application/x-www-form-urlencoded", `token=x`, `{"type":"application/x-www-form-urlencoded"}` + "\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a.Indent = tt.indent
			req := httptest.NewRequest("POST", tt.path, strings.NewReader(tt.body))
			if tt.ct != "" {
				req.Header.Set("Content-Type", tt.ct)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 300 || rec.Body.String() != tt.want {
				t.Errorf("%d %q, want %q", rec.Code, rec.Body, tt.want)
			}
			if got, want := rec.Header().Get("Content-Length"), fmt.Sprint(len(tt.want)); got != want {
				t.Errorf("Content-Length %s, want %s", got, want)
			}
		})
	}
}
