package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/store"
)

// workspaceCols are the columns scanWorkspace reads, in its order.
const workspaceCols = `id, slug, created, scim_enabled, create_users, sync_display_name, default_role, default_team,
	default_team_role, revoke_keys_on_deactivate, delete_mode, soft_delete_grace_days, strict_mode, seat_limit, access, allow_linking,
	delete_on_deactivate`

func scanWorkspace(row pgx.Row) (store.Workspace, error) {
	var (
		w      store.Workspace
		c      = &w.Config
		seats  *int
		access []byte
	)
	err := row.Scan(&w.ID, &w.Slug, &w.Created, &c.SCIMEnabled, &c.CreateUsers, &c.SyncDisplayName, &c.DefaultRole, &c.DefaultTeam,
		&c.DefaultTeamRole, &c.RevokeKeysOnDeactivate, &c.DeleteMode, &c.SoftDeleteGraceDays, &c.StrictMode, &seats, &access, &c.AllowLinking,
		&c.DeleteOnDeactivate)
	if err != nil {
		return w, err
	}
	w.Created = w.Created.UTC()
	c.SeatLimit = seats
	return w, c.SetAccessJSON(access)
}

// configArgs returns the values of the configuration columns, in the
// order of workspaceCols after created.
func configArgs(c store.WorkspaceConfig) ([]any, error) {
	access, err := c.AccessJSON()
	if err != nil {
		return nil, err
	}
	return []any{c.SCIMEnabled, c.CreateUsers, c.SyncDisplayName, c.DefaultRole, c.DefaultTeam,
		c.DefaultTeamRole, c.RevokeKeysOnDeactivate, c.DeleteMode, c.SoftDeleteGraceDays, c.StrictMode, c.SeatLimit, access, c.AllowLinking,
		c.DeleteOnDeactivate}, nil
}

func workspaceWhere(ctx context.Context, q queryer, where string, arg any) (store.Workspace, error) {
	w, err := scanWorkspace(q.QueryRow(ctx, `SELECT `+workspaceCols+` FROM workspaces WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return w, fmt.Errorf("workspace %q: %w", arg, store.ErrNotFound)
	}
	if err != nil {
		return w, fmt.Errorf("get workspace: %w", err)
	}
	return w, nil
}

// WorkspaceByID returns the workspace with the given id.
func (s *Store) WorkspaceByID(ctx context.Context, id string) (_ store.Workspace, err error) {
	defer classify(&err)
	return workspaceWhere(ctx, s.pool, `id = $1`, id)
}

// UpdateWorkspace runs fn on the workspace, locked until the commit, and
// stores its configuration.
func (s *Store) UpdateWorkspace(ctx context.Context, slug string, fn func(*store.Workspace) error) (_ store.Workspace, err error) {
	defer classify(&err)
	var out store.Workspace
	err = s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		w, err := workspaceWhere(ctx, tx, `slug = $1 FOR NO KEY UPDATE`, slug)
		if err != nil {
			return nil, err
		}
		id, created := w.ID, w.Created
		if err := fn(&w); err != nil {
			return nil, err
		}
		w.ID, w.Slug, w.Created = id, slug, created
		args, err := configArgs(w.Config)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE workspaces SET scim_enabled = $1, create_users = $2, sync_display_name = $3,
			default_role = $4, default_team = $5, default_team_role = $6, revoke_keys_on_deactivate = $7, delete_mode = $8,
			soft_delete_grace_days = $9, strict_mode = $10, seat_limit = $11, access = $12, allow_linking = $13,
			delete_on_deactivate = $14 WHERE id = $15`,
			append(args, id)...); err != nil {
			return nil, fmt.Errorf("update workspace: %w", err)
		}
		out = w
		return []store.Change{{Kind: store.ChangeWorkspace, WorkspaceID: id, ID: id}}, nil
	})
	return out, err
}

// DeleteWorkspace deletes a workspace; its tokens and resources go with it
// by foreign key.
func (s *Store) DeleteWorkspace(ctx context.Context, slug string) (err error) {
	defer classify(&err)
	return s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		var id string
		err := tx.QueryRow(ctx, `DELETE FROM workspaces WHERE slug = $1 RETURNING id`, slug).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("workspace %q: %w", slug, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("delete workspace: %w", err)
		}
		return []store.Change{{Kind: store.ChangeWorkspace, WorkspaceID: id, ID: id}}, nil
	})
}

