package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/client/admin"
)

// scim sends a SCIM request to the server with the default workspace's
// token and returns the status and the decoded body.
func (s *testServer) scimDo(t *testing.T, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+"/scim/v2"+path, r)
	req.Header.Set("Authorization", "Bearer "+s.scim)
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("X-Request-Id", "cli-test-"+method)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// createUser provisions a user by SCIM and returns its id.
func (s *testServer) createUser(t *testing.T, name string) string {
	t.Helper()
	st, u := s.scimDo(t, "POST", "/Users", map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": name, "displayName": "User " + name, "active": true,
		"emails": []any{map[string]any{"value": name, "primary": true}},
	})
	if st != http.StatusCreated {
		t.Fatalf("create %s: %d %v", name, st, u)
	}
	return u["id"].(string)
}

func (c *cli) users(args ...string) []admin.User {
	c.t.Helper()
	var out struct{ Users []admin.User }
	c.mustJSON(&out, append([]string{"user"}, args...)...)
	return out.Users
}

func TestUserCommands(t *testing.T) {
	bothWays(t, func(t *testing.T, s *testServer, c *cli) {
		ids := map[string]string{}
		for _, name := range []string{"ada@example.com", "bob@example.com", "cy@example.com"} {
			ids[name] = s.createUser(t, name)
		}
		ada, bob, cy := ids["ada@example.com"], ids["bob@example.com"], ids["cy@example.com"]

		table := c.must("user", "list", "--workspace", "default")
		for _, want := range []string{"USERNAME", "STATE", ada, "ada@example.com", "User ada@example.com", "active"} {
			if !strings.Contains(table, want) {
				t.Errorf("user list lacks %q:\n%s", want, table)
			}
		}
		// Paging follows the cursor up to --limit, and says how to go on.
		out := c.must("user", "list", "--workspace", "default", "--limit", "2")
		m := regexp.MustCompile(`\(2 of 3; more with --cursor (\S+)\)`).FindStringSubmatch(out)
		if m == nil || strings.Contains(out, cy) {
			t.Fatalf("user list --limit 2:\n%s", out)
		}
		if us := c.users("list", "--workspace", "default", "--cursor", m[1]); len(us) != 1 || us[0].ID != cy {
			t.Errorf("the next page: %+v", us)
		}

		// Suspended by the identity provider, reactivated by the
		// operator.
		if st, _ := s.scimDo(t, "PATCH", "/Users/"+bob, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}},
		}); st != http.StatusOK {
			t.Fatalf("deactivate: %d", st)
		}
		if us := c.users("list", "--workspace", "default", "--filter", "active eq false"); len(us) != 1 || us[0].ID != bob || us[0].State != "suspended" {
			t.Errorf("suspended users: %+v", us)
		}
		if out := c.must("user", "reactivate", "--workspace", "default", bob); !strings.Contains(out, "is active") {
			t.Errorf("user reactivate: %s", out)
		}
		if _, u := s.scimDo(t, "GET", "/Users/"+bob, nil); u["active"] != true {
			t.Errorf("after reactivating, SCIM shows %v", u["active"])
		}

		// Soft-deleted by the identity provider: listed, restored,
		// deleted again and purged.
		for i := range 2 {
			if st, _ := s.scimDo(t, "DELETE", "/Users/"+cy, nil); st != http.StatusNoContent {
				t.Fatalf("delete: %d", st)
			}
			deleted := c.users("deleted", "--workspace", "default")
			if len(deleted) != 1 || deleted[0].ID != cy || deleted[0].PurgeAt == nil || time.Until(*deleted[0].PurgeAt) < 29*24*time.Hour {
				t.Fatalf("user deleted: %+v", deleted)
			}
			if table := c.must("user", "deleted", "--workspace", "default"); !strings.Contains(table, "soft_deleted, purged 20") {
				t.Errorf("user deleted:\n%s", table)
			}
			if i == 1 {
				break
			}
			if out := c.must("user", "restore", "--workspace", "default", cy); !strings.Contains(out, "restored user "+cy) {
				t.Errorf("user restore: %s", out)
			}
			if st, _ := s.scimDo(t, "GET", "/Users/"+cy, nil); st != http.StatusOK {
				t.Errorf("restored user: %d", st)
			}
		}
		c.fails("add --yes", "user", "purge", "--workspace", "default", cy)
		if out := c.must("user", "purge", "--workspace", "default", cy, "--yes"); !strings.Contains(out, "purged user "+cy) {
			t.Errorf("user purge: %s", out)
		}
		if d := c.users("deleted", "--workspace", "default"); len(d) != 0 {
			t.Errorf("after purging: %+v", d)
		}

		// Invited users are the application's; SCIM cannot take their
		// names.
		out = c.must("user", "invite", "--workspace", "default", "--user-name", "dee@example.com", "--display-name", "Dee", "--email", "dee@example.com")
		if !strings.Contains(out, `invited user usr_`) {
			t.Errorf("user invite: %s", out)
		}
		if inv := c.users("invited", "--workspace", "default"); len(inv) != 1 || inv[0].UserName != "dee@example.com" || inv[0].State != "invited" {
			t.Errorf("user invited: %+v", inv)
		}
		if st, _ := s.scimDo(t, "POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "DEE@example.com"}); st != http.StatusConflict {
			t.Errorf("SCIM create of an invited user's name: %d", st)
		}
		dee := c.users("invited", "--workspace", "default")[0].ID
		c.fails("add --yes", "user", "uninvite", "--workspace", "default", dee)
		if out := c.must("user", "uninvite", "--workspace", "default", dee, "--yes"); !strings.Contains(out, "deleted invited user "+dee) {
			t.Errorf("user uninvite: %s", out)
		}
		if inv := c.users("invited", "--workspace", "default"); len(inv) != 0 {
			t.Errorf("after uninviting: %+v", inv)
		}
		c.fails("only invited users are deleted here", "user", "uninvite", "--workspace", "default", ada, "--yes")
		if st, _ := s.scimDo(t, "POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "DEE@example.com"}); st != http.StatusCreated {
			t.Errorf("SCIM create of an uninvited user's name: %d", st)
		}

		// A suspended user is deleted for good by the operator; an active
		// one is refused.
		c.fails("deactivate it in its identity provider first", "user", "delete", "--workspace", "default", ada, "--yes")
		if st, _ := s.scimDo(t, "PATCH", "/Users/"+ada, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}},
		}); st != http.StatusOK {
			t.Fatalf("deactivate: %d", st)
		}
		c.fails("add --yes", "user", "delete", "--workspace", "default", ada)
		if out := c.must("user", "delete", "--workspace", "default", ada, "--yes"); !strings.Contains(out, "deleted user "+ada+" of workspace default for good") {
			t.Errorf("user delete: %s", out)
		}
		if st, _ := s.scimDo(t, "GET", "/Users/"+ada, nil); st != http.StatusNotFound {
			t.Errorf("SCIM GET of a deleted user: %d", st)
		}
		if d := c.users("deleted", "--workspace", "default"); len(d) != 0 {
			t.Errorf("a user deleted for good is listed as soft-deleted: %+v", d)
		}
		c.fails("has no provisioned user", "user", "delete", "--workspace", "default", ada, "--yes")

		for _, tt := range []struct {
			want string
			args []string
		}{
			{"usage: scimd user list --workspace SLUG", []string{"user", "list"}},
			{"filter", []string{"user", "list", "--workspace", "default", "--filter", "userName zz 1"}},
			{"cursor", []string{"user", "list", "--workspace", "default", "--cursor", "nope"}},
			{"--limit must be at least 1", []string{"user", "list", "--workspace", "default", "--limit", "0"}},
			{`workspace "nope" does not exist`, []string{"user", "list", "--workspace", "nope"}},
			{"usr_nope", []string{"user", "reactivate", "--workspace", "default", "usr_nope"}},
			{"usr_nope", []string{"user", "restore", "--workspace", "default", "usr_nope"}},
			{"usage: scimd user restore --workspace SLUG ID", []string{"user", "restore", "--workspace", "default"}},
			{"dee@example.com", []string{"user", "invite", "--workspace", "default", "--user-name", "dee@example.com"}},
			{"usage: scimd user invite", []string{"user", "invite", "--workspace", "default"}},
		} {
			c.fails(tt.want, tt.args...)
		}
	})
}

