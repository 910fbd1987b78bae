package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
)

// auditDB returns the URL of a new SQLite database holding a workspace
// "acme" (ws_acme) and the given entries, and the store, open.
func auditDB(t *testing.T, entries ...store.AuditEntry) (string, *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateWorkspace(ctx, store.Workspace{ID: "ws_acme", Slug: "acme", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendAudit(ctx, entries); err != nil {
		t.Fatal(err)
	}
	return "sqlite:" + path, st
}

func runAudit(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"audit"}, args...), &out, &errOut)
	return out.String(), err
}

var auditFixture = func() []store.AuditEntry {
	now := time.Now().UTC()
	return []store.AuditEntry{
		{Time: now.Add(-3 * time.Hour), WorkspaceID: "ws_acme", Channel: "scim", Action: "user.create", Actor: "token:tok_1",
			Target: "usr_1", CorrelationID: "req-1", Status: 201, Duration: 1500 * time.Microsecond,
			Payload: json.RawMessage(`{"method":"POST","diff":{"userName":{"new":"alice"},"active":{"new":true}}}`)},
		{Time: now.Add(-2 * time.Hour), WorkspaceID: "ws_acme", Channel: "scim", Action: "user.patch", Actor: "token:tok_1",
			Target: "usr_1", CorrelationID: "req-2", Status: 200, Payload: json.RawMessage(`{"diff":{"active":{"old":true,"new":false}}}`)},
		{Time: now.Add(-30 * time.Minute), WorkspaceID: "ws_acme", Channel: "scim", Action: "group.patch", Actor: "token:tok_1",
			Target: "grp_1", CorrelationID: "req-3", Status: 400, Payload: json.RawMessage(`{"error":"invalidPath: no attribute \"nope\""}`)},
		{Time: now.Add(-10 * time.Minute), Channel: "admin", Action: "workspace.create", Actor: "cli", Target: "ws_acme"},
	}
}

func TestAuditTable(t *testing.T) {
	db, _ := auditDB(t, auditFixture()...)
	out, err := runAudit(t, "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "TIME (UTC)") {
		t.Fatalf("output:\n%s", out)
	}
	// Oldest first, with slugs, statuses, durations and details.
	for i, want := range [][]string{
		{"acme", "scim", "user.create", "token:tok_1", "usr_1", "201", "1.5ms", "req-1", "active, userName"},
		{"acme", "user.patch", "200", "req-2", "active"},
		{"group.patch", "grp_1", "400", `invalidPath: no attribute "nope"`},
		{" - ", "admin", "workspace.create", "cli", "ws_acme"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("line %d lacks %q:\n%s", i+1, w, lines[i+1])
			}
		}
	}
}

func TestAuditFiltersAndJSON(t *testing.T) {
	db, _ := auditDB(t, auditFixture()...)
	for _, tt := range []struct {
		args []string
		want []string // actions, oldest first
	}{
		{nil, []string{"user.create", "user.patch", "group.patch", "workspace.create"}},
		{[]string{"--workspace", "acme"}, []string{"user.create", "user.patch", "group.patch"}},
		{[]string{"--channel", "admin"}, []string{"workspace.create"}},
		{[]string{"--action", "user.*"}, []string{"user.create", "user.patch"}},
		{[]string{"--action", "group.patch"}, []string{"group.patch"}},
		{[]string{"--actor", "cli"}, []string{"workspace.create"}},
		{[]string{"--target", "usr_1"}, []string{"user.create", "user.patch"}},
		{[]string{"--correlation-id", "req-2"}, []string{"user.patch"}},
		{[]string{"--since", "1h"}, []string{"group.patch", "workspace.create"}},
		{[]string{"--until", "1h"}, []string{"user.create", "user.patch"}},
		{[]string{"--since", time.Now().Add(-150 * time.Minute).UTC().Format(time.RFC3339), "--until", "20m"}, []string{"user.patch", "group.patch"}},
		{[]string{"--since", "1d", "--limit", "2"}, []string{"group.patch", "workspace.create"}},
		{[]string{"--since", "2000-01-01"}, []string{"user.create", "user.patch", "group.patch", "workspace.create"}},
	} {
		out, err := runAudit(t, append([]string{"--db", db, "--json"}, tt.args...)...)
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		var got []string
		for line := range strings.Lines(out) {
			var e struct {
				Action    string          `json:"action"`
				Workspace string          `json:"workspace"`
				Payload   json.RawMessage `json:"payload"`
			}
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatalf("%v: not JSON lines: %v\n%s", tt.args, err, out)
			}
			got = append(got, e.Action)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%v: %v, want %v", tt.args, got, tt.want)
		}
	}

	out, _ := runAudit(t, "--db", db, "--json", "--correlation-id", "req-1")
	var e map[string]any
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{"workspace_id": "ws_acme", "workspace": "acme", "channel": "scim", "actor": "token:tok_1",
		"target": "usr_1", "status": 201.0, "duration_ms": 1.5} {
		if e[k] != v {
			t.Errorf("JSON %s: %v, want %v", k, e[k], v)
		}
	}
	if p, _ := e["payload"].(map[string]any); p["method"] != "POST" {
		t.Errorf("JSON payload: %v", e["payload"])
	}
}

func TestAuditErrors(t *testing.T) {
	db, _ := auditDB(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--db", db, "--workspace", "nope"}, `workspace "nope" does not exist`},
		{[]string{"--db", db, "--since", "yesterday"}, `--since: "yesterday" is neither`},
		{[]string{"--db", db, "--limit", "-1"}, "--limit"},
		{[]string{"--db", db, "extra"}, "unexpected argument"},
		{[]string{"--db", "sqlite:" + filepath.Join(t.TempDir(), "missing.db")}, "no such file"},
		{[]string{"--db", "mysql://x"}, "want sqlite:PATH"},
	} {
		if _, err := runAudit(t, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error with %q", tt.args, err, tt.want)
		}
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"audit", "-h"}, &out, &errOut); err != nil || !strings.Contains(errOut.String(), "Examples:") {
		t.Errorf("audit -h: %v\n%s", err, errOut.String())
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAuditFollow(t *testing.T) {
	defer func(d time.Duration) { followInterval = d }(followInterval)
	followInterval = 10 * time.Millisecond
	db, st := auditDB(t, auditFixture()...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"audit", "--db", db, "--json", "--follow", "--workspace", "acme", "--limit", "1"}, &out, &bytes.Buffer{})
	}()
	waitFor := func(s string) {
		t.Helper()
		deadline := time.Now().Add(patience)
		for !strings.Contains(out.String(), s) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the output:\n%s", s, out.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(`"group.patch"`)
	for i := range 3 {
		err := st.AppendAudit(context.Background(), []store.AuditEntry{
			{WorkspaceID: "ws_acme", Channel: "scim", Action: fmt.Sprintf("user.follow%d", i)},
			{WorkspaceID: "ws_other", Channel: "scim", Action: "user.elsewhere"},
		})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(fmt.Sprintf(`"user.follow%d"`, i))
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("follow ended with %v", err)
	}
	got := out.String()
	if strings.Count(got, "\n") != 4 || strings.Contains(got, "elsewhere") || strings.Contains(got, "user.patch") {
		t.Errorf("follow printed:\n%s", got)
	}
}
