package admin

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

	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
)

// Error codes: stable, for programs to branch on. Messages may change;
// codes do not.
const (
	CodeUnauthorized         = "unauthorized"           // 401: no admin token, or not a valid one
	CodeRouteNotFound        = "route_not_found"        // 404: no endpoint at the path
	CodeMethodNotAllowed     = "method_not_allowed"     // 405: the path exists, the method does not
	CodeWorkspaceNotFound    = "workspace_not_found"    // 404
	CodeTokenNotFound        = "token_not_found"        // 404
	CodeUserNotFound         = "user_not_found"         // 404
	CodeGroupNotFound        = "group_not_found"        // 404: no group with the id or externalId
	CodeTeamLinkNotFound     = "team_link_not_found"    // 404: unlinking a group not linked to a team
	CodeSeatLimit            = "seat_limit"             // 403: every seat is taken
	CodeUserNameTaken        = "user_name_taken"        // 409: restoring a user whose userName another has
	CodeUserActive           = "user_active"            // 409: deleting a user that is not suspended
	CodeWorkspaceExists      = "workspace_exists"       // 409: the slug is taken
	CodeTokenInactive        = "token_inactive"         // 409: rotating a revoked or expired token
	CodeNoActiveToken        = "no_active_token"        // 409: nothing to rotate
	CodeInvalidJSON          = "invalid_json"           // 400: the body is not the JSON object expected
	CodeInvalidValue         = "invalid_value"          // 400: a field of the body breaks a rule
	CodeInvalidParameter     = "invalid_parameter"      // 400: a query parameter is not valid
	CodeInvalidCursor        = "invalid_cursor"         // 400: a cursor this listing did not issue
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
	msg := fmt.Sprintf("admin %d %s: %s", e.Status, e.Code, e.Message)
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

// errorBody is the JSON of an error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// asError turns any error into the response a client should see. The
// handlers return store and tenant errors as they come, already wrapped
// in an *Error where the context matters (which workspace, which token);
// what is left is mapped here, so that every response is made the same
// way.
func asError(err error) *Error {
	var e *Error
	var se *scimerr.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, tenant.ErrInvalid):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidValue,
			Message: strings.TrimSuffix(err.Error(), ": "+tenant.ErrInvalid.Error()), Err: err}
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable,
			Message: "the database is unavailable or the request timed out; try again shortly", Err: err}
	case errors.As(err, &se) && se.Status < 500:
		// Filters are parsed by the SCIM machinery, which explains
		// itself in SCIM errors.
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidParameter, Message: se.Detail, Err: err}
	case errors.As(err, &se) && se.Status == http.StatusServiceUnavailable:
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: se.Detail, Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal server error", Err: err}
}

// writeJSON writes a response body. Responses are small, so they are
// marshaled whole, to send a Content-Length and to turn a marshaling
// failure into a 500 rather than a truncated body.
func (h *Handler) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		h.log.Error("admin: encode response", "err", err)
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{errorDetail{CodeInternal, "internal server error"}})
	}
	b = append(b, '\n')
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	hd.Set("Cache-Control", "no-store") // responses may carry new tokens
	w.WriteHeader(status)
	w.Write(b)
}

// fail renders err; it is the only place error responses are made.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	if e.Status >= 500 {
		h.log.Error("admin request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err)
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scimd admin"`)
	}
	h.writeJSON(w, e.Status, errorBody{errorDetail{e.Code, e.Message}})
}

// maxBody caps request bodies: the largest, a configuration, is well
// under a kilobyte.
const maxBody = 64 << 10

// decode reads the request body, a JSON object, into v. Unknown fields
// are refused, so that a misspelt setting is reported rather than
// silently ignored. An empty body decodes as {} when optional is set.
func decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return newError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "Content-Type %q is not supported; send application/json (with curl: -H 'Content-Type: application/json')", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return newError(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the request body is larger than %d bytes", maxBody)
	}
	if err != nil {
		return newError(http.StatusBadRequest, CodeInvalidJSON, "could not read the request body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return newError(http.StatusBadRequest, CodeInvalidJSON, "the request body is empty; send a JSON object")
	}
	return decodeJSON(body, v)
}

// decodeJSON decodes exactly one JSON object into v, refusing unknown
// fields, and explains what is wrong in terms of the field.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] != '{' {
		return newError(http.StatusBadRequest, CodeInvalidJSON, "the request body must be a JSON object")
	}
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return newError(http.StatusBadRequest, CodeInvalidJSON, "field %q must not be a JSON %s; want %s", te.Field, te.Value, jsonKind(te.Type.String()))
		case errors.As(err, &te):
			return newError(http.StatusBadRequest, CodeInvalidJSON, "the request body must be a JSON object, not %s", te.Value)
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

// jsonKind names a Go type as the JSON a client should send for it.
func jsonKind(goType string) string {
	switch strings.TrimLeft(goType, "*") {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64":
		return "a whole number"
	}
	if strings.HasPrefix(goType, "[]") {
		return "a JSON array"
	}
	return "a " + goType
}
