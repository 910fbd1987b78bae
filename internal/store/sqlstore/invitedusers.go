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

// The table local_users holds the invited users: users the application
// created itself, which no identity provider manages. The table keeps an
// older name for them; renaming it would take a migration and gain nothing.

// lockUserName serialises, until the commit, the transactions that may
// give a userName to a user or an invited user of a workspace (where the one
// writer does not already): uniqueness across the two tables is checked
// by reading the other one, which two transactions could each do before
// the other writes.
func lockUserName(ctx context.Context, tx Conn, ws, key string) error {
	if err := tx.lockKey(ctx, "scimd userName "+ws+" "+key); err != nil {
		return fmt.Errorf("lock userName: %w", err)
	}
	return nil
}

// nameTaken reports whether a user or invited user of the workspace other
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

// invitedUserTaken fails with store.ErrAlreadyExists if an invited user of the
// workspace has the folded userName key. It takes the userName's lock
// first.
func invitedUserTaken(ctx context.Context, tx Conn, ws, key string) error {
	if err := lockUserName(ctx, tx, ws, key); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM local_users WHERE workspace_id = ? AND name_key = ?`, ws, key).Scan(&n); err != nil {
		return fmt.Errorf("check userName: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("userName %q is an invited user's: %w", key, store.ErrAlreadyExists)
	}
	return nil
}

// CreateInvitedUser implements store.AccessStore.
func (s *Store) CreateInvitedUser(ctx context.Context, r *store.Resource) error {
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
			return fmt.Errorf("create invited user: %w", err)
		}
		if err := checkSeats(ctx, tx, r.WorkspaceID); err != nil {
			return err
		}
		r.Type, r.Version, r.Created, r.LastModified = schema.UserType.ID, 1, now, now
		return nil
	})
}

func scanInvitedUser(sc scanner, ws string) (*store.Resource, error) {
	var (
		r   = &store.Resource{Type: schema.UserType.ID, WorkspaceID: ws, Version: 1}
		doc []byte
	)
	if err := sc.Scan(&r.ID, &doc, scanTime{&r.Created}); err != nil {
		return nil, err
	}
	r.LastModified = r.Created
	if err := json.Unmarshal(doc, &r.Doc); err != nil {
		return nil, fmt.Errorf("decode invited user %s: %w", r.ID, err)
	}
	r.AppDisplayName = schema.UserDisplayName(r.Doc)
	return r, nil
}

// InvitedUsers implements store.AccessStore.
func (s *Store) InvitedUsers(ctx context.Context, ws string) ([]*store.Resource, error) {
	return collect(ctx, s.Read(), "invited users", func(sc scanner) (*store.Resource, error) { return scanInvitedUser(sc, ws) },
		`SELECT id, doc, created FROM local_users WHERE workspace_id = ? ORDER BY created, id`, ws)
}

// InvitedUser implements store.AccessStore.
func (s *Store) InvitedUser(ctx context.Context, ws, id string) (*store.Resource, error) {
	r, err := scanInvitedUser(s.Read().QueryRowContext(ctx, `SELECT id, doc, created FROM local_users WHERE workspace_id = ? AND id = ?`, ws, id), ws)
	return r, rowErr(err, "invited user %q", id)
}

// DeleteInvitedUser implements store.AccessStore. The delete comes first:
// it waits for the credentials being issued to the invited user, which
// lock its row (see userActive), so that the revocations fx asks for
// find them.
func (s *Store) DeleteInvitedUser(ctx context.Context, ws, id string, fx func(*store.Resource) store.Effects) error {
	now := s.now()
	return s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		invited, err := scanInvitedUser(tx.QueryRowContext(ctx, `DELETE FROM local_users WHERE workspace_id = ? AND id = ? RETURNING id, doc, created`, ws, id), ws)
		if err != nil {
			return nil, rowErr(err, "invited user %q", id)
		}
		var eff store.Effects
		if fx != nil {
			eff = fx(invited)
		}
		changes, err := applyEffects(ctx, tx, ws, now, eff)
		if err != nil {
			return nil, err
		}
		return append(changes, store.Change{Kind: store.ChangeUser, WorkspaceID: ws, ID: id}), nil
	})
}

// LinkInvitedUser implements store.AccessStore.
func (s *Store) LinkInvitedUser(ctx context.Context, r *store.Resource, fx func(*store.Resource) store.Effects) error {
	d, err := derive(schema.UserType.ID, r.Doc)
	if err != nil {
		return err
	}
	now := s.now()
	return s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		if err := lockUserName(ctx, tx, r.WorkspaceID, d.nameKey); err != nil {
			return nil, err
		}
		invited, err := scanInvitedUser(tx.QueryRowContext(ctx, `DELETE FROM local_users WHERE workspace_id = ? AND name_key = ? RETURNING id, doc, created`,
			r.WorkspaceID, d.nameKey), r.WorkspaceID)
		if email := schema.PrimaryEmail(r.Doc); errors.Is(err, sql.ErrNoRows) && email != "" {
			invited, err = scanInvitedUser(tx.QueryRowContext(ctx, s.linkByEmail, r.WorkspaceID, email), r.WorkspaceID)
		}
		if err != nil {
			return nil, rowErr(err, "invited user %q", d.name)
		}
		r.ID = invited.ID
		changes, err := createResource(ctx, tx, r, d, now)
		if err != nil {
			return nil, err
		}
		// It keeps the invited user's creation, as the same person.
		if _, err := tx.ExecContext(ctx, `UPDATE resources SET created = ? WHERE id = ?`, tx.time(invited.Created), r.ID); err != nil {
			return nil, fmt.Errorf("link invited user: %w", err)
		}
		r.Created = invited.Created
		var eff store.Effects
		if fx != nil {
			eff = fx(r)
		}
		more, err := applyEffects(ctx, tx, r.WorkspaceID, now, eff)
		return append(changes, more...), err
	})
}

// linkByEmail deletes and returns the oldest invited user of workspace ?1
// whose primary email is ?2, compared case-insensitively.
func linkByEmail(d Dialect) string {
	return `DELETE FROM local_users WHERE id = (
		SELECT l.id FROM local_users l, ` + d.JSONElements("l.doc", []string{"emails"}) + `
		WHERE l.workspace_id = ?1 AND ` + d.JSONValue("e.value", []string{"primary"}, schema.Boolean) + ` = ` + d.Bool(true) + `
			AND lower(` + d.JSONValue("e.value", []string{"value"}, schema.String) + `) = lower(?2)
		ORDER BY l.created, l.id LIMIT 1) RETURNING id, doc, created`
}
