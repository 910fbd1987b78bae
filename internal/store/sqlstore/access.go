package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// applyEffects writes what a change does beyond the resource, in its
// transaction, and returns the changes to publish.
func applyEffects(ctx context.Context, tx Conn, ws string, now time.Time, fx store.Effects) ([]store.Change, error) {
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
// active users and invited users than its seat limit allows. Callers check
// after the write that took a seat, so that the count includes it.
// Writers that take seats in a workspace with a limit queue on a lock of
// its own (see Dialect.KeyLock), so that two of them cannot each count
// the other out.
func checkSeats(ctx context.Context, tx Conn, ws string) error {
	var limit sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT seat_limit FROM workspaces WHERE id = ?`, ws).Scan(&limit); err != nil {
		return fmt.Errorf("read seat limit: %w", err)
	}
	if !limit.Valid {
		return nil
	}
	if err := tx.lockKey(ctx, "scimd seats "+ws); err != nil {
		return fmt.Errorf("lock seats: %w", err)
	}
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM resources
		WHERE workspace_id = ? AND type = 'User' AND (active IS NULL OR active))
		+ (SELECT count(*) FROM local_users WHERE workspace_id = ?)`, ws, ws).Scan(&n); err != nil {
		return fmt.Errorf("count seats: %w", err)
	}
	if n > limit.Int64 {
		return fmt.Errorf("all %d seats of the workspace are taken: %w", limit.Int64, store.ErrSeatLimit)
	}
	return nil
}

// parkUser copies a user about to be deleted into deleted_users.
func parkUser(ctx context.Context, tx Conn, r *store.Resource, now, purgeAt time.Time) error {
	doc, err := json.Marshal(r.Doc)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO deleted_users (id, workspace_id, version, created, last_modified, doc, deleted, purge_at, app_display_name)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.WorkspaceID, r.Version, tx.time(r.Created), tx.time(r.LastModified), doc, tx.time(now), tx.time(purgeAt), r.AppDisplayName)
	if err != nil {
		return fmt.Errorf("keep deleted user: %w", err)
	}
	return nil
}

// UserGroups implements store.AccessStore. The join keeps the recursive
// set as the outer loop: SQLite's planner would otherwise scan resources
// and probe the set, at a cost in proportion to the workspace.
func (s *Store) UserGroups(ctx context.Context, ws, userID string) ([]store.GroupNode, error) {
	return collect(ctx, s.Read(), "user groups", func(sc scanner) (store.GroupNode, error) { return scanGroupNode(sc) },
		`WITH RECURSIVE up(g) AS (
			SELECT m.group_seq FROM members m JOIN resources u ON u.seq = m.member_seq
			WHERE u.workspace_id = ? AND u.id = ? AND u.type = 'User'
			UNION SELECT m.group_seq FROM up JOIN members m ON m.member_seq = up.g)
		SELECT `+groupNodeCols(s.d)+`
		FROM up `+s.d.OuterJoin()+` resources g ON g.seq = up.g LEFT JOIN team_links t ON t.group_seq = g.seq ORDER BY g.seq`, ws, userID)
}

// groupNodeCols are the columns scanGroupNode reads, of the group g and
// its team link t.
func groupNodeCols(d Dialect) string {
	return `g.id, g.name, COALESCE(g.external_id, ''),
		(SELECT ` + d.JSONAgg("p.id", "p.seq") + ` FROM members pm JOIN resources p ON p.seq = pm.group_seq WHERE pm.member_seq = g.seq),
		COALESCE(t.team, ''), COALESCE(t.role, '')`
}

// scanGroupNode scans the columns of groupNodeCols, then extra.
func scanGroupNode(sc scanner, extra ...any) (g store.GroupNode, err error) {
	var parents []byte
	if err := sc.Scan(append([]any{&g.ID, &g.DisplayName, &g.ExternalID, &parents, &g.Team, &g.TeamRole}, extra...)...); err != nil {
		return g, err
	}
	err = unmarshalAgg(parents, &g.Parents)
	if len(g.Parents) == 0 {
		g.Parents = nil
	}
	return g, err
}

