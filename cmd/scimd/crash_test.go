package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestKilledAfterAnswering kills scimd (SIGKILL) while identity providers
// write, and checks what it acknowledged before dying: every user it
// answered 201 for exists, and every write it acknowledged has its audit
// entry, since a write stores its entry in its own transaction.
func TestKilledAfterAnswering(t *testing.T) {
	t.Parallel()
	const secret = "the installation secret of the crash, at least 32 bytes"
	for _, tt := range []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "scimd.db") }},
		{"postgres", testDB},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := tt.db(t)
			srv, tok := serveFirstRun(t, db, secret)
			acked := writeUntilKilled(t, srv, tok)
			if len(acked) < 50 {
				t.Fatalf("only %d writes acknowledged before the kill", len(acked))
			}

			// What the log holds, read from the database by the CLI.
			out := runScimdOutput(t, secret, "audit", "--db", db, "--channel", "scim", "--action", "user.*", "--limit", "5000", "--json")
			logged := map[string]bool{}
			sc := bufio.NewScanner(strings.NewReader(out))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var e struct {
					Action, Target string
					Status         int
				}
				if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
					t.Fatalf("audit line %q: %v", sc.Text(), err)
				}
				logged[e.Action+" "+e.Target+" "+fmt.Sprint(e.Status)] = true
			}
			missing := 0
			for _, w := range acked {
				if !logged[w] {
					missing++
					if missing <= 5 {
						t.Errorf("acknowledged %q has no audit entry", w)
					}
				}
			}
			if missing > 0 {
				t.Errorf("%d of %d acknowledged writes have no audit entry", missing, len(acked))
			}

			// And every user acknowledged as created is there.
			r, ready := startReplica(t, db, secret)
			if err := <-ready; err != nil {
				t.Fatal(err)
			}
			c := &scimClient{token: tok}
			list := c.must(t, http.StatusOK, "GET", r.url+"/Users?count=1000&attributes=id", nil)
			have := map[string]bool{}
			for _, u := range list["Resources"].([]any) {
				have[u.(map[string]any)["id"].(string)] = true
			}
			for _, w := range acked {
				if f := strings.Fields(w); f[0] == "user.create" && !have[f[1]] {
					t.Errorf("user %s was acknowledged as created but is not there", f[1])
				}
			}
			r.stop(t)
		})
	}
}

// writeUntilKilled has clients create users and deactivate them until
// enough are acknowledged, kills the server with requests in flight, and
// returns the writes it acknowledged as "action target status".
func writeUntilKilled(t *testing.T, srv *replica, tok string) []string {
	const clients, enough = 8, 400
	var (
		mu    sync.Mutex
		acked []string
		n     atomic.Int64
		wg    sync.WaitGroup
	)
	c := &scimClient{token: tok, http: http.Client{Timeout: 10 * time.Second}}
	for i := range clients {
		wg.Go(func() {
			for j := 0; ; j++ {
				res := c.do("POST", srv.url+"/Users", map[string]any{"userName": fmt.Sprintf("crash-%d-%d", i, j)})
				if res.err != nil || res.status != http.StatusCreated {
					return // the server is gone
				}
				id := res.body["id"].(string)
				mu.Lock()
				acked = append(acked, "user.create "+id+" 201")
				mu.Unlock()
				n.Add(1)
				res = c.do("PATCH", srv.url+"/Users/"+id, map[string]any{
					"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
					"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}},
				})
				if res.err != nil || res.status != http.StatusOK {
					return
				}
				mu.Lock()
				acked = append(acked, "user.patch "+id+" 200")
				mu.Unlock()
				n.Add(1)
			}
		})
	}
	deadline := time.Now().Add(20 * time.Second)
	for n.Load() < enough && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-srv.done
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return acked
}
