package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimd/scimd/client/admin"
)

// TestSchemaCommands declares, changes, lists, shows and deletes an
// extension schema as an operator types it.
func TestSchemaCommands(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.must("workspace", "create", "acme")
	dir := t.TempDir()
	file := func(name, doc string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const urn = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	v1 := file("v1.json", `{"id": "`+urn+`", "name": "Acme", "attributes": [
		{"name": "costCenter", "type": "string"},
		{"name": "licenses", "type": "complex", "multiValued": true, "subAttributes": [{"name": "sku", "type": "string"}]}]}`)

	if out := c.must("schema", "list", "--workspace", "acme"); !strings.Contains(out, "no extension schema is declared") {
		t.Errorf("list before any:\n%s", out)
	}
	if out := c.must("schema", "set", "--workspace", "acme", "--resource-type", "User", "--required", v1); !strings.Contains(out, "declared "+urn+" for User of workspace acme (required)") {
		t.Errorf("set:\n%s", out)
	}
	out := c.must("schema", "list", "--workspace", "acme")
	for _, want := range []string{"RESOURCE TYPE", "User", urn, "yes", "costCenter,licenses,licenses.sku"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	out = c.must("schema", "show", "--workspace", "acme", urn)
	for _, want := range []string{"resource type:  User", `"name": "costCenter"`, `"mutability": "readWrite"`} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	var e admin.SchemaExtension
	c.mustJSON(&e, "schema", "show", "--workspace", "acme", urn)
	if e.URN != urn || !e.Required {
		t.Errorf("show --json: %+v", e)
	}

	// A change says what becomes of stored values; flags may follow the file.
	v2 := file("v2.json", `{"id": "`+urn+`", "attributes": [{"name": "costCenter", "type": "integer"}]}`)
	out = c.must("schema", "set", v2, "--workspace", "acme", "--resource-type", "User")
	for _, want := range []string{"changed " + urn, "note: costCenter changes from string to integer", "note: licenses is no longer declared"} {
		if !strings.Contains(out, want) {
			t.Errorf("set again lacks %q:\n%s", want, out)
		}
	}
	if out := c.must("schema", "show", "--workspace", "acme", urn); !strings.Contains(out, "required:       no\n") {
		t.Errorf("show of an extension not required:\n%s", out)
	}

	c.fails(`attributes[0].type: "strng" is not one of`, "schema", "set", "--workspace", "acme", "--resource-type", "User",
		file("bad.json", `{"id": "urn:acme:scim:User", "attributes": [{"name": "a", "type": "strng"}]}`))
	c.fails("is not JSON", "schema", "set", "--workspace", "acme", "--resource-type", "User", file("broken.json", `{"id": `))
	c.fails("with its URN in id", "schema", "set", "--workspace", "acme", "--resource-type", "User", file("noid.json", `{"attributes": []}`))
	c.fails("usage: scimd schema set", "schema", "set", "--workspace", "acme", v1)
	c.fails("declared for another resource type", "schema", "set", "--workspace", "acme", "--resource-type", "Group", v1)

	if out := c.must("schema", "delete", "--workspace", "acme", urn); !strings.Contains(out, "deleted "+urn) {
		t.Errorf("delete:\n%s", out)
	}
	c.fails("declares no schema", "schema", "delete", "--workspace", "acme", urn)
	c.fails("declares no schema", "schema", "show", "--workspace", "acme", urn)
}
