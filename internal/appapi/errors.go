package appapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/httpapi"
)

// Error codes: stable, for programs to branch on. Messages may change;
// codes do not. errorCodes says what each means.
const (
	CodeUnauthorized         = httpapi.CodeUnauthorized
	CodeForbidden            = "forbidden"
	CodeRouteNotFound        = httpapi.CodeRouteNotFound
	CodeMethodNotAllowed     = httpapi.CodeMethodNotAllowed
	CodeUserNotFound         = "user_not_found"
	CodeCredentialNotFound   = "credential_not_found"
	CodeUserInactive         = "user_inactive"
	CodeInvalidJSON          = httpapi.CodeInvalidJSON
	CodeInvalidValue         = httpapi.CodeInvalidValue
	CodeInvalidParameter     = httpapi.CodeInvalidParameter
	CodeUnsupportedMediaType = httpapi.CodeUnsupportedMediaType
	CodeBodyTooLarge         = httpapi.CodeBodyTooLarge
	CodeUnavailable          = httpapi.CodeUnavailable
	CodeInternal             = httpapi.CodeInternal
)

// errorCodes are the codes the API answers with, for its OpenAPI
// document and the table of docs/application-api.md, which a test checks
// against it.
var errorCodes = httpapi.ErrorCodes("no app token, or not a valid one (another kind of token, revoked, expired)",
	httpapi.ErrorCode{Code: CodeForbidden, Status: http.StatusForbidden, Meaning: "the app token is another workspace's"},
	httpapi.ErrorCode{Code: CodeUserNotFound, Status: http.StatusNotFound, Meaning: "the workspace has no user with the id"},
	httpapi.ErrorCode{Code: CodeCredentialNotFound, Status: http.StatusNotFound, Meaning: "the user has no such API key or session"},
	httpapi.ErrorCode{Code: CodeUserInactive, Status: http.StatusConflict, Meaning: "issuing to a user who is not active"},
)

// Error is an error response: {"error": {"code": …, "message": …}}.
type Error = httpapi.Error

func newError(status int, code, format string, args ...any) *Error {
	return httpapi.Errorf(status, code, format, args...)
}

func badValue(format string, args ...any) *Error {
	return httpapi.InvalidValue(format, args...)
}

func badParam(format string, args ...any) *Error {
	return httpapi.InvalidParameter(format, args...)
}

func unauthorized(format string, args ...any) *Error {
	return httpapi.Unauthorized(format, args...)
}

// knownError maps the errors of package access to responses; nil for
// any other.
func knownError(err error) *Error {
	switch {
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
	}
	return nil
}

// maxBody caps request bodies, which are small objects.
const maxBody = 16 << 10
