// Package admin is a typed client of scimd's admin API, for programs
// that automate an installation: create workspaces, mint their SCIM and
// app tokens, set how their groups map to roles, manage webhooks, users
// and the audit log. The scimd command and its console use it too.
//
// The types of this package are the API's answers as the server writes
// them. Client's methods cover what automation most needs; Do reaches
// every endpoint of the API, whose OpenAPI document the server serves at
// GET /admin/v1/openapi.json.
//
// # Compatibility
//
// This package follows semantic versioning with the module
// github.com/scimd/scimd: within a major version, its exported names keep
// their meaning and signatures, answer types only gain fields, and fields
// are never removed or retyped. Everything under internal/ may change at
// any time.
package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Prefix is where the admin API lives on a server.
const Prefix = "/admin/v1"

// Client calls the API: over the network, or in this process with
// InProcess. Its zero value is not usable; set URL, and Token unless the
// API is served in process to a local operator.
type Client struct {
	// HTTP sends the requests; nil: http.DefaultClient.
	HTTP *http.Client
	// URL is the API's: the server's URL and Prefix, such as
	// http://127.0.0.1:8081/admin/v1.
	URL string
	// Token is the admin token the requests carry, if any.
	Token string
	// Header holds headers every request carries too, such as a
	// correlation id.
	Header http.Header
}

// Do sends a request for path, below Prefix, with query, and with in as
// its JSON body unless in is nil, and decodes the answer into out unless
// out is nil. It returns the answer's body. An error answer of the API is
// returned as an *Error with its status, code and message.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in, out any) (json.RawMessage, error) {
	u := c.URL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("admin API: %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("admin API: %w", err)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin API: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("admin API: %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e errorBody
		if json.Unmarshal(b, &e) != nil || e.Error.Code == "" {
			return nil, fmt.Errorf("admin API: %s %s: %s; is %s a scimd server's admin API?", method, path, resp.Status, c.URL)
		}
		return nil, &Error{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("admin API: %s %s: %w", method, path, err)
		}
	}
	return b, nil
}

// IsError reports whether err is an error answer of the API, and returns
// it.
func IsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Error is an error answer of the API: {"error": {"code", "message"}}.
// Code is stable, for programs to branch on; Message says what to fix,
// for people, and may change.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("admin API: %d %s: %s", e.Status, e.Code, e.Message)
}

// errorBody is the JSON of an error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Path joins path segments, escaping each, for Client.Do:
// Path("workspaces", slug, "tokens").
func Path(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// InProcess returns a transport that answers requests with h, in this
// process, for a Client of a handler that is not listening on the
// network.
func InProcess(h http.Handler) http.RoundTripper { return handlerTransport{h} }

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	w := &responseBuffer{header: http.Header{}}
	t.h.ServeHTTP(w, req)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(&w.body),
		ContentLength: int64(w.body.Len()),
		Request:       req,
	}, nil
}

// responseBuffer is the http.ResponseWriter of handlerTransport.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseBuffer) Header() http.Header { return w.header }

func (w *responseBuffer) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseBuffer) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}
