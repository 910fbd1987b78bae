package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migrating a schema creates every table and index, which costs PostgreSQL
// far more than emptying a few small tables does: Migrated hands a test a
// schema that an earlier test of the package has used and that has been
// emptied since, and migrates a new one only when none is free. A schema
// per test keeps parallel tests apart; emptying it with DELETE rather than
// TRUNCATE, which makes every table and index anew, keeps reuse cheap.

// pool holds the schemas Migrated made in this process.
var pool struct {
	sync.Mutex
	running bool          // Main runs the tests
	db      *pgxpool.Pool // connections to the test database, kept: each new one costs the server
	free    []*migrated   // emptied, for the next test
	all     []string      // every schema made, to drop after the tests
}

// querier is a connection or a pool of them.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// migrated is a migrated schema and what brings it back to the state in
// which migrate left it.
type migrated struct {
	name        string
	reset       string   // deletes every row migrate did not write; sets sequences back
	kept        []string // count(*) of each table migrate wrote rows to, as a query
	keptRows    []int64  // and those counts
	fingerprint string   // of the schema's tables, indexes and constraints
}

// Main runs the package's tests and then drops the schemas that Migrated
// kept for reuse. A package whose tests call Migrated runs them with it:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	pool.Lock()
	pool.running = true
	pool.Unlock()
	code := m.Run()
	pool.Lock()
	db, names := pool.db, pool.all
	pool.db, pool.all, pool.free = nil, nil, nil
	pool.Unlock()
	if db != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var errs []error
		for _, name := range names {
			errs = append(errs, dropSchema(ctx, db, name))
		}
		cancel()
		db.Close()
		if err := errors.Join(errs...); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// Migrated returns a connection string, as URL does, whose schema migrate
// has brought to the current version and which holds only the rows
// migrate wrote. migrate is called with a connection string for an empty
// schema and must be the same function in every call of a package.
//
// The schema is t's alone until t ends; then the rows t wrote are deleted,
// sequences are set back, and the schema goes to the next test that asks.
// t fails if it changed the schema's tables or the rows migrate wrote.
// Tests that do, that look at what migrate does, or at query plans that a
// table's history may sway, take a new schema from URL instead.
func Migrated(t testing.TB, migrate func(ctx context.Context, url string) error) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, s, err := take(ctx)
	if errors.Is(err, errNoMain) {
		t.Fatal(err)
	}
	if err != nil {
		unreachable(t, err)
	}
	if s == nil {
		if s, err = newMigrated(ctx, db, migrate); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.empty(ctx, db); err != nil {
			t.Errorf("schema %s is not used again: %v", s.name, err)
			return
		}
		pool.Lock()
		pool.free = append(pool.free, s)
		pool.Unlock()
	})
	return searchPath(Base(), s.name)
}

var errNoMain = errors.New("pgtest.Migrated needs the package's TestMain to call pgtest.Main")

// take returns the pool's connections and a free schema, if there is one.
func take(ctx context.Context) (*pgxpool.Pool, *migrated, error) {
	pool.Lock()
	defer pool.Unlock()
	if !pool.running {
		return nil, nil, errNoMain
	}
	if pool.db == nil {
		db, err := pgxpool.New(ctx, Base())
		if err != nil {
			return nil, nil, err
		}
		if err := db.Ping(ctx); err != nil {
			db.Close()
			return nil, nil, err
		}
		pool.db = db
	}
	var s *migrated
	if n := len(pool.free); n > 0 {
		s, pool.free = pool.free[n-1], pool.free[:n-1]
	}
	return pool.db, s, nil
}

