// Package pgtest gives tests a PostgreSQL schema of their own in the test
// database, so that tests and runs never see each other's tables.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the test database when SCIMD_TEST_POSTGRES is not set:
// the local server, as CI runs it.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Base returns the test database's connection string: SCIMD_TEST_POSTGRES,
// or DefaultURL.
func Base() string {
	if base := os.Getenv("SCIMD_TEST_POSTGRES"); base != "" {
		return base
	}
	return DefaultURL
}

// Schema creates an empty schema in the test database, dropped when t
// ends, and returns the database's connection string and the schema's
// name. Without a database the test fails when one was named
// (SCIMD_TEST_POSTGRES) or under CI, and is skipped elsewhere.
func Schema(t testing.TB) (base, name string) {
	t.Helper()
	base = Base()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("SCIMD_TEST_POSTGRES") != "" {
			t.Fatalf("PostgreSQL is not reachable, and the tests need it: %v", err)
		}
		t.Skipf("PostgreSQL is not reachable (%v); set SCIMD_TEST_POSTGRES to a database URL to run this test", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name = "scimd_test_" + hex.EncodeToString(b)
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+ident); err != nil {
		conn.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+ident+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
		conn.Close(ctx)
	})
	return base, name
}

// URL creates a schema as Schema does and returns a connection string
// whose search_path is that schema.
func URL(t testing.TB) string {
	t.Helper()
	base, name := Schema(t)
	if u, err := url.Parse(base); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + name // keyword/value form
}
