package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
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

// undeclare deletes, when t ends, the declarations of workspaces ws,
// with the indexes they made: a database whose tables a test leaves
// changed may not be used again.
func undeclare(t *testing.T, st store.Store, ws ...string) {
	t.Cleanup(func() {
		ctx := context.Background()
		for _, w := range ws {
			es, err := st.SchemaExtensions(ctx, w)
			if err != nil {
				t.Error(err)
			}
			for _, e := range es {
				if _, err := st.DeleteSchemaExtension(ctx, w, e.Schema.ID); err != nil {
					t.Error(err)
				}
			}
		}
	})
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
	undeclare(t, st, "ws_a", "ws_b")
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

// testSchemaUniqueness checks that the database keeps the values of an
// extension attribute declared unique unique within the workspace and
// resource type of the declaration, under concurrent writes too, from
// when it is declared until it no longer is.
func testSchemaUniqueness(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	const urn = "urn:acme:scim:User"
	declare := func(ws, doc string) error {
		_, _, err := st.PutSchemaExtension(ctx, store.SchemaExtension{WorkspaceID: ws, ResourceType: "User", Schema: mustSchema(t, doc)})
		return err
	}
	unique := `{"id": "` + urn + `", "attributes": [
		{"name": "badge", "type": "integer", "uniqueness": "server"},
		{"name": "code", "type": "string", "uniqueness": "server"},
		{"name": "shared", "type": "string"}]}`
	if err := declare("ws_a", unique); err != nil {
		t.Fatal(err)
	}
	ext := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	create := func(ws, id string, e map[string]any) error {
		return st.CreateResource(ctx, user(ws, id, id, urn, e), store.Effects{})
	}
	taken := func(err error, attr string) bool {
		var vt *store.ValueTakenError
		return errors.As(err, &vt) && vt.Attribute == attr && errors.Is(err, store.ErrAlreadyExists)
	}
	if err := create("ws_a", "u1", ext("badge", 1, "code", "ABC", "shared", "x")); err != nil {
		t.Fatal(err)
	}
	if err := create("ws_a", "u2", ext("badge", 1)); !taken(err, "badge") {
		t.Errorf("second badge 1: %v, want a ValueTakenError for badge", err)
	}
	if err := create("ws_a", "u2", ext("code", "abc")); !taken(err, "code") {
		t.Errorf("code compared without case: %v, want a ValueTakenError for code", err)
	}
	if err := create("ws_a", "u2", ext("badge", 2, "code", "abd", "shared", "x")); err != nil {
		t.Errorf("other values: %v", err)
	}
	if err := create("ws_a", "u3", ext()); err != nil {
		t.Errorf("without the attributes: %v", err)
	}
	if err := create("ws_a", "u4", ext()); err != nil {
		t.Errorf("a second one without the attributes: %v", err)
	}
	if err := create("ws_b", "b1", ext("badge", 1)); err != nil {
		t.Errorf("another workspace's badge 1: %v", err)
	}
	_, err := st.UpdateResource(ctx, "ws_a", "User", "u2", false, func(r *store.Resource) (*store.Update, error) {
		return &store.Update{Doc: user("ws_a", "u2", "u2", urn, ext("badge", 1)).Doc}, nil
	})
	if !taken(err, "badge") {
		t.Errorf("update to a taken badge: %v", err)
	}

	// Concurrent creates of one value: one wins.
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- create("ws_a", fmt.Sprintf("c%d", i), ext("badge", 42)) }()
	}
	won := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			won++
		case !taken(err, "badge"):
			t.Errorf("concurrent create: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent creates of badge 42 succeeded, want 1", won)
	}

	// A value two resources share cannot become unique; the declaration
	// stays as it was.
	sharedUnique := strings.Replace(unique, `{"name": "shared", "type": "string"}`, `{"name": "shared", "type": "string", "uniqueness": "server"}`, 1)
	if err := declare("ws_a", sharedUnique); !taken(err, "shared") {
		t.Errorf("declaring shared unique: %v, want a ValueTakenError for shared", err)
	}
	if es, _ := st.SchemaExtensions(ctx, "ws_a"); len(es) != 1 || es[0].Schema.Attr("shared").Uniqueness != "none" {
		t.Errorf("after a refused declaration: %+v", es)
	}

	// No longer unique: values may repeat.
	if err := declare("ws_a", strings.Replace(unique, `"type": "integer", "uniqueness": "server"`, `"type": "integer"`, 1)); err != nil {
		t.Fatal(err)
	}
	if err := create("ws_a", "u5", ext("badge", 1)); err != nil {
		t.Errorf("badge no longer unique: %v", err)
	}
	if err := create("ws_a", "u6", ext("code", "ABC")); !taken(err, "code") {
		t.Errorf("code still unique: %v", err)
	}
	if _, err := st.DeleteSchemaExtension(ctx, "ws_a", urn); err != nil {
		t.Fatal(err)
	}
	if err := create("ws_a", "u6", ext("code", "ABC")); err != nil {
		t.Errorf("declaration deleted: %v", err)
	}
	// A workspace goes with the indexes of its declarations.
	if err := declare("ws_b", unique); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteWorkspace(ctx, "beta"); err != nil {
		t.Fatal(err)
	}
	mustWorkspace(t, st, "ws_b", "beta")
	if err := create("ws_b", "b1", ext("badge", 1)); err != nil {
		t.Fatal(err)
	}
	if err := create("ws_b", "b2", ext("badge", 1)); err != nil {
		t.Errorf("a new workspace with the deleted one's id kept its index: %v", err)
	}
}

