package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store"
)

// auditEnv is an env whose server audits into its store; flush waits for
// the entries to be stored.
func auditEnv(t *testing.T, reads bool) (*env, func()) {
	return auditEnvOn(t, reads, newEnvWith)
}

// auditEnvOn is auditEnv with an env made by mk.
func auditEnvOn(t *testing.T, reads bool, mk envMaker) (*env, func()) {
	var w *audit.Writer
	e := mk(t, server.DefaultConfig(), func(st store.Store, cfg *server.Config) {
		w = audit.NewWriter(st, audit.Config{})
		cfg.Audit, cfg.AuditReads = w, reads
	})
	return e, func() {
		if err := w.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func auditEntries(t *testing.T, st store.Store, q store.AuditQuery) []store.AuditEntry {
	t.Helper()
	p, err := st.QueryAudit(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return p.Entries
}

func TestAuditOfSCIMRequests(t *testing.T) {
	e, flush := auditEnv(t, true)
	u := e.createUser("olga", map[string]any{"title": "Engineer", "password": "hunter2"})
	id := u.str("id")
	r := e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, patchOps(
		map[string]any{"op": "replace", "path": "title", "value": "Manager"},
		map[string]any{"op": "replace", "path": "active", "value": false},
	), "X-Request-Id", "okta-req-42")
	if r.header.Get("X-Request-Id") != "okta-req-42" {
		t.Errorf("X-Request-Id echoed as %q", r.header.Get("X-Request-Id"))
	}
	e.do("POST", "/scim/v2/Users", map[string]any{"userName": "OLGA"}, "client-request-id", "entra-7")
	e.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, nil)
	g := e.createGroup("Team", id).str("id")
	e.must(http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+g, patchOps(
		map[string]any{"op": "remove", "path": `members[value eq "` + id + `"]`}))
	e.must(http.StatusOK, "POST", "/scim/v2/Bulk", map[string]any{"Operations": []any{
		map[string]any{"method": "DELETE", "path": "/Groups/" + g},
	}}, "X-Request-Id", "bulk-1")
	e.doToken("", "GET", "/scim/v2/Users", nil) // no token: not audited
	flush()

	all := auditEntries(t, e.st, store.AuditQuery{Channel: "scim"})
	if len(all) != 7 {
		for _, a := range all {
			t.Logf("%s %s %d", a.Action, a.Target, a.Status)
		}
		t.Fatalf("%d entries, want 7", len(all))
	}
	for _, a := range all {
		if a.WorkspaceID == "" || !strings.HasPrefix(a.Actor, "token:tok_") || a.CorrelationID == "" || a.Time.IsZero() {
			t.Errorf("entry %+v lacks workspace, actor, correlation id or time", a)
		}
		if strings.Contains(string(a.Payload), "hunter2") || strings.Contains(string(a.Payload), e.token) {
			t.Errorf("entry %s holds a secret: %s", a.Action, a.Payload)
		}
	}

	patch := auditEntries(t, e.st, store.AuditQuery{CorrelationID: "okta-req-42"})
	if len(patch) != 1 || patch[0].Action != "user.patch" || patch[0].Target != id || patch[0].Status != 200 {
		t.Fatalf("PATCH entry: %+v", patch)
	}
	var p audit.Request
	if err := json.Unmarshal(patch[0].Payload, &p); err != nil {
		t.Fatal(err)
	}
	if p.Method != "PATCH" || p.TokenName != "test" || p.Diff["title"].Old != "Engineer" || p.Diff["title"].New != "Manager" ||
		p.Diff["active"].New != false || len(p.Diff) != 2 {
		t.Errorf("PATCH payload: %s", patch[0].Payload)
	}

	dup := auditEntries(t, e.st, store.AuditQuery{CorrelationID: "entra-7"})
	if len(dup) != 1 || dup[0].Action != "user.create" || dup[0].Status != 409 {
		t.Fatalf("failed create entry: %+v", dup)
	}
	if err := json.Unmarshal(dup[0].Payload, &p); err != nil || !strings.HasPrefix(p.Error, "uniqueness: ") {
		t.Errorf("failed create payload: %s", dup[0].Payload)
	}

	members := auditEntries(t, e.st, store.AuditQuery{Action: "group.patch"})
	if len(members) != 1 || !strings.Contains(string(members[0].Payload), `"members":{"removed":["`+id+`"]}`) {
		t.Errorf("member removal entry: %+v", members)
	}
	bulk := auditEntries(t, e.st, store.AuditQuery{CorrelationID: "bulk-1"})
	if len(bulk) != 1 || bulk[0].Action != "group.delete" || bulk[0].Target != g || bulk[0].Status != 204 {
		t.Errorf("bulk entries: %+v", bulk)
	}
	if got := auditEntries(t, e.st, store.AuditQuery{Action: "user.get"}); len(got) != 1 {
		t.Errorf("read entries: %+v", got)
	}
}

func TestAuditWithoutReads(t *testing.T) {
	e, flush := auditEnv(t, false)
	id := e.createUser("pia", nil).str("id")
	e.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, nil)
	e.must(http.StatusOK, "GET", "/scim/v2/Users?filter="+q(`userName eq "pia"`), nil)
	e.do("GET", "/scim/v2/Users/usr_missing", nil)
	flush()
	var actions []string
	for _, a := range auditEntries(t, e.st, store.AuditQuery{}) {
		actions = append(actions, a.Action)
	}
	if strings.Join(actions, ",") != "user.get,user.create" { // newest first
		t.Errorf("entries %v, want the create and the failed read", actions)
	}
}

