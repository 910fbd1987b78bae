package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/pgtest"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/sqlite"
)

// customURN is an extension as Entra ID names one (CustomExtensionName).
const customURN = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"

const customDoc = `{"id": "` + customURN + `", "name": "CustomExt", "attributes": [
	{"name": "costCenter", "type": "string"},
	{"name": "badge", "type": "integer"},
	{"name": "vip", "type": "boolean"},
	{"name": "startDate", "type": "dateTime"},
	{"name": "secret", "type": "string", "returned": "never"},
	{"name": "issuer", "type": "string", "mutability": "readOnly"},
	{"name": "tier", "type": "string", "returned": "request"},
	{"name": "licenses", "type": "complex", "multiValued": true, "subAttributes": [
		{"name": "sku", "type": "string"},
		{"name": "seats", "type": "integer"}]}]}`

// declare declares an extension schema for the workspace with the slug,
// as the admin API does.
func (e *env) declare(slug, resourceType, doc string, required bool) {
	e.t.Helper()
	ctx := context.Background()
	w, err := e.st.WorkspaceBySlug(ctx, slug)
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := schema.ParseDocument([]byte(doc))
	if err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.st.PutSchemaExtension(ctx, store.SchemaExtension{WorkspaceID: w.ID, ResourceType: resourceType, Schema: s, Required: required}); err != nil {
		e.t.Fatal(err)
	}
}

// ext returns the extension object of a resource.
func ext(body map[string]any, urn string) map[string]any {
	m, _ := body[urn].(map[string]any)
	return m
}

// TestCustomExtensions declares an extension for a workspace's users and
// takes it through every SCIM operation, on SQLite and PostgreSQL.
func TestCustomExtensions(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, mk envMaker) {
		e := mk(t, server.DefaultConfig(), nil)
		other := e.newWorkspace("globex")
		e.declare("acme", "User", customDoc, false)
		e.declare("acme", "Group", `{"id": "urn:acme:scim:Group", "attributes": [{"name": "region", "type": "string"}]}`, false)
		testExtensionDiscovery(t, e, other)
		testExtensionWrites(t, e, other)
		testExtensionChanges(t, e)
		testRequiredExtension(t, e)
	})
}

func testExtensionDiscovery(t *testing.T, e *env, other string) {
	schemaIDs := func(tok string) []string {
		var ids []string
		for _, s := range e.doToken(tok, "GET", e.base+"/Schemas", nil).list() {
			ids = append(ids, s["id"].(string))
		}
		return ids
	}
	if ids := schemaIDs(e.token); !slices.Contains(ids, customURN) || !slices.Contains(ids, "urn:acme:scim:Group") || !slices.Contains(ids, schema.EnterpriseUserURN) {
		t.Errorf("/Schemas with the workspace's token: %v", ids)
	}
	for _, tok := range []string{"", other} {
		if ids := schemaIDs(tok); slices.Contains(ids, customURN) || len(ids) != len(schema.AllSchemas) {
			t.Errorf("/Schemas with token %q lists %v", tok, ids)
		}
	}
	r := e.must(http.StatusOK, "GET", e.base+"/Schemas/"+customURN, nil)
	if attrs, _ := r.body["attributes"].([]any); len(attrs) != 8 {
		t.Errorf("/Schemas/%s: %s", customURN, r.raw)
	}
	wantError(t, e.doToken("", "GET", e.base+"/Schemas/"+customURN, nil), http.StatusNotFound, "")
	r = e.must(http.StatusOK, "GET", e.base+"/ResourceTypes/User", nil)
	exts, _ := json.Marshal(r.body["schemaExtensions"])
	if want := `[{"required":false,"schema":"` + schema.EnterpriseUserURN + `"},{"required":false,"schema":"` + customURN + `"}]`; string(exts) != want {
		t.Errorf("schemaExtensions %s, want %s", exts, want)
	}
	// A token that is not valid is refused, rather than taken for none.
	if r := e.doToken("scim_nope", "GET", e.base+"/ResourceTypes", nil); r.status != http.StatusUnauthorized {
		t.Errorf("discovery with a bad token: %d", r.status)
	}
}