// testExtensionIndexes checks that eq on the simple attributes
// of a declared extension are answered by the index its declaration made:
// a listing filtered on them alone is bounded by what they select, not by
// the workspace's resources, and finds what the filter selects; other
// comparisons, attributes without an index, and a resource type that has
// not declared the extension read every resource.
func testExtensionIndexes(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	undeclare(t, st, "ws_a")
	const urn = "urn:acme:scim:User"
	sch := mustSchema(t, `{"id": "`+urn+`", "attributes": [
		{"name": "costCenter", "type": "string"},
		{"name": "code", "type": "string", "caseExact": true},
		{"name": "badge", "type": "integer", "uniqueness": "server"},
		{"name": "rate", "type": "decimal"},
		{"name": "vip", "type": "boolean"},
		{"name": "since", "type": "dateTime"},
		{"name": "tags", "type": "string", "multiValued": true},
		{"name": "office", "type": "complex", "subAttributes": [{"name": "city", "type": "string"}]}]}`)
	if _, _, err := st.PutSchemaExtension(ctx, store.SchemaExtension{WorkspaceID: "ws_a", ResourceType: "User", Schema: sch}); err != nil {
		t.Fatal(err)
	}
	rt := schema.UserType.Extend(schema.Extension{Schema: sch})
	for i := 1; i <= 6; i++ {
		n := strconv.Itoa(i)
		mustCreate(t, st, user("ws_a", "usr_"+n, "u"+n, urn, map[string]any{
			"costCenter": "CC-" + strconv.Itoa(i%3), "code": "Code" + n, "badge": i, "rate": float64(i) / 2,
			"vip": i%2 == 0, "since": "2026-0" + n + "-01T00:00:00Z", "tags": []any{"t" + n}, "office": map[string]any{"city": "c" + n},
		}))
	}
	tests := []struct {
		filter string
		rt     *schema.ResourceType // the listing's Type, if not rt
		limit  int
		want   []string // nil: refused
	}{
		{filter: `urn:acme:scim:User:costCenter eq "cc-1"`, limit: 2, want: []string{"usr_1", "usr_4"}},
		{filter: `urn:acme:scim:User:costCenter eq "cc-1"`, limit: 1},
		{filter: `urn:acme:scim:User:code eq "Code3"`, limit: 1, want: []string{"usr_3"}},
		{filter: `urn:acme:scim:User:code eq "code3"`, limit: 1, want: []string{}},
		{filter: `urn:acme:scim:User:badge eq 5`, limit: 1, want: []string{"usr_5"}},
		{filter: `urn:acme:scim:User:rate eq 1.5`, limit: 1, want: []string{"usr_3"}},
		{filter: `urn:acme:scim:User:vip eq true`, limit: 3, want: []string{"usr_2", "usr_4", "usr_6"}},
		{filter: `urn:acme:scim:User:since eq "2026-06-01T00:00:00Z"`, limit: 1, want: []string{"usr_6"}},
		{filter: `urn:acme:scim:User:costCenter eq "CC-0" and urn:acme:scim:User:vip eq false`, limit: 2, want: []string{"usr_3"}},
		// Without an index behind them: every resource is read.
		{filter: `urn:acme:scim:User:costCenter co "1"`, limit: 5},
		{filter: `urn:acme:scim:User:costCenter sw "cc"`, limit: 5},
		{filter: `urn:acme:scim:User:badge ge 5`, limit: 5},
		{filter: `urn:acme:scim:User:tags eq "t1"`, limit: 5},
		{filter: `urn:acme:scim:User:office.city eq "c1"`, limit: 5},
		{filter: `urn:acme:scim:User:costCenter eq "cc-1"`, rt: schema.UserType, limit: 5},
		{filter: `urn:acme:scim:User:costCenter eq "cc-1"`, limit: 6, want: []string{"usr_1", "usr_4"}},
	}
	for _, tt := range tests {
		q := store.Query{Count: 10, MaxExamined: tt.limit, Filter: parse(t, rt, tt.filter), Type: rt}
		if tt.rt != nil {
			q.Type = tt.rt
		}
		p, err := st.ListResources(ctx, "ws_a", "User", q)
		if tt.want == nil {
			if !errors.Is(err, store.ErrTooMany) {
				t.Errorf("%s at most %d: %+v, %v; want ErrTooMany", tt.filter, tt.limit, p, err)
			}
			continue
		}
		got := []string{}
		for _, r := range p.Resources {
			got = append(got, r.ID)
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) || p.Total != len(tt.want) {
			t.Errorf("%s at most %d: %v of %d, %v; want %v", tt.filter, tt.limit, got, p.Total, err, tt.want)
		}
	}
}
