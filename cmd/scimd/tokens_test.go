package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/client/admin"
)

// cli runs scimd commands on one SQLite database: on the database itself,
// or with server set on a server's admin API.
type cli struct {
	t      *testing.T
	db     string
	server string // the server's URL, for --server
	admin  string // an admin token, for --server
	// dbFlags are more flags for the database, such as --secret-file.
	dbFlags []string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, db: "sqlite:" + filepath.Join(t.TempDir(), "scimd.db")}
}

// run runs a command and returns its output and error.
func (c *cli) run(args ...string) (string, error) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	if c.server != "" {
		args = append(args, "--server", c.server, "--admin-token", c.admin)
	} else {
		args = append(append(args, "--db", c.db), c.dbFlags...)
	}
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), err
}

// must runs a command that must succeed.
func (c *cli) must(args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("scimd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// mustJSON runs a command with --json that must succeed and decodes what
// it prints into v.
func (c *cli) mustJSON(v any, args ...string) {
	c.t.Helper()
	out := c.must(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("scimd %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// fails runs a command that must fail with an error containing want.
func (c *cli) fails(want string, args ...string) {
	c.t.Helper()
	out, err := c.run(args...)
	if err == nil {
		c.t.Errorf("scimd %s succeeded:\n%s", strings.Join(args, " "), out)
	} else if !strings.Contains(err.Error(), want) {
		c.t.Errorf("scimd %s: %v, want an error with %q", strings.Join(args, " "), err, want)
	}
}

// testServer is "scimd serve" running in the test on a fresh SQLite
// database: the first run, with workspace "default".
type testServer struct {
	db    string
	url   string // root URL: http://127.0.0.1:port
	scim  string // the SCIM token of "default"
	admin string // the admin token of the first run
	out   *lockedBuffer
	logs  *lockedBuffer
}

var firstRunRE = regexp.MustCompile(`serving SCIM 2\.0 at (https?://[^/\s]+)\S* [\s\S]*shown once, [^)]*\):\s+(scim_\S+)[\s\S]*shown once, [^)]*\):\s+(scimd_admin_\S+)`)

// startServer starts a server on a new database with serve's flags, and
// stops it when t ends.
func startServer(t *testing.T, flags ...string) *testServer {
	t.Helper()
	return startServerOn(t, "sqlite:"+filepath.Join(t.TempDir(), "scimd.db"), flags...)
}

// startServerOn is startServer on a database of the caller's.
func startServerOn(t *testing.T, db string, flags ...string) *testServer {
	t.Helper()
	s := &testServer{db: db, out: &lockedBuffer{}, logs: &lockedBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	out := s.out
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", s.db}, flags...), out, s.logs)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, s.logs.String())
		}
	})
	for deadline := time.Now().Add(patience); ; time.Sleep(10 * time.Millisecond) {
		if m := firstRunRE.FindStringSubmatch(out.String()); m != nil {
			s.url, s.scim, s.admin = m[1], m[2], m[3]
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner:\n%s\n%s", out.String(), s.logs.String())
		}
	}
}

// bothWays runs f with commands on a server's database, and with commands
// on its admin API, each on a server of its own.
func bothWays(t *testing.T, f func(t *testing.T, s *testServer, c *cli), flags ...string) {
	t.Run("database", func(t *testing.T) {
		s := startServer(t, flags...)
		f(t, s, &cli{t: t, db: s.db})
	})
	t.Run("server", func(t *testing.T) {
		s := startServer(t, flags...)
		f(t, s, &cli{t: t, db: s.db, server: s.url, admin: s.admin})
	})
}

// lastLine returns the last line of output.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

var tokenIDRE = regexp.MustCompile(`\btok_[a-z2-7]{16}\b`)

// tokens lists a kind of token: "token", "app-token" or "admin-token".
func (c *cli) tokens(command string, args ...string) []admin.Token {
	c.t.Helper()
	var out struct{ Tokens []admin.Token }
	c.mustJSON(&out, append([]string{command, "list"}, args...)...)
	return out.Tokens
}

// tokenByID returns the token with the id from a listing.
func tokenByID(t *testing.T, ts []admin.Token, id string) admin.Token {
	t.Helper()
	for _, tk := range ts {
		if tk.ID == id {
			return tk
		}
	}
	t.Fatalf("no token %s in %+v", id, ts)
	return admin.Token{}
}

func TestTokenCommands(t *testing.T) {
	bothWays(t, func(t *testing.T, s *testServer, c *cli) {
		c.must("workspace", "create", "acme")
		out := c.must("token", "create", "--workspace", "acme", "--name", "okta")
		first := lastLine(out)
		if !strings.HasPrefix(first, "scim_") {
			t.Fatalf("token create: last line %q is not the token", first)
		}
		id := tokenIDRE.FindString(out)

		table := c.must("token", "list", "--workspace", "acme")
		for _, want := range []string{"ID", "CREATED BY", "LAST USED", id, "okta", "(364 days left)", "never", "active"} {
			if !strings.Contains(table, want) {
				t.Errorf("token list lacks %q:\n%s", want, table)
			}
		}
		if strings.Contains(table, first) {
			t.Error("token list shows the token itself")
		}
		ts := c.tokens("token", "--workspace", "acme")
		creator := "cli:"
		if c.server != "" {
			creator = "admin_token:"
		}
		if len(ts) != 1 || ts[0].ID != id || ts[0].State != "active" || ts[0].DaysLeft == nil || *ts[0].DaysLeft != 364 ||
			ts[0].LastUsed != nil || !strings.HasPrefix(ts[0].CreatedBy, creator) {
			t.Errorf("token list --json: %+v", ts)
		}

		// Rotation with an overlap: the old token ends later; flags may
		// follow the id.
		out = c.must("token", "rotate", id, "--workspace", "acme", "--overlap", "24h")
		second := lastLine(out)
		if !strings.HasPrefix(second, "scim_") || second == first || !strings.Contains(out, "replaces "+id) || !strings.Contains(out, "stops working at 20") {
			t.Fatalf("token rotate:\n%s", out)
		}
		ts = c.tokens("token", "--workspace", "acme")
		if len(ts) != 2 || ts[0].Expires == nil || time.Until(*ts[0].Expires) > 25*time.Hour || ts[1].Name != "okta" || ts[1].State != "active" {
			t.Errorf("after rotating: %+v", ts)
		}
		secondID := ts[1].ID

		// Without an id, the newest active token is rotated; without
		// overlap the old one is revoked at once.
		out = c.must("token", "rotate", "--workspace", "acme")
		if !strings.Contains(out, "replaces "+secondID) || !strings.Contains(out, "stops working now") || !strings.HasPrefix(lastLine(out), "scim_") {
			t.Errorf("token rotate without an id or overlap:\n%s", out)
		}
		out = c.must("token", "revoke", "--workspace", "acme", id)
		if !strings.Contains(out, "revoked at") {
			t.Errorf("token revoke: %s", out)
		}
		ts = c.tokens("token", "--workspace", "acme")
		if len(ts) != 3 || ts[0].State != "revoked" || ts[0].Revoked == nil || ts[1].State != "revoked" || ts[2].State != "active" {
			t.Errorf("after revoking: %+v", ts)
		}
		if table := c.must("token", "list", "--workspace", "acme"); !strings.Contains(table, "revoked 20") {
			t.Errorf("revoked tokens show when:\n%s", table)
		}

		// --expires sets the lifetime, in hours or days; 0 never expires.
		c.must("token", "create", "--workspace", "acme", "--name", "short", "--expires", "48h")
		c.must("token", "create", "--workspace", "acme", "--name", "month", "--expires", "30d")
		forever := c
		if c.server != "" {
			// The server's first admin token expires, and cannot make a
			// token that outlives it; one that never expires can.
			c.fails("cannot make one that outlives it", "token", "create", "--workspace", "acme", "--name", "forever", "--expires", "0")
			root := lastLine((&cli{t: t, db: s.db}).must("admin-token", "create", "--name", "root", "--expires", "0"))
			forever = &cli{t: t, db: s.db, server: s.url, admin: root}
		}
		out = forever.must("token", "create", "--workspace", "acme", "--name", "forever", "--expires", "0")
		if !strings.Contains(out, "expires never") {
			t.Errorf("--expires 0: %s", out)
		}
		ts = c.tokens("token", "--workspace", "acme")
		if d := ts[3].DaysLeft; d == nil || *d != 1 {
			t.Errorf("--expires 48h: %v days left", d)
		}
		if d := ts[4].DaysLeft; d == nil || *d != 29 {
			t.Errorf("--expires 30d: %v days left", d)
		}
		if ts[5].Expires != nil || ts[5].DaysLeft != nil {
			t.Errorf("--expires 0: %+v", ts[5])
		}

		c.fails(`workspace "nope" does not exist (see scimd workspace list)`, "token", "list", "--workspace", "nope")
		c.fails(`workspace "acme" has no token tok_aaaaaaaaaaaaaaaa`, "token", "revoke", "--workspace", "acme", "tok_aaaaaaaaaaaaaaaa")
		c.fails("usage: scimd token revoke --workspace SLUG ID", "token", "revoke", "--workspace", "acme")
		c.fails("revoked", "token", "rotate", "--workspace", "acme", id)
		c.fails("overlap", "token", "rotate", "--workspace", "acme", ts[2].ID, "--overlap", "-1h")
		c.fails("overlap", "token", "rotate", "--workspace", "acme", ts[2].ID, "--overlap", "31d")
		c.fails("usage: scimd token list --workspace SLUG", "token", "list")
		c.fails(`invalid value "soon" for flag -expires: want a duration such as 90s, 15m, 12h, 30d or 1d12h`, "token", "create", "--workspace", "acme", "--name", "x", "--expires", "soon")
		c.fails("--expires -1d: must not be negative", "token", "create", "--workspace", "acme", "--name", "x", "--expires", "-1d")
		c.fails("token name", "token", "create", "--workspace", "acme", "--name", strings.Repeat("x", 101))
		if c.server != "" {
			c.fails("--token-ttl is for the database", "token", "create", "--workspace", "acme", "--name", "x", "--token-ttl", "48h")
		} else {
			c.fails("--token-ttl -1h0m0s: must not be negative", "token", "create", "--workspace", "acme", "--name", "x", "--token-ttl", "-1h")
		}
	})
}

// TestTokenTTL checks the installation's token lifetime: --token-ttl
// of the command on the database, and of the server for --server.
func TestTokenTTL(t *testing.T) {
	s := startServer(t, "--token-ttl", "72h")
	local := &cli{t: t, db: s.db}
	remote := &cli{t: t, db: s.db, server: s.url, admin: s.admin}
	local.must("token", "create", "--workspace", "default", "--name", "local", "--token-ttl", "48h")
	remote.must("token", "create", "--workspace", "default", "--name", "remote")
	local.must("token", "create", "--workspace", "default", "--name", "forever", "--token-ttl", "0")
	// App tokens and admin tokens live as long as SCIM tokens.
	remote.must("app-token", "create", "--workspace", "default", "--name", "app")
	local.must("app-token", "create", "--workspace", "default", "--name", "app", "--token-ttl", "48h")
	remote.must("admin-token", "create", "--name", "ops")
	ts := local.tokens("token", "--workspace", "default")
	ts = append(ts, local.tokens("app-token", "--workspace", "default")...)
	ts = append(ts, local.tokens("admin-token")...)
	// SCIM: first run, local, remote, forever; app: remote, local; admin:
	// first run, remote.
	for i, want := range []*int{ptr(2), ptr(1), ptr(2), nil, ptr(2), ptr(1), ptr(2), ptr(2)} {
		if got := ts[i].DaysLeft; (got == nil) != (want == nil) || (got != nil && *got != *want) {
			t.Errorf("token %s %q: %v days left, want %v", ts[i].ID, ts[i].Name, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestAdminTokenCommands(t *testing.T) {
	bothWays(t, func(t *testing.T, s *testServer, c *cli) {
		out := c.must("admin-token", "create", "--name", "ops", "--expires", "720h")
		tok := lastLine(out)
		if !strings.HasPrefix(tok, "scimd_admin_") {
			t.Fatalf("admin-token create: last line %q", tok)
		}
		id := tokenIDRE.FindString(out)
		ts := c.tokens("admin-token")
		if len(ts) != 2 || tokenByID(t, ts, id).DaysLeft == nil || *tokenByID(t, ts, id).DaysLeft != 29 {
			t.Errorf("admin-token list: %+v", ts)
		}
		// The new token works on the server.
		other := &cli{t: t, db: s.db, server: s.url, admin: tok}
		other.must("workspace", "list")
		if out := c.must("admin-token", "revoke", id); !strings.Contains(out, "revoked") {
			t.Errorf("admin-token revoke: %s", out)
		}
		other.fails("the server refused the admin token: the admin token has been revoked", "workspace", "list")
		if out := c.must("admin-token", "list"); !strings.Contains(out, "revoked") {
			t.Errorf("admin-token list after revoking:\n%s", out)
		}
		c.fails("usage: scimd admin-token create --name NAME", "admin-token", "create")
		c.fails("there is no admin token tok_aaaaaaaaaaaaaaaa", "admin-token", "revoke", "tok_aaaaaaaaaaaaaaaa")
	})
}

func TestAppTokenCommands(t *testing.T) {
	bothWays(t, func(t *testing.T, s *testServer, c *cli) {
		out := c.must("app-token", "create", "--workspace", "default", "--name", "backend")
		tok := lastLine(out)
		if !strings.HasPrefix(tok, "scimd_app_") {
			t.Fatalf("app-token create: last line %q", tok)
		}
		id := tokenIDRE.FindString(out)
		// The application API takes it.
		verify := func() int {
			req, _ := http.NewRequest("POST", s.url+"/v1/verify", strings.NewReader(`{"token": "scimd_key_nope"}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if st := verify(); st != http.StatusOK {
			t.Fatalf("verify with the app token: %d", st)
		}
		if ts := c.tokens("app-token", "--workspace", "default"); len(ts) != 1 || ts[0].ID != id || ts[0].State != "active" {
			t.Errorf("app-token list: %+v", ts)
		}
		c.must("app-token", "revoke", "--workspace", "default", id)
		for start := time.Now(); verify() != http.StatusUnauthorized; time.Sleep(10 * time.Millisecond) {
			if time.Since(start) > 2*time.Second {
				t.Fatal("the app token still works after scimd app-token revoke")
			}
		}
		c.fails("usage: scimd app-token create --workspace SLUG", "app-token", "create", "--name", "x")
	})
}

func TestWorkspaceCommands(t *testing.T) {
	bothWays(t, func(t *testing.T, s *testServer, c *cli) {
		c.must("workspace", "create", "acme")
		c.must("workspace", "create", "beta", "strictMode=true", "seatLimit=3")
		list := c.must("workspace", "list")
		for _, want := range []string{"acme", "beta", "default", "enabled"} {
			if !strings.Contains(list, want) {
				t.Errorf("workspace list lacks %q:\n%s", want, list)
			}
		}
		show := c.must("workspace", "show", "acme")
		for _, re := range []string{`scimEnabled\s+true`, `defaultRole\s+viewer`, `defaultTeam\s+""`, `defaultTeamRole\s+member`, `deleteMode\s+soft`,
			`softDeleteGraceDays\s+30`, `seatLimit\s+none`, `roles\s+viewer:10,auditor:15,developer:20,editor:25,billing:30,admin:40 \(the default\)`,
			`roleMappings\s+none`, `groupAllowlist\s+none`} {
			if !regexp.MustCompile(re).MatchString(show) {
				t.Errorf("workspace show lacks %s:\n%s", re, show)
			}
		}
		var beta admin.Workspace
		c.mustJSON(&beta, "workspace", "show", "beta")
		if !beta.Config.StrictMode || beta.Config.SeatLimit == nil || *beta.Config.SeatLimit != 3 {
			t.Errorf("workspace create with settings: %+v", beta.Config)
		}

		out := c.must("workspace", "set", "acme", "scimEnabled=false", "SEATLIMIT=25", "defaultTeam=eng",
			"roleMappings=Engineering*:developer,externalId=00g1:admin", "groupAllowlist=Engineering*, Admins")
		for _, re := range []string{`scimEnabled\s+false`, `seatLimit\s+25`, `roleMappings\s+Engineering\*:developer,externalId=00g1:admin`, `groupAllowlist\s+Engineering\*,Admins`} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("workspace set shows no %s:\n%s", re, out)
			}
		}
		var w admin.Workspace
		c.mustJSON(&w, "workspace", "show", "acme")
		if w.Slug != "acme" || w.Config.SCIMEnabled || w.Config.SeatLimit == nil || *w.Config.SeatLimit != 25 || w.Config.DefaultTeam != "eng" ||
			!w.Config.CreateUsers || len(w.Config.RoleMappings) != 2 || w.Config.RoleMappings[1].ExternalID != "00g1" {
			t.Errorf("workspace show --json: %+v", w)
		}
		var ws struct{ Workspaces []admin.Workspace }
		c.mustJSON(&ws, "workspace", "list")
		if len(ws.Workspaces) != 3 || ws.Workspaces[1].Slug != "beta" || !ws.Workspaces[1].Config.SCIMEnabled {
			t.Errorf("workspace list --json: %+v", ws)
		}
		if list := c.must("workspace", "list"); !strings.Contains(list, "disabled") {
			t.Errorf("workspace list after disabling SCIM:\n%s", list)
		}
		// An invalid setting changes nothing, and every problem is told.
		c.fails("softDeleteGraceDays 0 must be from 1 to 3650", "workspace", "set", "acme", "softDeleteGraceDays=0", "deleteMode=never")
		c.fails(`deleteMode "never"`, "workspace", "set", "acme", "softDeleteGraceDays=0", "deleteMode=never")
		c.fails("seatLimit=lots: want a number of seats", "workspace", "set", "acme", "seatLimit=lots", "strictMode=maybe")
		c.fails("strictMode=maybe: want true or false", "workspace", "set", "acme", "seatLimit=lots", "strictMode=maybe")
		c.mustJSON(&w, "workspace", "show", "acme")
		if w.Config.SoftDeleteGraceDays != 30 || *w.Config.SeatLimit != 25 {
			t.Errorf("a refused change changed %+v", w.Config)
		}

		out = c.must("workspace", "reset", "acme")
		if !regexp.MustCompile(`scimEnabled\s+false`).MatchString(out) || !regexp.MustCompile(`seatLimit\s+none`).MatchString(out) {
			t.Errorf("workspace reset:\n%s", out)
		}

		c.fails("add --yes", "workspace", "delete", "beta")
		c.must("workspace", "show", "beta")
		c.must("workspace", "delete", "beta", "--yes")
		c.fails(`workspace "beta" does not exist`, "workspace", "show", "beta")

		for _, tt := range []struct {
			want string
			args []string
		}{
			{"usage: scimd workspace set SLUG KEY=VALUE", []string{"workspace", "set", "acme"}},
			{`unknown setting "colour"`, []string{"workspace", "set", "acme", "colour=blue"}},
			{`"strictMode": want key=value`, []string{"workspace", "set", "acme", "strictMode"}},
			{`workspace "nope" does not exist`, []string{"workspace", "set", "nope", "strictMode=true"}},
			{`workspace "nope" does not exist`, []string{"workspace", "show", "nope"}},
			{"usage: scimd workspace show SLUG", []string{"workspace", "show"}},
			{"already", []string{"workspace", "create", "acme"}},
			{"slug", []string{"workspace", "create", "Not A Slug"}},
		} {
			c.fails(tt.want, tt.args...)
		}
	})
}

// TestWorkspaceCreateFirst creates the first workspace of a database with
// the command, with no server ever run on it.
func TestWorkspaceCreateFirst(t *testing.T) {
	c := newCLI(t)
	// A database that is not there is a mistyped --db for every command
	// but those that start an installation.
	for _, args := range [][]string{{"workspace", "list"}, {"token", "list", "--workspace", "acme"}, {"user", "list", "--workspace", "acme"}} {
		c.fails("there is no database at", args...)
	}
	if _, err := os.Stat(strings.TrimPrefix(c.db, "sqlite:")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a command made the database: %v", err)
	}
	// A file that is not a database is an error, not a panic.
	dir := &cli{t: t, db: "sqlite:" + t.TempDir()}
	dir.fails("unable to open database file", "workspace", "list")
	if out := c.must("workspace", "create", "acme"); !strings.Contains(out, "created workspace acme (ws_") {
		t.Errorf("workspace create: %s", out)
	}
	if tok := lastLine(c.must("token", "create", "--workspace", "acme", "--name", "okta")); !strings.HasPrefix(tok, "scim_") {
		t.Errorf("token create: %s", tok)
	}
}

func TestServerFlags(t *testing.T) {
	c := newCLI(t)
	for _, tt := range []struct {
		want string
		args []string
	}{
		{"--server needs an admin token", []string{"workspace", "list", "--server", "http://127.0.0.1:1"}},
		{`--server "ftp://x": want the server's URL`, []string{"workspace", "list", "--server", "ftp://x", "--admin-token", "scimd_admin_x"}},
		{"connection refused", []string{"workspace", "list", "--server", "http://127.0.0.1:1", "--admin-token", "scimd_admin_x"}},
		{"--secret-file is for the database", []string{"workspace", "list", "--server", "http://127.0.0.1:1", "--admin-token", "scimd_admin_x", "--secret-file", "x"}},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), tt.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error with %q", tt.args, err, tt.want)
		}
	}
	// A server that is not scimd.
	s := startServer(t)
	notAdmin := &cli{t: t, server: s.url + "/scim/v2/x", admin: s.admin}
	notAdmin.fails("is "+s.url+"/scim/v2/x/admin/v1 a scimd server's admin API?", "workspace", "list")
	// A SCIM token is not an admin token.
	scim := &cli{t: t, server: s.url, admin: s.scim}
	scim.fails("the server refused the admin token: this is a SCIM token", "workspace", "list")
	// The server's URL may end in the API's prefix, or the console's.
	for _, u := range []string{s.url + "/", s.url + "/admin/v1/", s.url + "/admin/v1", s.url + "/admin/", s.url + "/admin"} {
		full := &cli{t: t, server: u, admin: s.admin}
		full.must("workspace", "show", "default")
	}
	_ = c
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"token", "create", "-h"}, {"token", "rotate", "-h"}, {"app-token", "list", "-h"}, {"admin-token", "revoke", "-h"},
		{"workspace", "set", "-h"}, {"workspace", "delete", "-h"}, {"user", "list", "-h"}, {"user", "purge", "-h"},
		{"webhook", "create", "-h"}, {"audit", "-h"},
	} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err != nil || !strings.Contains(errOut.String(), "Example") ||
			!strings.Contains(errOut.String(), "-server") || !strings.Contains(errOut.String(), "scimd "+args[0]+" ") {
			t.Errorf("scimd %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"help"}, &out, &errOut); err != nil || !strings.Contains(out.String(), "--server URL") {
		t.Errorf("scimd help: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"token", "frobnicate"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), `unknown command "token frobnicate"`) {
		t.Errorf("unknown command: %v", err)
	}
}

// lockedBuffer is a bytes.Buffer safe for a server writing while the
// test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestRevokeWhileServing revokes, from the command line on the database,
// the token of a server running on it: the server must refuse it within a
// second, and record its last use when it stops.
func TestRevokeWhileServing(t *testing.T) {
	s := startServer(t)
	c := &cli{t: t, db: s.db}
	get := func() int {
		req, _ := http.NewRequest("GET", s.url+"/scim/v2/Users", nil)
		req.Header.Set("Authorization", "Bearer "+s.scim)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get(); st != http.StatusOK {
		t.Fatalf("before revoking: %d", st)
	}
	id := c.tokens("token", "--workspace", "default")[0].ID
	start := time.Now()
	c.must("token", "revoke", "--workspace", "default", id)
	for get() != http.StatusUnauthorized {
		if time.Since(start) > time.Second {
			t.Fatalf("the server still accepts the token %v after scimd token revoke", time.Since(start))
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("refused %v after scimd token revoke", time.Since(start).Round(time.Millisecond))
}

// TestLastUsedOnShutdown checks that a server records when its tokens
// were last used when it stops.
func TestLastUsedOnShutdown(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "scimd.db")
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs lockedBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db}, &out, &logs) }()
	var m []string
	for deadline := time.Now().Add(patience); m == nil; time.Sleep(10 * time.Millisecond) {
		if m = firstRunRE.FindStringSubmatch(out.String()); m == nil && time.Now().After(deadline) {
			t.Fatalf("no banner:\n%s\n%s", out.String(), logs.String())
		}
	}
	req, _ := http.NewRequest("GET", m[1]+"/scim/v2/Users", nil)
	req.Header.Set("Authorization", "Bearer "+m[2])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, logs.String())
	}
	c := &cli{t: t, db: db}
	if ts := c.tokens("token", "--workspace", "default"); ts[0].LastUsed == nil {
		t.Errorf("the server did not record the token's last use on shutdown: %+v", ts[0])
	}
}
