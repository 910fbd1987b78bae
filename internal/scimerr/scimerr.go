// Package scimerr defines the errors that scimd returns to SCIM clients.
//
// Every failure a client can see is an *Error: an HTTP status, an optional
// scimType from RFC 7644 §3.12 and a detail that is safe to show. The cause,
// if any, is kept for logs and never rendered.
package scimerr

import (
	"errors"
	"fmt"
	"net/http"
)

// scimType values from RFC 7644 §3.12, Table 9, and RFC 9865 for cursors.
const (
	InvalidFilter = "invalidFilter"
	TooMany       = "tooMany"
	Uniqueness    = "uniqueness"
	Mutability    = "mutability"
	InvalidSyntax = "invalidSyntax"
	InvalidPath   = "invalidPath"
	NoTarget      = "noTarget"
	InvalidValue  = "invalidValue"
	InvalidVers   = "invalidVers"
	Sensitive     = "sensitive"
	InvalidCursor = "invalidCursor"
	ExpiredCursor = "expiredCursor"
	InvalidCount  = "invalidCount"
)

// Error is a SCIM error response.
type Error struct {
	Status   int    // HTTP status code
	ScimType string // optional, RFC 7644 §3.12
	Detail   string // human-readable, safe to show to the client
	Err      error  // internal cause; never shown to the client
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("scim %d", e.Status)
	if e.ScimType != "" {
		msg += " " + e.ScimType
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with the given status, scimType and detail.
func New(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

// BadRequest returns a 400 error with the given scimType.
func BadRequest(scimType, format string, args ...any) *Error {
	return New(http.StatusBadRequest, scimType, format, args...)
}

// NotFound returns a 404 error.
func NotFound(format string, args ...any) *Error {
	return New(http.StatusNotFound, "", format, args...)
}

// Conflict returns a 409 uniqueness error.
func Conflict(format string, args ...any) *Error {
	return New(http.StatusConflict, Uniqueness, format, args...)
}

// Internal wraps an unexpected error as a 500 whose detail reveals nothing.
func Internal(err error) *Error {
	return &Error{Status: http.StatusInternalServerError, Detail: "internal server error", Err: err}
}

// From converts any error into an *Error, treating unknown errors as internal.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}
