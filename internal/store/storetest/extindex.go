package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// Planner is what a backend shows of its indexes and plans, for
// ExtensionIndexPlans.
type Planner struct {
	// Analyze refreshes the statistics the planner chooses by.
	Analyze func(t *testing.T)
	// Indexes returns the names of the indexes that declarations made.
	Indexes func(t *testing.T) []string
	// Plans returns the plans of the statements that answer the
	// listing q of workspace ws's Users, made for their arguments.
	Plans func(t *testing.T, ws string, q store.Query) []string
}

// ExtensionIndexPlans checks, on a new store st, that a declaration's
// indexes are made with it, that the statements answering eq on its
// attributes read them (their plans name an "ext_" index, and have no
// "Seq Scan"), and that they are dropped when an attribute is retyped or
// no longer simple, the declaration deleted, or its workspace.
func ExtensionIndexPlans(t *testing.T, st store.Store, pl Planner) {
	ctx := context.Background()
	for _, ws := range []string{"ws_a", "ws_b"} {
		mustWorkspace(t, st, ws, strings.TrimPrefix(ws, "ws_"))
	}
	const urn = "urn:acme:scim:User"
	declare := func(ws, doc string) *schema.Schema {
		t.Helper()
		s := mustSchema(t, `{"id": "`+urn+`", "attributes": [`+doc+`]}`)
		if _, _, err := st.PutSchemaExtension(ctx, store.SchemaExtension{WorkspaceID: ws, ResourceType: "User", Schema: s}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := declare("ws_a", `{"name": "costCenter", "type": "string"}, {"name": "badge", "type": "integer", "uniqueness": "server"},
		{"name": "since", "type": "dateTime"}, {"name": "tags", "type": "string", "multiValued": true}`)
	declare("ws_b", `{"name": "costCenter", "type": "string"}`)
	first := pl.Indexes(t)
	if len(first) != 4 {
		t.Fatalf("indexes %v, want 3 for ws_a and 1 for ws_b", first)
	}
	for i := range 500 {
		mustCreate(t, st, user("ws_a", fmt.Sprintf("usr_%d", i), fmt.Sprintf("u%d", i),
			urn, map[string]any{"costCenter": fmt.Sprintf("CC-%d", i), "badge": i, "since": "2026-01-01T00:00:00Z"}))
	}
	pl.Analyze(t)
	rt := schema.UserType.Extend(schema.Extension{Schema: s})
	for _, f := range []string{`urn:acme:scim:User:costCenter eq "cc-42"`, `urn:acme:scim:User:badge eq 42`, `urn:acme:scim:User:since eq "2025-01-01T00:00:00Z"`} {
		q := store.Query{Count: 10, MaxExamined: 100, Filter: parse(t, rt, f), Type: rt}
		for _, p := range pl.Plans(t, "ws_a", q) {
			if !strings.Contains(p, "ext_") || strings.Contains(p, "Seq Scan") {
				t.Errorf("%s: a statement does not read the attribute's index:\n%s", f, p)
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
	second := pl.Indexes(t)
	if len(second) != 3 || len(slices.DeleteFunc(slices.Clone(second), func(n string) bool { return slices.Contains(first, n) })) != 1 {
		t.Errorf("after retyping: %v, before %v; want the badge's and ws_b's kept, costCenter's made again, since's dropped", second, first)
	}
	if _, err := st.DeleteSchemaExtension(ctx, "ws_a", urn); err != nil {
		t.Fatal(err)
	}
	if got := pl.Indexes(t); len(got) != 1 {
		t.Errorf("after deleting the declaration: %v, want ws_b's", got)
	}
	if err := st.DeleteWorkspace(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if got := pl.Indexes(t); len(got) != 0 {
		t.Errorf("after deleting the workspace: %v, want none", got)
	}
}
