package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scimd/scimd/internal/store/postgres"
)

// benchSchema is the schema the tool keeps its data in when -db has no
// search_path, so that it never mixes with other data in the database.
const benchSchema = "scimd_bench"

// benchSecret is the installation secret the tool uses with PostgreSQL
// unless SCIMD_SECRET is set. Give scimd serve the same secret
// (SCIMD_SECRET) to serve the tool's database with its tokens.
const benchSecret = "scimd load tool: benchmark secret, not for production"

// seedConns is how many connections, and goroutines, seed users into
// PostgreSQL, one transaction per user. On 2 cores 8 seeded fastest:
// 4 left the database idle between round trips, 16 only contended.
const seedConns = 8

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// postgresURL checks that db points to a database on this machine and
// returns it with the search_path set, to benchSchema if it has none, and
// the schema, which is the first of the search path.
func postgresURL(db string) (string, string, error) {
	u, err := url.Parse(db)
	if err != nil {
		return "", "", fmt.Errorf("-db: %v", err)
	}
	cfg, err := pgconn.ParseConfig(db)
	if err != nil {
		return "", "", fmt.Errorf("-db: %v", err)
	}
	hosts := []string{cfg.Host}
	for _, f := range cfg.Fallbacks {
		hosts = append(hosts, f.Host)
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); !strings.HasPrefix(h, "/") && h != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", "", fmt.Errorf("-db: host %q: only loopback databases (localhost, 127.0.0.0/8, ::1, Unix sockets) are allowed", h)
		}
	}
	q := u.Query()
	if q.Get("search_path") == "" {
		q.Set("search_path", benchSchema)
		u.RawQuery = q.Encode()
	}
	first, _, _ := strings.Cut(q.Get("search_path"), ",")
	schema := strings.Trim(strings.TrimSpace(first), `"`)
	if schema == "" {
		return "", "", errors.New("-db: empty search_path")
	}
	return u.String(), schema, nil
}

// withParams returns the URL db with the query parameters kv (name,
// value, ...) set.
func withParams(db string, kv ...string) string {
	u, err := url.Parse(db)
	if err != nil {
		return db
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// redact hides a password in a database URL, for printing.
func redact(db string) string {
	if u, err := url.Parse(db); err == nil && u.User != nil {
		return u.Redacted()
	}
	return db
}

// newPostgresTarget starts an in-process server over the PostgreSQL
// database c.db, in its own schema, which it creates if missing.
func newPostgresTarget(ctx context.Context, c config, hc *http.Client, log io.Writer) (*target, error) {
	db, schema, err := postgresURL(c.db)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return nil, err
	}
	_, err = conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize())
	conn.Close(ctx)
	if err != nil {
		return nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	secret := []byte(benchSecret)
	if s := os.Getenv("SCIMD_SECRET"); s != "" {
		if len(s) < 32 {
			return nil, errors.New("SCIMD_SECRET must be at least 32 bytes")
		}
		secret = []byte(s)
	}
	st, err := postgres.Open(ctx, db)
	if err != nil {
		return nil, err
	}
	// Seeding has a pool of its own, with asynchronous commits: about
	// twice as fast as with synchronous ones at any number of
	// connections, and a crash could lose only the last users, which the
	// next run tops up. The server's pool keeps the defaults.
	seed, err := postgres.Open(ctx, withParams(db, "pool_max_conns", strconv.Itoa(seedConns), "synchronous_commit", "off"))
	if err != nil {
		st.Close()
		return nil, err
	}
	t, err := startServer(ctx, st, secret, hc, log)
	if err != nil {
		seed.Close()
		st.Close()
		return nil, err
	}
	t.analyze = func(ctx context.Context) error { return analyze(ctx, db, schema) }
	t.describe = "in-process server over PostgreSQL " + redact(db)
	t.seed, t.seedWorkers = seed, seedConns
	stop := t.close
	t.close = func() {
		stop()
		seed.Close()
		st.Close()
	}
	fmt.Fprintf(log, "%s at %s\n", t.describe, t.api.bases[0])
	return t, nil
}

// analyze updates the planner's statistics of the tables the workloads
// query, as autovacuum does after enough changes: the plans for a table
// seeded just now, with no statistics, can be much slower than those for
// its real contents. Servers with autovacuum off never get them otherwise.
func analyze(ctx context.Context, db, schema string) error {
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var tables []string
	for _, t := range []string{"resources", "emails", "members"} {
		tables = append(tables, pgx.Identifier{schema, t}.Sanitize())
	}
	if _, err := conn.Exec(ctx, `ANALYZE `+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}
