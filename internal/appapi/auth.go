package appapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/scimd/scimd/internal/auth"
	"github.com/scimd/scimd/internal/store"
)

// authenticate returns what the app token of a request stands for:
// "Authorization: Bearer scimd_app_…", not revoked, not expired (see
// package auth). SCIM, admin and users' tokens are refused like any other
// invalid token, each with what it is and where it works.
func (h *Handler) authenticate(ctx context.Context, r *http.Request) (*appEntry, error) {
	id, err := h.auth.Authenticate(ctx, r.Header.Get("Authorization"), auth.App)
	var refused *auth.Error
	if !errors.As(err, &refused) {
		if err != nil {
			return nil, err
		}
		return &appEntry{token: id.Token, workspace: id.Workspace}, nil
	}
	switch refused.Reason {
	case auth.Missing:
		return nil, unauthorized("an app token is required: send Authorization: Bearer scimd_app_… (POST /admin/v1/workspaces/{slug}/app-tokens makes one)")
	case auth.Revoked:
		return nil, unauthorized("the app token has been revoked")
	case auth.Expired:
		return nil, unauthorized("the app token has expired")
	}
	switch refused.Presented {
	case auth.APIKey, auth.Session:
		what := "an API key"
		if refused.Presented == auth.Session {
			what = "a session token"
		}
		return nil, unauthorized("this is %s of a user, which the application verifies with POST %s/verify; authenticate with an app token (scimd_app_…)", what, Prefix)
	case auth.SCIM:
		return nil, unauthorized("this is a SCIM token, which works only on the SCIM endpoints; the application API needs an app token (scimd_app_…)")
	case auth.Admin:
		return nil, unauthorized("this is an admin token, which works only on the admin API; the application API needs an app token (scimd_app_…)")
	}
	return nil, unauthorized("the bearer token is not a valid app token")
}

// appEntry is what the request's app token stands for.
type appEntry struct {
	token     store.Token
	workspace store.Workspace
}