func testExtensionWrites(t *testing.T, e *env, other string) {
	ada := e.createUser("ada", map[string]any{
		"schemas": []string{schema.UserURN, customURN},
		customURN: map[string]any{
			"costCenter": "CC-42", "badge": 7, "vip": "True", "startDate": "2024-02-01T09:00:00Z",
			"secret": "s3cret", "issuer": "ignored", "unknown": "ignored", "tier": "gold",
			"licenses": []any{map[string]any{"sku": "pro", "seats": 3}, map[string]any{"sku": "free"}},
		},
	})
	id := ada.str("id")
	want := `{"badge":7,"costCenter":"CC-42","licenses":[{"seats":3,"sku":"pro"},{"sku":"free"}],"startDate":"2024-02-01T09:00:00Z","vip":true}`
	for _, r := range []response{ada, e.must(http.StatusOK, "GET", e.base+"/Users/"+id, nil)} {
		if got, _ := json.Marshal(ext(r.body, customURN)); string(got) != want {
			t.Errorf("extension %s, want %s (returned never and readOnly left out)", got, want)
		}
		if s, _ := json.Marshal(r.body["schemas"]); !strings.Contains(string(s), customURN) {
			t.Errorf("schemas %s", s)
		}
	}
	// Stored under the URN, the value returned never included.
	stored, err := e.st.Resource(context.Background(), mustWorkspaceID(t, e, "acme"), "User", id, false)
	if err != nil {
		t.Fatal(err)
	}
	if ext(stored.Doc, customURN)["secret"] != "s3cret" {
		t.Errorf("stored %v", stored.Doc)
	}

	grace := e.createUser("grace", map[string]any{customURN: map[string]any{"costCenter": "CC-7", "badge": 12, "licenses": []any{map[string]any{"sku": "free", "seats": 1}}}})
	plain := e.createUser("plain", nil)
	gid, pid := grace.str("id"), plain.str("id")

	// Attribute selection names extension attributes by URN.
	r := e.must(http.StatusOK, "GET", e.base+"/Users/"+id+"?attributes="+q(customURN+":costCenter"), nil)
	if got, _ := json.Marshal(ext(r.body, customURN)); string(got) != `{"costCenter":"CC-42"}` || r.body["userName"] != nil {
		t.Errorf("attributes=costCenter: %s", r.raw)
	}
	r = e.must(http.StatusOK, "GET", e.base+"/Users/"+id+"?attributes="+q(customURN+":tier,userName"), nil)
	if got, _ := json.Marshal(ext(r.body, customURN)); string(got) != `{"tier":"gold"}` || r.body["userName"] != "ada" {
		t.Errorf("attributes=tier (returned request): %s", r.raw)
	}
	r = e.must(http.StatusOK, "GET", e.base+"/Users/"+id+"?excludedAttributes="+q(customURN+":licenses,"+customURN+":badge"), nil)
	if m := ext(r.body, customURN); m["licenses"] != nil || m["badge"] != nil || m["costCenter"] != "CC-42" {
		t.Errorf("excludedAttributes: %s", r.raw)
	}

	// Filters, answered by the database; sorting.
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{customURN + `:costCenter eq "CC-42"`, []string{id}},
		{customURN + `:costCenter eq "cc-42"`, []string{id}}, // caseExact false
		{customURN + `:costCenter sw "CC"`, []string{id, gid}},
		{customURN + `:badge gt 10`, []string{gid}},
		{customURN + `:badge le 7`, []string{id}},
		{customURN + `:vip eq true`, []string{id}},
		{customURN + `:startDate lt "2025-01-01T00:00:00Z"`, []string{id}},
		{customURN + `:costCenter pr`, []string{id, gid}},
		{`not (` + customURN + `:costCenter pr)`, []string{pid}},
		{customURN + `:licenses[sku eq "pro" and seats ge 3]`, []string{id}},
		{customURN + `:licenses[sku eq "free"]`, []string{id, gid}},
		{customURN + `:licenses.seats eq 1`, []string{gid}},
		{`userName eq "ada" and ` + customURN + `:badge eq 7`, []string{id}},
	} {
		r := e.must(http.StatusOK, "GET", e.base+"/Users?filter="+q(tc.filter), nil)
		if got := listIDs(r.body); !slices.Equal(got, tc.want) {
			t.Errorf("filter %s: %v, want %v", tc.filter, got, tc.want)
		}
	}
	r = e.must(http.StatusOK, "GET", e.base+"/Users?sortBy="+q(customURN+":badge")+"&sortOrder=descending&filter="+q(customURN+":badge pr"), nil)
	if got := listIDs(r.body); !slices.Equal(got, []string{gid, id}) {
		t.Errorf("sorted by badge descending: %v", got)
	}
	wantError(t, e.do("GET", e.base+"/Users?filter="+q(customURN+`:nope eq "x"`), nil), http.StatusBadRequest, "invalidFilter")

	// A required attribute of an extension is required when it is sent.
	e.declare("acme", "Group", `{"id": "urn:acme:scim:Group", "attributes": [{"name": "region", "type": "string", "required": true}]}`, false)
	e.must(http.StatusCreated, "POST", e.base+"/Groups", map[string]any{"displayName": "No extension"})
	wantError(t, e.do("POST", e.base+"/Groups", map[string]any{"displayName": "No region", "urn:acme:scim:Group": map[string]any{"region": ""}}),
		http.StatusBadRequest, "invalidValue")

	// Wrong types are refused, like core attributes'.
	for _, bad := range []map[string]any{
		{"badge": "seven"},
		{"vip": "maybe"},
		{"startDate": "yesterday"},
		{"licenses": []any{map[string]any{"seats": "three"}}},
		{"costCenter": map[string]any{"x": 1}},
	} {
		body := map[string]any{"schemas": []string{schema.UserURN}, "userName": "bad", customURN: bad}
		wantError(t, e.do("POST", e.base+"/Users", body), http.StatusBadRequest, "invalidValue")
	}

	// PATCH in every form: Entra's URN-qualified paths, path-less values
	// carrying the extension object or qualified names, value filters.
	patchOps := func(ops ...map[string]any) response {
		t.Helper()
		return e.must(http.StatusOK, "PATCH", e.base+"/Users/"+id, map[string]any{"schemas": []string{schema.PatchOpURN}, "Operations": ops})
	}
	r = patchOps(map[string]any{"op": "Replace", "path": customURN + ":costCenter", "value": "CC-43"},
		map[string]any{"op": "Add", "path": customURN + ":vip", "value": "False"})
	if m := ext(r.body, customURN); m["costCenter"] != "CC-43" || m["vip"] != false {
		t.Errorf("URN-qualified paths: %s", r.raw)
	}
	r = patchOps(map[string]any{"op": "replace", "value": map[string]any{customURN: map[string]any{"badge": 8}, customURN + ":costCenter": "CC-44"}})
	if m := ext(r.body, customURN); m["badge"] != json.Number("8") || m["costCenter"] != "CC-44" || m["licenses"] == nil {
		t.Errorf("path-less values: %s", r.raw)
	}
	r = patchOps(map[string]any{"op": "replace", "path": customURN + `:licenses[sku eq "pro"].seats`, "value": 5})
	if l, _ := json.Marshal(ext(r.body, customURN)["licenses"]); string(l) != `[{"seats":5,"sku":"pro"},{"sku":"free"}]` {
		t.Errorf("value filter: %s", l)
	}
	r = patchOps(map[string]any{"op": "remove", "path": customURN + `:licenses[sku eq "free"]`},
		map[string]any{"op": "remove", "path": customURN + ":badge"})
	if m := ext(r.body, customURN); m["badge"] != nil || len(m["licenses"].([]any)) != 1 {
		t.Errorf("removes: %s", r.raw)
	}
	wantError(t, e.do("PATCH", e.base+"/Users/"+id, map[string]any{"schemas": []string{schema.PatchOpURN},
		"Operations": []any{map[string]any{"op": "replace", "path": customURN + ":badge", "value": "nine"}}}), http.StatusBadRequest, "invalidValue")

	// PUT replaces the extension with what it carries.
	r = e.must(http.StatusOK, "PUT", e.base+"/Users/"+gid, map[string]any{"schemas": []string{schema.UserURN, customURN}, "userName": "grace",
		customURN: map[string]any{"costCenter": "CC-8"}})
	if got, _ := json.Marshal(ext(r.body, customURN)); string(got) != `{"costCenter":"CC-8"}` {
		t.Errorf("PUT: %s", r.raw)
	}

	// Bulk writes take it too.
	r = e.must(http.StatusOK, "POST", e.base+"/Bulk", map[string]any{"schemas": []string{schema.BulkRequestURN}, "Operations": []any{
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "b1", "data": map[string]any{"userName": "bulky", customURN: map[string]any{"badge": 99}}},
		map[string]any{"method": "PATCH", "path": "/Users/" + pid, "data": map[string]any{"Operations": []any{map[string]any{"op": "add", "path": customURN + ":costCenter", "value": "CC-9"}}}},
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "b2", "data": map[string]any{"userName": "bulky2", customURN: map[string]any{"badge": "x"}}},
	}})
	ops, _ := r.body["Operations"].([]any)
	if len(ops) != 3 || ops[2].(map[string]any)["status"] != "400" {
		t.Errorf("bulk: %s", r.raw)
	}
	if got := listIDs(e.must(http.StatusOK, "GET", e.base+"/Users?filter="+q(customURN+":badge eq 99 or "+customURN+`:costCenter eq "CC-9"`), nil).body); len(got) != 2 {
		t.Errorf("bulk writes found: %v", got)
	}

	// Groups have theirs.
	g := e.must(http.StatusCreated, "POST", e.base+"/Groups", map[string]any{"displayName": "Ops", "urn:acme:scim:Group": map[string]any{"region": "EU"}})
	if got := listIDs(e.must(http.StatusOK, "GET", e.base+"/Groups?filter="+q(`urn:acme:scim:Group:region eq "EU"`), nil).body); !slices.Equal(got, []string{g.str("id")}) {
		t.Errorf("group filter: %v", got)
	}

	// Another workspace knows nothing of them: ignored, as undeclared
	// extensions are, and not filterable.
	r = e.doToken(other, "POST", e.base+"/Users", map[string]any{"userName": "ada", customURN: map[string]any{"costCenter": "CC-42"}})
	if r.status != http.StatusCreated || r.body[customURN] != nil {
		t.Errorf("another workspace's create: %d %s", r.status, r.raw)
	}
	wantError(t, e.doToken(other, "GET", e.base+"/Users?filter="+q(customURN+`:costCenter eq "CC-42"`), nil), http.StatusBadRequest, "invalidFilter")
}

