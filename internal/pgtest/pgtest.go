// Package pgtest gives tests a PostgreSQL schema of their own in the test
// database, so that tests and runs never see each other's tables.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the test database when SCIMD_TEST_POSTGRES is not set:
// the local server, as CI runs it.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Base returns the test database's connection string: SCIMD_TEST_POSTGRES,
// or DefaultURL, with just-in-time compilation off unless it says
// otherwise. PostgreSQL compiles a query it expects to be costly, and on
// tables without statistics, as a test's are, it expects that of the
// recursive queries over groups: compiling takes longer than the test.
func Base() string {
	base := os.Getenv("SCIMD_TEST_POSTGRES")
	if base == "" {
		base = DefaultURL
	}
	if !hasParam(base, "jit") {
		base = setParam(base, "jit", "off")
	}
	return base
}

// Schema creates an empty schema in the test database, dropped when t
// ends, and returns the database's connection string and the schema's
// name. Without a database the test fails when one was named
// (SCIMD_TEST_POSTGRES) or under CI, and is skipped elsewhere.
func Schema(t testing.TB) (base, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn := connect(ctx, t)
	name, err := createSchema(ctx, conn)
	if err != nil {
		conn.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if err := dropSchema(ctx, conn, name); err != nil {
			t.Error(err)
		}
		conn.Close(ctx)
	})
	return Base(), name
}

// URL creates a schema as Schema does and returns a connection string
// whose search_path is that schema.
func URL(t testing.TB) string {
	t.Helper()
	base, name := Schema(t)
	return searchPath(base, name)
}

// connect connects to the test database, or ends t as Schema says.
func connect(ctx context.Context, t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, Base())
	if err != nil {
		unreachable(t, err)
	}
	return conn
}

// unreachable ends t for want of the test database: it fails when one was
// named (SCIMD_TEST_POSTGRES) or under CI, and is skipped elsewhere.
func unreachable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" || os.Getenv("SCIMD_TEST_POSTGRES") != "" {
		t.Fatalf("PostgreSQL is not reachable, and the tests need it: %v", err)
	}
	t.Skipf("PostgreSQL is not reachable (%v); set SCIMD_TEST_POSTGRES to a database URL to run this test", err)
}

// createSchema creates an empty schema with a name of its own.
func createSchema(ctx context.Context, conn querier) (string, error) {
	b := make([]byte, 6)
	rand.Read(b)
	name := "scimd_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	return name, nil
}

// searchPath returns base with its search_path set to schema.
func searchPath(base, schema string) string {
	return setParam(base, "search_path", schema)
}

// setParam returns the connection string conn with the parameter key set
// to value.
func setParam(conn, key, value string) string {
	if u, err := url.Parse(conn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return conn + " " + key + "=" + value // keyword/value form: the last one counts
}

// hasParam reports whether the connection string conn sets the parameter key.
func hasParam(conn, key string) bool {
	if u, err := url.Parse(conn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return u.Query().Has(key)
	}
	for _, kv := range strings.Fields(conn) {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}