// tokenCols are the columns scanToken reads, in its order, but for the
// hash, which only TokenByHash returns.
const tokenCols = `id, kind, coalesce(workspace_id, ''), name, created, created_by, expires, last_used, revoked, coalesce(expiry_announced, 0)`

func scanToken(row pgx.Row, extra ...any) (store.Token, error) {
	var (
		t                          store.Token
		expires, lastUsed, revoked *time.Time
		announced                  int64
	)
	dest := append([]any{&t.ID, &t.Kind, &t.WorkspaceID, &t.Name, &t.Created, &t.CreatedBy, &expires, &lastUsed, &revoked, &announced}, extra...)
	if err := row.Scan(dest...); err != nil {
		return t, err
	}
	t.ExpiryAnnounced = time.Duration(announced) * time.Second
	t.Created = t.Created.UTC()
	for _, f := range []struct {
		from *time.Time
		to   *time.Time
	}{{expires, &t.Expires}, {lastUsed, &t.LastUsed}, {revoked, &t.Revoked}} {
		if f.from != nil {
			*f.to = f.from.UTC()
		}
	}
	return t, nil
}

// optTime is a time for a nullable column: NULL for the zero time.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// optSeconds is a duration for a nullable column of whole seconds: NULL
// for 0.
func optSeconds(d time.Duration) *int64 {
	if d == 0 {
		return nil
	}
	n := int64(d / time.Second)
	return &n
}

// optID is an id for a nullable column: NULL for "".
func optID(id string) *string {
	if id == "" {
		return nil
	}
	return &id
}

// TokenByID returns a token without its hash.
func (s *Store) TokenByID(ctx context.Context, id string) (_ store.Token, err error) {
	defer classify(&err)
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("token %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("get token: %w", err)
	}
	return t, nil
}

// Tokens lists the tokens of a workspace, or the admin tokens, without
// their hashes.
func (s *Store) Tokens(ctx context.Context, workspaceID string) (_ []store.Token, err error) {
	defer classify(&err)
	q, args := `SELECT `+tokenCols+` FROM tokens WHERE workspace_id = $1 ORDER BY created, id`, []any{workspaceID}
	if workspaceID == "" {
		q, args = `SELECT `+tokenCols+` FROM tokens WHERE workspace_id IS NULL ORDER BY created, id`, nil
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Token, error) { return scanToken(row) })
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

// RevokeToken marks a token revoked, keeping the time of an earlier
// revocation.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) (err error) {
	defer classify(&err)
	return s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		t, err := scanToken(tx.QueryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("token %s: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("revoke token: %w", err)
		}
		changes := []store.Change{{Kind: store.ChangeToken, WorkspaceID: t.WorkspaceID, ID: id}}
		if !t.Revoked.IsZero() {
			return changes, nil
		}
		if _, err := tx.Exec(ctx, `UPDATE tokens SET revoked = $1 WHERE id = $2`, at, id); err != nil {
			return nil, fmt.Errorf("revoke token: %w", err)
		}
		if t.WorkspaceID == "" {
			return changes, nil
		}
		t.Revoked = at
		more, err := applyEffects(ctx, tx, t.WorkspaceID, s.now().UTC().Truncate(timePrecision), store.Effects{Events: []store.NewEvent{store.TokenEvent(store.EventTokenRevoked, t)}})
		return append(changes, more...), err
	})
}

// SetTokenExpiry sets when a token expires.
func (s *Store) SetTokenExpiry(ctx context.Context, id string, expires time.Time) (err error) {
	defer classify(&err)
	return s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		t, err := tokenForUpdate(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		t = t.WithExpiry(expires, s.now())
		if _, err := tx.Exec(ctx, `UPDATE tokens SET expires = $1, expiry_announced = $2 WHERE id = $3`,
			optTime(t.Expires), optSeconds(t.ExpiryAnnounced), id); err != nil {
			return nil, fmt.Errorf("set token expiry: %w", err)
		}
		return []store.Change{{Kind: store.ChangeToken, WorkspaceID: t.WorkspaceID, ID: id}}, nil
	})
}

