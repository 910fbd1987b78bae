package admin

import (
	"errors"
	"net/http"
	"strings"

	"github.com/scimd/scimd/internal/httpapi"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
)

// Error codes: stable, for programs to branch on. Messages may change;
// codes do not. errorCodes says what each means.
const (
	CodeUnauthorized         = httpapi.CodeUnauthorized
	CodeRouteNotFound        = httpapi.CodeRouteNotFound
	CodeMethodNotAllowed     = httpapi.CodeMethodNotAllowed
	CodeWorkspaceNotFound    = "workspace_not_found"
	CodeTokenNotFound        = "token_not_found"
	CodeSetupLinkNotFound    = "setup_link_not_found"
	CodeForbidden            = "forbidden"
	CodeSetupLinkEnded       = "setup_link_ended"
	CodeUserNotFound         = "user_not_found"
	CodeGroupNotFound        = "group_not_found"
	CodeTeamLinkNotFound     = "team_link_not_found"
	CodeSchemaNotFound       = "schema_not_found"
	CodeSchemaDeclared       = "schema_declared"
	CodeSeatLimit            = "seat_limit"
	CodeUserNameTaken        = "user_name_taken"
	CodeUserActive           = "user_active"
	CodeWorkspaceExists      = "workspace_exists"
	CodeTokenInactive        = "token_inactive"
	CodeNoActiveToken        = "no_active_token"
	CodeInvalidJSON          = httpapi.CodeInvalidJSON
	CodeInvalidValue         = httpapi.CodeInvalidValue
	CodeInvalidParameter     = httpapi.CodeInvalidParameter
	CodeInvalidCursor        = "invalid_cursor"
	CodeUnsupportedMediaType = httpapi.CodeUnsupportedMediaType
	CodeBodyTooLarge         = httpapi.CodeBodyTooLarge
	CodeUnavailable          = httpapi.CodeUnavailable
	CodeInternal             = httpapi.CodeInternal
)

// errorCodes are the codes the API answers with, for its OpenAPI
// document and the table of docs/admin-api.md, which a test checks
// against it.
var errorCodes = httpapi.ErrorCodes("no admin token, or not a valid one (a SCIM token, revoked, expired)",
	httpapi.ErrorCode{Code: CodeWorkspaceNotFound, Status: http.StatusNotFound, Meaning: "no workspace has the slug"},
	httpapi.ErrorCode{Code: CodeTokenNotFound, Status: http.StatusNotFound, Meaning: "no token of the kind has the id"},
	httpapi.ErrorCode{Code: CodeSetupLinkNotFound, Status: http.StatusNotFound, Meaning: "the workspace has no set-up link with the id"},
	httpapi.ErrorCode{Code: CodeSetupLinkEnded, Status: http.StatusUnauthorized, Meaning: "the set-up link has expired or been revoked"},
	httpapi.ErrorCode{Code: CodeForbidden, Status: http.StatusForbidden, Meaning: "a set-up link used beyond its own workspace's set-up"},
	httpapi.ErrorCode{Code: CodeUserNotFound, Status: http.StatusNotFound, Meaning: "no user of the workspace, in the state the route is for, has the id"},
	httpapi.ErrorCode{Code: CodeGroupNotFound, Status: http.StatusNotFound, Meaning: "no group of the workspace has the id or externalId"},
	httpapi.ErrorCode{Code: CodeTeamLinkNotFound, Status: http.StatusNotFound, Meaning: "unlinking a group not linked to a team"},
	httpapi.ErrorCode{Code: CodeSchemaNotFound, Status: http.StatusNotFound, Meaning: "the workspace declares no extension schema with the URN"},
	httpapi.ErrorCode{Code: CodeSchemaDeclared, Status: http.StatusConflict, Meaning: "the URN is declared for another resource type"},
	httpapi.ErrorCode{Code: CodeWebhookNotFound, Status: http.StatusNotFound, Meaning: "no webhook of the workspace has the id"},
	httpapi.ErrorCode{Code: CodeDeliveryNotFound, Status: http.StatusNotFound, Meaning: "the webhook has no delivery with the id"},
	httpapi.ErrorCode{Code: CodeSeatLimit, Status: http.StatusForbidden, Meaning: "every seat is taken"},
	httpapi.ErrorCode{Code: CodeUserNameTaken, Status: http.StatusConflict, Meaning: "another user has the userName"},
	httpapi.ErrorCode{Code: CodeUserActive, Status: http.StatusConflict, Meaning: "deleting a user that is not suspended"},
	httpapi.ErrorCode{Code: CodeWorkspaceExists, Status: http.StatusConflict, Meaning: "the slug is taken"},
	httpapi.ErrorCode{Code: CodeTokenInactive, Status: http.StatusConflict, Meaning: "rotating a revoked or expired token"},
	httpapi.ErrorCode{Code: CodeNoActiveToken, Status: http.StatusConflict, Meaning: "the workspace has no active token to rotate"},
	httpapi.ErrorCode{Code: CodeInvalidCursor, Status: http.StatusBadRequest, Meaning: "a cursor this listing did not issue"},
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

// knownError maps the errors of the tenant service and of the SCIM
// machinery to responses; nil for any other.
func knownError(err error) *Error {
	var se *scimerr.Error
	switch {
	case errors.Is(err, tenant.ErrInvalid):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidValue,
			Message: strings.TrimSuffix(err.Error(), ": "+tenant.ErrInvalid.Error()), Err: err}
	case errors.Is(err, store.ErrTooMany):
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidParameter, Message: provision.TooMany(err).Detail, Err: err}
	case errors.As(err, &se) && se.Status < 500:
		// Filters are parsed by the SCIM machinery, which explains
		// itself in SCIM errors.
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidParameter, Message: se.Detail, Err: err}
	case errors.As(err, &se) && se.Status == http.StatusServiceUnavailable:
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: se.Detail, Err: err}
	}
	return nil
}

// maxBody caps request bodies: the largest, a configuration, is well
// under a kilobyte.
const maxBody = 64 << 10
