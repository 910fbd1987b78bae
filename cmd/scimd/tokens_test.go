package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// cli runs scimd commands on one SQLite database.
type cli struct {
	t  *testing.T
	db string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, db: "sqlite:" + filepath.Join(t.TempDir(), "scimd.db")}
}

// run runs a command and returns its output and error.
func (c *cli) run(args ...string) (string, error) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append(args, "--db", c.db), &out, &errOut)
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

// lastLine returns the last line of output.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

var tokenIDRE = regexp.MustCompile(`\btok_[a-z2-7]{16}\b`)

func (c *cli) tokens(slug string) []tokenJSON {
	c.t.Helper()
	var ts []tokenJSON
	if err := json.Unmarshal([]byte(c.must("token", "list", "--workspace", slug, "--json")), &ts); err != nil {
		c.t.Fatal(err)
	}
	return ts
}

func TestTokenCommands(t *testing.T) {
	c := newCLI(t)
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
	ts := c.tokens("acme")
	if len(ts) != 1 || ts[0].ID != id || ts[0].State != "active" || ts[0].DaysLeft == nil || *ts[0].DaysLeft != 364 ||
		ts[0].LastUsed != nil || !strings.HasPrefix(ts[0].CreatedBy, "cli") || ts[0].Kind != "scim" {
		t.Errorf("token list --json: %+v", ts)
	}

	// Rotation with an overlap: the old token ends later; flags may
	// follow the id.
	out = c.must("token", "rotate", id, "--workspace", "acme", "--overlap", "24h")
	second := lastLine(out)
	if !strings.HasPrefix(second, "scim_") || second == first || !strings.Contains(out, "replaces "+id) {
		t.Fatalf("token rotate:\n%s", out)
	}
	ts = c.tokens("acme")
	if len(ts) != 2 || ts[0].Expires == nil || time.Until(*ts[0].Expires) > 25*time.Hour || ts[1].Name != "okta" || ts[1].State != "active" {
		t.Errorf("after rotating: %+v", ts)
	}
	secondID := ts[1].ID

	// Without overlap the old token is revoked at once.
	out = c.must("token", "rotate", "--workspace", "acme", secondID)
	if !strings.Contains(out, "stops working now") || !strings.HasPrefix(lastLine(out), "scim_") {
		t.Errorf("token rotate without overlap:\n%s", out)
	}
	out = c.must("token", "revoke", "--workspace", "acme", id)
	if !strings.Contains(out, "revoked at") {
		t.Errorf("token revoke: %s", out)
	}
	ts = c.tokens("acme")
	if len(ts) != 3 || ts[0].State != "revoked" || ts[0].Revoked == nil || ts[1].State != "revoked" || ts[2].State != "active" {
		t.Errorf("after revoking: %+v", ts)
	}
	if table := c.must("token", "list", "--workspace", "acme"); !strings.Contains(table, "revoked 20") {
		t.Errorf("revoked tokens show when:\n%s", table)
	}

	// --token-ttl sets the default lifetime; --expires 0 never expires.
	c.must("token", "create", "--workspace", "acme", "--name", "short", "--token-ttl", "48h")
	c.must("token", "create", "--workspace", "acme", "--name", "forever", "--expires", "0")
	ts = c.tokens("acme")
	if d := ts[3].DaysLeft; d == nil || *d != 1 {
		t.Errorf("--token-ttl 48h: %d days left", d)
	}
	if ts[4].Expires != nil || ts[4].DaysLeft != nil {
		t.Errorf("--expires 0: %+v", ts[4])
	}

	for _, bad := range [][]string{
		{"token", "list", "--workspace", "nope"},
		{"token", "revoke", "--workspace", "acme", "tok_aaaaaaaaaaaaaaaa"},
		{"token", "revoke", "--workspace", "acme"},
		{"token", "rotate", "--workspace", "acme", id}, // revoked
		{"token", "rotate", "--workspace", "acme", secondID, "--overlap", "-1h"},
		{"token", "list"},
		{"token", "create", "--workspace", "acme", "--name", "x", "--token-ttl", "-1h"},
	} {
		if out, err := c.run(bad...); err == nil {
			t.Errorf("scimd %s succeeded:\n%s", strings.Join(bad, " "), out)
		}
	}
	_, err := c.run("token", "revoke", "--workspace", "acme", "tok_aaaaaaaaaaaaaaaa")
	if err == nil || !strings.Contains(err.Error(), `workspace "acme" has no token tok_aaaaaaaaaaaaaaaa`) {
		t.Errorf("unknown token: %v", err)
	}
}

