package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// lockUserName serialises, until the commit, the transactions that may
// give a userName to a user or a local user of a workspace (where the one
// writer does not already): uniqueness across the two tables is checked
// by reading the other one, which two transactions could each do before
// the other writes.
func lockUserName(ctx context.Context, tx Conn, ws, key string) error {
	if err := tx.lockKey(ctx, "scimd userName "+ws+" "+key); err != nil {
		return fmt.Errorf("lock userName: %w", err)
	}
	return nil
}

// nameTaken reports whether a user or local user of the workspace other
// than id has the folded userName key.
func nameTaken(ctx context.Context, tx Conn, ws, key, id string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM local_users WHERE workspace_id = ? AND name_key = ? AND id <> ?)
		+ (SELECT count(*) FROM resources WHERE workspace_id = ? AND type = 'User' AND name_key = ? AND id <> ?)`,
		ws, key, id, ws, key, id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check userName: %w", err)
	}
	return n > 0, nil
}

// localUserTaken fails with store.ErrAlreadyExists if a local user of the
// workspace has the folded userName key. It takes the userName's lock
// first.
func localUserTaken(ctx context.Context, tx Conn, ws, key string) error {
	if err := lockUserName(ctx, tx, ws, key); err != nil {
		return err
	}
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
	now := s.now()
	return s.Tx(ctx, func(tx Conn) error {
		if err := lockUserName(ctx, tx, r.WorkspaceID, d.nameKey); err != nil {
			return err
		}
		taken, err := nameTaken(ctx, tx, r.WorkspaceID, d.nameKey, r.ID)
		if err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("user %q: %w", d.name, store.ErrAlreadyExists)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO local_users (id, workspace_id, name_key, doc, created) VALUES (?, ?, ?, ?, ?)`,
			r.ID, r.WorkspaceID, d.nameKey, d.doc, tx.time(now))
		if s.d.IsUniqueViolation(err) {
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

func scanLocalUser(sc scanner, ws string) (*store.Resource, error) {
	var (
		r   = &store.Resource{Type: schema.UserType.ID, WorkspaceID: ws, Version: 1}
		doc []byte
	)
	if err := sc.Scan(&r.ID, &doc, scanTime{&r.Created}); err != nil {
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
	out, err := collect(ctx, s.Read(), func(sc scanner) (*store.Resource, error) { return scanLocalUser(sc, ws) },
		`SELECT id, doc, created FROM local_users WHERE workspace_id = ? ORDER BY created, id`, ws)
	if err != nil {
		return nil, fmt.Errorf("local users: %w", err)
	}
	return out, nil
}

// LocalUser implements store.AccessStore.
func (s *Store) LocalUser(ctx context.Context, ws, id string) (*store.Resource, error) {
	r, err := scanLocalUser(s.Read().QueryRowContext(ctx, `SELECT id, doc, created FROM local_users WHERE workspace_id = ? AND id = ?`, ws, id), ws)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("local user %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("local user: %w", err)
	}
	return r, nil
}

// DeleteLocalUser implements store.AccessStore. The delete comes first:
// it waits for the credentials being issued to the local user, which
// lock its row (see userActive), so that the revocations fx asks for
// find them.
func (s *Store) DeleteLocalUser(ctx context.Context, ws, id string, fx func(*store.Resource) store.Effects) error {
	now := s.now()
	return s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
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
	return s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		if err := lockUserName(ctx, tx, r.WorkspaceID, d.nameKey); err != nil {
			return nil, err
		}
		local, err := scanLocalUser(tx.QueryRowContext(ctx, `DELETE FROM local_users WHERE workspace_id = ? AND name_key = ? RETURNING id, doc, created`,
			r.WorkspaceID, d.nameKey), r.WorkspaceID)
		if email := schema.PrimaryEmail(r.Doc); errors.Is(err, sql.ErrNoRows) && email != "" {
			local, err = scanLocalUser(tx.QueryRowContext(ctx, s.linkByEmail, r.WorkspaceID, email), r.WorkspaceID)
		}
		if errors.Is(err, sql.ErrNoRows) {
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
		if _, err := tx.ExecContext(ctx, `UPDATE resources SET created = ? WHERE id = ?`, tx.time(local.Created), r.ID); err != nil {
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

// linkByEmail deletes and returns the oldest local user of workspace ?1
// whose primary email is ?2, compared case-insensitively.
func linkByEmail(d Dialect) string {
	return `DELETE FROM local_users WHERE id = (
		SELECT l.id FROM local_users l, ` + d.JSONElements("l.doc", []string{"emails"}) + `
		WHERE l.workspace_id = ?1 AND ` + d.JSONValue("e.value", []string{"primary"}, schema.Boolean) + ` = ` + d.Bool(true) + `
			AND lower(` + d.JSONValue("e.value", []string{"value"}, schema.String) + `) = lower(?2)
		ORDER BY l.created, l.id LIMIT 1) RETURNING id, doc, created`
}
