package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/store"
)

// configCols are the columns of a workspace's configuration, in the
// order of scanWorkspace and configArgs.
var configCols = []string{"scim_enabled", "create_users", "sync_display_name", "default_role", "default_team",
	"default_team_role", "revoke_keys_on_deactivate", "delete_mode", "soft_delete_grace_days", "strict_mode", "seat_limit", "access", "allow_linking",
	"delete_on_deactivate", "undeclared_extensions"}

// workspaceCols are the columns scanWorkspace reads, in its order.
var workspaceCols = "id, slug, created, " + strings.Join(configCols, ", ")

func scanWorkspace(sc scanner) (store.Workspace, error) {
	var (
		w      store.Workspace
		c      = &w.Config
		seats  sql.NullInt64
		access []byte
	)
	err := sc.Scan(&w.ID, &w.Slug, scanTime{&w.Created}, &c.SCIMEnabled, &c.CreateUsers, &c.SyncDisplayName, &c.DefaultRole, &c.DefaultTeam,
		&c.DefaultTeamRole, &c.RevokeKeysOnDeactivate, &c.DeleteMode, &c.SoftDeleteGraceDays, &c.StrictMode, &seats, &access, &c.AllowLinking,
		&c.DeleteOnDeactivate, &c.UndeclaredExtensions)
	if err != nil {
		return w, err
	}
	if err := c.SetAccessJSON(access); err != nil {
		return w, err
	}
	if seats.Valid {
		n := int(seats.Int64)
		c.SeatLimit = &n
	}
	return w, nil
}

// configArgs returns the values of the configuration columns, in the
// order of workspaceCols after created.
func configArgs(c store.WorkspaceConfig) ([]any, error) {
	var seats, access any
	if c.SeatLimit != nil {
		seats = *c.SeatLimit
	}
	b, err := c.AccessJSON()
	if err != nil {
		return nil, err
	}
	if b != nil {
		access = string(b)
	}
	return []any{c.SCIMEnabled, c.CreateUsers, c.SyncDisplayName, c.DefaultRole, c.DefaultTeam,
		c.DefaultTeamRole, c.RevokeKeysOnDeactivate, c.DeleteMode, c.SoftDeleteGraceDays, c.StrictMode, seats, access, c.AllowLinking,
		c.DeleteOnDeactivate, c.UndeclaredExtensions}, nil
}

func workspaceWhere(ctx context.Context, q Conn, where string, arg any) (store.Workspace, error) {
	w, err := scanWorkspace(q.QueryRowContext(ctx, `SELECT `+workspaceCols+` FROM workspaces WHERE `+where, arg))
	return w, rowErr(err, "workspace %q", arg)
}

// WorkspaceByID returns the workspace with the given id.
func (s *Store) WorkspaceByID(ctx context.Context, id string) (store.Workspace, error) {
	return workspaceWhere(ctx, s.Read(), `id = ?`, id)
}

// UpdateWorkspace runs fn on the workspace and stores its configuration.
func (s *Store) UpdateWorkspace(ctx context.Context, slug string, fn func(*store.Workspace) error) (store.Workspace, error) {
	var out store.Workspace
	err := s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		// Locked until the commit (where the one writer does not
		// exclude every other already).
		w, err := workspaceWhere(ctx, tx, `slug = ?`+tx.lock("FOR NO KEY UPDATE"), slug)
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
		if _, err := tx.ExecContext(ctx, `UPDATE workspaces SET `+strings.Join(configCols, " = ?, ")+` = ? WHERE id = ?`, append(args, id)...); err != nil {
			return nil, fmt.Errorf("update workspace: %w", err)
		}
		out = w
		return []store.Change{{Kind: store.ChangeWorkspace, WorkspaceID: id, ID: id}}, nil
	})
	return out, err
}