// newMigrated creates a schema, migrates it and notes its state.
func newMigrated(ctx context.Context, conn querier, migrate func(context.Context, string) error) (*migrated, error) {
	name, err := createSchema(ctx, conn)
	if err != nil {
		return nil, err
	}
	pool.Lock()
	pool.all = append(pool.all, name)
	pool.Unlock()
	if err := migrate(ctx, searchPath(Base(), name)); err != nil {
		return nil, fmt.Errorf("migrate schema %s: %w", name, err)
	}
	s := &migrated{name: name}
	if s.fingerprint, err = fingerprint(ctx, conn, name); err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname`, name)
	if err != nil {
		return nil, fmt.Errorf("tables of schema %s: %w", name, err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("tables of schema %s: %w", name, err)
	}
	rows, err = conn.Query(ctx, `SELECT c.relname, p.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
		JOIN pg_namespace n ON n.oid = k.connamespace
		WHERE n.nspname = $1 AND k.contype = 'f' AND k.conrelid <> k.confrelid`, name)
	if err != nil {
		return nil, fmt.Errorf("foreign keys of schema %s: %w", name, err)
	}
	refs := map[string][]string{} // table: tables whose rows refer to its rows
	var child, parent string
	if _, err := pgx.ForEachRow(rows, []any{&child, &parent}, func() error {
		refs[parent] = append(refs[parent], child)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("foreign keys of schema %s: %w", name, err)
	}
	var reset []string
	for _, table := range deleteOrder(tables, refs) {
		ident := pgx.Identifier{name, table}.Sanitize()
		var n int64
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+ident).Scan(&n); err != nil {
			return nil, fmt.Errorf("rows of %s: %w", ident, err)
		}
		if n > 0 { // such as the record of migrations applied
			s.kept = append(s.kept, `(SELECT count(*) FROM `+ident+`)`)
			s.keptRows = append(s.keptRows, n)
			continue
		}
		reset = append(reset, `DELETE FROM `+ident)
	}
	rows, err = conn.Query(ctx, `SELECT sequencename, start_value, last_value FROM pg_sequences WHERE schemaname = $1`, name)
	if err != nil {
		return nil, fmt.Errorf("sequences of schema %s: %w", name, err)
	}
	var (
		seq         string
		start, last *int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&seq, &start, &last}, func() error {
		lit := `'` + strings.ReplaceAll(pgx.Identifier{name, seq}.Sanitize(), `'`, `''`) + `'`
		if last == nil { // never used
			reset = append(reset, fmt.Sprintf(`SELECT setval(%s, %d, false)`, lit, *start))
		} else {
			reset = append(reset, fmt.Sprintf(`SELECT setval(%s, %d, true)`, lit, *last))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("sequences of schema %s: %w", name, err)
	}
	s.reset = strings.Join(reset, ";\n")
	return s, nil
}

// deleteOrder orders tables so that rows referring to a table's rows are
// deleted before them.
func deleteOrder(tables []string, refs map[string][]string) []string {
	var order []string
	done := map[string]bool{}
	for len(order) < len(tables) {
		progress := false
		for _, table := range tables {
			if done[table] || slices.ContainsFunc(refs[table], func(c string) bool { return !done[c] }) {
				continue
			}
			order, done[table], progress = append(order, table), true, true
		}
		if !progress { // a cycle: left to the DELETEs to fail on
			for _, table := range tables {
				if !done[table] {
					order, done[table] = append(order, table), true
				}
			}
		}
	}
	return order
}

// empty brings s back to the state in which migrate left it.
func (s *migrated) empty(ctx context.Context, conn querier) error {
	fp, err := fingerprint(ctx, conn, s.name)
	if err != nil {
		return err
	}
	if fp != s.fingerprint {
		return errors.New("its tables changed")
	}
	if len(s.kept) > 0 {
		counts := make([]int64, len(s.kept))
		if err := conn.QueryRow(ctx, `SELECT ARRAY[`+strings.Join(s.kept, ", ")+`]`).Scan(&counts); err != nil {
			return err
		}
		if !slices.Equal(counts, s.keptRows) {
			return errors.New("rows the migrations wrote changed")
		}
	}
	if _, err := conn.Exec(ctx, s.reset); err != nil {
		return err
	}
	return nil
}

// fingerprint sums up the tables, sequences and indexes of schema, their
// numbers of columns and their constraints: enough to tell that a test
// changed them, at a small part of what comparing every column costs.
func fingerprint(ctx context.Context, conn querier, schema string) (string, error) {
	var fp string
	err := conn.QueryRow(ctx, `SELECT coalesce(md5(string_agg(c.relname || ' ' || c.relkind::text || ' ' || c.relnatts || ' ' || c.relchecks, ', ' ORDER BY c.relname)), '')
			|| ' ' || coalesce((SELECT md5(string_agg(k.conname, ', ' ORDER BY k.conname)) FROM pg_constraint k WHERE k.connamespace = n.oid), '')
		FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid WHERE n.nspname = $1 GROUP BY n.oid`, schema).Scan(&fp)
	if err != nil {
		return "", fmt.Errorf("schema %s: %w", schema, err)
	}
	return fp, nil
}

// dropSchema drops a schema and all it holds. One schema a statement:
// dropping many at once takes a lock on each of their objects, more than
// the server's lock table holds.
func dropSchema(ctx context.Context, conn querier, name string) error {
	if _, err := conn.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
		return fmt.Errorf("drop schema %s: %w", name, err)
	}
	return nil
}
