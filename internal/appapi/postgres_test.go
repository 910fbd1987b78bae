package appapi_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/appapi"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/postgres"
)

// pgTestDB returns the URL of an empty schema of the test database
// (SCIMD_TEST_POSTGRES, or the local server), dropped when t ends.
// Without a database the test fails under CI and is skipped elsewhere.
func pgTestDB(t *testing.T) string {
	t.Helper()
	base := os.Getenv("SCIMD_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is not reachable, and CI needs it: %v", err)
		}
		t.Skipf("PostgreSQL is not reachable (%v); set SCIMD_TEST_POSTGRES to a database URL to run this test", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "scimd_test_" + hex.EncodeToString(b)
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
	if u, err := url.Parse(base); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + name
}

// TestReplicas checks the application API on two replicas of one
// PostgreSQL database: a long poll on one answers events appended
// through the other, and a key revoked through one is refused by the
// other within a second.
func TestReplicas(t *testing.T) {
	dbURL := pgTestDB(t)
	open := func() store.Store {
		st, err := postgres.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a := newEnvOn(t, open())
	w := watchedStore{Store: open(), read: make(chan int64, 100)}
	b := appapi.New(appapi.Config{Store: w, Hasher: a.hasher, Clock: a.clock})
	t.Cleanup(func() { b.Close() })
	onB := func(method, path, body string) *response {
		req := httptest.NewRequest(method, "/v1/"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+a.app)
		rec := httptest.NewRecorder()
		b.ServeHTTP(rec, req)
		return &response{t: t, status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	}

	after := a.last()
	got := make(chan eventPage, 1)
	go func() {
		var p eventPage
		r := onB("GET", fmt.Sprintf("workspaces/acme/events?after=%d&wait=60s", after), "")
		json.Unmarshal(r.body, &p)
		got <- p
	}()
	if r := <-w.read; r != after {
		t.Fatalf("B's poll read after %d, want %d", r, after)
	}
	a.append("a.one") // through A, once B's poll found nothing
	if p := <-got; len(p.Events) != 1 || p.Events[0].Type != "a.one" || p.Next != after+1 {
		t.Fatalf("poll on B: %+v", p)
	}

	k := a.do("POST", "workspaces/acme/users/"+a.ada+"/api-keys", `{"name":"ci"}`).want(http.StatusCreated)
	verify := func() map[string]any {
		return onB("POST", "verify", `{"token":"`+k["key"].(string)+`"}`).want(http.StatusOK)
	}
	if r := verify(); r["valid"] != true {
		t.Fatalf("on B: %v", r)
	}
	a.do("DELETE", "workspaces/acme/users/"+a.ada+"/api-keys/"+k["id"].(string), "").want(http.StatusOK)
	start := time.Now()
	for verify()["valid"] == true {
		if time.Since(start) > time.Second {
			t.Fatal("B still admits the key a second after A revoked it")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