// A successful write stores its entry in its own transaction: the entry
// is in the log when the client has its answer, while the background
// writer, which here would hold entries for an hour, has stored nothing.
func TestAuditOfWritesIsStoredWithThem(t *testing.T) {
	t.Parallel()
	var w *audit.Writer
	e := newEnvWith(t, server.DefaultConfig(), func(st store.Store, cfg *server.Config) {
		w = audit.NewWriter(st, audit.Config{FlushInterval: time.Hour, BatchSize: 1 << 20})
		t.Cleanup(func() { w.Close(context.Background()) })
		cfg.Audit, cfg.AuditReads = w, true
	})
	user := e.createUser("quinn", nil).str("id")
	group := e.createGroup("Quinns").str("id")
	deleted := e.createUser("rhea", nil).str("id")
	for _, tt := range []struct {
		name, method, path string
		body               any
		status             int
		action, target     string
	}{
		{"create", "POST", "/scim/v2/Users", map[string]any{"userName": "sol"}, 201, "user.create", ""},
		{"replace", "PUT", "/scim/v2/Users/" + user, map[string]any{"userName": "quinn", "title": "Lead"}, 200, "user.replace", user},
		{"patch", "PATCH", "/scim/v2/Users/" + user, patchOps(map[string]any{"op": "replace", "path": "title", "value": "Chief"}), 200, "user.patch", user},
		{"member added", "PATCH", "/scim/v2/Groups/" + group, patchOps(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": user}}}), 204, "group.patch", group},
		{"delete", "DELETE", "/scim/v2/Users/" + deleted, nil, 204, "user.delete", deleted},
		{"bulk", "POST", "/scim/v2/Bulk", map[string]any{"Operations": []any{
			map[string]any{"method": "PATCH", "path": "/Users/" + user, "data": patchOps(map[string]any{"op": "replace", "path": "title", "value": "CEO"})},
		}}, 200, "user.patch", user},
	} {
		corr := "tx-" + strings.ReplaceAll(tt.name, " ", "-")
		r := e.must(tt.status, tt.method, tt.path, tt.body, "X-Request-Id", corr)
		target := tt.target
		if target == "" {
			target = r.str("id")
		}
		got := auditEntries(t, e.st, store.AuditQuery{CorrelationID: corr})
		if len(got) != 1 {
			t.Errorf("%s: %d entries stored with the answer, want 1", tt.name, len(got))
			continue
		}
		if a := got[0]; a.Action != tt.action || a.Target != target || a.Status != tt.status || a.WorkspaceID == "" ||
			a.Actor == "" || a.Duration <= 0 || !strings.Contains(string(a.Payload), `"method"`) {
			t.Errorf("%s: entry %+v, want %s of %s answered %d", tt.name, a, tt.action, target, tt.status)
		}
	}
	// A read, and writes that change nothing and so write nothing, have
	// their entries stored by the writer.
	e.must(http.StatusOK, "GET", "/scim/v2/Users/"+user, nil, "X-Request-Id", "tx-read")
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+user, patchOps(map[string]any{"op": "replace", "path": "title", "value": "CEO"}), "X-Request-Id", "tx-noop")
	e.must(http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+group, patchOps(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": user}}}),
		"X-Request-Id", "tx-noop-member")
	waiting := []string{"tx-read", "tx-noop", "tx-noop-member"}
	for _, corr := range waiting {
		if got := auditEntries(t, e.st, store.AuditQuery{CorrelationID: corr}); len(got) != 0 {
			t.Errorf("%s: entry stored at once: %+v", corr, got)
		}
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, corr := range waiting {
		if got := auditEntries(t, e.st, store.AuditQuery{CorrelationID: corr}); len(got) != 1 || got[0].Status >= 400 {
			t.Errorf("%s: entries %+v, want one of success from the writer", corr, got)
		}
	}
	// The member added shows in the diff; the member already there, not.
	added := `"members":{"added":["` + user + `"]}`
	for corr, want := range map[string]bool{"tx-member-added": true, "tx-noop-member": false} {
		got := auditEntries(t, e.st, store.AuditQuery{CorrelationID: corr})
		if len(got) != 1 || strings.Contains(string(got[0].Payload), added) != want {
			t.Errorf("%s: entries %+v, want one whose payload has %s: %v", corr, got, added, want)
		}
	}
}
