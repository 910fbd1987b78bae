package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// applyEffects writes what a change does beyond the resource, in its
// transaction, and returns the changes to publish.
func applyEffects(ctx context.Context, tx pgx.Tx, ws string, now time.Time, fx store.Effects) ([]store.Change, error) {
	events := fx.Events
	var changes []store.Change
	if fx.Revoke != nil {
		c, e, err := revokeUserCredentials(ctx, tx, ws, *fx.Revoke, now)
		if err != nil {
			return nil, err
		}
		changes, events = c, append(events, e...)
	}
	if len(events) > 0 {
		if _, err := appendEvents(ctx, tx, ws, now, events); err != nil {
			return nil, err
		}
		changes = append(changes, store.Change{Kind: store.ChangeEvents, WorkspaceID: ws})
	}
	if len(fx.Audit) > 0 {
		if err := appendAudit(ctx, tx, now, fx.Audit); err != nil {
			return nil, err
		}
	}
	return changes, nil
}

// checkSeats fails with store.ErrSeatLimit if the workspace has more
// active users and local users than its seat limit allows. Callers check
// after the write that took a seat, so that the count includes it.
// Writers that take seats in a workspace with a limit queue on a
// transaction-scoped advisory lock, so that two of them cannot each
// count the other out.
func checkSeats(ctx context.Context, tx pgx.Tx, ws string) error {
	var limit *int64
	if err := tx.QueryRow(ctx, `SELECT seat_limit FROM workspaces WHERE id = $1`, ws).Scan(&limit); err != nil {
		return fmt.Errorf("read seat limit: %w", err)
	}
	if limit == nil {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('scimd seats ' || $1::text, 0))`, ws); err != nil {
		return fmt.Errorf("lock seats: %w", err)
	}
	var n int64
	if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM resources
		WHERE workspace_id = $1 AND type = 'User' AND active IS NOT FALSE)
		+ (SELECT count(*) FROM local_users WHERE workspace_id = $1)`, ws).Scan(&n); err != nil {
		return fmt.Errorf("count seats: %w", err)
	}
	if n > *limit {
		return fmt.Errorf("all %d seats of the workspace are taken: %w", *limit, store.ErrSeatLimit)
	}
	return nil
}

// parkUser copies a user about to be deleted into deleted_users.
func parkUser(ctx context.Context, tx pgx.Tx, r *store.Resource, now, purgeAt time.Time) error {
	doc, err := json.Marshal(r.Doc)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO deleted_users (id, workspace_id, version, created, last_modified, doc, deleted, purge_at, app_display_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.ID, r.WorkspaceID, r.Version, r.Created, r.LastModified, doc, now, purgeAt, r.AppDisplayName)
	if err != nil {
		return fmt.Errorf("keep deleted user: %w", err)
	}
	return nil
}

