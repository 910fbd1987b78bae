package appapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/appapi"
	"github.com/scimd/scimd/internal/pgtest"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/postgres"
)

// pgTestDB returns the URL of an empty schema of the test database.
func pgTestDB(t *testing.T) string { return pgtest.URL(t) }

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

// newPostgresEnv is newEnv on an empty schema of the PostgreSQL test
// database.
func newPostgresEnv(t *testing.T) *env {
	st, err := postgres.Open(context.Background(), pgTestDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newEnvOn(t, st)
}
