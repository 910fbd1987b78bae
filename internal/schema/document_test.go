package schema_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/schema"
)

const validDocument = `{
  "id": "urn:ietf:params:scim:schemas:extension:acme:2.0:User",
  "name": "AcmeUser",
  "description": "Acme's attributes",
  "attributes": [
    {"name": "costCenter", "type": "string"},
    {"name": "badge", "type": "integer", "uniqueness": "server", "returned": "always"},
    {"name": "secretCode", "type": "string", "returned": "never", "caseExact": true},
    {"name": "homepage", "type": "reference", "referenceTypes": ["external"]},
    {"name": "licenses", "type": "complex", "multiValued": true, "subAttributes": [
      {"name": "sku", "type": "string", "required": true, "canonicalValues": ["pro", "free"]},
      {"name": "seats", "type": "integer"},
      {"name": "$ref", "type": "reference"}
    ]}
  ]
}`

func TestParseDocument(t *testing.T) {
	t.Parallel()
	s, err := schema.ParseDocument([]byte(validDocument))
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "urn:ietf:params:scim:schemas:extension:acme:2.0:User" || s.Name != "AcmeUser" || len(s.Attributes) != 5 {
		t.Fatalf("parsed %+v", s)
	}
	// Characteristics left out take RFC 7643 §2.2's defaults.
	cc := s.Attr("COSTCENTER")
	want := &schema.Attribute{Name: "costCenter", Type: schema.String, Mutability: schema.ReadWrite, Returned: schema.Default, Uniqueness: schema.None}
	if !reflect.DeepEqual(cc, want) {
		t.Errorf("costCenter = %+v, want %+v", cc, want)
	}
	if a := s.Attr("homepage"); !a.CaseExact {
		t.Errorf("a reference is case-exact unless declared otherwise: %+v", a)
	}
	if a := s.Attr("badge"); a.Uniqueness != schema.Server || a.Returned != schema.Always {
		t.Errorf("badge = %+v", a)
	}
	if sub := s.Attr("licenses").Sub("sku"); sub == nil || !sub.Required || len(sub.CanonicalValues) != 2 {
		t.Errorf("licenses.sku = %+v", sub)
	}
	// What it serves at /Schemas reads back as the same declaration.
	b, _ := json.Marshal(s)
	again, err := schema.ParseDocument(b)
	if err != nil || !reflect.DeepEqual(again, s) {
		t.Errorf("round trip: %+v, %v", again, err)
	}
	// A name is made from the URN when the document has none.
	s, err = schema.ParseDocument([]byte(`{"id": "urn:acme:scim:Badge", "attributes": [{"name": "n", "type": "string"}]}`))
	if err != nil || s.Name != "Badge" {
		t.Errorf("name from URN: %+v, %v", s, err)
	}
}

