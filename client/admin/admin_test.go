package admin_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/scimdtest"
)

func newClient(t *testing.T) (*admin.Client, *scimdtest.Server) {
	t.Helper()
	srv := scimdtest.Start(t)
	return &admin.Client{URL: srv.URL + admin.Prefix, Token: srv.AdminToken}, srv
}

// TestAutomateTenant does what a program that onboards a customer does:
// creates its workspace with settings, maps its groups to roles, mints
// its SCIM and app tokens, and revokes one.
func TestAutomateTenant(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := context.Background()

	w, err := c.CreateWorkspace(ctx, "globex", map[string]any{"defaultRole": "editor", "seatLimit": 50})
	if err != nil {
		t.Fatal(err)
	}
	if w.Slug != "globex" || w.ID == "" || w.Config.DefaultRole != "editor" || w.Config.SeatLimit == nil || *w.Config.SeatLimit != 50 || !w.Config.SCIMEnabled {
		t.Errorf("created %+v", w)
	}
	mappings := []admin.RoleMapping{{Group: "Admins", Role: "admin"}, {ExternalID: "00g1", Role: "developer"}}
	if w, err = c.SetRoleMappings(ctx, "globex", mappings); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Workspace(ctx, "globex"); err != nil || len(got.Config.RoleMappings) != 2 || got.Config.RoleMappings[1] != mappings[1] || got.Config.DefaultRole != "editor" {
		t.Errorf("after SetRoleMappings: %+v, %v", got, err)
	}

	scim, err := c.CreateSCIMToken(ctx, "globex", admin.TokenRequest{Name: "okta", ExpiresIn: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if scim.Secret == "" || scim.Name != "okta" || scim.Expires == nil || scim.DaysLeft == nil || *scim.DaysLeft != 89 && *scim.DaysLeft != 90 {
		t.Errorf("SCIM token %+v", scim)
	}
	// The server's admin token expires, so the app token it mints must
	// too.
	app, err := c.CreateAppToken(ctx, "globex", admin.TokenRequest{Name: "backend", ExpiresIn: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if app.Secret == "" || app.Expires == nil || app.State != "active" {
		t.Errorf("app token %+v", app)
	}
	if _, err := c.RevokeSCIMToken(ctx, "globex", scim.ID); err != nil {
		t.Fatal(err)
	}
	tokens, err := c.SCIMTokens(ctx, "globex")
	if err != nil || len(tokens) != 1 || tokens[0].State != "revoked" {
		t.Errorf("SCIM tokens after revoking: %+v, %v", tokens, err)
	}
	apps, err := c.AppTokens(ctx, "globex")
	if err != nil || len(apps) != 1 || apps[0].ID != app.ID {
		t.Errorf("app tokens %+v, %v", apps, err)
	}
	ws, err := c.Workspaces(ctx)
	if err != nil || len(ws) != 1 {
		t.Errorf("workspaces %+v, %v", ws, err)
	}
	if err := c.DeleteWorkspace(ctx, "globex"); err != nil {
		t.Fatal(err)
	}
}

func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	c, srv := newClient(t)
	ctx := context.Background()
	if _, err := c.CreateWorkspace(ctx, "acme", nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		call   func(*admin.Client) error
		status int
		code   string
	}{
		{"taken slug", func(c *admin.Client) error { _, err := c.CreateWorkspace(ctx, "acme", nil); return err }, http.StatusConflict, "workspace_exists"},
		{"unknown workspace", func(c *admin.Client) error { _, err := c.Workspace(ctx, "nope"); return err }, http.StatusNotFound, "workspace_not_found"},
		{"bad setting", func(c *admin.Client) error {
			_, err := c.UpdateWorkspace(ctx, "acme", map[string]any{"deleteMode": "never"})
			return err
		}, http.StatusBadRequest, "invalid_value"},
		{"no token", func(c *admin.Client) error {
			c.Token = ""
			_, err := c.Workspaces(ctx)
			return err
		}, http.StatusUnauthorized, "unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &admin.Client{URL: srv.URL + admin.Prefix, Token: srv.AdminToken}
			e, ok := admin.IsError(tt.call(c))
			if !ok || e.Status != tt.status || e.Code != tt.code || e.Message == "" {
				t.Errorf("got %#v, want %d %s", e, tt.status, tt.code)
			}
		})
	}
	// Not an admin API at all: a plain error that says so.
	c.URL = srv.URL + "/elsewhere"
	if _, err := c.Workspaces(ctx); err == nil {
		t.Error("no error from a URL that is not the admin API")
	} else if _, ok := admin.IsError(err); ok {
		t.Errorf("%v is an API error", err)
	}
}
