package schema_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/schema"
)

func TestExtend(t *testing.T) {
	t.Parallel()
	ext, err := schema.ParseDocument([]byte(validDocument))
	if err != nil {
		t.Fatal(err)
	}
	rt := schema.UserType.Extend(schema.Extension{Schema: ext, Required: true})
	if rt == schema.UserType || len(schema.UserType.Extensions) != 1 || len(rt.Extensions) != 2 {
		t.Fatalf("Extend changed the type it extends: %d, %d extensions", len(schema.UserType.Extensions), len(rt.Extensions))
	}
	if schema.UserType.Extend() != schema.UserType {
		t.Error("extending with nothing makes a copy")
	}
	if p, err := rt.ParsePath(ext.ID + ":licenses.sku"); err != nil || !p.Extension || p.Sub.Name != "sku" {
		t.Errorf("ParsePath: %+v, %v", p, err)
	}
	if _, err := schema.UserType.ParsePath(ext.ID + ":costCenter"); err == nil {
		t.Error("scimd's User type knows the extension")
	}

	// A required extension: a new document must carry it; a changed one
	// may lack it if it lacked it before.
	for _, tc := range []struct {
		name          string
		before, after string
		want          string // "" for no error
	}{
		{"new without", ``, `{"userName": "a"}`, "the extension " + ext.ID + " is required"},
		{"new with", ``, `{"userName": "a", "` + ext.ID + `": {"costCenter": "x"}}`, ""},
		{"new with a required attribute missing", ``, `{"userName": "a", "` + ext.ID + `": {"licenses": [{"sku": "pro"}, {"seats": 1}]}}`, `required sub-attribute "sku" of "licenses" is missing`},
		{"changed, lacked it", `{"userName": "a"}`, `{"userName": "b"}`, ""},
		{"changed, had it", `{"userName": "a", "` + ext.ID + `": {"costCenter": "x"}}`, `{"userName": "a"}`, "is required"},
	} {
		var before, after map[string]any
		if tc.before != "" {
			json.Unmarshal([]byte(tc.before), &before)
		}
		json.Unmarshal([]byte(tc.after), &after)
		err := rt.CheckRequiredChange(before, after)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestDeclared(t *testing.T) {
	t.Parallel()
	s, err := schema.ParseDocument([]byte(`{"id": "urn:acme:scim:User", "attributes": [
		{"name": "n", "type": "integer"},
		{"name": "tags", "type": "string", "multiValued": true},
		{"name": "c", "type": "complex", "subAttributes": [{"name": "a", "type": "string"}, {"name": "hidden", "type": "string", "returned": "never"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		attr, value, want string
	}{
		{"n", `5`, `5`},
		{"n", `"5"`, `null`}, // stored as a string under an earlier declaration
		{"n", `[5]`, `null`}, // stored multi-valued
		{"tags", `["a", 1, "b"]`, `["a","b"]`},
		{"tags", `"a"`, `null`},
		{"c", `{"a": "x", "hidden": "y", "gone": "z"}`, `{"a":"x"}`},
		{"c", `{"a": 1}`, `null`},
		{"c", `"x"`, `null`},
	} {
		var v any
		json.Unmarshal([]byte(tc.value), &v)
		got, _ := json.Marshal(schema.Declared(s.Attr(tc.attr), v))
		if string(got) != tc.want {
			t.Errorf("Declared(%s, %s) = %s, want %s", tc.attr, tc.value, got, tc.want)
		}
	}
}