// DeleteWorkspace deletes a workspace; its tokens and resources go with it
// by foreign key.
func (s *Store) DeleteWorkspace(ctx context.Context, slug string) error {
	return s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		// The indexes that keep its extensions' values unique go first.
		es, err := collect(ctx, tx, "schema extensions", scanSchemaExt, `SELECT `+schemaExtCols+` FROM schema_extensions
			WHERE workspace_id = (SELECT id FROM workspaces WHERE slug = ?)`, slug)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if err := syncIndexes(ctx, tx, &e, nil); err != nil {
				return nil, err
			}
		}
		var id string
		if err := tx.QueryRowContext(ctx, `DELETE FROM workspaces WHERE slug = ? RETURNING id`, slug).Scan(&id); err != nil {
			return nil, rowErr(err, "workspace %q", slug)
		}
		return []store.Change{{Kind: store.ChangeWorkspace, WorkspaceID: id, ID: id}}, nil
	})
}

// tokenCols are the columns scanToken reads, in its order, but for the
// hash, which only TokenByHash returns.
const tokenCols = `id, kind, coalesce(workspace_id, ''), name, created, created_by, expires, last_used, revoked, coalesce(expiry_announced, 0)`

func scanToken(sc scanner) (store.Token, error) { return scanTokenWith(sc) }

// scanTokenWith scans extra columns after those of scanToken.
func scanTokenWith(sc scanner, extra ...any) (store.Token, error) {
	var (
		t         store.Token
		announced int64
	)
	dest := append([]any{&t.ID, &t.Kind, &t.WorkspaceID, &t.Name, scanTime{&t.Created}, &t.CreatedBy,
		scanOptTime{&t.Expires}, scanOptTime{&t.LastUsed}, scanOptTime{&t.Revoked}, &announced}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return t, err
	}
	t.ExpiryAnnounced = time.Duration(announced) * time.Second
	return t, nil
}

// optSeconds is a duration for a nullable column of whole seconds: NULL
// for 0.
func optSeconds(d time.Duration) any {
	if d == 0 {
		return nil
	}
	return int64(d / time.Second)
}

// optID is an id for a nullable column: NULL for "".
func optID(id string) any {
	if id == "" {
		return nil
	}
	return id
}

// TokenByID returns a token without its hash.
func (s *Store) TokenByID(ctx context.Context, id string) (store.Token, error) {
	return token(ctx, s.Read(), id, "")
}

// Tokens lists the tokens of a workspace, or the admin tokens, without
// their hashes.
func (s *Store) Tokens(ctx context.Context, workspaceID string) ([]store.Token, error) {
	q, args := `SELECT `+tokenCols+` FROM tokens WHERE workspace_id = ? ORDER BY created, id`, []any{workspaceID}
	if workspaceID == "" {
		q, args = `SELECT `+tokenCols+` FROM tokens WHERE workspace_id IS NULL ORDER BY created, id`, nil
	}
	return collect(ctx, s.Read(), "list tokens", scanToken, q, args...)
}

// RevokeToken marks a token revoked, keeping the time of an earlier
// revocation.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	return s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		t, err := token(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return nil, err
		}
		changes := []store.Change{{Kind: store.ChangeToken, WorkspaceID: t.WorkspaceID, ID: id}}
		if !t.Revoked.IsZero() {
			return changes, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked = ? WHERE id = ?`, tx.time(at), id); err != nil {
			return nil, fmt.Errorf("revoke token: %w", err)
		}
		if !t.HasEvents() {
			return changes, nil
		}
		t.Revoked = at
		more, err := applyEffects(ctx, tx, t.WorkspaceID, s.now(), store.Effects{Events: []store.NewEvent{store.TokenEvent(eventtype.TokenRevoked, t)}})
		return append(changes, more...), err
	})
}

// SetTokenExpiry sets when a token expires.
func (s *Store) SetTokenExpiry(ctx context.Context, id string, expires time.Time) error {
	return s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		t, err := token(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return nil, err
		}
		t = t.WithExpiry(expires, s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET expires = ?, expiry_announced = ? WHERE id = ?`,
			tx.optTime(t.Expires), optSeconds(t.ExpiryAnnounced), id); err != nil {
			return nil, fmt.Errorf("set token expiry: %w", err)
		}
		return []store.Change{{Kind: store.ChangeToken, WorkspaceID: t.WorkspaceID, ID: id}}, nil
	})
}