func TestAdminTokenCommands(t *testing.T) {
	c := newCLI(t)
	out := c.must("admin-token", "create", "--name", "ops", "--expires", "720h")
	tok := lastLine(out)
	if !strings.HasPrefix(tok, "scimd_admin_") {
		t.Fatalf("admin-token create: last line %q", tok)
	}
	id := tokenIDRE.FindString(out)
	var ts []tokenJSON
	if err := json.Unmarshal([]byte(c.must("admin-token", "list", "--json")), &ts); err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].ID != id || ts[0].Kind != "admin" || *ts[0].DaysLeft != 29 {
		t.Errorf("admin-token list: %+v", ts)
	}
	if out := c.must("admin-token", "revoke", id); !strings.Contains(out, "revoked") {
		t.Errorf("admin-token revoke: %s", out)
	}
	if out := c.must("admin-token", "list"); !strings.Contains(out, "revoked") {
		t.Errorf("admin-token list after revoking:\n%s", out)
	}
	if _, err := c.run("admin-token", "create"); err == nil {
		t.Error("admin-token create without a name succeeded")
	}
}

func TestWorkspaceCommands(t *testing.T) {
	c := newCLI(t)
	c.must("workspace", "create", "acme")
	c.must("workspace", "create", "beta")
	list := c.must("workspace", "list")
	if !strings.Contains(list, "acme") || !strings.Contains(list, "beta") || !strings.Contains(list, "enabled") {
		t.Errorf("workspace list:\n%s", list)
	}
	show := c.must("workspace", "show", "acme")
	for _, want := range []string{"scimEnabled", "true", "defaultRole", "viewer", "defaultTeamRole", "member", "deleteMode", "soft", "softDeleteGraceDays", "30", "seatLimit", "none"} {
		if !strings.Contains(show, want) {
			t.Errorf("workspace show lacks %q:\n%s", want, show)
		}
	}
	out := c.must("workspace", "set", "acme", "scimEnabled=false", "seatLimit=25", "defaultTeam=eng")
	if !regexp.MustCompile(`scimEnabled\s+false`).MatchString(out) {
		t.Errorf("workspace set shows:\n%s", out)
	}
	var w workspaceJSON
	if err := json.Unmarshal([]byte(c.must("workspace", "show", "acme", "--json")), &w); err != nil {
		t.Fatal(err)
	}
	if w.Slug != "acme" || w.Config.SCIMEnabled || w.Config.SeatLimit == nil || *w.Config.SeatLimit != 25 || w.Config.DefaultTeam != "eng" || !w.Config.CreateUsers {
		t.Errorf("workspace show --json: %+v", w)
	}
	var ws []workspaceJSON
	if err := json.Unmarshal([]byte(c.must("workspace", "list", "--json")), &ws); err != nil || len(ws) != 2 || ws[1].Slug != "beta" || !ws[1].Config.SCIMEnabled {
		t.Errorf("workspace list --json: %+v, %v", ws, err)
	}
	if list := c.must("workspace", "list"); !strings.Contains(list, "disabled") {
		t.Errorf("workspace list after disabling SCIM:\n%s", list)
	}

	_, err := c.run("workspace", "set", "acme", "softDeleteGraceDays=0", "deleteMode=never")
	if err == nil || !strings.Contains(err.Error(), "softDeleteGraceDays 0 must be from 1 to 3650") || !strings.Contains(err.Error(), `deleteMode "never"`) {
		t.Errorf("invalid settings: %v", err)
	}
	for _, bad := range [][]string{
		{"workspace", "set", "acme"},
		{"workspace", "set", "acme", "colour=blue"},
		{"workspace", "set", "nope", "strictMode=true"},
		{"workspace", "show", "nope"},
		{"workspace", "show"},
	} {
		if out, err := c.run(bad...); err == nil {
			t.Errorf("scimd %s succeeded:\n%s", strings.Join(bad, " "), out)
		}
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

// TestRevokeWhileServing revokes, from the command line, the token of a
// server running on the same database: the server must refuse it within a
// second, and record its last use when it stops.
func TestRevokeWhileServing(t *testing.T) {
	c := newCLI(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, logs lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", c.db, "--token-ttl", "720h"}, &out, &logs)
	}()
	banner := regexp.MustCompile(`serving SCIM 2\.0 at (\S+) [\s\S]*shown once, expires in 30 days\):\s+(scim_\S+)`)
	var base, tok string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m := banner.FindStringSubmatch(out.String()); m != nil {
			base, tok = m[1], m[2]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner:\n%s\n%s", out.String(), logs.String())
		}
	}
	get := func() int {
		req, _ := http.NewRequest("GET", base+"/Users", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
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
	id := c.tokens("default")[0].ID
	start := time.Now()
	c.must("token", "revoke", "--workspace", "default", id)
	for get() != http.StatusUnauthorized {
		if time.Since(start) > time.Second {
			t.Fatalf("the server still accepts the token %v after scimd token revoke", time.Since(start))
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("refused %v after scimd token revoke", time.Since(start).Round(time.Millisecond))

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, logs.String())
	}
	if ts := c.tokens("default"); ts[0].LastUsed == nil {
		t.Errorf("the server did not record the token's last use on shutdown: %+v", ts[0])
	}
}
