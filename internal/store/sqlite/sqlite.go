// Package sqlite is scimd's embedded store: SQLite through a pure-Go driver,
// in WAL mode, with one writer connection and a pool of readers.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a store.Store on SQLite.
type Store struct {
	w   *sql.DB // the single writer: SQLite allows one at a time
	r   *sql.DB // readers
	wc  *stmtCache
	rc  *stmtCache
	wmu sync.Mutex // one write transaction at a time
	now func() time.Time

	origin  string // marks the rows of the changes table this store wrote
	changes *store.Broker
}

var _ store.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for timestamps (for tests).
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// Open opens (creating if needed) the database file at path and applies
// pending migrations.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "cache_size(-65536)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()

	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Two connections: a transaction holds one while statements for the
	// cache are prepared on the other. wmu keeps write transactions one at
	// a time, so they queue here rather than in SQLite's busy handler.
	w.SetMaxOpenConns(2)
	w.SetMaxIdleConns(2)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, now: time.Now, origin: id.New("")}
	s.changes = store.NewBroker(s.watch)
	for _, o := range opts {
		o(s)
	}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	q.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	s.r = r
	s.wc, s.rc = newStmtCache(w), newStmtCache(r)
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.changes.Close()
	s.rc.close()
	s.wc.close()
	return errors.Join(s.r.Close(), s.w.Close())
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.r.PingContext(ctx)
}

// migrate applies the embedded migrations not yet recorded in
// schema_migrations, each in its own transaction. Migrations are
// forward-only: files are named NNNN_description.sql and never edited once
// released.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", name)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if err := s.rawTx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, v).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`, v, formatTime(s.now()))
			return err
		}); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

// read returns a conn for queries outside transactions.
func (s *Store) read() conn { return conn{cache: s.rc} }

// tx runs fn in a write transaction.
func (s *Store) tx(ctx context.Context, fn func(conn) error) error {
	return s.rawTx(ctx, func(tx *sql.Tx) error {
		return fn(conn{cache: s.wc, tx: tx})
	})
}

// rawTx runs fn in a write transaction without the statement cache, for
// SQL of several statements, which cannot be prepared as one.
func (s *Store) rawTx(ctx context.Context, fn func(*sql.Tx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// timeFormat is fixed-width UTC so that text comparison orders by time.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) { return time.Parse(timeFormat, s) }

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// CreateWorkspace stores a new workspace.
func (s *Store) CreateWorkspace(ctx context.Context, w store.Workspace) error {
	if w.Config.IsZero() {
		w.Config = store.DefaultWorkspaceConfig()
	}
	err := s.tx(ctx, func(tx conn) error {
		args, err := configArgs(w.Config)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO workspaces (`+workspaceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append([]any{w.ID, w.Slug, formatTime(w.Created)}, args...)...)
		return err
	})
	if isUniqueViolation(err) {
		return fmt.Errorf("workspace %q: %w", w.Slug, store.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("create workspace: %w", err)
	}
	return nil
}

// WorkspaceBySlug returns the workspace with the given slug.
func (s *Store) WorkspaceBySlug(ctx context.Context, slug string) (store.Workspace, error) {
	return s.workspaceWhere(ctx, s.read(), `slug = ?`, slug)
}

// Workspaces lists all workspaces ordered by slug.
func (s *Store) Workspaces(ctx context.Context) ([]store.Workspace, error) {
	rows, err := s.read().QueryContext(ctx, `SELECT `+workspaceCols+` FROM workspaces ORDER BY slug`)
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	defer rows.Close()
	var ws []store.Workspace
	for rows.Next() {
		w, err := scanWorkspace(rows)
		if err != nil {
			return nil, fmt.Errorf("list workspaces: %w", err)
		}
		ws = append(ws, w)
	}
	return ws, rows.Err()
}

// CreateToken stores a token.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	if t.Kind == "" {
		t.Kind = store.TokenSCIM
	}
	err := s.txChanges(ctx, func(tx conn) ([]store.Change, error) {
		if err := insertToken(ctx, tx, t); err != nil || t.WorkspaceID == "" {
			return nil, err
		}
		return applyEffects(ctx, tx, t.WorkspaceID, s.now(), store.Effects{Events: []store.NewEvent{store.TokenEvent(store.EventTokenCreated, t)}})
	})
	if isUniqueViolation(err) {
		return fmt.Errorf("token: %w", store.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

// insertToken inserts t, whose Kind is set, in tx.
func insertToken(ctx context.Context, tx conn, t store.Token) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, kind, workspace_id, name, hash, created, created_by, expires, last_used, revoked, expiry_announced)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Kind, optID(t.WorkspaceID), t.Name, t.Hash, formatTime(t.Created), t.CreatedBy, optTime(t.Expires), optTime(t.LastUsed), optTime(t.Revoked), optSeconds(t.ExpiryAnnounced))
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
	t, err := scanToken(s.read().QueryRowContext(ctx, q, args...), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("token: %w", store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("get token: %w", err)
	}
	t.Hash = hash
	return t, nil
}
