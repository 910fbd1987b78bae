// Package postgres is scimd's store on PostgreSQL, through pgx and a
// connection pool, for running several replicas on one database.
//
// Filters compile to SQL with package sqlquery, as for SQLite; the schema
// (migrations/) keeps the same tables with PostgreSQL types: jsonb
// documents, timestamptz times and text keys in the "C" collation.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlquery"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a store.Store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
	d    dialect

	origin     string // marks the notifications this store sent
	channel    string // of the notifications, one per schema
	changes    *store.Broker
	listenIdle time.Duration
	listenPID  atomic.Uint32 // of the listening connection's backend, for tests
}

var _ store.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for timestamps (for tests).
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// Open connects to the database at url (postgres://USER@HOST/DB?…, or
// any connection string pgx accepts, including pool_max_conns) and
// applies pending migrations. Replicas may open the same database at
// once: migrations run under an advisory lock.
func Open(ctx context.Context, url string, opts ...Option) (_ *Store, err error) {
	defer classify(&err)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["jit"]; !ok {
		// PostgreSQL overestimates the cost of the recursive walks of
		// nested groups on small tables and compiles them with its JIT,
		// which takes far longer than the queries do: seconds for each
		// user recomputed on a busy server. A jit parameter in url wins.
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, now: time.Now, origin: id.New(""), listenIdle: defaultListenIdle}
	s.changes = store.NewBroker(s.watch)
	for _, o := range opts {
		o(s)
	}
	if err := s.setup(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool's connections.
func (s *Store) Close() error {
	s.changes.Close()
	s.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) (err error) {
	defer classify(&err)
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// setup checks the database, chooses how to fold case and migrates.
func (s *Store) setup(ctx context.Context) error {
	var enc string
	if err := s.pool.QueryRow(ctx, `SELECT current_setting('server_encoding')`).Scan(&enc); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if enc != "UTF8" {
		return fmt.Errorf("postgres: database encoding is %s; scimd needs UTF8", enc)
	}
	coll, err := s.foldCollation(ctx)
	if err != nil {
		return err
	}
	s.d = dialect{foldCollation: coll}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	var schema string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	s.channel = channelName(schema)
	return nil
}

// foldProbe is text on which lower() must agree with strings.ToLower,
// beyond ASCII and without the final-sigma rule of full case mapping,
// which the filter evaluator does not apply.
const foldProbe = "ÀÉÎÕÜ ΣΑΣ Ж Ÿ"

// foldCollation returns the quoted name of a collation whose lower()
// folds text as strings.ToLower does: the database's default if it does,
// as with a UTF-8 locale, else a built-in one that does.
func (s *Store) foldCollation(ctx context.Context) (string, error) {
	rows, err := s.pool.Query(ctx, `SELECT collname FROM pg_collation
		WHERE collname IN ('pg_c_utf8', 'C.utf8', 'C.UTF-8', 'und-x-icu')
		AND collencoding IN (-1, pg_char_to_encoding('UTF8'))`)
	if err != nil {
		return "", fmt.Errorf("postgres: list collations: %w", err)
	}
	avail, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("postgres: list collations: %w", err)
	}
	sort.Strings(avail) // 'C.UTF-8', 'C.utf8', 'pg_c_utf8', 'und-x-icu': libc and built-in before ICU
	want := sqlquery.Fold(foldProbe)
	var got string
	for i, name := range append([]string{"default"}, avail...) {
		coll := pgx.Identifier{name}.Sanitize()
		var lower string
		if err := s.pool.QueryRow(ctx, `SELECT lower($1::text COLLATE `+coll+`)`, foldProbe).Scan(&lower); err != nil {
			return "", fmt.Errorf("postgres: lower() with collation %s: %w", coll, err)
		}
		if lower == want {
			return coll, nil
		}
		if i == 0 {
			got = lower
		}
	}
	return "", fmt.Errorf("postgres: lower(%q) is %q, not %q, and no other collation folds case as scimd's filters do; use a database with a UTF-8 locale such as C.UTF-8", foldProbe, got, want)
}

// migrationLock is the first key of the advisory lock that migrations run
// under; the second is the schema's, so that schemas migrate apart.
const migrationLock = 0x5c1d

// migrate applies the embedded migrations not yet recorded in
// schema_migrations, each in its own transaction, under an advisory lock
// so that replicas starting together apply each once. Migrations are
// forward-only: files are named NNNN_description.sql and never edited once
// released.
func (s *Store) migrate(ctx context.Context) error {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// The lock is the session's: closing the connection, rather than
	// returning it to the pool, releases it whatever happens here.
	conn := pc.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	const key = `$1, hashtext(coalesce(current_schema(), ''))`
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+key+`)`, migrationLock); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied timestamptz NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
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
		if slices.Contains(done, int32(v)) {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)`, v, s.now())
			return err
		}); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(`+key+`)`, migrationLock); err != nil {
		return fmt.Errorf("migrate: unlock: %w", err)
	}
	return nil
}

