package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

// TestSchemaInfer keeps an extension a workspace has not declared,
// proposes its declaration with scimd schema infer, and declares what it
// printed, as an operator does.
func TestSchemaInfer(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := &cli{t: t, db: s.db, server: s.url, admin: s.admin}
	const urn = "urn:ietf:params:scim:schemas:extension:Acme:2.0:User"
	scim := func(method, path, body string) string {
		t.Helper()
		req, _ := http.NewRequest(method, s.url+"/scim/v2"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.scim)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return string(b)
	}

	c.fails("carry no extension without its declaration", "schema", "infer", "--workspace", "default")
	c.must("workspace", "set", "default", "undeclaredExtensions=keep")
	scim("POST", "/Users", `{"userName": "ada", "`+urn+`": {"costCenter": "CC-42", "badge": 7, "vip": true, "hired": "2024-01-02T03:04:05Z",
		"licenses": [{"sku": "pro", "seats": 3}], "manager": {"value": "m-1"}, "mixed": "x"}}`)
	scim("POST", "/Users", `{"userName": "bob", "`+urn+`": {"costCenter": "CC-7", "badge": 8, "ratio": 0.5, "mixed": 1}}`)
	scim("POST", "/Users", `{"userName": "eve", "urn:other:scim:User": {"a": "b"}}`)

	out, err := c.run("schema", "infer", "--workspace", "default", "--resource-type", "User", urn)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id": "` + urn + `"`, `"name": "Acme"`, `"name": "badge",` + "\n      \"type\": \"integer\"",
		`"name": "hired",` + "\n      \"type\": \"dateTime\"", `"name": "vip",` + "\n      \"type\": \"boolean\"",
		`"name": "ratio",` + "\n      \"type\": \"decimal\"", `"multiValued": true`, `"name": "sku"`, "several types were seen (integer, string)"} {
		if !strings.Contains(out, want) {
			t.Errorf("infer lacks %q:\n%s", want, out)
		}
	}
	// Several URNs: one document after another.
	var l admin.UndeclaredSchemaList
	c.mustJSON(&l, "schema", "infer", "--workspace", "default")
	if len(l.Schemas) != 2 || l.Schemas[0].URN != urn || l.Schemas[0].Resources != 2 || l.Schemas[0].Sampled != 3 || l.Schemas[1].URN != "urn:other:scim:User" {
		t.Errorf("infer --json: %+v", l)
	}
	c.fails("carry no attribute under urn:nope:User", "schema", "infer", "--workspace", "default", "urn:nope:User")
	c.fails("is not User or Group", "schema", "infer", "--workspace", "default", "--resource-type", "Robot")
	c.fails("usage: scimd schema infer", "schema", "infer", "--workspace", "default", urn, "extra")

	// What it printed declares the extension: kept values of its types
	// are returned as declared, filterable with more than eq.
	file := filepath.Join(t.TempDir(), "acme.json")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := c.must("schema", "set", "--workspace", "default", "--resource-type", "User", file); !strings.Contains(out, "declared "+urn) {
		t.Errorf("set:\n%s", out)
	}
	if got := scim("GET", "/Users?filter="+url.QueryEscape(urn+":badge gt 7"), ""); !strings.Contains(got, `"userName":"bob"`) || strings.Contains(got, `"userName":"ada"`) {
		t.Errorf("filter on the declared extension: %s", got)
	}
	var after admin.UndeclaredSchemaList
	c.mustJSON(&after, "schema", "infer", "--workspace", "default")
	if len(after.Schemas) != 1 || after.Schemas[0].URN != "urn:other:scim:User" {
		t.Errorf("infer once declared: %+v", after)
	}
}

// TestExtensionAttributesAudited: changes of a declared extension's
// attributes are in the audit log's diffs, as core attributes' are, by
// URN-qualified path; one returned never is not.
func TestExtensionAttributesAudited(t *testing.T) {
	t.Parallel()
	bothWays(t, func(t *testing.T, s *testServer, c *cli) {
		const urn = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
		doc := filepath.Join(t.TempDir(), "ext.json")
		if err := os.WriteFile(doc, []byte(`{"id": "`+urn+`", "attributes": [
			{"name": "costCenter", "type": "string"}, {"name": "pin", "type": "string", "returned": "never"}]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		c.must("schema", "set", "--workspace", "default", "--resource-type", "User", doc)
		st, u := s.scimDo(t, "POST", "/Users", map[string]any{"userName": "ada", urn: map[string]any{"costCenter": "CC-1", "pin": "1234"}})
		if st != http.StatusCreated {
			t.Fatalf("create: %d %v", st, u)
		}
		id := u["id"].(string)
		st, u = s.scimDo(t, "PATCH", "/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "path": urn + ":costCenter", "value": "CC-2"},
				map[string]any{"op": "replace", "path": urn + ":pin", "value": "9876"}}})
		if st != http.StatusOK {
			t.Fatalf("patch: %d %v", st, u)
		}
		out := c.must("audit", "--json", "--workspace", "default", "--channel", "scim", "--target", id)
		for _, secret := range []string{"1234", "9876", "pin"} {
			if strings.Contains(out, secret) {
				t.Errorf("the audit log shows %q, returned never:\n%s", secret, out)
			}
		}
		var diffs []map[string]any
		for line := range strings.Lines(out) {
			var e struct {
				Payload struct {
					Diff map[string]any `json:"diff"`
				} `json:"payload"`
			}
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			diffs = append(diffs, e.Payload.Diff)
		}
		if len(diffs) != 2 || fmt.Sprint(diffs[0][urn+":costCenter"]) != "map[new:CC-1]" || fmt.Sprint(diffs[1][urn+":costCenter"]) != "map[new:CC-2 old:CC-1]" {
			t.Errorf("diffs %v", diffs)
		}
		if table := c.must("audit", "--workspace", "default", "--target", id); !strings.Contains(table, urn+":costCenter") {
			t.Errorf("the table does not name the attribute:\n%s", table)
		}
	})
}