// token reads a token, locked until the commit with lock (a strength
// for Dialect.Lock) if not "": writers lock it FOR UPDATE (where the one
// writer does not exclude every other already), so that a concurrent
// revocation or rotation waits and then sees it ended.
func token(ctx context.Context, c Conn, id, lock string) (store.Token, error) {
	t, err := scanToken(c.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE id = ?`+c.lock(lock), id))
	return t, rowErr(err, "token %s", id)
}

// RotateToken replaces a token in one transaction.
func (s *Store) RotateToken(ctx context.Context, r store.TokenRotation) (store.Token, error) {
	if r.New.Kind == "" {
		r.New.Kind = store.TokenSCIM
	}
	var old store.Token
	err := s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		var err error
		if old, err = token(ctx, tx, r.OldID, "FOR UPDATE"); err != nil {
			return nil, err
		}
		ended, events, err := r.Rotate(old)
		if err != nil {
			return nil, err
		}
		if err := insertToken(ctx, tx, r.New); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked = ?, expires = ?, expiry_announced = ? WHERE id = ?`,
			tx.optTime(ended.Revoked), tx.optTime(ended.Expires), optSeconds(ended.ExpiryAnnounced), old.ID); err != nil {
			return nil, fmt.Errorf("end token: %w", err)
		}
		old = ended
		changes := []store.Change{{Kind: store.ChangeToken, WorkspaceID: old.WorkspaceID, ID: old.ID}}
		if old.WorkspaceID == "" {
			return changes, nil
		}
		more, err := applyEffects(ctx, tx, old.WorkspaceID, s.now(), store.Effects{Events: events})
		return append(changes, more...), err
	})
	if s.d.IsUniqueViolation(err) {
		return old, fmt.Errorf("rotate token: %w", store.ErrAlreadyExists)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrTokenInactive) {
		return old, fmt.Errorf("rotate token: %w", err)
	}
	return old, err
}

// ExpiringTokens lists the workspaces' tokens that are not revoked and
// expire in (at, before].
func (s *Store) ExpiringTokens(ctx context.Context, at, before time.Time) ([]store.Token, error) {
	return collect(ctx, s.Read(), "expiring tokens", scanToken, `SELECT `+tokenCols+` FROM tokens
		WHERE workspace_id IS NOT NULL AND revoked IS NULL AND expires > ? AND expires <= ? ORDER BY expires, id`,
		s.d.TimeArg(at), s.d.TimeArg(before))
}

// AnnounceTokenExpiry records an announcement and appends its event, if
// the token is as the announcer read it: the update's condition is the
// compare of the compare-and-set. Of two replicas announcing at once, the
// second's update waits for the first's row lock and then finds the row
// changed, which READ COMMITTED re-checks, so it writes nothing.
func (s *Store) AnnounceTokenExpiry(ctx context.Context, a store.ExpiryAnnouncement) (bool, error) {
	var done bool
	err := s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		done = false
		var ws string
		err := tx.QueryRowContext(ctx, `UPDATE tokens SET expiry_announced = ?
			WHERE id = ? AND workspace_id IS NOT NULL AND revoked IS NULL AND expires = ? AND expires > ? AND coalesce(expiry_announced, 0) = ?
			RETURNING workspace_id`,
			optSeconds(a.Lead), a.TokenID, tx.time(a.Expires), tx.time(a.At), int64(a.Prev/time.Second)).Scan(&ws)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("announce token expiry: %w", err)
		}
		done = true
		return applyEffects(ctx, tx, ws, s.now(), store.Effects{Events: []store.NewEvent{a.Event}})
	})
	if err != nil {
		return false, err
	}
	return done, nil
}

