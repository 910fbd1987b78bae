// Package postgres is scimd's store on PostgreSQL, through pgx and a
// connection pool, for running several replicas on one database.
//
// The store's logic is package sqlstore's, run through database/sql with
// pgx's stdlib adapter on the pool; this package opens the pool, chooses
// how to fold case, migrates under an advisory lock, supplies the dialect
// and tells other replicas of changes with LISTEN/NOTIFY, on connections
// of pgx's own. The schema (migrations/) keeps the tables of SQLite's
// with PostgreSQL types: jsonb documents, timestamptz times and text keys
// in the "C" collation.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/scimd/scimd/internal/changefeed"
	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlquery"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a store.Store on PostgreSQL: package sqlstore's, with
// PostgreSQL's dialect, pool and watcher.
type Store struct {
	*sqlstore.Store
	pool *pgxpool.Pool
	db   *sql.DB // the pool, through database/sql
	now  func() time.Time
	d    dialect

	origin     string // marks the notifications this store sent
	channel    string // of the notifications, one per schema
	changes    *changefeed.Broker
	listenIdle time.Duration
	listenPID  atomic.Uint32 // of the listening connection's backend, for tests

	stopStats func()        // ends keepStatistics
	statsDone chan struct{} // closed when it has
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
	defer func() { err = sqlstore.Classify(dialect{}, err) }()
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
	s.changes = changefeed.NewBroker(s.watch)
	for _, o := range opts {
		o(s)
	}
	if err := s.setup(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	s.db = stdlib.OpenDBFromPool(pool)
	s.Store = sqlstore.New(sqlstore.Config{
		Writer: s.db, Reader: s.db, Dialect: s.d,
		Now: s.now, Changes: s.changes, Record: s.notify,
	})
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopStats, s.statsDone = stop, make(chan struct{})
	go func() {
		defer close(s.statsDone)
		s.keepStatistics(sctx)
	}()
	return s, nil
}

// Close closes the pool's connections.
func (s *Store) Close() error {
	s.stopStats()
	<-s.statsDone
	s.Store.Close()
	err := s.db.Close()
	s.pool.Close()
	return err
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
// so that replicas starting together apply each once.
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
	ms, err := sqlstore.Migrations(migrations)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if slices.Contains(done, int32(m.Version)) {
			continue
		}
		if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)`, m.Version, s.now())
			return err
		}); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(`+key+`)`, migrationLock); err != nil {
		return fmt.Errorf("migrate: unlock: %w", err)
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