func mustWorkspaceID(t *testing.T, e *env, slug string) string {
	t.Helper()
	w, err := e.st.WorkspaceBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return w.ID
}

// testExtensionChanges checks what a changed declaration does to stored
// values: kept, and shown and filterable as the declaration says.
func testExtensionChanges(t *testing.T, e *env) {
	u := e.createUser("lin", map[string]any{customURN: map[string]any{"costCenter": "CC-1", "badge": 5, "licenses": []any{map[string]any{"sku": "pro", "seats": 2}}}})
	id := u.str("id")
	show := func() string {
		t.Helper()
		b, _ := json.Marshal(ext(e.must(http.StatusOK, "GET", e.base+"/Users/"+id, nil).body, customURN))
		return string(b)
	}
	found := func(filter string) string {
		t.Helper()
		r := e.do("GET", e.base+"/Users?filter="+q(filter+` and userName eq "lin"`), nil)
		if r.status != http.StatusOK {
			return fmt.Sprint(r.status)
		}
		return fmt.Sprint(len(r.list()))
	}

	// costCenter removed, badge retyped to string, licenses.seats removed.
	e.declare("acme", "User", `{"id": "`+customURN+`", "attributes": [
		{"name": "badge", "type": "string"},
		{"name": "licenses", "type": "complex", "multiValued": true, "subAttributes": [{"name": "sku", "type": "string"}]}]}`, false)
	if got := show(); got != `{"licenses":[{"sku":"pro"}]}` {
		t.Errorf("after removing and retyping: %s", got)
	}
	if got := found(customURN + `:costCenter eq "CC-1"`); got != "400" {
		t.Errorf("filter on a removed attribute: %s", got)
	}
	if got := found(customURN + `:badge eq "5"`); got != "0" {
		t.Errorf("filter on a retyped attribute matched a value of the old type: %s", got)
	}
	// A PATCH of something else keeps what is hidden.
	e.must(http.StatusOK, "PATCH", e.base+"/Users/"+id, map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "Lin"}}})

	// With nothing of it shown, the user does not carry the extension.
	e.declare("acme", "User", `{"id": "`+customURN+`", "attributes": [{"name": "badge", "type": "string"}]}`, false)
	r := e.must(http.StatusOK, "GET", e.base+"/Users/"+id, nil)
	if got, _ := json.Marshal(r.body["schemas"]); string(got) != `["`+schema.UserURN+`"]` || r.body[customURN] != nil {
		t.Errorf("with nothing of the extension admitted: schemas %s, extension %v", got, r.body[customURN])
	}

	// Declared as it was: everything is back.
	e.declare("acme", "User", customDoc, false)
	if got := show(); got != `{"badge":5,"costCenter":"CC-1","licenses":[{"seats":2,"sku":"pro"}]}` {
		t.Errorf("declared again: %s", got)
	}
	if got := found(customURN + `:costCenter eq "CC-1"`); got != "1" {
		t.Errorf("filter once declared again: %s", got)
	}
}

