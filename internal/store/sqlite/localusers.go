package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// nameTaken reports whether a user or local user of the workspace other
// than id has the folded userName key.
func nameTaken(ctx context.Context, tx conn, ws, key, id string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM local_users WHERE workspace_id = ? AND name_key = ? AND id <> ?)
		+ (SELECT count(*) FROM resources WHERE workspace_id = ? AND type = 'User' AND name_key = ? AND id <> ?)`,
		ws, key, id, ws, key, id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check userName: %w", err)
	}
	return n > 0, nil
}

// localUserTaken reports whether a local user of the workspace has the
// folded userName key.
func localUserTaken(ctx context.Context, tx conn, ws, key string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM local_users WHERE workspace_id = ? AND name_key = ?`, ws, key).Scan(&n); err != nil {
		return fmt.Errorf("check userName: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("userName %q is a local user's: %w", key, store.ErrAlreadyExists)
	}
	return nil
}

// CreateLocalUser implements store.AccessStore.
func (s *Store) CreateLocalUser(ctx context.Context, r *store.Resource) error {
	d, err := derive(schema.UserType.ID, r.Doc)
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(timePrecision)
	return s.tx(ctx, func(tx conn) error {
		taken, err := nameTaken(ctx, tx, r.WorkspaceID, d.nameKey, r.ID)
		if err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("user %q: %w", d.name, store.ErrAlreadyExists)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO local_users (id, workspace_id, name_key, doc, created) VALUES (?, ?, ?, ?, ?)`,
			r.ID, r.WorkspaceID, d.nameKey, d.doc, formatTime(now))
		if isUniqueViolation(err) {
			return fmt.Errorf("user %q: %w", d.name, store.ErrAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("create local user: %w", err)
		}
		if err := checkSeats(ctx, tx, r.WorkspaceID); err != nil {
			return err
		}
		r.Type, r.Version, r.Created, r.LastModified = schema.UserType.ID, 1, now, now
		return nil
	})
}

func scanLocalUser(sc interface{ Scan(...any) error }, ws string) (*store.Resource, error) {
	var (
		r       = &store.Resource{Type: schema.UserType.ID, WorkspaceID: ws, Version: 1}
		doc     []byte
		created string
	)
	if err := sc.Scan(&r.ID, &doc, &created); err != nil {
		return nil, err
	}
	var err error
	if r.Created, err = parseTime(created); err != nil {
		return nil, err
	}
	r.LastModified = r.Created
	if err := json.Unmarshal(doc, &r.Doc); err != nil {
		return nil, fmt.Errorf("decode local user %s: %w", r.ID, err)
	}
	r.AppDisplayName = schema.UserDisplayName(r.Doc)
	return r, nil
}

// LocalUsers implements store.AccessStore.
func (s *Store) LocalUsers(ctx context.Context, ws string) ([]*store.Resource, error) {
	rows, err := s.read().QueryContext(ctx, `SELECT id, doc, created FROM local_users WHERE workspace_id = ? ORDER BY created, id`, ws)
	if err != nil {
		return nil, fmt.Errorf("local users: %w", err)
	}
	defer rows.Close()
	var out []*store.Resource
	for rows.Next() {
		r, err := scanLocalUser(rows, ws)
		if err != nil {
			return nil, fmt.Errorf("local users: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LocalUser implements store.AccessStore.
func (s *Store) LocalUser(ctx context.Context, ws, id string) (*store.Resource, error) {
	r, err := scanLocalUser(s.read().QueryRowContext(ctx, `SELECT id, doc, created FROM local_users WHERE workspace_id = ? AND id = ?`, ws, id), ws)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("local user %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("local user: %w", err)
	}
	return r, nil
}

// DeleteLocalUser implements store.AccessStore.
func (s *Store) DeleteLocalUser(ctx context.Context, ws, id string, fx func(*store.Resource) store.Effects) error {
	now := s.now()
	return s.txChanges(ctx, func(tx conn) ([]store.Change, error) {
		local, err := scanLocalUser(tx.QueryRowContext(ctx, `DELETE FROM local_users WHERE workspace_id = ? AND id = ? RETURNING id, doc, created`, ws, id), ws)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("local user %q: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("delete local user: %w", err)
		}
		var eff store.Effects
		if fx != nil {
			eff = fx(local)
		}
		changes, err := applyEffects(ctx, tx, ws, now, eff)
		if err != nil {
			return nil, err
		}
		return append(changes, store.Change{Kind: store.ChangeUser, WorkspaceID: ws, ID: id}), nil
	})
}

// LinkLocalUser implements store.AccessStore.
func (s *Store) LinkLocalUser(ctx context.Context, r *store.Resource, fx func(*store.Resource) store.Effects) error {
	d, err := derive(schema.UserType.ID, r.Doc)
	if err != nil {
		return err
	}
	now := s.now()
	return s.txChanges(ctx, func(tx conn) ([]store.Change, error) {
		local, err := scanLocalUser(tx.QueryRowContext(ctx, `SELECT id, doc, created FROM local_users WHERE workspace_id = ? AND name_key = ?`,
			r.WorkspaceID, d.nameKey), r.WorkspaceID)
		if email := schema.PrimaryEmail(r.Doc); errors.Is(err, sql.ErrNoRows) && email != "" {
			local, err = scanLocalUser(tx.QueryRowContext(ctx, `SELECT l.id, l.doc, l.created FROM local_users l, json_each(l.doc, '$.emails') e
				WHERE l.workspace_id = ? AND json_extract(e.value, '$.primary') = 1 AND lower(json_extract(e.value, '$.value')) = lower(?)
				ORDER BY l.created, l.id LIMIT 1`, r.WorkspaceID, email), r.WorkspaceID)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("local user %q: %w", d.name, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("link local user: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM local_users WHERE id = ?`, local.ID); err != nil {
			return nil, fmt.Errorf("link local user: %w", err)
		}
		r.ID = local.ID
		changes, err := s.createResource(ctx, tx, r, d, now)
		if err != nil {
			return nil, err
		}
		// It keeps the local user's creation, as the same person.
		if _, err := tx.ExecContext(ctx, `UPDATE resources SET created = ? WHERE id = ?`, formatTime(local.Created), r.ID); err != nil {
			return nil, fmt.Errorf("link local user: %w", err)
		}
		r.Created = local.Created
		var eff store.Effects
		if fx != nil {
			eff = fx(r)
		}
		more, err := applyEffects(ctx, tx, r.WorkspaceID, now, eff)
		return append(changes, more...), err
	})
}