func TestUserSeatLimit(t *testing.T) {
	bothWays(t, func(t *testing.T, s *testServer, c *cli) {
		a, b := s.createUser(t, "a@example.com"), s.createUser(t, "b@example.com")
		s.scimDo(t, "PATCH", "/Users/"+b, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}},
		})
		c.must("workspace", "set", "default", "seatLimit=1")
		c.fails("seat", "user", "reactivate", "--workspace", "default", b)
		_ = a
	})
}

func TestWebhookCommands(t *testing.T) {
	bothWays(t, func(t *testing.T, s *testServer, c *cli) {
		got := make(chan string, 100)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got <- r.Header.Get("webhook-id") + " " + string(b)
			w.WriteHeader(http.StatusInternalServerError) // fail, to be redelivered
		}))
		defer hook.Close()

		out := c.must("webhook", "create", "--workspace", "default", "--url", hook.URL, "--events", "user.created, group.*")
		m := regexp.MustCompile(`(?s)(wh_\S+).*signing secret, shown once:\n(whsec_\S+)`).FindStringSubmatch(out)
		if m == nil || !strings.Contains(out, "user.created,group.*") {
			t.Fatalf("webhook create:\n%s", out)
		}
		id := m[1]
		if list := c.must("webhook", "list", "--workspace", "default"); !strings.Contains(list, id) || strings.Contains(list, "whsec_") {
			t.Errorf("webhook list:\n%s", list)
		}
		s.createUser(t, "hooked@example.com")
		var first string
		select {
		case first = <-got:
		case <-time.After(patience):
			t.Fatal("no delivery")
		}
		if !strings.Contains(first, `"user.created"`) {
			t.Errorf("delivered %s", first)
		}
		var deliveries struct {
			Deliveries []admin.Delivery
		}
		for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
			c.mustJSON(&deliveries, "webhook", "deliveries", "--workspace", "default", id)
			if len(deliveries.Deliveries) == 1 && deliveries.Deliveries[0].Attempts == 1 {
				break
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("deliveries: %+v", deliveries)
			}
		}
		d := deliveries.Deliveries[0]
		if table := c.must("webhook", "deliveries", "--workspace", "default", id, "--status", "pending"); !strings.Contains(table, d.ID) || !strings.Contains(table, "500") {
			t.Errorf("webhook deliveries --status pending:\n%s", table)
		}
		if out := c.must("webhook", "redeliver", "--workspace", "default", id, d.ID); !strings.Contains(out, d.ID) {
			t.Errorf("webhook redeliver: %s", out)
		}
		select {
		case again := <-got:
			if again != first {
				t.Errorf("redelivered %s, want %s", again, first)
			}
		case <-time.After(patience):
			t.Fatal("no redelivery")
		}

		out = c.must("webhook", "set", "--workspace", "default", id, "--enabled", "false", "--events", "all")
		if !strings.Contains(out, "all") || !strings.Contains(out, "false") {
			t.Errorf("webhook set:\n%s", out)
		}
		out = c.must("webhook", "rotate-secret", "--workspace", "default", id)
		if s2 := regexp.MustCompile(`whsec_\S+`).FindString(out); s2 == "" || s2 == m[2] {
			t.Errorf("webhook rotate-secret:\n%s", out)
		}
		var h admin.NewWebhook
		c.mustJSON(&h, "webhook", "show", "--workspace", "default", id)
		if h.Enabled || h.EventTypes != nil || h.Secret != "" {
			t.Errorf("webhook show: %+v", h)
		}
		for _, tt := range []struct {
			want string
			args []string
		}{
			{"url", []string{"webhook", "create", "--workspace", "default", "--url", "not a url"}},
			{"usage: scimd webhook create", []string{"webhook", "create", "--workspace", "default"}},
			{"nothing to change", []string{"webhook", "set", "--workspace", "default", id}},
			{`--enabled "yes"`, []string{"webhook", "set", "--workspace", "default", id, "--enabled", "yes"}},
			{"status", []string{"webhook", "deliveries", "--workspace", "default", id, "--status", "lost"}},
			{`--events "": give event types`, []string{"webhook", "set", "--workspace", "default", id, "--events", ""}},
			{`--events " , ": give event types`, []string{"webhook", "create", "--workspace", "default", "--url", hook.URL, "--events", " , "}},
		} {
			c.fails(tt.want, tt.args...)
		}
		c.fails("add --yes", "webhook", "delete", "--workspace", "default", id)
		c.must("webhook", "delete", "--workspace", "default", id, "--yes")
		c.fails("has no webhook "+id, "webhook", "show", "--workspace", "default", id)

	})
}

