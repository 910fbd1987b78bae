package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

func mustSchema(t *testing.T, doc string) *schema.Schema {
	t.Helper()
	s, err := schema.ParseDocument([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testSchemaExtensions checks that declarations are kept per workspace
// by URN, compared case-insensitively, read back as declared, replaced
// keeping when they were first made, tied to one resource type, deleted,
// announced, and gone with their workspace.
func testSchemaExtensions(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	c := newClock()
	st := newStore(t, c.now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	l := subscribe(t, st)

	if es, err := st.SchemaExtensions(ctx, "ws_a"); err != nil || es == nil || len(es) != 0 {
		t.Fatalf("before any: %#v, %v", es, err)
	}
	acme := mustSchema(t, `{"id": "urn:acme:scim:User", "name": "Acme", "attributes": [
		{"name": "costCenter", "type": "string"},
		{"name": "licenses", "type": "complex", "multiValued": true, "subAttributes": [{"name": "sku", "type": "string", "canonicalValues": ["pro"]}]}]}`)
	put := func(e store.SchemaExtension) (store.SchemaExtension, *store.SchemaExtension) {
		t.Helper()
		got, old, err := st.PutSchemaExtension(ctx, e)
		if err != nil {
			t.Fatalf("PutSchemaExtension(%s): %v", e.Schema.ID, err)
		}
		return got, old
	}
	e, old := put(store.SchemaExtension{WorkspaceID: "ws_a", ResourceType: "User", Schema: acme, Required: true})
	if old != nil || !e.Created.Equal(c.now()) || !e.Updated.Equal(c.now()) {
		t.Errorf("first put: %+v, old %+v", e, old)
	}
	l.waitFor(t, store.Change{Kind: store.ChangeSchemas, WorkspaceID: "ws_a", ID: "ws_a"}, time.Second)
	put(store.SchemaExtension{WorkspaceID: "ws_a", ResourceType: "Group", Schema: mustSchema(t, `{"id": "urn:acme:scim:Group", "attributes": [{"name": "region", "type": "string"}]}`)})
	put(store.SchemaExtension{WorkspaceID: "ws_b", ResourceType: "User", Schema: mustSchema(t, `{"id": "urn:beta:scim:User", "attributes": [{"name": "tier", "type": "integer"}]}`)})

	es, err := st.SchemaExtensions(ctx, "ws_a")
	if err != nil || len(es) != 2 || es[0].ResourceType != "Group" || es[1].ResourceType != "User" {
		t.Fatalf("listed %+v, %v", es, err)
	}
	if got := es[1]; !reflect.DeepEqual(got.Schema, acme) || !got.Required || got.WorkspaceID != "ws_a" {
		t.Errorf("read back %+v (schema %+v), want %+v", got, got.Schema, acme)
	}

	// Declared again, under another spelling of its URN: replaced, and
	// still first declared when it was.
	first := c.now()
	c.set(first.Add(time.Hour))
	wider := mustSchema(t, `{"id": "URN:acme:scim:User", "attributes": [{"name": "costCenter", "type": "string"}, {"name": "badge", "type": "integer"}]}`)
	e, old = put(store.SchemaExtension{WorkspaceID: "ws_a", ResourceType: "User", Schema: wider})
	if old == nil || !reflect.DeepEqual(old.Schema, acme) || !old.Required {
		t.Errorf("replaced %+v", old)
	}
	if !e.Created.Equal(first) || !e.Updated.Equal(c.now()) || e.Required {
		t.Errorf("replacement %+v", e)
	}
	es, _ = st.SchemaExtensions(ctx, "ws_a")
	if len(es) != 2 || es[1].Schema.ID != "URN:acme:scim:User" || len(es[1].Schema.Attributes) != 2 {
		t.Errorf("after replacing: %+v", es)
	}

	// A URN names one schema: not for two resource types.
	_, _, err = st.PutSchemaExtension(ctx, store.SchemaExtension{WorkspaceID: "ws_a", ResourceType: "Group", Schema: acme})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("URN of a User extension declared for Group: %v, want ErrAlreadyExists", err)
	}

	// Deleted by URN, in any spelling, in its workspace only.
	if _, err := st.DeleteSchemaExtension(ctx, "ws_b", "urn:acme:scim:user"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete in another workspace: %v, want ErrNotFound", err)
	}
	d, err := st.DeleteSchemaExtension(ctx, "ws_a", "urn:ACME:scim:user")
	if err != nil || d.Schema.ID != "URN:acme:scim:User" || d.ResourceType != "User" {
		t.Errorf("deleted %+v, %v", d, err)
	}
	if _, err := st.DeleteSchemaExtension(ctx, "ws_a", "urn:acme:scim:User"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete again: %v, want ErrNotFound", err)
	}
	if es, _ := st.SchemaExtensions(ctx, "ws_a"); len(es) != 1 || es[0].Schema.ID != "urn:acme:scim:Group" {
		t.Errorf("after delete: %+v", es)
	}

	// They go with their workspace.
	if err := st.DeleteWorkspace(ctx, "beta"); err != nil {
		t.Fatal(err)
	}
	if es, err := st.SchemaExtensions(ctx, "ws_b"); err != nil || len(es) != 0 {
		t.Errorf("after deleting the workspace: %+v, %v", es, err)
	}
}