// testRequiredExtension checks a required extension: resources without
// it are refused, except changes to those stored before it was required
// that do not send it.
func testRequiredExtension(t *testing.T, e *env) {
	before := e.createUser("before", nil).str("id")
	e.declare("acme", "User", customDoc, true)
	r := e.must(http.StatusOK, "GET", e.base+"/ResourceTypes/User", nil)
	if exts, _ := json.Marshal(r.body["schemaExtensions"]); !strings.Contains(string(exts), `{"required":true,"schema":"`+customURN+`"}`) {
		t.Errorf("schemaExtensions %s", exts)
	}
	wantError(t, e.do("POST", e.base+"/Users", map[string]any{"userName": "without"}), http.StatusBadRequest, "invalidValue")
	e.must(http.StatusCreated, "POST", e.base+"/Users", map[string]any{"userName": "with", customURN: map[string]any{"costCenter": "CC-1"}})
	e.must(http.StatusOK, "PATCH", e.base+"/Users/"+before, map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}}})
	with := e.createUser("with2", map[string]any{customURN: map[string]any{"costCenter": "CC-2"}}).str("id")
	wantError(t, e.do("PATCH", e.base+"/Users/"+with, map[string]any{"Operations": []any{map[string]any{"op": "remove", "path": customURN + ":costCenter"}}}),
		http.StatusBadRequest, "invalidValue")

	// An attribute that became required since does not stop updates
	// that leave the extension as it was; one that changes it must
	// bring the attribute.
	e.declare("acme", "User", strings.Replace(customDoc, `{"name": "vip", "type": "boolean"},`,
		`{"name": "vip", "type": "boolean"}, {"name": "region", "type": "string", "required": true},`, 1), true)
	for _, op := range []map[string]any{
		{"op": "Replace", "path": "displayName", "value": "Ada"},
		{"op": "replace", "path": "active", "value": "False"},
	} {
		e.must(http.StatusOK, "PATCH", e.base+"/Users/"+with, map[string]any{"Operations": []any{op}})
	}
	r = e.do("PATCH", e.base+"/Users/"+with, map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": customURN + ":costCenter", "value": "CC-3"}}})
	wantError(t, r, http.StatusBadRequest, "invalidValue")
	if d := r.str("detail"); !strings.Contains(d, `"region"`) {
		t.Errorf("detail %q does not name region", d)
	}
	e.must(http.StatusOK, "PATCH", e.base+"/Users/"+with, map[string]any{"Operations": []any{map[string]any{"op": "add", "path": customURN + ":region", "value": "eu"}}})
	e.declare("acme", "User", customDoc, false)
}

