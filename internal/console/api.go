package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/admin"
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
// The request is the console's request's, narrowed: its context, so that
// the API stops when the browser goes away, and its correlation id, so
// that the API's audit entries name the browser's request.
func (c *Console) call(r *http.Request, tok, method, path string, query url.Values, body, out any) *apiError {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "the request to the admin API could not be encoded"}
		}
	}
	u := admin.Prefix + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	ar, err := http.NewRequestWithContext(r.Context(), method, u, bytes.NewReader(b))
	if err != nil {
		return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "the request to the admin API could not be made"}
	}
	ar.RemoteAddr = r.RemoteAddr
	if tok != "" {
		ar.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		ar.Header.Set("Content-Type", "application/json")
	}
	for _, h := range []string{"X-Request-Id", "X-Correlation-Id", "Traceparent"} {
		if v := r.Header.Get(h); v != "" {
			ar.Header.Set(h, v)
		}
	}
	rec := &response{header: http.Header{}}
	c.api.ServeHTTP(rec, ar)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status >= 400 {
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.body.Bytes(), &e); err != nil || e.Error.Code == "" {
			return &apiError{Status: rec.status, Code: "internal", Message: fmt.Sprintf("the admin API answered %d %s", rec.status, http.StatusText(rec.status))}
		}
		return &apiError{Status: rec.status, Code: e.Error.Code, Message: e.Error.Message}
	}
	if out != nil && rec.body.Len() > 0 {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			c.log.Error("console: decode admin API response", "method", method, "path", admin.Prefix+path, "err", err)
			return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "the admin API's answer could not be read"}
		}
	}
	return nil
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

// response records the admin API's answer.
type response struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *response) Header() http.Header { return r.header }

func (r *response) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *response) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// apiPath joins path elements below admin.Prefix, escaping each.
func apiPath(elems ...string) string {
	var b strings.Builder
	for _, e := range elems {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(e))
	}
	return b.String()
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
