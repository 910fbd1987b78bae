package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
)

func workspaceOut(w store.Workspace) Workspace {
	return Workspace{ID: w.ID, Slug: w.Slug, Created: w.Created.UTC(), Config: configOut(w.Config)}
}

// workspace returns the workspace of a slug, or a 404 that names it.
func (h *Handler) workspace(ctx context.Context, slug string) (store.Workspace, error) {
	w, err := h.store.WorkspaceBySlug(ctx, slug)
	return w, workspaceErr(slug, err)
}

// workspaceErr turns store.ErrNotFound from a lookup by slug into a 404
// that names the workspace.
func workspaceErr(slug string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: CodeWorkspaceNotFound,
			Message: fmt.Sprintf("workspace %q does not exist; GET %s/workspaces lists them", slug, Prefix), Err: err}
	}
	return err
}

func listWorkspaces(h *Handler, c *call) (int, any, error) {
	ws, err := h.tenant.Workspaces(c.r.Context())
	if err != nil {
		return 0, nil, err
	}
	out := WorkspaceList{Workspaces: make([]Workspace, len(ws))}
	for i, w := range ws {
		out.Workspaces[i] = workspaceOut(w)
	}
	return http.StatusOK, out, nil
}

func getWorkspace(h *Handler, c *call) (int, any, error) {
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, workspaceOut(w), nil
}

// createWorkspace creates a workspace, with the default configuration
// changed by the settings given. The configuration is checked before the
// workspace is created; should storing it fail after all, the workspace
// is deleted again, so that a failed request leaves nothing behind.
func createWorkspace(h *Handler, c *call) (int, any, error) {
	var body struct {
		Slug   string          `json:"slug"`
		Config json.RawMessage `json:"config"`
	}
	if err := h.api.Decode(c.w, c.r, &body, false); err != nil {
		return 0, nil, err
	}
	c.target = body.Slug
	if body.Slug == "" {
		return 0, nil, badValue("slug is required: 1-63 lower-case letters, digits or inner hyphens, e.g. \"acme\"")
	}
	cfg := store.DefaultWorkspaceConfig()
	if err := mergeConfig(&cfg, body.Config, "config."); err != nil {
		return 0, nil, err
	}
	if err := tenant.ValidateConfig(cfg); err != nil {
		return 0, nil, err
	}
	ctx := c.r.Context()
	w, err := h.tenant.CreateWorkspace(ctx, body.Slug)
	if errors.Is(err, store.ErrAlreadyExists) {
		return 0, nil, &Error{Status: http.StatusConflict, Code: CodeWorkspaceExists,
			Message: fmt.Sprintf("workspace %q already exists; choose another slug", body.Slug), Err: err}
	}
	if err != nil {
		return 0, nil, err
	}
	c.workspaceID, c.target = w.ID, w.ID
	c.detail("slug", w.Slug)
	if !reflect.DeepEqual(cfg, w.Config) {
		w, err = h.tenant.UpdateConfig(ctx, w.Slug, func(cur *store.WorkspaceConfig) error {
			*cur = cfg
			return nil
		})
		if err != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if derr := h.tenant.DeleteWorkspace(dctx, body.Slug); derr != nil {
				h.log.Error("admin: workspace created without its configuration", "slug", body.Slug, "err", derr)
			}
			return 0, nil, err
		}
	}
	c.detail("config", w.Config)
	return http.StatusCreated, workspaceOut(w), nil
}

// patchWorkspace changes a workspace's configuration; the slug is its
// name in URLs and tokens' audit trails, so it cannot change.
func patchWorkspace(h *Handler, c *call) (int, any, error) {
	slug := c.pathValue("slug")
	c.target = slug
	var body struct {
		Slug   *string         `json:"slug"`
		Config json.RawMessage `json:"config"`
	}
	if err := h.api.Decode(c.w, c.r, &body, false); err != nil {
		return 0, nil, err
	}
	if body.Slug != nil && *body.Slug != slug {
		return 0, nil, badValue("a workspace's slug cannot change; create a workspace with the new slug instead")
	}
	w, err := h.updateConfig(c, slug, func(cur *store.WorkspaceConfig) error {
		return mergeConfig(cur, body.Config, "config.")
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, workspaceOut(w), nil
}

// deleteWorkspace deletes a workspace with its users, groups and tokens.
func deleteWorkspace(h *Handler, c *call) (int, any, error) {
	slug := c.pathValue("slug")
	c.target = slug
	w, err := h.workspace(c.r.Context(), slug)
	if err != nil {
		return 0, nil, err
	}
	c.workspaceID, c.target = w.ID, w.ID
	c.detail("slug", slug)
	if err := h.tenant.DeleteWorkspace(c.r.Context(), slug); err != nil {
		return 0, nil, workspaceErr(slug, err)
	}
	return http.StatusNoContent, nil, nil
}
