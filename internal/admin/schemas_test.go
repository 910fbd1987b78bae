package admin

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

const acmeURN = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"

func schemaBody(resourceType string, required bool, attrs string) string {
	b, _ := json.Marshal(map[string]any{"resource_type": resourceType, "required": required,
		"schema": json.RawMessage(`{"id": "` + acmeURN + `", "name": "Acme", "attributes": [` + attrs + `]}`)})
	return string(b)
}

// TestSchemas checks declaring, reading, changing and deleting extension
// schemas, and the audit entries of the writes.
func TestSchemaDeclarations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "workspaces/acme/schemas/" + acmeURN

	if m := e.do("GET", "workspaces/acme/schemas", "").want(http.StatusOK); len(m["schemas"].([]any)) != 0 {
		t.Errorf("before any: %v", m)
	}
	e.do("GET", path, "").wantError(http.StatusNotFound, CodeSchemaNotFound)

	m := e.do("PUT", path, schemaBody("User", true, `{"name": "costCenter", "type": "string"}, {"name": "badge", "type": "integer"}`)).want(http.StatusCreated)
	if m["urn"] != acmeURN || m["resource_type"] != "User" || m["required"] != true || m["notes"] != nil {
		t.Errorf("declared %v", m)
	}
	// The document is answered as scimd reads it, defaults spelt out.
	attr := m["schema"].(map[string]any)["attributes"].([]any)[0].(map[string]any)
	if attr["mutability"] != "readWrite" || attr["returned"] != "default" || attr["uniqueness"] != "none" || attr["multiValued"] != false {
		t.Errorf("attribute as read: %v", attr)
	}
	// By URN in any case.
	if m := e.do("GET", "workspaces/acme/schemas/"+strings.ToUpper(acmeURN[:3])+acmeURN[3:], "").want(http.StatusOK); m["urn"] != acmeURN {
		t.Errorf("got %v", m)
	}

	// Adding attributes changes nothing stored; removing or retyping
	// says what becomes of stored values.
	e.now = e.now.Add(time.Hour)
	m = e.do("PUT", path, schemaBody("User", false, `{"name": "costCenter", "type": "string"}, {"name": "badge", "type": "integer"}, {"name": "region", "type": "string"}`)).want(http.StatusOK)
	if m["notes"] != nil || m["required"] != false || m["created"] == m["updated"] {
		t.Errorf("after adding: %v", m)
	}
	m = e.do("PUT", path, schemaBody("User", false, `{"name": "costCenter", "type": "integer"}`)).want(http.StatusOK)
	notes, _ := json.Marshal(m["notes"])
	for _, w := range []string{"costCenter changes from string to integer", "badge is no longer declared", "region is no longer declared"} {
		if !strings.Contains(string(notes), w) {
			t.Errorf("notes %s do not say %q", notes, w)
		}
	}
	if entries := e.audit("schema.set"); len(entries) != 3 || entries[0].Target != acmeURN || entries[0].WorkspaceID != e.acmeID {
		t.Errorf("audit entries %+v", entries)
	} else if !strings.Contains(string(entries[0].Payload), "no longer declared") {
		t.Errorf("the audit entry of a change keeps its notes: %s", entries[0].Payload)
	}

	// Bad declarations change nothing and say what to fix.
	for _, tc := range []struct {
		name, path, body string
		status           int
		code, want       string
	}{
		{"bad type", path, schemaBody("User", false, `{"name": "a", "type": "string"}, {"name": "b", "type": "string"}, {"name": "c", "type": "strng"}`),
			400, CodeInvalidValue, `attributes[2].type: "strng" is not one of string, boolean`},
		{"every problem", path, schemaBody("User", false, `{"name": "1a", "type": "string"}, {"name": "c", "type": "complex"}`),
			400, CodeInvalidValue, `attributes[1].subAttributes: missing`},
		{"other resource type", path, schemaBody("Group", false, `{"name": "a", "type": "string"}`), 409, CodeSchemaDeclared, "declared for another resource type"},
		{"no such resource type", path, schemaBody("Device", false, `{"name": "a", "type": "string"}`), 400, CodeInvalidValue, `"Device" is not User or Group`},
		{"URN not the path's", "workspaces/acme/schemas/urn:acme:other:User", schemaBody("User", false, `{"name": "a", "type": "string"}`), 400, CodeInvalidValue, "not the URN of the path"},
		{"core URN", "workspaces/acme/schemas/urn:ietf:params:scim:schemas:core:2.0:User",
			`{"resource_type": "User", "schema": {"id": "urn:ietf:params:scim:schemas:core:2.0:User", "attributes": [{"name": "a", "type": "string"}]}}`, 400, CodeInvalidValue, "defined by scimd"},
		{"URN within another", "workspaces/acme/schemas/" + acmeURN + ":v2",
			`{"resource_type": "User", "schema": {"id": "` + acmeURN + `:v2", "attributes": [{"name": "a", "type": "string"}]}}`, 400, CodeInvalidValue, "begin alike"},
		{"URN within enterprise", "workspaces/acme/schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:x",
			`{"resource_type": "User", "schema": {"id": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:x", "attributes": [{"name": "a", "type": "string"}]}}`, 400, CodeInvalidValue, "begin alike"},
		{"no schema", path, `{"resource_type": "User"}`, 400, CodeInvalidValue, "schema is missing"},
		{"unknown field", path, `{"resource_type": "User", "schema": {}, "requried": true}`, 400, CodeInvalidJSON, "requried"},
		{"no workspace", "workspaces/nope/schemas/" + acmeURN, schemaBody("User", false, `{"name": "a", "type": "string"}`), 404, CodeWorkspaceNotFound, "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := e.do("PUT", tc.path, tc.body).wantError(tc.status, tc.code)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not say %q", msg, tc.want)
			}
		})
	}
	if m := e.do("GET", path, "").want(http.StatusOK); len(m["schema"].(map[string]any)["attributes"].([]any)) != 1 {
		t.Errorf("a refused declaration changed the stored one: %v", m)
	}

	// A Group extension beside it; listed by resource type.
	e.do("PUT", "workspaces/acme/schemas/urn:acme:scim:Group", `{"resource_type": "Group", "schema": {"id": "urn:acme:scim:Group", "attributes": [{"name": "region", "type": "string"}]}}`).want(http.StatusCreated)
	var list SchemaExtensionList
	if err := json.Unmarshal(e.do("GET", "workspaces/acme/schemas", "").body, &list); err != nil {
		t.Fatal(err)
	}
	var urns []string
	for _, s := range list.Schemas {
		urns = append(urns, s.ResourceType+" "+s.URN)
	}
	if want := []string{"Group urn:acme:scim:Group", "User " + acmeURN}; !slices.Equal(urns, want) {
		t.Errorf("listed %q, want %q", urns, want)
	}

	e.do("DELETE", path, "").want(http.StatusNoContent)
	e.do("DELETE", path, "").wantError(http.StatusNotFound, CodeSchemaNotFound)
	e.do("GET", path, "").wantError(http.StatusNotFound, CodeSchemaNotFound)
	if entries := e.audit("schema.delete"); len(entries) != 2 || entries[1].Target != acmeURN || entries[1].Status != http.StatusNoContent {
		t.Errorf("audit entries %+v", entries)
	}
}