// TestExtensionsAcrossReplicas checks that a declaration made through one
// process's store reaches the SCIM server of another on the same
// database through the change feed, as the workspace's settings do.
func TestExtensionsAcrossReplicas(t *testing.T) {
	t.Parallel()
	for name, open := range twoProcesses() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t)
			e := newEnvOn(t, a, server.DefaultConfig(), nil)
			listed := func() bool {
				for _, s := range e.must(http.StatusOK, "GET", e.base+"/Schemas", nil).list() {
					if s["id"] == customURN {
						return true
					}
				}
				return false
			}
			if listed() {
				t.Fatal("listed before it is declared")
			}
			other := &env{t: t, st: b}
			other.declare("acme", "User", customDoc, false)
			deadline := time.Now().Add(5 * time.Second)
			for !listed() {
				if time.Now().After(deadline) {
					t.Fatal("the other process's declaration is not served after 5s")
				}
				time.Sleep(20 * time.Millisecond)
			}
			// And its deletion.
			if _, err := b.DeleteSchemaExtension(context.Background(), mustWorkspaceID(t, other, "acme"), customURN); err != nil {
				t.Fatal(err)
			}
			for listed() {
				if time.Now().After(deadline.Add(5 * time.Second)) {
					t.Fatal("the other process's deletion is not seen")
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func openSQLite(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openPostgres(t *testing.T, url string) store.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// twoProcesses opens, for each database, two stores on one database, as
// two replicas of scimd have.
func twoProcesses() map[string]func(t *testing.T) (store.Store, store.Store) {
	return map[string]func(t *testing.T) (store.Store, store.Store){
		"sqlite": func(t *testing.T) (store.Store, store.Store) {
			path := filepath.Join(t.TempDir(), "scimd.db")
			return openSQLite(t, path), openSQLite(t, path)
		},
		"postgres": func(t *testing.T) (store.Store, store.Store) {
			url := pgtest.URL(t)
			return openPostgres(t, url), openPostgres(t, url)
		},
	}
}

// TestExtensionFiltersInLargeWorkspaces checks what custom-attributes.md
// says of a large workspace: eq on a simple attribute of a declared
// extension is answered from its index whatever the workspace's size,
// other comparisons on extension attributes alone read every user and are
// refused beyond the bound, and one with an indexed comparison is
// answered.
func TestExtensionFiltersInLargeWorkspaces(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.MaxExamined = 3
	e := newEnvConfig(t, cfg)
	e.declare("acme", "User", customDoc, false)
	for i := range 5 {
		e.createUser(fmt.Sprintf("user%d", i), map[string]any{customURN: map[string]any{"badge": i, "costCenter": fmt.Sprintf("CC-%d", i%2)}})
	}
	for _, tt := range []struct {
		filter string
		want   int // -1: refused
	}{
		{customURN + ":badge eq 3", 1},
		{customURN + `:costCenter eq "cc-1"`, 2},
		{customURN + `:costCenter eq "cc-0"`, 3},
		{customURN + ":badge gt 3", -1},
		{customURN + `:costCenter co "1"`, -1},
		{`userName eq "user3" and ` + customURN + ":badge gt 2", 1},
	} {
		r := e.do("GET", e.base+"/Users?filter="+q(tt.filter), nil)
		if tt.want < 0 {
			wantError(t, r, http.StatusBadRequest, "tooMany")
			continue
		}
		if r.status != http.StatusOK || len(r.list()) != tt.want {
			t.Errorf("%s: %d %s; want %d users", tt.filter, r.status, r.raw, tt.want)
		}
	}
}

// TestExtensionUniqueness checks uniqueness "server" on an extension
// attribute through SCIM: a value another user of the workspace has is
// refused with 409 uniqueness, on create, PATCH and PUT.
func TestExtensionUniqueness(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, mk envMaker) {
		e := mk(t, server.DefaultConfig(), nil)
		other := e.newWorkspace("globex")
		doc := `{"id": "` + customURN + `", "attributes": [{"name": "badge", "type": "integer", "uniqueness": "server"}, {"name": "email", "type": "string", "uniqueness": "server"}]}`
		e.declare("acme", "User", doc, false)
		e.declare("globex", "User", doc, false)
		e.createUser("ada", map[string]any{customURN: map[string]any{"badge": 1, "email": "Ada@Example.com"}})
		bob := e.createUser("bob", map[string]any{customURN: map[string]any{"badge": 2}}).str("id")
		r := e.do("POST", e.base+"/Users", map[string]any{"userName": "eve", customURN: map[string]any{"badge": 1}})
		wantError(t, r, http.StatusConflict, "uniqueness")
		if d, _ := r.body["detail"].(string); !strings.Contains(d, "badge") {
			t.Errorf("detail %q does not name the attribute", d)
		}
		wantError(t, e.do("POST", e.base+"/Users", map[string]any{"userName": "eve", customURN: map[string]any{"email": "ada@example.COM"}}), http.StatusConflict, "uniqueness")
		wantError(t, e.do("PATCH", e.base+"/Users/"+bob, map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": customURN + ":badge", "value": 1}}}),
			http.StatusConflict, "uniqueness")
		wantError(t, e.do("PUT", e.base+"/Users/"+bob, map[string]any{"userName": "bob", customURN: map[string]any{"badge": 1}}), http.StatusConflict, "uniqueness")
		// Unique within the workspace only.
		if r := e.doToken(other, "POST", e.base+"/Users", map[string]any{"userName": "ada", customURN: map[string]any{"badge": 1}}); r.status != http.StatusCreated {
			t.Errorf("another workspace's badge 1: %d %s", r.status, r.raw)
		}
	})
}

// TestExtensionEvents checks what events say of extension attributes:
// carried as SCIM returns them, returned "request" included and
// "never" left out, and named one by one among those changed.
func TestExtensionEvents(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, mk envMaker) {
		e := mk(t, server.DefaultConfig(), nil)
		e.declare("acme", "User", customDoc, false)
		e.declare("acme", "Group", `{"id": "urn:acme:scim:Group", "attributes": [{"name": "region", "type": "string"}, {"name": "vault", "type": "string", "returned": "never"}]}`, false)
		id := e.createUser("ada", map[string]any{customURN: map[string]any{
			"costCenter": "CC-1", "secret": "s3cret", "tier": "gold", "licenses": []any{map[string]any{"sku": "pro", "seats": 1}}}}).str("id")
		patch := func(ops ...any) {
			t.Helper()
			e.must(http.StatusOK, "PATCH", e.base+"/Users/"+id, patchOps(ops...))
		}
		op := func(op, path string, value any) map[string]any {
			return map[string]any{"op": op, "path": path, "value": value}
		}
		patch(op("replace", customURN+":costCenter", "CC-2"), op("replace", customURN+`:licenses[sku eq "pro"].seats`, 2), op("replace", "title", "Engineer"))
		patch(op("replace", customURN+":secret", "other")) // nothing applications see
		patch(map[string]any{"op": "remove", "path": customURN + ":tier"})
		gid := e.must(http.StatusCreated, "POST", e.base+"/Groups", map[string]any{"displayName": "Ops",
			"urn:acme:scim:Group": map[string]any{"region": "EU", "vault": "v1"}}).str("id")
		e.must(http.StatusOK, "PUT", e.base+"/Groups/"+gid, map[string]any{"displayName": "Ops",
			"urn:acme:scim:Group": map[string]any{"region": "US", "vault": "v2"}})

		evs := e.events("acme")
		if got, want := types(evs), []string{"user.created", "user.updated", "user.updated", "group.created", "group.updated"}; !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		for _, ev := range evs {
			if strings.Contains(string(ev.Data), "s3cret") || strings.Contains(string(ev.Data), `"other"`) || strings.Contains(string(ev.Data), `"v1"`) ||
				strings.Contains(string(ev.Data), `"v2"`) || strings.Contains(string(ev.Data), "vault") || strings.Contains(string(ev.Data), `"secret"`) {
				t.Errorf("%s shows an attribute returned never: %s", ev.Type, ev.Data)
			}
		}
		type eventData struct {
			User, Group map[string]any
			Changed     []string
		}
		var data []eventData
		for _, ev := range evs {
			var d eventData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				t.Fatal(err)
			}
			data = append(data, d)
		}
		if got, _ := json.Marshal(ext(data[0].User, customURN)); string(got) != `{"costCenter":"CC-1","licenses":[{"seats":1,"sku":"pro"}],"tier":"gold"}` {
			t.Errorf("user.created carries %s", got)
		}
		for i, want := range map[int][]string{
			1: {"title", customURN + ":costCenter", customURN + ":licenses"},
			2: {customURN + ":tier"},
			4: {"urn:acme:scim:Group:region"},
		} {
			if !slices.Equal(data[i].Changed, want) {
				t.Errorf("%s changed %v, want %v", evs[i].Type, data[i].Changed, want)
			}
		}
		if got := ext(data[2].User, customURN); got["tier"] != nil || got["costCenter"] != "CC-2" {
			t.Errorf("user.updated after removing tier carries %v", got)
		}
		if got := ext(data[4].Group, "urn:acme:scim:Group"); fmt.Sprint(got) != "map[region:US]" {
			t.Errorf("group.updated carries %v", got)
		}
	})
}