const deletedUserCols = `id, workspace_id, version, created, last_modified, doc, deleted, purge_at, app_display_name`

func scanDeletedUser(sc scanner) (store.DeletedUser, error) {
	var (
		r   = &store.Resource{Type: schema.UserType.ID}
		u   = store.DeletedUser{Resource: r}
		doc []byte
	)
	if err := sc.Scan(&r.ID, &r.WorkspaceID, &r.Version, scanTime{&r.Created}, scanTime{&r.LastModified}, &doc,
		scanTime{&u.Deleted}, scanTime{&u.PurgeAt}, &r.AppDisplayName); err != nil {
		return u, err
	}
	var err error
	if r.Doc, err = decodeDoc(doc); err != nil {
		return u, fmt.Errorf("decode deleted user %s: %w", r.ID, err)
	}
	return u, nil
}

// DeletedUsers implements store.AccessStore.
func (s *Store) DeletedUsers(ctx context.Context, ws string) ([]store.DeletedUser, error) {
	return collect(ctx, s.Read(), "deleted users", scanDeletedUser, `SELECT `+deletedUserCols+` FROM deleted_users WHERE workspace_id = ? ORDER BY deleted, id`, ws)
}

// RestoreUser implements store.AccessStore.
func (s *Store) RestoreUser(ctx context.Context, ws, userID string, fx func(*store.Resource) store.Effects) (*store.Resource, error) {
	var out *store.Resource
	now := s.now()
	err := s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		u, err := scanDeletedUser(tx.QueryRowContext(ctx, `SELECT `+deletedUserCols+` FROM deleted_users WHERE workspace_id = ? AND id = ?`+tx.lock("FOR UPDATE"), ws, userID))
		if err != nil {
			return nil, rowErr(err, "deleted user %q", userID)
		}
		r := u.Resource
		d, err := derive(r.Type, r.Doc)
		if err != nil {
			return nil, err
		}
		if _, err := insertResource(ctx, tx, r, d, r.Version+1, r.Created, now); err != nil {
			return nil, err
		}
		if d.counts() {
			if err := checkSeats(ctx, tx, ws); err != nil {
				return nil, err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM deleted_users WHERE id = ?`, r.ID); err != nil {
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

// PurgeUsers implements store.AccessStore. Where rows are locked, SKIP
// LOCKED lets replicas purging at once share the work rather than queue
// on it, and each user is purged, and its event written, once.
func (s *Store) PurgeUsers(ctx context.Context, ws, userID string, before time.Time, event func(*store.DeletedUser) store.NewEvent) ([]string, error) {
	var purged []string
	now := s.now()
	err := s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		purged = purged[:0]
		users, err := collect(ctx, tx, "purge users", scanDeletedUser, `SELECT `+deletedUserCols+` FROM deleted_users
			WHERE (? = '' OR workspace_id = ?) AND (? = '' OR id = ?) AND purge_at <= ?
			ORDER BY workspace_id, purge_at, id`+tx.lock("FOR UPDATE SKIP LOCKED"),
			ws, ws, userID, userID, tx.time(before))
		if err != nil {
			return nil, err
		}
		var changes []store.Change
		events := map[string][]store.NewEvent{}
		var order []string
		for _, u := range users {
			uws := u.Resource.WorkspaceID
			if err := deleteUserCredentials(ctx, tx, uws, u.Resource.ID); err != nil {
				return nil, err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM deleted_users WHERE id = ?`, u.Resource.ID); err != nil {
				return nil, fmt.Errorf("purge user: %w", err)
			}
			if event != nil {
				if _, ok := events[uws]; !ok {
					order = append(order, uws)
				}
				events[uws] = append(events[uws], event(&u))
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