func TestParseDocumentErrors(t *testing.T) {
	t.Parallel()
	attrs := func(a string) string {
		return `{"id": "urn:acme:scim:User", "attributes": [` + a + `]}`
	}
	tests := []struct {
		name, doc string
		want      []string // each a problem reported, in part
	}{
		{"not JSON", `{"id":`, []string{"not JSON"}},
		{"not an object", `[]`, []string{"must be a JSON object"}},
		{"two values", `{} {}`, []string{"more than one JSON value"}},
		{"no id", `{"attributes": [{"name": "a", "type": "string"}]}`, []string{"id: missing"}},
		{"not a URN", `{"id": "acme", "attributes": [{"name": "a", "type": "string"}]}`, []string{`id: "acme" is not a URN`}},
		{"core User", `{"id": "urn:ietf:params:scim:schemas:core:2.0:User", "attributes": [{"name": "a", "type": "string"}]}`, []string{"defined by scimd"}},
		{"enterprise, other case", `{"id": "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User", "attributes": [{"name": "a", "type": "string"}]}`, []string{"defined by scimd"}},
		{"core namespace", `{"id": "urn:ietf:params:scim:schemas:core:2.0:Device", "attributes": [{"name": "a", "type": "string"}]}`, []string{"reserve"}},
		{"space in URN", `{"id": "urn:acme:my ext", "attributes": [{"name": "a", "type": "string"}]}`, []string{`has ' '`}},
		{"empty segment", `{"id": "urn:acme::User", "attributes": [{"name": "a", "type": "string"}]}`, []string{"empty segment"}},
		{"short URN", `{"id": "urn:acme", "attributes": [{"name": "a", "type": "string"}]}`, []string{"no namespace-specific part"}},
		{"no attributes", `{"id": "urn:acme:scim:User"}`, []string{"attributes: missing"}},
		{"empty attributes", attrs(``), []string{"attributes: is empty"}},
		{"unknown field", `{"id": "urn:acme:scim:User", "attribute": [], "attributes": [{"name": "a", "type": "string"}]}`, []string{"attribute: unknown field"}},
		{"bad type", attrs(`{"name": "a", "type": "string"}, {"name": "b", "type": "boolean"}, {"name": "c", "type": "strng"}`),
			[]string{`attributes[2].type: "strng" is not one of string, boolean, decimal, integer, dateTime, reference, complex, binary`}},
		{"no type", attrs(`{"name": "a"}`), []string{"attributes[0].type: missing"}},
		{"no name", attrs(`{"type": "string"}`), []string{"attributes[0].name: missing"}},
		{"name starts with digit", attrs(`{"name": "1st", "type": "string"}`), []string{"must start with a letter"}},
		{"name with dot", attrs(`{"name": "cost.center", "type": "string"}`), []string{`has '.'`}},
		{"name with colon", attrs(`{"name": "a:b", "type": "string"}`), []string{`has ':'`}},
		{"$ref at top level", attrs(`{"name": "$ref", "type": "reference"}`), []string{"must start with a letter"}},
		{"duplicate", attrs(`{"name": "region", "type": "string"}, {"name": "Region", "type": "string"}`), []string{`attributes[1].name: "Region" is declared already at attributes[0]`}},
		{"duplicate sub", attrs(`{"name": "c", "type": "complex", "subAttributes": [{"name": "x", "type": "string"}, {"name": "X", "type": "string"}]}`), []string{"attributes[0].subAttributes[1].name"}},
		{"complex sub", attrs(`{"name": "c", "type": "complex", "subAttributes": [{"name": "x", "type": "complex", "subAttributes": [{"name": "y", "type": "string"}]}]}`),
			[]string{"attributes[0].subAttributes[0].type: a sub-attribute cannot be complex"}},
		{"complex without subs", attrs(`{"name": "c", "type": "complex"}`), []string{"attributes[0].subAttributes: missing"}},
		{"subs of a string", attrs(`{"name": "c", "type": "string", "subAttributes": [{"name": "y", "type": "string"}]}`), []string{"only complex attributes"}},
		{"bad mutability", attrs(`{"name": "a", "type": "string", "mutability": "readwrite"}`), []string{`"readwrite" is not one of readWrite, immutable, readOnly, writeOnly`}},
		{"writeOnly", attrs(`{"name": "a", "type": "string", "mutability": "writeOnly"}`), []string{"writeOnly is not supported"}},
		{"bad returned", attrs(`{"name": "a", "type": "string", "returned": "sometimes"}`), []string{"attributes[0].returned"}},
		{"global", attrs(`{"name": "a", "type": "string", "uniqueness": "global"}`), []string{"global is not supported"}},
		{"unique multi", attrs(`{"name": "a", "type": "string", "multiValued": true, "uniqueness": "server"}`), []string{"attributes[0].uniqueness"}},
		{"not a boolean", attrs(`{"name": "a", "type": "string", "required": "yes"}`), []string{"attributes[0].required: must be true or false, not a string"}},
		{"unknown characteristic", attrs(`{"name": "a", "type": "string", "mutablity": "readOnly"}`), []string{"attributes[0].mutablity: unknown characteristic"}},
		{"canonical of integer", attrs(`{"name": "a", "type": "integer", "canonicalValues": ["1"]}`), []string{"only string attributes"}},
		{"attribute not object", attrs(`"costCenter"`), []string{"attributes[0]: must be an object"}},
		{"every problem", attrs(`{"name": "a", "type": "strng"}, {"name": "b", "type": "string", "returned": "no"}`),
			[]string{"attributes[0].type", "attributes[1].returned"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := schema.ParseDocument([]byte(tt.doc))
			var de *schema.DocumentError
			if !errors.As(err, &de) {
				t.Fatalf("ParseDocument = %+v, %v; want a DocumentError", s, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if len(de.Problems) < len(tt.want) {
				t.Errorf("problems %q, want at least %d", de.Problems, len(tt.want))
			}
		})
	}
}

func TestParseDocumentLimits(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"id": "urn:acme:scim:User", "attributes": [`)
	for i := range schema.MaxAttributes + 1 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"name": "a` + strings.Repeat("x", i%50) + string(rune('a'+i%26)) + `", "type": "string"}`)
	}
	b.WriteString(`]}`)
	_, err := schema.ParseDocument([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "more than 200 attributes") {
		t.Errorf("too many attributes: %v", err)
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	old, err := schema.ParseDocument([]byte(validDocument))
	if err != nil {
		t.Fatal(err)
	}
	mustParse := func(doc string) *schema.Schema {
		s, err := schema.ParseDocument([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	added := mustParse(strings.Replace(validDocument, `{"name": "costCenter", "type": "string"},`, `{"name": "costCenter", "type": "string"}, {"name": "region", "type": "string"},`, 1))
	if notes := schema.Compare(old, added); len(notes) != 0 {
		t.Errorf("adding an attribute: %q", notes)
	}
	changed := mustParse(`{"id": "urn:ietf:params:scim:schemas:extension:acme:2.0:User", "attributes": [
		{"name": "costCenter", "type": "integer"},
		{"name": "badge", "type": "integer", "multiValued": true},
		{"name": "secretCode", "type": "string"},
		{"name": "licenses", "type": "complex", "multiValued": true, "subAttributes": [{"name": "sku", "type": "string"}]}]}`)
	notes := strings.Join(schema.Compare(old, changed), "\n")
	for _, w := range []string{
		"costCenter changes from string to integer",
		"badge changes from integer to multi-valued integer",
		"homepage is no longer declared",
		"licenses.seats is no longer declared",
	} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes %q do not say %q", notes, w)
		}
	}
	if strings.Contains(notes, "secretCode") {
		t.Errorf("a change of returned changes nothing stored: %q", notes)
	}
}

// FuzzParseDocument checks that the parser never panics, and that what
// it accepts it accepts again as it serves it.
func FuzzParseDocument(f *testing.F) {
	f.Add([]byte(validDocument))
	f.Add([]byte(`{"id": "urn:a:b", "attributes": [{"name": "x", "type": "complex", "subAttributes": [{"name": "$ref", "type": "reference"}]}]}`))
	f.Add([]byte(`{"id": "urn:a:b", "attributes": [{"name": "x", "type": "strng", "multiValued": 1}]}`))
	f.Add([]byte(`{"id": "urn:ietf:params:scim:schemas:core:2.0:User", "attributes": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := schema.ParseDocument(data)
		if err != nil {
			var de *schema.DocumentError
			if !errors.As(err, &de) || len(de.Problems) == 0 {
				t.Fatalf("error %v is not a DocumentError with problems", err)
			}
			return
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		again, err := schema.ParseDocument(b)
		if err != nil {
			t.Fatalf("%s was accepted, but not as served (%s): %v", data, b, err)
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("%s reads back as %+v, not %+v", b, again, s)
		}
	})
}