// tokenForUpdate reads a token in tx and locks it until the commit.
func tokenForUpdate(ctx context.Context, tx pgx.Tx, id string) (store.Token, error) {
	t, err := scanToken(tx.QueryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("token %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("get token: %w", err)
	}
	return t, nil
}

// RotateToken replaces a token in one transaction. The old token's row
// stays locked from its check to the commit, so that a concurrent
// revocation or rotation waits and then sees it ended.
func (s *Store) RotateToken(ctx context.Context, r store.TokenRotation) (old store.Token, err error) {
	defer classify(&err)
	if r.New.Kind == "" {
		r.New.Kind = store.TokenSCIM
	}
	err = s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		var err error
		if old, err = tokenForUpdate(ctx, tx, r.OldID); err != nil {
			return nil, err
		}
		ended, events, err := r.Rotate(old)
		if err != nil {
			return nil, err
		}
		if err := insertToken(ctx, tx, r.New); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE tokens SET revoked = $1, expires = $2, expiry_announced = $3 WHERE id = $4`,
			optTime(ended.Revoked), optTime(ended.Expires), optSeconds(ended.ExpiryAnnounced), old.ID); err != nil {
			return nil, fmt.Errorf("end token: %w", err)
		}
		old = ended
		changes := []store.Change{{Kind: store.ChangeToken, WorkspaceID: old.WorkspaceID, ID: old.ID}}
		if old.WorkspaceID == "" {
			return changes, nil
		}
		more, err := applyEffects(ctx, tx, old.WorkspaceID, s.now().UTC().Truncate(timePrecision), store.Effects{Events: events})
		return append(changes, more...), err
	})
	if errCode(err) == codeUniqueViolation {
		return old, fmt.Errorf("rotate token: %w", store.ErrAlreadyExists)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrTokenInactive) {
		return old, fmt.Errorf("rotate token: %w", err)
	}
	return old, err
}

// ExpiringTokens lists the workspaces' tokens that are not revoked and
// expire in (at, before].
func (s *Store) ExpiringTokens(ctx context.Context, at, before time.Time) (_ []store.Token, err error) {
	defer classify(&err)
	rows, err := s.pool.Query(ctx, `SELECT `+tokenCols+` FROM tokens
		WHERE workspace_id IS NOT NULL AND revoked IS NULL AND expires > $1 AND expires <= $2 ORDER BY expires, id`, at, before)
	if err != nil {
		return nil, fmt.Errorf("expiring tokens: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Token, error) { return scanToken(row) })
	if err != nil {
		return nil, fmt.Errorf("expiring tokens: %w", err)
	}
	return ts, nil
}

// AnnounceTokenExpiry records an announcement and appends its event, if
// the token is as the announcer read it. Of two replicas announcing at
// once, the second's update waits for the first's row lock and then finds
// the row changed, which READ COMMITTED re-checks, so it writes nothing.
func (s *Store) AnnounceTokenExpiry(ctx context.Context, a store.ExpiryAnnouncement) (done bool, err error) {
	defer classify(&err)
	err = s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		done = false
		var ws string
		err := tx.QueryRow(ctx, `UPDATE tokens SET expiry_announced = $1
			WHERE id = $2 AND workspace_id IS NOT NULL AND revoked IS NULL AND expires = $3 AND expires > $4 AND coalesce(expiry_announced, 0) = $5
			RETURNING workspace_id`,
			optSeconds(a.Lead), a.TokenID, a.Expires, a.At, int64(a.Prev/time.Second)).Scan(&ws)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("announce token expiry: %w", err)
		}
		done = true
		return applyEffects(ctx, tx, ws, s.now().UTC().Truncate(timePrecision), store.Effects{Events: []store.NewEvent{a.Event}})
	})
	if err != nil {
		return false, err
	}
	return done, nil
}

// TouchTokens records when tokens were last used, in one statement. Two
// replicas flushing at once may deadlock on the rows they share, which
// PostgreSQL breaks and tx retries.
func (s *Store) TouchTokens(ctx context.Context, used map[string]time.Time) (err error) {
	defer classify(&err)
	if len(used) == 0 {
		return nil
	}
	ids := make([]string, 0, len(used))
	times := make([]time.Time, 0, len(used))
	for id, at := range used {
		ids = append(ids, id)
		times = append(times, at)
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE tokens t SET last_used = u.at
			FROM unnest($1::text[], $2::timestamptz[]) AS u (id, at)
			WHERE t.id = u.id AND (t.last_used IS NULL OR t.last_used < u.at)`, ids, times)
		return err
	})
	if err != nil {
		return fmt.Errorf("touch tokens: %w", err)
	}
	return nil
}
