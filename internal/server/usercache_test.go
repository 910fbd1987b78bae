package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

// replica returns an env of another server, as another process runs it,
// on st, a store of e's database: same workspace, same token.
func (e *env) replica(st store.Store) *env {
	e.t.Helper()
	h := token.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	handler := server.New(server.DefaultConfig(), st, h, nil)
	e.t.Cleanup(func() { handler.Close() })
	srv := httptest.NewServer(rootHandler(e.t, handler, st, h, nil))
	e.t.Cleanup(srv.Close)
	return &env{t: e.t, srv: srv, token: e.token, ten: e.ten, st: st, base: handler.BasePath()}
}

// eventually calls check until it returns "", for at most 5 s, and fails
// with what it last returned.
func eventually(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: after 5s, %s", what, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUserReadAfterWrite checks what GET /Users/{id} answers after each
// kind of write that changes it, through the process that answers
// (at once: from the response to the write on) and through another
// process on the same database (within 5 s: see docs/scim.md), on both
// databases. Users are read before each write, so that any copy of them
// kept in memory would be stale.
func TestUserReadAfterWrite(t *testing.T) {
	t.Parallel()
	for name, open := range twoProcesses() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t)
			here := newEnvOn(t, a, server.DefaultConfig(), nil)
			there := here.replica(b)
			user := here.createUser("ada@example.com", map[string]any{"displayName": "Ada", "active": true}).str("id")
			group := here.createGroup("Engineers", user).str("id")
			path := here.base + "/Users/" + user

			// Each step reads the user through both, writes through one,
			// and checks what each answers.
			for _, step := range []struct {
				name    string
				through *env
				method  string
				target  string
				body    any
				// check says what is wrong with a GET's answer, "" if
				// nothing.
				check func(r response) string
			}{
				{"deactivate", here, "PATCH", path, patchOp("replace", "active", false), func(r response) string {
					if r.body["active"] != false {
						return fmt.Sprintf("active %v, want false", r.body["active"])
					}
					return ""
				}},
				{"rename", there, "PATCH", path, patchOp("replace", "displayName", "Ada L."), func(r response) string {
					if r.str("displayName") != "Ada L." {
						return fmt.Sprintf("displayName %q, want %q", r.str("displayName"), "Ada L.")
					}
					return ""
				}},
				{"rename its group", here, "PATCH", here.base + "/Groups/" + group, patchOp("replace", "displayName", "Engine Builders"), func(r response) string {
					if gs, _ := r.body["groups"].([]any); len(gs) != 1 || gs[0].(map[string]any)["display"] != "Engine Builders" {
						return fmt.Sprintf("groups %v, want Engine Builders", r.body["groups"])
					}
					return ""
				}},
				{"leave its group", there, "PATCH", here.base + "/Groups/" + group, patchOp("remove", fmt.Sprintf("members[value eq %q]", user), nil), func(r response) string {
					if gs, _ := r.body["groups"].([]any); len(gs) != 0 {
						return fmt.Sprintf("groups %v, want none", r.body["groups"])
					}
					return ""
				}},
				{"join a new group", there, "POST", here.base + "/Groups", map[string]any{"displayName": "Analysts", "members": []any{map[string]any{"value": user}}}, func(r response) string {
					if gs, _ := r.body["groups"].([]any); len(gs) != 1 || gs[0].(map[string]any)["display"] != "Analysts" {
						return fmt.Sprintf("groups %v, want Analysts", r.body["groups"])
					}
					return ""
				}},
				{"replace", here, "PUT", path, map[string]any{"userName": "ada@example.com", "displayName": "Countess"}, func(r response) string {
					if r.str("displayName") != "Countess" || r.body["active"] != nil {
						return fmt.Sprintf("displayName %q, active %v, want Countess and none", r.str("displayName"), r.body["active"])
					}
					return ""
				}},
			} {
				for _, e := range []*env{here, there} {
					e.must(http.StatusOK, "GET", path, nil)
				}
				w := step.through.do(step.method, step.target, step.body)
				if w.status >= 300 {
					t.Fatalf("%s: %s %s: %d %s", step.name, step.method, step.target, w.status, w.raw)
				}
				for _, e := range []*env{here, there} {
					check := func() string {
						r := e.must(http.StatusOK, "GET", path, nil)
						if msg := step.check(r); msg != "" {
							return msg
						}
						if etag := r.header.Get("ETag"); etag != r.str("meta.version") {
							return fmt.Sprintf("ETag %q, meta.version %q", etag, r.str("meta.version"))
						}
						// Listed, it is the same.
						l := e.must(http.StatusOK, "GET", here.base+"/Users?filter="+q(`userName eq "ada@example.com"`), nil).list()
						if len(l) != 1 || !reflect.DeepEqual(l[0], r.body) {
							return fmt.Sprintf("listed as %v, read as %v", l, r.body)
						}
						return ""
					}
					if e == step.through {
						if msg := check(); msg != "" {
							t.Fatalf("%s, through the same process: %s", step.name, msg)
						}
						continue
					}
					eventually(t, step.name+", through another process", check)
				}
			}

			// A read with attributes is cut from the same user.
			r := here.must(http.StatusOK, "GET", path+"?attributes=displayName", nil)
			if r.str("displayName") != "Countess" || r.body["userName"] != nil {
				t.Errorf("attributes=displayName: %s", r.raw)
			}
			// The ETag answers If-None-Match.
			etag := here.must(http.StatusOK, "GET", path, nil).header.Get("ETag")
			if r := here.do("GET", path, nil, "If-None-Match", etag); r.status != http.StatusNotModified || r.header.Get("ETag") != etag {
				t.Errorf("If-None-Match %s: %d, ETag %q; want 304 and the same ETag", etag, r.status, r.header.Get("ETag"))
			}
			// Another workspace's token does not find it.
			other := here.newWorkspace("globex")
			if r := here.doToken(other, "GET", path, nil); r.status != http.StatusNotFound {
				t.Errorf("GET with another workspace's token: %d, want 404", r.status)
			}

			// Deleted through one, gone at once there and soon elsewhere.
			there.must(http.StatusOK, "GET", path, nil)
			here.must(http.StatusNoContent, "DELETE", path, nil)
			if r := here.do("GET", path, nil); r.status != http.StatusNotFound {
				t.Fatalf("GET after DELETE: %d, want 404", r.status)
			}
			eventually(t, "delete, through another process", func() string {
				if r := there.do("GET", path, nil); r.status != http.StatusNotFound {
					return fmt.Sprintf("GET: %d, want 404", r.status)
				}
				return ""
			})
		})
	}
}

// TestUserReadDuringWrites checks that a GET that follows a write's
// answer shows the write even while other GETs of the same user, begun
// before the write committed, are answered from what they read.
func TestUserReadDuringWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := e.base + "/Users/" + e.createUser("grace@example.com", nil).str("id")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					e.do("GET", path, nil)
				}
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	for i := range 30 {
		name := fmt.Sprintf("Grace %d", i)
		w := e.must(http.StatusOK, "PATCH", path, patchOp("replace", "displayName", name))
		if r := e.must(http.StatusOK, "GET", path, nil); r.str("displayName") != name || r.header.Get("ETag") != w.header.Get("ETag") {
			t.Fatalf("after PATCH %d: displayName %q, ETag %q; want %q, %q", i, r.str("displayName"), r.header.Get("ETag"), name, w.header.Get("ETag"))
		}
	}
}