// UserGroups implements store.AccessStore.
func (s *Store) UserGroups(ctx context.Context, ws, userID string) (_ []store.GroupNode, err error) {
	defer classify(&err)
	rows, err := s.pool.Query(ctx, `WITH RECURSIVE up(g) AS (
			SELECT m.group_seq FROM members m JOIN resources u ON u.seq = m.member_seq
			WHERE u.workspace_id = $1 AND u.id = $2 AND u.type = 'User'
			UNION SELECT m.group_seq FROM up JOIN members m ON m.member_seq = up.g)
		SELECT g.id, g.name, COALESCE(g.external_id, ''),
			ARRAY(SELECT p.id FROM members pm JOIN resources p ON p.seq = pm.group_seq WHERE pm.member_seq = g.seq ORDER BY p.seq),
			COALESCE(t.team, ''), COALESCE(t.role, '')
		FROM up JOIN resources g ON g.seq = up.g LEFT JOIN team_links t ON t.group_seq = g.seq ORDER BY g.seq`, ws, userID)
	if err != nil {
		return nil, fmt.Errorf("user groups: %w", err)
	}
	defer rows.Close()
	var out []store.GroupNode
	for rows.Next() {
		var g store.GroupNode
		if err := rows.Scan(&g.ID, &g.DisplayName, &g.ExternalID, &g.Parents, &g.Team, &g.TeamRole); err != nil {
			return nil, fmt.Errorf("user groups: %w", err)
		}
		if len(g.Parents) == 0 {
			g.Parents = nil
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

const deletedUserCols = `id, workspace_id, version, created, last_modified, doc, deleted, purge_at, app_display_name`

func scanDeletedUser(sc pgx.Row) (*store.DeletedUser, error) {
	var (
		r   = &store.Resource{Type: schema.UserType.ID}
		u   = &store.DeletedUser{Resource: r}
		doc []byte
	)
	if err := sc.Scan(&r.ID, &r.WorkspaceID, &r.Version, &r.Created, &r.LastModified, &doc, &u.Deleted, &u.PurgeAt, &r.AppDisplayName); err != nil {
		return nil, err
	}
	r.Created, r.LastModified, u.Deleted, u.PurgeAt = r.Created.UTC(), r.LastModified.UTC(), u.Deleted.UTC(), u.PurgeAt.UTC()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&r.Doc); err != nil {
		return nil, fmt.Errorf("decode deleted user %s: %w", r.ID, err)
	}
	return u, nil
}

// DeletedUsers implements store.AccessStore.
func (s *Store) DeletedUsers(ctx context.Context, ws string) (_ []store.DeletedUser, err error) {
	defer classify(&err)
	rows, err := s.pool.Query(ctx, `SELECT `+deletedUserCols+` FROM deleted_users WHERE workspace_id = $1 ORDER BY deleted, id`, ws)
	if err != nil {
		return nil, fmt.Errorf("deleted users: %w", err)
	}
	defer rows.Close()
	var out []store.DeletedUser
	for rows.Next() {
		u, err := scanDeletedUser(rows)
		if err != nil {
			return nil, fmt.Errorf("deleted users: %w", err)
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// RestoreUser implements store.AccessStore.
func (s *Store) RestoreUser(ctx context.Context, ws, userID string, fx func(*store.Resource) store.Effects) (_ *store.Resource, err error) {
	defer classify(&err)
	var out *store.Resource
	now := s.now().UTC().Truncate(timePrecision)
	err = s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		u, err := scanDeletedUser(tx.QueryRow(ctx, `SELECT `+deletedUserCols+` FROM deleted_users WHERE workspace_id = $1 AND id = $2 FOR UPDATE`, ws, userID))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("deleted user %q: %w", userID, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("get deleted user: %w", err)
		}
		r := u.Resource
		d, err := derive(r.Type, r.Doc)
		if err != nil {
			return nil, err
		}
		var seq int64
		err = tx.QueryRow(ctx, `INSERT INTO resources (id, workspace_id, type, name, name_key, display_name, external_id, active, version, created, last_modified, doc, app_display_name)
			VALUES ($1, $2, 'User', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING seq`,
			r.ID, ws, d.name, d.nameKey, d.displayName, d.externalID, d.active, r.Version+1, r.Created, now, d.doc, r.AppDisplayName).Scan(&seq)
		if errCode(err) == codeUniqueViolation {
			return nil, fmt.Errorf("user %q: %w", d.name, store.ErrAlreadyExists)
		}
		if err != nil {
			return nil, fmt.Errorf("restore user: %w", err)
		}
		if err := writeEmails(ctx, tx, seq, ws, emailKeys(r.Doc), false); err != nil {
			return nil, err
		}
		if d.counts() {
			if err := checkSeats(ctx, tx, ws); err != nil {
				return nil, err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM deleted_users WHERE id = $1`, r.ID); err != nil {
			return nil, fmt.Errorf("restore user: %w", err)
		}
		var eff store.Effects
		if fx != nil {
			eff = fx(r)
		}
		changes, err := applyEffects(ctx, tx, ws, now, eff)
		if err != nil {
			return nil, err
		}
		r.Version++
		r.LastModified = now
		out = r
		return append(changes, store.Change{Kind: store.ChangeUser, WorkspaceID: ws, ID: r.ID}), nil
	})
	return out, err
}

// PurgeUsers implements store.AccessStore. Rows are locked with SKIP
// LOCKED, so that replicas purging at once share the work rather than
// queue on it, and each user is purged, and its event written, once.
func (s *Store) PurgeUsers(ctx context.Context, ws, userID string, before time.Time, event func(*store.DeletedUser) store.NewEvent) (_ []string, err error) {
	defer classify(&err)
	var purged []string
	now := s.now().UTC().Truncate(timePrecision)
	err = s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		purged = purged[:0]
		rows, err := tx.Query(ctx, `SELECT `+deletedUserCols+` FROM deleted_users
			WHERE ($1 = '' OR workspace_id = $1) AND ($2 = '' OR id = $2) AND purge_at <= $3
			ORDER BY workspace_id, purge_at, id FOR UPDATE SKIP LOCKED`, ws, userID, before)
		if err != nil {
			return nil, fmt.Errorf("purge users: %w", err)
		}
		var users []*store.DeletedUser
		for rows.Next() {
			u, err := scanDeletedUser(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("purge users: %w", err)
			}
			users = append(users, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("purge users: %w", err)
		}
		var changes []store.Change
		events := map[string][]store.NewEvent{}
		var order []string
		for _, u := range users {
			uws := u.Resource.WorkspaceID
			if err := deleteUserCredentials(ctx, tx, uws, u.Resource.ID); err != nil {
				return nil, err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM deleted_users WHERE id = $1`, u.Resource.ID); err != nil {
				return nil, fmt.Errorf("purge user: %w", err)
			}
			if event != nil {
				if _, ok := events[uws]; !ok {
					order = append(order, uws)
				}
				events[uws] = append(events[uws], event(u))
			}
			purged = append(purged, u.Resource.ID)
			changes = append(changes, store.Change{Kind: store.ChangeUser, WorkspaceID: uws, ID: u.Resource.ID})
		}
		for _, w := range order {
			if _, err := appendEvents(ctx, tx, w, now, events[w]); err != nil {
				return nil, err
			}
			changes = append(changes, store.Change{Kind: store.ChangeEvents, WorkspaceID: w})
		}
		return changes, nil
	})
	return purged, err
}
