package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/scimd/scimd/internal/store"
)

// The error codes every API answers with. Codes are stable, for programs
// to branch on; messages may change.
const (
	CodeUnauthorized         = "unauthorized"
	CodeRouteNotFound        = "route_not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeInvalidJSON          = "invalid_json"
	CodeInvalidValue         = "invalid_value"
	CodeInvalidParameter     = "invalid_parameter"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeBodyTooLarge         = "body_too_large"
	CodeUnavailable          = "unavailable"
	CodeInternal             = "internal"
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
	msg := fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an error response with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidValue returns a 400 invalid_value: a field of the body breaks a
// rule.
func InvalidValue(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidValue, format, args...)
}

// InvalidParameter returns a 400 invalid_parameter: a query parameter is
// not valid.
func InvalidParameter(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidParameter, format, args...)
}

// Unauthorized returns a 401 unauthorized.
func Unauthorized(format string, args ...any) *Error {
	return Errorf(http.StatusUnauthorized, CodeUnauthorized, format, args...)
}

// errorBody is the JSON of an error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// AsError turns any error into the response a client should see. The
// handlers return errors as they come, already wrapped in an *Error where
// the context matters (which workspace, which token); what is left is
// mapped here, so that every response is made the same way: the store's
// unavailability and timeouts are 503s, what Known knows is its answer,
// and the rest is a 500.
func (a *API) AsError(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable,
			Message: "the database is unavailable or the request timed out; try again shortly", Err: err}
	}
	if a.Known != nil {
		if e := a.Known(err); e != nil {
			return e
		}
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal server error", Err: err}
}

// Fail renders err; it is the only place error responses are made.
func (a *API) Fail(w http.ResponseWriter, r *http.Request, err error) {
	e := a.AsError(err)
	if e.Status >= 500 {
		a.log().Error(a.Name+" request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err)
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+a.Realm+`"`)
	}
	a.WriteJSON(w, e.Status, errorBody{errorDetail{e.Code, e.Message}})
}

// ErrorCodes returns the codes of an API: those every API answers with,
// unauthorized meaning what is given, and its own.
func ErrorCodes(unauthorized string, own ...ErrorCode) []ErrorCode {
	codes := []ErrorCode{
		{CodeUnauthorized, http.StatusUnauthorized, unauthorized},
		{CodeRouteNotFound, http.StatusNotFound, "no endpoint at the path"},
		{CodeMethodNotAllowed, http.StatusMethodNotAllowed, "the path exists, the method does not; Allow lists those that do"},
	}
	codes = append(codes, own...)
	return append(codes,
		ErrorCode{CodeInvalidJSON, http.StatusBadRequest, "the body is not the JSON object expected: not JSON, a field unknown or of the wrong type"},
		ErrorCode{CodeInvalidValue, http.StatusBadRequest, "a field of the body breaks a rule"},
		ErrorCode{CodeInvalidParameter, http.StatusBadRequest, "a query parameter is not valid"},
		ErrorCode{CodeUnsupportedMediaType, http.StatusUnsupportedMediaType, "the body is not application/json"},
		ErrorCode{CodeBodyTooLarge, http.StatusRequestEntityTooLarge, "the body is larger than the API takes"},
		ErrorCode{CodeUnavailable, http.StatusServiceUnavailable, "the database did not answer, or the request timed out; retry"},
		ErrorCode{CodeInternal, http.StatusInternalServerError, "a failure of the server, whose log says more"},
	)
}