// TouchTokens records when tokens were last used, in order of id, so
// that replicas flushing at once lock the rows they share in one order.
func (s *Store) TouchTokens(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	err := s.Tx(ctx, func(tx Conn) error {
		for _, id := range slices.Sorted(maps.Keys(used)) {
			ts := tx.time(used[id])
			if _, err := tx.ExecContext(ctx, `UPDATE tokens SET last_used = ? WHERE id = ? AND (last_used IS NULL OR last_used < ?)`, ts, id, ts); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("touch tokens: %w", err)
	}
	return nil
}

// CreateWorkspace stores a new workspace.
func (s *Store) CreateWorkspace(ctx context.Context, w store.Workspace) error {
	if w.Config.IsZero() {
		w.Config = store.DefaultWorkspaceConfig()
	}
	err := s.Tx(ctx, func(tx Conn) error {
		args, err := configArgs(w.Config)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO workspaces (`+workspaceCols+`) VALUES (?, ?, ?`+strings.Repeat(", ?", len(configCols))+`)`,
			append([]any{w.ID, w.Slug, tx.time(w.Created)}, args...)...)
		return err
	})
	if s.d.IsUniqueViolation(err) {
		return fmt.Errorf("workspace %q: %w", w.Slug, store.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("create workspace: %w", err)
	}
	return nil
}

// WorkspaceBySlug returns the workspace with the given slug.
func (s *Store) WorkspaceBySlug(ctx context.Context, slug string) (store.Workspace, error) {
	return workspaceWhere(ctx, s.Read(), `slug = ?`, slug)
}

// Workspaces lists all workspaces ordered by slug.
func (s *Store) Workspaces(ctx context.Context) ([]store.Workspace, error) {
	return collect(ctx, s.Read(), "list workspaces", scanWorkspace, `SELECT `+workspaceCols+` FROM workspaces ORDER BY slug`)
}

// CreateToken stores a token.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	if t.Kind == "" {
		t.Kind = store.TokenSCIM
	}
	err := s.txChanges(ctx, func(tx Conn) ([]store.Change, error) {
		if err := insertToken(ctx, tx, t); err != nil || !t.HasEvents() {
			return nil, err
		}
		return applyEffects(ctx, tx, t.WorkspaceID, s.now(), store.Effects{Events: []store.NewEvent{store.TokenEvent(eventtype.TokenCreated, t)}})
	})
	if s.d.IsUniqueViolation(err) {
		return fmt.Errorf("token: %w", store.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

// insertToken inserts t, whose Kind is set, in tx.
func insertToken(ctx context.Context, tx Conn, t store.Token) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, kind, workspace_id, name, hash, created, created_by, expires, last_used, revoked, expiry_announced)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Kind, optID(t.WorkspaceID), t.Name, t.Hash, tx.time(t.Created), t.CreatedBy, tx.optTime(t.Expires), tx.optTime(t.LastUsed), tx.optTime(t.Revoked), optSeconds(t.ExpiryAnnounced))
	return err
}

// TokenByHash returns the token with hash h in the workspace, or among
// admin tokens.
func (s *Store) TokenByHash(ctx context.Context, workspaceID string, h []byte) (store.Token, error) {
	q, args := `SELECT `+tokenCols+`, hash FROM tokens WHERE workspace_id = ? AND hash = ?`, []any{workspaceID, h}
	if workspaceID == "" {
		q, args = `SELECT `+tokenCols+`, hash FROM tokens WHERE workspace_id IS NULL AND hash = ?`, []any{h}
	}
	var hash []byte
	t, err := scanTokenWith(s.Read().QueryRowContext(ctx, q, args...), &hash)
	t.Hash = hash
	return t, rowErr(err, "token")
}
