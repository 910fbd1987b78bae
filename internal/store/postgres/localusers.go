package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// lockUserName serialises, until the commit, the transactions that may
// give a userName to a user or a local user of a workspace: uniqueness
// across the two tables is checked by reading the other one, which two
// transactions could each do before the other writes.
func lockUserName(ctx context.Context, tx pgx.Tx, ws, key string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('scimd userName ' || $1::text || ' ' || $2::text, 0))`, ws, key); err != nil {
		return fmt.Errorf("lock userName: %w", err)
	}
	return nil
}

// localUserTaken fails with store.ErrAlreadyExists if a local user of the
// workspace has the folded userName key. It takes the userName's lock
// first.
func localUserTaken(ctx context.Context, tx pgx.Tx, ws, key string) error {
	if err := lockUserName(ctx, tx, ws, key); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM local_users WHERE workspace_id = $1 AND name_key = $2`, ws, key).Scan(&n); err != nil {
		return fmt.Errorf("check userName: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("userName %q is a local user's: %w", key, store.ErrAlreadyExists)
	}
	return nil
}

// CreateLocalUser implements store.AccessStore.
func (s *Store) CreateLocalUser(ctx context.Context, r *store.Resource) (err error) {
	defer classify(&err)
	d, err := derive(schema.UserType.ID, r.Doc)
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(timePrecision)
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockUserName(ctx, tx, r.WorkspaceID, d.nameKey); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM resources WHERE workspace_id = $1 AND type = 'User' AND name_key = $2`,
			r.WorkspaceID, d.nameKey).Scan(&n); err != nil {
			return fmt.Errorf("check userName: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("user %q: %w", d.name, store.ErrAlreadyExists)
		}
		_, err := tx.Exec(ctx, `INSERT INTO local_users (id, workspace_id, name_key, doc, created) VALUES ($1, $2, $3, $4, $5)`,
			r.ID, r.WorkspaceID, d.nameKey, d.doc, now)
		if errCode(err) == codeUniqueViolation {
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

func scanLocalUser(row pgx.Row, ws string) (*store.Resource, error) {
	r := &store.Resource{Type: schema.UserType.ID, WorkspaceID: ws, Version: 1}
	var doc []byte
	if err := row.Scan(&r.ID, &doc, &r.Created); err != nil {
		return nil, err
	}
	r.Created = r.Created.UTC()
	r.LastModified = r.Created
	if err := json.Unmarshal(doc, &r.Doc); err != nil {
		return nil, fmt.Errorf("decode local user %s: %w", r.ID, err)
	}
	r.AppDisplayName = schema.UserDisplayName(r.Doc)
	return r, nil
}

// LocalUsers implements store.AccessStore.
func (s *Store) LocalUsers(ctx context.Context, ws string) (_ []*store.Resource, err error) {
	defer classify(&err)
	rows, err := s.pool.Query(ctx, `SELECT id, doc, created FROM local_users WHERE workspace_id = $1 ORDER BY created, id`, ws)
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
func (s *Store) LocalUser(ctx context.Context, ws, id string) (_ *store.Resource, err error) {
	defer classify(&err)
	r, err := scanLocalUser(s.pool.QueryRow(ctx, `SELECT id, doc, created FROM local_users WHERE workspace_id = $1 AND id = $2`, ws, id), ws)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("local user %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("local user: %w", err)
	}
	return r, nil
}

// DeleteLocalUser implements store.AccessStore. The delete comes first:
// it waits for the credentials being issued to the local user, which
// lock its row (see createCredential), so that the revocations fx asks
// for find them.
func (s *Store) DeleteLocalUser(ctx context.Context, ws, id string, fx func(*store.Resource) store.Effects) (err error) {
	defer classify(&err)
	now := s.now().UTC().Truncate(timePrecision)
	return s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		local, err := scanLocalUser(tx.QueryRow(ctx, `DELETE FROM local_users WHERE workspace_id = $1 AND id = $2 RETURNING id, doc, created`, ws, id), ws)
		if errors.Is(err, pgx.ErrNoRows) {
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
func (s *Store) LinkLocalUser(ctx context.Context, r *store.Resource, fx func(*store.Resource) store.Effects) (err error) {
	defer classify(&err)
	d, err := derive(schema.UserType.ID, r.Doc)
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(timePrecision)
	return s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		if err := lockUserName(ctx, tx, r.WorkspaceID, d.nameKey); err != nil {
			return nil, err
		}
		local, err := scanLocalUser(tx.QueryRow(ctx, `DELETE FROM local_users WHERE workspace_id = $1 AND name_key = $2 RETURNING id, doc, created`,
			r.WorkspaceID, d.nameKey), r.WorkspaceID)
		if email := schema.PrimaryEmail(r.Doc); errors.Is(err, pgx.ErrNoRows) && email != "" {
			local, err = scanLocalUser(tx.QueryRow(ctx, `DELETE FROM local_users WHERE id = (
				SELECT l.id FROM local_users l, jsonb_array_elements(CASE jsonb_typeof(l.doc->'emails') WHEN 'array' THEN l.doc->'emails' ELSE '[]' END) e
				WHERE l.workspace_id = $1 AND e->'primary' = 'true' AND lower(e->>'value') = lower($2)
				ORDER BY l.created, l.id LIMIT 1) RETURNING id, doc, created`, r.WorkspaceID, email), r.WorkspaceID)
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("local user %q: %w", d.name, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("link local user: %w", err)
		}
		r.ID = local.ID
		changes, err := createResource(ctx, tx, r, d, now)
		if err != nil {
			return nil, err
		}
		// It keeps the local user's creation, as the same person.
		if _, err := tx.Exec(ctx, `UPDATE resources SET created = $1 WHERE id = $2`, local.Created, r.ID); err != nil {
			return nil, fmt.Errorf("link local user: %w", err)
		}
		r.Version, r.Created, r.LastModified = 1, local.Created, now
		var eff store.Effects
		if fx != nil {
			eff = fx(r)
		}
		more, err := applyEffects(ctx, tx, r.WorkspaceID, now, eff)
		return append(changes, more...), err
	})
}