// maxAttempts bounds how often a write transaction runs when PostgreSQL
// aborts it for a deadlock or a serialization failure.
const maxAttempts = 5

// tx runs fn in a transaction, again (fn included) if PostgreSQL aborts it
// for a deadlock or a serialization failure, which another attempt may not
// meet.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tx1(ctx, fn)
		if err == nil || attempt == maxAttempts || !retryable(err) {
			return err
		}
		// Jittered backoff, so that the transactions that collided do
		// not collide again.
		wait := time.Duration(attempt) * time.Duration(1+rand.IntN(10)) * time.Millisecond
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
	}
}

// rollbackTimeout bounds the rollback of a failed transaction. The
// rollback runs even when the caller's context is done, so that the
// connection stays usable, but without a bound a database that stopped
// answering would hold the caller, and Close, which waits for the
// connection, until TCP gives up. When it times out pgx closes the
// connection, and PostgreSQL rolls the transaction back itself.
const rollbackTimeout = time.Second

func (s *Store) tx1(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		tx.Rollback(rctx)
		cancel()
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// SQLSTATE codes (PostgreSQL manual, appendix A).
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

func errCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func retryable(err error) bool {
	c := errCode(err)
	return c == codeSerializationFailure || c == codeDeadlockDetected
}

// timePrecision is the precision of timestamptz.
const timePrecision = time.Microsecond

// CreateWorkspace stores a new workspace.
func (s *Store) CreateWorkspace(ctx context.Context, w store.Workspace) (err error) {
	defer classify(&err)
	if w.Config.IsZero() {
		w.Config = store.DefaultWorkspaceConfig()
	}
	args, err := configArgs(w.Config)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO workspaces (`+workspaceCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		append([]any{w.ID, w.Slug, w.Created}, args...)...)
	if errCode(err) == codeUniqueViolation {
		return fmt.Errorf("workspace %q: %w", w.Slug, store.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("create workspace: %w", err)
	}
	return nil
}

// WorkspaceBySlug returns the workspace with the given slug.
func (s *Store) WorkspaceBySlug(ctx context.Context, slug string) (w store.Workspace, err error) {
	defer classify(&err)
	return workspaceWhere(ctx, s.pool, `slug = $1`, slug)
}

// Workspaces lists all workspaces ordered by slug.
func (s *Store) Workspaces(ctx context.Context) (_ []store.Workspace, err error) {
	defer classify(&err)
	rows, err := s.pool.Query(ctx, `SELECT `+workspaceCols+` FROM workspaces ORDER BY slug`)
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	ws, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Workspace, error) { return scanWorkspace(row) })
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	return ws, nil
}

// CreateToken stores a token.
func (s *Store) CreateToken(ctx context.Context, t store.Token) (err error) {
	defer classify(&err)
	if t.Kind == "" {
		t.Kind = store.TokenSCIM
	}
	err = s.txChanges(ctx, func(tx pgx.Tx) ([]store.Change, error) {
		if err := insertToken(ctx, tx, t); err != nil || t.WorkspaceID == "" {
			return nil, err
		}
		return applyEffects(ctx, tx, t.WorkspaceID, s.now().UTC().Truncate(timePrecision), store.Effects{Events: []store.NewEvent{store.TokenEvent(store.EventTokenCreated, t)}})
	})
	if errCode(err) == codeUniqueViolation {
		return fmt.Errorf("token: %w", store.ErrAlreadyExists)
	}
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

// insertToken inserts t, whose Kind is set, in tx.
func insertToken(ctx context.Context, tx pgx.Tx, t store.Token) error {
	_, err := tx.Exec(ctx, `INSERT INTO tokens (id, kind, workspace_id, name, hash, created, created_by, expires, last_used, revoked, expiry_announced)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		t.ID, t.Kind, optID(t.WorkspaceID), t.Name, t.Hash, t.Created, t.CreatedBy, optTime(t.Expires), optTime(t.LastUsed), optTime(t.Revoked), optSeconds(t.ExpiryAnnounced))
	return err
}

// TokenByHash returns the token with hash h in the workspace, or among
// admin tokens.
func (s *Store) TokenByHash(ctx context.Context, workspaceID string, h []byte) (t store.Token, err error) {
	defer classify(&err)
	q, args := `SELECT `+tokenCols+`, hash FROM tokens WHERE workspace_id = $1 AND hash = $2`, []any{workspaceID, h}
	if workspaceID == "" {
		q, args = `SELECT `+tokenCols+`, hash FROM tokens WHERE workspace_id IS NULL AND hash = $1`, []any{h}
	}
	var hash []byte
	t, err = scanToken(s.pool.QueryRow(ctx, q, args...), &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("token: %w", store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("get token: %w", err)
	}
	t.Hash = hash
	return t, nil
}
