package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/store"
)

func readUserRoles(ctx context.Context, q queryer, ws, userID, lock string) (store.UserRoles, bool, error) {
	var (
		r     store.UserRoles
		teams []byte
	)
	err := q.QueryRow(ctx, `SELECT roles, groups, teams FROM user_roles WHERE workspace_id = $1 AND user_id = $2 `+lock, ws, userID).Scan(&r.Roles, &r.Groups, &teams)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
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
func (s *Store) UserRoles(ctx context.Context, ws, userID string) (_ store.UserRoles, _ bool, err error) {
	defer classify(&err)
	return readUserRoles(ctx, s.pool, ws, userID, "")
}

// SetUserRoles implements store.AccessStore. The user's row is locked
// first, so that replicas recomputing the same user take turns and the
// second finds the first's roles stored.
func (s *Store) SetUserRoles(ctx context.Context, ws, userID string, r store.UserRoles, event func(old store.UserRoles, had bool) store.NewEvent) (_ bool, err error) {
	defer classify(&err)
	changed := false
	now := s.now().UTC().Truncate(timePrecision)
	err = s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		changed = false
		var id string
		err := tx.QueryRow(ctx, `SELECT id FROM resources WHERE workspace_id = $1 AND id = $2 AND type = 'User' FOR KEY SHARE`, ws, userID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("user %q: %w", userID, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("set user roles: %w", err)
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('scimd roles ' || $1::text, 0))`, userID); err != nil {
			return nil, fmt.Errorf("lock user roles: %w", err)
		}
		old, had, err := readUserRoles(ctx, tx, ws, userID, "")
		if err != nil {
			return nil, err
		}
		write, tell := r.Storing(old, had)
		if !write {
			return nil, nil
		}
		var teams any // NULL: not known
		if r.Teams != nil {
			b, err := json.Marshal(r.Teams)
			if err != nil {
				return nil, err
			}
			teams = string(b)
		}
		_, err = tx.Exec(ctx, `INSERT INTO user_roles (user_id, workspace_id, roles, groups, teams, updated) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (user_id) DO UPDATE SET roles = excluded.roles, groups = excluded.groups, teams = excluded.teams, updated = excluded.updated`,
			userID, ws, nonNil(r.Roles), nonNil(r.Groups), teams, now)
		if err != nil {
			return nil, fmt.Errorf("set user roles: %w", err)
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
