package postgres

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/pgtest"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// TestExtensionIndexes checks that a declaration's indexes are made with
// it, answer eq on its attributes (the plans of the listing's
// statements made for their arguments read them, not the workspace's
// resources), and are dropped when an attribute is retyped, the
// declaration deleted, or its workspace.
func TestExtensionIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A schema of its own: declarations change its tables' indexes.
	st := openTest(t, pgtest.URL(t))
	for _, ws := range []string{"ws_a", "ws_b"} {
		if err := st.CreateWorkspace(ctx, store.Workspace{ID: ws, Slug: ws, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	const urn = "urn:acme:scim:User"
	if _, err := st.pool.Exec(ctx, `INSERT INTO resources (id, workspace_id, type, name, name_key, display_name, external_id, active, version, created, last_modified, doc)
		SELECT 'usr_' || w || '_' || i, w, 'User', 'User' || i, 'user' || i, NULL, NULL, true, 1, now(), now(),
			jsonb_build_object('userName', 'User' || i, $1::text, jsonb_build_object('costCenter', 'CC-' || i, 'badge', i, 'since', '2026-01-01T00:00:00Z'))
		FROM unnest(ARRAY['ws_a', 'ws_b']) AS w, generate_series(1, 3000) AS i`, urn); err != nil {
		t.Fatal(err)
	}
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
		rows, err := st.pool.Query(ctx, `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE 'ext\_%' ORDER BY indexname`)
		if err != nil {
			t.Fatal(err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
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
	if _, err := st.pool.Exec(ctx, `ANALYZE resources`); err != nil {
		t.Fatal(err)
	}
	rt := schema.UserType.Extend(schema.Extension{Schema: s})
	for _, f := range []string{`urn:acme:scim:User:costCenter eq "cc-42"`, `urn:acme:scim:User:badge eq 42`, `urn:acme:scim:User:since eq "2025-01-01T00:00:00Z"`} {
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
			// The plan made for the arguments: a generic plan cannot
			// use an index partial to a workspace, and PostgreSQL
			// keeps making plans for the arguments while a generic one
			// costs more.
			if p := explain(t, st, stmt.sql, stmt.args, false); strings.Contains(p, "Seq Scan") || !strings.Contains(p, "ext_") {
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
	if err := st.DeleteWorkspace(ctx, "ws_b"); err != nil {
		t.Fatal(err)
	}
	if got := indexes(); len(got) != 0 {
		t.Errorf("after deleting the workspace: %v, want none", got)
	}
}