// TestSchemaUniqueValuesTaken checks that an attribute whose values users
// share cannot be declared unique, and that the declaration stays as it
// was.
func TestSchemaUniqueValuesTaken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "workspaces/acme/schemas/" + acmeURN
	e.do("PUT", path, schemaBody("User", false, `{"name": "badge", "type": "integer"}`)).want(http.StatusCreated)
	for _, id := range []string{"usr_a", "usr_b"} {
		r := &store.Resource{Type: "User", ID: id, WorkspaceID: e.acmeID, Doc: map[string]any{"userName": id, acmeURN: map[string]any{"badge": 7}}}
		if err := e.st.CreateResource(e.ctx, r, store.Effects{}); err != nil {
			t.Fatal(err)
		}
	}
	msg := e.do("PUT", path, schemaBody("User", false, `{"name": "badge", "type": "integer", "uniqueness": "server"}`)).wantError(http.StatusBadRequest, CodeInvalidValue)
	if !strings.Contains(msg, `badge cannot have uniqueness "server"`) {
		t.Errorf("message %q", msg)
	}
	if m := e.do("GET", path, "").want(http.StatusOK); strings.Contains(string(e.do("GET", path, "").body), `"uniqueness": "server"`) || m["urn"] != acmeURN {
		t.Errorf("a refused declaration changed the stored one: %v", m)
	}
}

// TestUserViewHidesNeverReturned checks that a user's page shows a
// declared extension's attributes as SCIM returns them: not one that is
// never returned.
func TestUserViewHidesNeverReturned(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do("PUT", "workspaces/acme/schemas/"+acmeURN, schemaBody("User", false,
		`{"name": "badge", "type": "integer"}, {"name": "pin", "type": "string", "returned": "never"}`)).want(http.StatusCreated)
	r := &store.Resource{Type: "User", ID: "usr_a", WorkspaceID: e.acmeID, Doc: map[string]any{"userName": "ann", acmeURN: map[string]any{"badge": 7, "pin": "1234"}}}
	if err := e.st.CreateResource(e.ctx, r, store.Effects{}); err != nil {
		t.Fatal(err)
	}
	ext, _ := e.do("GET", "workspaces/acme/users/usr_a", "").want(http.StatusOK)["scim"].(map[string]any)[acmeURN].(map[string]any)
	if ext["badge"] != 7.0 || ext["pin"] != nil {
		t.Errorf("extension shown %v, want badge 7 and no pin", ext)
	}
}
