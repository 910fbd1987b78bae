package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the statement cache: filters make SQL of many
// shapes, and the rare ones need not stay prepared.
const maxCachedStmts = 512

// stmtCache keeps prepared statements by their SQL. The driver prepares
// every statement anew otherwise, and preparing was most of the cost of
// reading one resource.
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

// conn runs statements on a database, or in a transaction if tx is set,
// through the statement cache.
type conn struct {
	cache *stmtCache
	tx    *sql.Tx
}

func (c conn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := c.cache.get(ctx, query)
	if err != nil || st == nil {
		return nil, err
	}
	if c.tx != nil {
		st = c.tx.StmtContext(ctx, st)
	}
	return st, nil
}

func (c conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case st != nil:
		return st.QueryContext(ctx, args...)
	case c.tx != nil:
		return c.tx.QueryContext(ctx, query, args...)
	}
	return c.cache.db.QueryContext(ctx, query, args...)
}

// rowResult is what QueryRowContext returns: a *sql.Row, or the error of
// preparing it.
type rowResult struct {
	row *sql.Row
	err error
}

func (r rowResult) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.row.Scan(dest...)
}

func (c conn) QueryRowContext(ctx context.Context, query string, args ...any) rowResult {
	st, err := c.stmt(ctx, query)
	switch {
	case err != nil:
		return rowResult{err: err}
	case st != nil:
		return rowResult{row: st.QueryRowContext(ctx, args...)}
	case c.tx != nil:
		return rowResult{row: c.tx.QueryRowContext(ctx, query, args...)}
	}
	return rowResult{row: c.cache.db.QueryRowContext(ctx, query, args...)}
}

func (c conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case st != nil:
		return st.ExecContext(ctx, args...)
	case c.tx != nil:
		return c.tx.ExecContext(ctx, query, args...)
	}
	return c.cache.db.ExecContext(ctx, query, args...)
}
