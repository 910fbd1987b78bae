package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/scimd/scimd/internal/store"
)

func readUserRoles(ctx context.Context, q Conn, ws, userID string) (store.UserRoles, bool, error) {
	var (
		r                    store.UserRoles
		roles, groups, teams []byte
	)
	err := q.QueryRowContext(ctx, `SELECT roles, groups, teams FROM user_roles WHERE workspace_id = ? AND user_id = ?`, ws, userID).Scan(&roles, &groups, &teams)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("user roles: %w", err)
	}
	if err := json.Unmarshal(roles, &r.Roles); err != nil {
		return r, false, fmt.Errorf("user roles: %w", err)
	}
	if err := json.Unmarshal(groups, &r.Groups); err != nil {
		return r, false, fmt.Errorf("user roles: %w", err)
	}
	if teams != nil { // else stored before teams were
		if err := json.Unmarshal(teams, &r.Teams); err != nil {
			return r, false, fmt.Errorf("user roles: %w", err)
		}
	}
	return r, true, nil
}

// UserRoles implements store.AccessStore.
func (s *Store) UserRoles(ctx context.Context, ws, userID string) (store.UserRoles, bool, error) {
	return readUserRoles(ctx, s.Read(), ws, userID)
}

// SetUserRoles implements store.AccessStore. Writers of one user's roles
// take a lock of the user's first (where the one writer does not exclude
// every other already), so that replicas recomputing the same user take
// turns and the second finds the first's roles stored.
func (s *Store) SetUserRoles(ctx context.Context, ws, userID string, r store.UserRoles, event func(old store.UserRoles, had bool) store.NewEvent) (bool, error) {
	changed := false
	now := s.now()
	err := s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		changed = false
		if err := tx.lockKey(ctx, "scimd roles "+userID); err != nil {
			return nil, fmt.Errorf("lock user roles: %w", err)
		}
		old, had, err := readUserRoles(ctx, tx, ws, userID)
		if err != nil {
			return nil, err
		}
		write, tell := r.Storing(old, had)
		if !write {
			return nil, nil
		}
		roles, err := json.Marshal(nonNil(r.Roles))
		if err != nil {
			return nil, err
		}
		groups, err := json.Marshal(nonNil(r.Groups))
		if err != nil {
			return nil, err
		}
		var teams any // NULL: not known
		if r.Teams != nil {
			b, err := json.Marshal(r.Teams)
			if err != nil {
				return nil, err
			}
			teams = string(b)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, workspace_id, roles, groups, teams, updated)
			SELECT id, workspace_id, ?, ?, ?, ? FROM resources WHERE workspace_id = ? AND id = ? AND type = 'User'
			ON CONFLICT (user_id) DO UPDATE SET roles = excluded.roles, groups = excluded.groups, teams = excluded.teams, updated = excluded.updated`,
			roles, groups, teams, tx.time(now), ws, userID)
		if err != nil {
			return nil, fmt.Errorf("set user roles: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return nil, fmt.Errorf("user %q: %w", userID, store.ErrNotFound)
		}
		if !tell {
			return nil, nil
		}
		changed = true
		if event == nil {
			return nil, nil
		}
		return applyEffects(ctx, tx, ws, now, store.Effects{Events: []store.NewEvent{event(old, had)}})
	})
	return changed, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
