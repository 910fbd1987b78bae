package appapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/store"
)

// Error codes: stable, for programs to branch on. Messages may change;
// codes do not.
const (
	CodeUnauthorized         = "unauthorized"           // 401: no app token, or not a valid one
	CodeForbidden            = "forbidden"              // 403: the app token is another workspace's
	CodeRouteNotFound        = "route_not_found"        // 404: no endpoint at the path
	CodeMethodNotAllowed     = "method_not_allowed"     // 405: the path exists, the method does not
	CodeUserNotFound         = "user_not_found"         // 404
	CodeCredentialNotFound   = "credential_not_found"   // 404: the user has no such API key or session
	CodeUserInactive         = "user_inactive"          // 409: issuing to a user who is not active
	CodeInvalidJSON          = "invalid_json"           // 400: the body is not the JSON object expected
	CodeInvalidValue         = "invalid_value"          // 400: a field of the body breaks a rule
	CodeInvalidParameter     = "invalid_parameter"      // 400: a query parameter is not valid
	CodeUnsupportedMediaType = "unsupported_media_type" // 415
	CodeBodyTooLarge         = "body_too_large"         // 413
	CodeUnavailable          = "unavailable"            // 503: the database did not answer; retry
	CodeInternal             = "internal"               // 500
)

// Error is an error response: {"error": {"code": …, "message": …}}. The
// message says what to fix; the cause stays in the server's log.
type Error struct {
	Status  int
	Code    string
	Message string
	Err     error // cause, never rendered
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("app api %d %s: %s", e.Status, e.Code, e.Message)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

func newError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func badValue(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeInvalidValue, format, args...)
}

func badParam(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeInvalidParameter, format, args...)
}

func unauthorized(format string, args ...any) *Error {
	return newError(http.StatusUnauthorized, CodeUnauthorized, format, args...)
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// asError turns any error into the response a client should see. The
// handlers wrap errors in an *Error where the context matters; what is
// left is mapped here, so that every response is made the same way.
func asError(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, access.ErrInvalid):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidValue,
			Message: strings.TrimSuffix(err.Error(), ": "+access.ErrInvalid.Error()), Err: err}
	case errors.Is(err, access.ErrUserInactive):
		return &Error{Status: http.StatusConflict, Code: CodeUserInactive,
			Message: err.Error() + "; its identity provider must reactivate it first", Err: err}
	case errors.Is(err, access.ErrUserNotFound):
		return &Error{Status: http.StatusNotFound, Code: CodeUserNotFound, Message: err.Error(), Err: err}
	case errors.Is(err, access.ErrCredentialNotFound):
		return &Error{Status: http.StatusNotFound, Code: CodeCredentialNotFound, Message: err.Error(), Err: err}
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable,
			Message: "the database is unavailable or the request timed out; try again shortly", Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal server error", Err: err}
}

// writeJSON writes a response body, marshaled whole, to send a
// Content-Length and to turn a marshaling failure into a 500 rather than
// a truncated body.
func (h *Handler) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		h.log.Error("app api: encode response", "err", err)
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{errorDetail{CodeInternal, "internal server error"}})
	}
	h.writeBody(w, status, append(b, '\n'))
}

func (h *Handler) writeBody(w http.ResponseWriter, status int, b []byte) {
	hd := w.Header()
	hd["Content-Type"] = contentTypeJSON
	hd["Content-Length"] = []string{strconv.Itoa(len(b))}
	hd["Cache-Control"] = noStore // responses may carry secrets and who holds them
	w.WriteHeader(status)
	w.Write(b)
}

// Header values shared by every response, saving an allocation each.
var (
	contentTypeJSON = []string{"application/json"}
	noStore         = []string{"no-store"}
)

// fail renders err; it is the only place error responses are made.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	if e.Status >= 500 {
		h.log.Error("app api request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err)
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scimd app"`)
	}
	h.writeJSON(w, e.Status, errorBody{errorDetail{e.Code, e.Message}})
}

// maxBody caps request bodies, which are small objects.
const maxBody = 16 << 10

// readBody reads a request body: JSON, or with form also a form
// (RFC 7662 §2.1). It returns the media type and the body.
func readBody(w http.ResponseWriter, r *http.Request, form bool) (string, []byte, error) {
	var buf bytes.Buffer
	mt, err := readBodyInto(w, r, form, &buf)
	return mt, buf.Bytes(), err
}

// readBodyInto is readBody into a buffer.
func readBodyInto(w http.ResponseWriter, r *http.Request, form bool, buf *bytes.Buffer) (string, error) {
	mt := "application/json"
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != mt {
		var err error
		mt, _, err = mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !(form && mt == "application/x-www-form-urlencoded")) {
			also := ""
			if form {
				also = " or application/x-www-form-urlencoded"
			}
			return "", newError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "Content-Type %q is not supported; send application/json%s", ct, also)
		}
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return "", newError(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the request body is larger than %d bytes", maxBody)
	}
	if err != nil {
		return "", newError(http.StatusBadRequest, CodeInvalidJSON, "could not read the request body")
	}
	return mt, nil
}

// decode reads the request body, a JSON object, into v. Unknown fields
// are refused, so that a misspelt field is reported rather than silently
// ignored. An empty body decodes as {}.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	_, body, err := readBody(w, r, false)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeJSON(body, v)
}

// decodeJSON decodes exactly one JSON object into v, refusing unknown
// fields, and explains what is wrong in terms of the field.
func decodeJSON(body []byte, v any) error {
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] != '{' {
		return newError(http.StatusBadRequest, CodeInvalidJSON, "the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return newError(http.StatusBadRequest, CodeInvalidJSON, "field %q must not be a JSON %s", te.Field, te.Value)
		case errors.As(err, &se):
			return newError(http.StatusBadRequest, CodeInvalidJSON, "the request body is not valid JSON: %v (at byte %d)", err, se.Offset)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return newError(http.StatusBadRequest, CodeInvalidJSON, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return newError(http.StatusBadRequest, CodeInvalidJSON, "the request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return newError(http.StatusBadRequest, CodeInvalidJSON, "the request body has data after the JSON object")
	}
	return nil
}