// TestAuditOfCommands checks that what commands do is in the audit log,
// by the user running them on the database or by the admin token with
// --server, and that scimd audit reads the log either way.
func TestAuditOfCommands(t *testing.T) {
	bothWays(t, func(t *testing.T, s *testServer, c *cli) {
		c.must("workspace", "create", "acme")
		c.must("workspace", "set", "acme", "strictMode=true")
		c.fails("", "workspace", "set", "acme", "deleteMode=never")
		s.createUser(t, "audited@example.com")

		var lines []map[string]any
		waitAudit := func(args ...string) {
			t.Helper()
			for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
				out := c.must(append([]string{"audit", "--json"}, args...)...)
				lines = nil
				for line := range strings.Lines(out) {
					var e map[string]any
					if err := json.Unmarshal([]byte(line), &e); err != nil {
						t.Fatalf("not JSON lines: %v\n%s", err, out)
					}
					lines = append(lines, e)
				}
				if len(lines) > 0 || time.Since(start) > 5*time.Second {
					return
				}
			}
		}
		waitAudit("--channel", "admin", "--action", "workspace.*")
		actor := "cli:"
		if c.server != "" {
			actor = "admin_token:"
		}
		var got []string
		for _, e := range lines {
			got = append(got, fmt.Sprint(e["action"], " ", e["status"]))
			if a, _ := e["actor"].(string); !strings.HasPrefix(a, actor) {
				t.Errorf("actor %q, want %s…", a, actor)
			}
		}
		if fmt.Sprint(got) != "[workspace.create 201 workspace.update 200 workspace.update 400]" {
			t.Errorf("admin entries: %v", got)
		}
		waitAudit("--channel", "scim", "--correlation-id", "cli-test-POST")
		if len(lines) != 1 || lines[0]["action"] != "user.create" || lines[0]["workspace"] != "default" {
			t.Errorf("SCIM entries: %v", lines)
		}
		table := c.must("audit", "--workspace", "default", "--channel", "scim")
		if !strings.Contains(table, "user.create") || !strings.Contains(table, "cli-test-POST") {
			t.Errorf("audit table:\n%s", table)
		}
	})
}

// TestAuditFollowServer follows the log of a server through its admin
// API.
func TestAuditFollowServer(t *testing.T) {
	defer func(d time.Duration) { followInterval = d }(followInterval)
	followInterval = 10 * time.Millisecond
	s := startServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"audit", "--server", s.url, "--admin-token", s.admin, "--json", "--follow", "--channel", "scim", "--action", "user.create"}, &out, &bytes.Buffer{})
	}()
	for i := range 3 {
		s.createUser(t, fmt.Sprintf("f%d@example.com", i))
	}
	for start := time.Now(); strings.Count(out.String(), "\n") < 3; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("follow printed:\n%s", out.String())
		}
	}
	time.Sleep(50 * time.Millisecond) // nothing more, and nothing twice
	cancel()
	if err := <-done; err != nil {
		t.Errorf("follow ended with %v", err)
	}
	if got := out.String(); strings.Count(got, "\n") != 3 || strings.Count(got, `"user.create"`) != 3 {
		t.Errorf("follow printed:\n%s", got)
	}
}
