package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/scimd/scimd/internal/store"
)

// maxCachedStmts bounds the statement cache: filters make SQL of many
// shapes, and the rare ones need not stay prepared.
const maxCachedStmts = 512

// stmtCache keeps prepared statements by their SQL. SQLite's driver
// prepares every statement anew otherwise, and preparing was most of the
// cost of reading one resource. (pgx keeps its own cache per connection.)
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// get returns the prepared statement for query, or nil when the cache is
// full.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.m[query]
	n := len(c.m)
	c.mu.RUnlock()
	if ok || n >= maxCachedStmts {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// Conn runs statements on a database, or in a transaction if tx is set.
// Statements are written with ? placeholders, numbered (?1) or not, and
// rewritten once each for a dialect that numbers them otherwise; their
// errors are classified (see Dialect.Unavailable).
type Conn struct {
	s     *Store
	db    *sql.DB
	cache *stmtCache // nil: no statements kept prepared
	tx    *sql.Tx
	// detached: tx is shared with other callers' functions (see
	// groupWriter), so that a caller's context that ends must not
	// interrupt a statement, which on SQLite can roll back the whole
	// transaction. Such a context fails the caller's next statement
	// instead.
	detached bool
}

// context returns the context to run a statement with, or the error of
// ctx if the statement is not to run.
func (c Conn) context(ctx context.Context) (context.Context, error) {
	if !c.detached {
		return ctx, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return context.WithoutCancel(ctx), nil
}

// sql returns query in the dialect's placeholders.
func (c Conn) sql(query string) string {
	if c.s.d.Placeholder(1) == "?" {
		return query
	}
	if q, ok := c.s.rebind.Load(query); ok {
		return q.(string)
	}
	q := rebind(query, c.s.d.Placeholder)
	c.s.rebind.Store(query, q)
	return q
}

// rebind rewrites the ? placeholders of query, outside quotes, with
// placeholder: ?N is the Nth argument, a lone ? the one after the last.
func rebind(query string, placeholder func(int) string) string {
	var (
		b     strings.Builder
		n     int
		quote byte
	)
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			if j > i+1 {
				n = 0
				for _, d := range query[i+1 : j] {
					n = n*10 + int(d-'0')
				}
			} else {
				n++
			}
			b.WriteString(placeholder(n))
			i = j - 1
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

func (c Conn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if c.cache == nil {
		return nil, nil
	}
	st, err := c.cache.get(ctx, query)
	if err != nil || st == nil {
		return nil, err
	}
	if c.tx != nil {
		st = c.tx.StmtContext(ctx, st)
	}
	return st, nil
}

// Rows are the rows of a query, whose Err is classified.
type Rows struct {
	*sql.Rows
	s *Store
}

// Err returns the error met while reading the rows.
func (r *Rows) Err() error { return r.s.classify(r.Rows.Err()) }

// QueryContext runs a query that returns rows.
func (c Conn) QueryContext(ctx context.Context, query string, args ...any) (*Rows, error) {
	ctx, err := c.context(ctx)
	if err != nil {
		return nil, err
	}
	query = c.sql(query)
	st, err := c.stmt(ctx, query)
	var rows *sql.Rows
	switch {
	case err != nil:
	case st != nil:
		rows, err = st.QueryContext(ctx, args...)
	case c.tx != nil:
		rows, err = c.tx.QueryContext(ctx, query, args...)
	default:
		rows, err = c.db.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, c.s.classify(err)
	}
	return &Rows{Rows: rows, s: c.s}, nil
}

// Row is what QueryRowContext returns: a *sql.Row, or the error of
// preparing it.
type Row struct {
	row *sql.Row
	err error
	s   *Store
}

// Scan copies the row's columns into dest, or returns sql.ErrNoRows.
func (r Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.s.classify(r.err)
	}
	return r.s.classify(r.row.Scan(dest...))
}

// QueryRowContext runs a query that returns at most one row.
func (c Conn) QueryRowContext(ctx context.Context, query string, args ...any) Row {
	ctx, err := c.context(ctx)
	if err != nil {
		return Row{err: err, s: c.s}
	}
	query = c.sql(query)
	st, err := c.stmt(ctx, query)
	switch {
	case err != nil:
		return Row{err: err, s: c.s}
	case st != nil:
		return Row{row: st.QueryRowContext(ctx, args...), s: c.s}
	case c.tx != nil:
		return Row{row: c.tx.QueryRowContext(ctx, query, args...), s: c.s}
	}
	return Row{row: c.db.QueryRowContext(ctx, query, args...), s: c.s}
}

// ExecContext runs a statement that returns no rows.
func (c Conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, err := c.context(ctx)
	if err != nil {
		return nil, err
	}
	query = c.sql(query)
	st, err := c.stmt(ctx, query)
	var res sql.Result
	switch {
	case err != nil:
	case st != nil:
		res, err = st.ExecContext(ctx, args...)
	case c.tx != nil:
		res, err = c.tx.ExecContext(ctx, query, args...)
	default:
		res, err = c.db.ExecContext(ctx, query, args...)
	}
	return res, c.s.classify(err)
}

// exec runs a statement and returns how many rows it changed.
func (c Conn) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// scanRows calls scan for each of rows, closes them and returns the first
// error.
func scanRows(rows *Rows, scan func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// lockKey takes the dialect's lock on key until the commit, if it has one.
func (c Conn) lockKey(ctx context.Context, key string) error {
	q := c.s.d.KeyLock()
	if q == "" {
		return nil
	}
	_, err := c.ExecContext(ctx, q, key)
	return err
}

// insertChunk is how many rows one statement of insertRows carries:
// several rows per statement nearly halve the cost of a row on SQLite,
// and a fixed number keeps to two statements, prepared once.
const insertChunk = 32

// insertRows runs head + rows + tail for the rows of args, each row of
// the placeholders of row, insertChunk rows a statement and the rest one
// a statement, and returns how many rows the statements changed.
func insertRows(ctx context.Context, tx Conn, head, row, tail string, args []any) (int64, error) {
	width := strings.Count(row, "?")
	var total int64
	if len(args) >= insertChunk*width {
		many := head + strings.Repeat(row+", ", insertChunk-1) + row + tail
		for n := insertChunk * width; len(args) >= n; args = args[n:] {
			k, err := tx.exec(ctx, many, args[:n]...)
			if err != nil {
				return total, err
			}
			total += k
		}
	}
	for ; len(args) > 0; args = args[width:] {
		k, err := tx.exec(ctx, head+row+tail, args[:width]...)
		if err != nil {
			return total, err
		}
		total += k
	}
	return total, nil
}

// scanner is a row to scan: *Rows, or the Row of QueryRowContext.
type scanner interface{ Scan(dest ...any) error }

// collect runs query on c and returns its rows, each scanned by scan;
// its error says what it was reading.
func collect[T any](ctx context.Context, c Conn, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var out []T
	err = scanRows(rows, func() error {
		v, err := scan(rows)
		out = append(out, v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// rowErr is the error of reading the one row that format names:
// store.ErrNotFound for no row, else err, with that name as context.
func rowErr(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
