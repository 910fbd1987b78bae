package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// TestExtensionIndexes checks that a declaration's indexes are made with
// it, answer eq on its attributes (the listing's statements
// read them), and are dropped when an attribute is retyped, the
// declaration deleted, or its workspace.
func TestExtensionIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, ws := range []string{"ws_a", "ws_b"} {
		if err := st.CreateWorkspace(ctx, store.Workspace{ID: ws, Slug: strings.TrimPrefix(ws, "ws_"), Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	const urn = "urn:acme:scim:User"
	declare := func(ws, doc string) *schema.Schema {
		t.Helper()
		s, err := schema.ParseDocument([]byte(`{"id": "` + urn + `", "attributes": [` + doc + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.PutSchemaExtension(ctx, store.SchemaExtension{WorkspaceID: ws, ResourceType: "User", Schema: s}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	indexes := func() []string {
		t.Helper()
		rows, err := st.r.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ext\_%' ESCAPE '\' ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		return names
	}
	s := declare("ws_a", `{"name": "costCenter", "type": "string"}, {"name": "badge", "type": "integer", "uniqueness": "server"},
		{"name": "since", "type": "dateTime"}, {"name": "tags", "type": "string", "multiValued": true}`)
	declare("ws_b", `{"name": "costCenter", "type": "string"}`)
	first := indexes()
	if len(first) != 4 {
		t.Fatalf("indexes %v, want 3 for ws_a and 1 for ws_b", first)
	}
	for i := range 500 {
		r := &store.Resource{Type: "User", ID: fmt.Sprintf("usr_%d", i), WorkspaceID: "ws_a", Doc: map[string]any{"userName": fmt.Sprintf("u%d", i),
			urn: map[string]any{"costCenter": fmt.Sprintf("CC-%d", i), "badge": i, "since": "2026-01-01T00:00:00Z"}}}
		if err := st.CreateResource(ctx, r, store.Effects{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.w.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	rt := schema.UserType.Extend(schema.Extension{Schema: s})
	for _, f := range []string{`urn:acme:scim:User:costCenter eq "cc-42"`, `urn:acme:scim:User:badge eq 42`, `urn:acme:scim:User:since eq "2026-01-02T00:00:00Z"`} {
		e, err := filter.Parse(rt, f)
		if err != nil {
			t.Fatal(err)
		}
		q := store.Query{Count: 10, MaxExamined: 100, Filter: e, Type: rt}
		l, err := st.ListStatements("ws_a", "User", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []struct {
			name, sql string
			args      []any
		}{{"count", l.Count, l.CountArgs}, {"page", l.Page, l.PageArgs}, {"examine", l.Examine, l.ExamineArgs}} {
			if p := plan(t, st, stmt.sql, stmt.args); !strings.Contains(p, "INDEX ext_") {
				t.Errorf("%s: the %s statement does not read the attribute's index:\n%s", f, stmt.name, p)
			}
		}
		if _, err := st.ListResources(ctx, "ws_a", "User", q); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}

	// Retyped, an attribute's index is made again; no longer declared,
	// or not simple, it has none.
	declare("ws_a", `{"name": "costCenter", "type": "integer"}, {"name": "badge", "type": "integer", "uniqueness": "server"},
		{"name": "since", "type": "dateTime", "multiValued": true}`)
	second := indexes()
	if len(second) != 3 || len(slices.DeleteFunc(slices.Clone(second), func(n string) bool { return slices.Contains(first, n) })) != 1 {
		t.Errorf("after retyping: %v, before %v; want the badge's and ws_b's kept, costCenter's made again, since's dropped", second, first)
	}
	if _, err := st.DeleteSchemaExtension(ctx, "ws_a", urn); err != nil {
		t.Fatal(err)
	}
	if got := indexes(); len(got) != 1 {
		t.Errorf("after deleting the declaration: %v, want ws_b's", got)
	}
	if err := st.DeleteWorkspace(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if got := indexes(); len(got) != 0 {
		t.Errorf("after deleting the workspace: %v, want none", got)
	}
}

// plan returns SQLite's plan of query with args.
func plan(t *testing.T, st *Store, query string, args []any) string {
	t.Helper()
	rows, err := st.r.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}
