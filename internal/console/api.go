package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/scimd/scimd/client/admin"
	adminapi "github.com/scimd/scimd/internal/admin"
)

// apiError is an error response of the admin API, {"error": {"code",
// "message"}}, as shown to the operator.
type apiError struct {
	Status  int
	Code    string
	Message string
}

// call sends a request to the admin API in process, with the operator's
// admin token, and decodes the JSON answer into out (if not nil). path
// is below admin.Prefix; body, if not nil, is sent as JSON.
//
// The request carries the console's request's context, so that the API
// stops when the browser goes away, and its correlation id, so that the
// API's audit entries name the browser's request.
func (c *Console) call(r *http.Request, tok, method, path string, query url.Values, body, out any) *apiError {
	cl := admin.Client{HTTP: c.client, URL: "http://console.local" + admin.Prefix, Token: tok, Header: http.Header{}}
	for _, h := range []string{"X-Request-Id", "X-Correlation-Id", "Traceparent"} {
		if v := r.Header.Get(h); v != "" {
			cl.Header.Set(h, v)
		}
	}
	_, err := cl.Do(r.Context(), method, path, query, body, out)
	if err == nil {
		return nil
	}
	if e, ok := admin.IsError(err); ok {
		return &apiError{Status: e.Status, Code: e.Code, Message: e.Message}
	}
	return c.unreadable(method, path, err)
}

// unreadable logs an answer of the admin API that could not be read, and
// says so to the operator.
func (c *Console) unreadable(method, path string, err error) *apiError {
	c.log.Error("console: admin API", "method", method, "path", admin.Prefix+path, "err", err)
	return &apiError{Status: http.StatusInternalServerError, Code: adminapi.CodeInternal, Message: "the admin API's answer could not be read"}
}

// api calls the admin API as the signed-in operator. When the API
// refuses the token (revoked or expired since the sign-in), the page is
// not shown: render and redirect end the session instead.
func (q *req) api(method, path string, query url.Values, body, out any) *apiError {
	e := q.c.call(q.r, q.token, method, path, query, body, out)
	if e != nil && e.Status == http.StatusUnauthorized {
		q.signedOut = e
	}
	return e
}

// when formats a time of the API for people: UTC to the second, or "—"
// for none.
func when(t any) string {
	var tm time.Time
	switch v := t.(type) {
	case time.Time:
		tm = v
	case *time.Time:
		if v != nil {
			tm = *v
		}
	}
	if tm.IsZero() {
		return "—"
	}
	return tm.UTC().Format("2006-01-02 15:04:05 UTC")
}
