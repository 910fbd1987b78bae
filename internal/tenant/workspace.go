package tenant

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/store"
)

// ValidateConfig checks a workspace configuration and reports every rule
// it breaks, wrapped in ErrInvalid.
func ValidateConfig(c store.WorkspaceConfig) error {
	var problems []string
	for _, s := range settings {
		if p := s.problem(c); p != "" {
			problems = append(problems, p)
		}
	}
	if err := c.Policy().Validate(); err != nil {
		problems = append(problems, strings.TrimSuffix(err.Error(), ": "+roles.ErrInvalid.Error()))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", strings.Join(problems, "; "), ErrInvalid)
}

// ValidateTeamLink checks the team key and role an operator links a
// group with: names of the application's, as defaultTeam and
// defaultTeamRole are; role "" stands for the workspace's
// defaultTeamRole. It reports every problem, wrapped in ErrInvalid.
func ValidateTeamLink(team, role string) error {
	var problems []string
	if !nameRE.MatchString(team) {
		problems = append(problems, fmt.Sprintf("team %q must be a team key: %s", team, NameRule))
	}
	if role != "" && !nameRE.MatchString(role) {
		problems = append(problems, fmt.Sprintf("role %q must be empty (the workspace's defaultTeamRole) or a role name: %s", role, NameRule))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", strings.Join(problems, "; "), ErrInvalid)
}

// Workspace returns the workspace with the given slug.
func (s *Service) Workspace(ctx context.Context, slug string) (store.Workspace, error) {
	return s.store.WorkspaceBySlug(ctx, slug)
}

// Workspaces lists the workspaces by slug.
func (s *Service) Workspaces(ctx context.Context) ([]store.Workspace, error) {
	return s.store.Workspaces(ctx)
}

// UpdateConfig changes a workspace's configuration with fn, in one
// transaction, and stores it if it is valid. Servers on the database apply
// it from their next request.
func (s *Service) UpdateConfig(ctx context.Context, slug string, fn func(*store.WorkspaceConfig) error) (store.Workspace, error) {
	return s.store.UpdateWorkspace(ctx, slug, func(w *store.Workspace) error {
		if err := fn(&w.Config); err != nil {
			return err
		}
		return ValidateConfig(w.Config)
	})
}

// SetConfig applies settings of the form key=value (see SetConfigValue)
// to a workspace's configuration, all or none.
func (s *Service) SetConfig(ctx context.Context, slug string, settings ...string) (store.Workspace, error) {
	if len(settings) == 0 {
		return store.Workspace{}, fmt.Errorf("no setting given; the settings are %s: %w", strings.Join(ConfigKeys(), ", "), ErrInvalid)
	}
	return s.UpdateConfig(ctx, slug, func(c *store.WorkspaceConfig) error {
		var errs []error
		for _, kv := range settings {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				errs = append(errs, fmt.Errorf("%q: want key=value: %w", kv, ErrInvalid))
				continue
			}
			if err := SetConfigValue(c, strings.TrimSpace(k), v); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
}

// DeleteWorkspace deletes a workspace with all its users, groups and
// tokens. Its tokens stop working at once on every server.
func (s *Service) DeleteWorkspace(ctx context.Context, slug string) error {
	return s.store.DeleteWorkspace(ctx, slug)
}
