package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
)

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"userName", "name.givenName", "emails", `emails[type eq "work"]`, `emails[type eq "work"].value`,
		`emails[value eq "a]b\"]c"].display`, `addresses[type eq "work" and not (primary eq true)].formatted`,
		`members[value eq "x" or value eq "y"]`, `phoneNumbers[primary eq true].value`,
		schema.EnterpriseUserURN, schema.EnterpriseUserURN + ":manager.value",
		schema.UserURN + `:emails[type eq "work"].value`, `emails[type eq "work"`, `emails[]`, `[`, `]`, `"`,
		`emails[value co "\u005d"]`, `x509Certificates[value pr].display`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, rt := range schema.ResourceTypes {
			p, err := ParsePath(rt, s)
			if err != nil {
				checkClientError(t, err)
				continue
			}
			// The canonical form parses to the same target.
			q, err := ParsePath(rt, p.String())
			if err != nil {
				t.Fatalf("ParsePath(%q) = %q, which does not parse: %v", s, p.String(), err)
			}
			if q.Attr != p.Attr || (q.Filter == nil) != (p.Filter == nil) {
				t.Fatalf("ParsePath(%q) = %q, which parses differently", s, p.String())
			}
		}
	})
}

// fuzzUser is the document FuzzApply patches.
const fuzzUser = `{
	"userName": "bjensen", "externalId": "701984", "displayName": "Babs Jensen", "active": true,
	"name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen III"},
	"emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, {"value": "babs@jensen.org", "type": "home"}],
	"phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
	"addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "postalCode": "91608", "country": "USA", "primary": true}],
	"x509Certificates": [{"value": "TUlJRHFEQ0NBcENnQXdJQkFnSUpBTGd2"}],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984", "department": "Tour Operations", "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}
}`

const fuzzGroup = `{"displayName": "Tour Guides", "members": [{"value": "u1", "type": "User"}, {"value": "u2", "type": "User"}, {"value": "g1", "type": "Group"}]}`

var fuzzOps = []string{
	`[{"op": "replace", "value": {"active": false}}]`,
	`[{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "x@contoso.com"}, {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m2"}]`,
	`[{"op": "replace", "value": {"name.givenName": "B", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "1", "id": "x"}}]`,
	`[{"op": "add", "path": "emails", "value": [{"value": "a@b.c", "primary": "True"}]}, {"op": "remove", "path": "name.givenName"}]`,
	`[{"op": "remove", "path": "emails[type eq \"home\"]"}, {"op": "replace", "path": "phoneNumbers[primary eq true].value", "value": "1"}]`,
	`[{"op": "remove", "path": "emails", "value": [{"value": "BJENSEN@example.com"}]}, {"op": "add", "path": "id", "value": "x"}]`,
	`[{"op": "replace", "path": "addresses[type eq \"work\"]", "value": {"type": "home", "primary": false}}, {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`,
	`[{"op": "add", "path": "members", "value": [{"value": "u3"}]}, {"op": "remove", "path": "members[value eq \"u1\" or value eq \"g1\"]"}]`,
	`[{"op": "replace", "path": "members", "value": []}, {"op": "add", "value": {"members": [{"value": "u9", "type": "User"}], "displayName": "X"}}]`,
	`[{"op": "remove", "path": "members", "value": [{"value": "u2"}]}, {"op": "replace", "path": "members[value eq \"u1\"].type", "value": "User"}]`,
	`[{"op": "replace", "path": "emails.primary", "value": true}]`,
	`[{"op": "add", "path": "x509Certificates[value eq \"TUlJ\"].value", "value": "TUlJ"}]`,
}

func decodeFuzzOps(data []byte) ([]Operation, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var ops []Operation
	if dec.Decode(&ops) != nil {
		return nil, false
	}
	return ops, true
}

func checkClientError(t *testing.T, err error) {
	t.Helper()
	var e *scimerr.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.ScimType == "" || e.Detail == "" {
		t.Fatalf("error is not a 400 with a scimType and a detail: %v", err)
	}
}

// FuzzApply applies random operations to a fixed User: Apply never panics,
// never changes its input, fails only with 400 errors and returns documents
// in canonical form.
func FuzzApply(f *testing.F) {
	for _, s := range fuzzOps {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, ok := decodeFuzzOps(data)
		if !ok {
			return
		}
		doc := decodeDoc(t, fuzzUser)
		doc, err := schema.UserType.Normalize(doc)
		if err != nil {
			t.Fatal(err)
		}
		before := copyMap(doc)
		got, err := Apply(schema.UserType, doc, ops)
		if !reflect.DeepEqual(doc, before) {
			t.Fatalf("Apply changed its input (error %v)", err)
		}
		if err != nil {
			checkClientError(t, err)
			if got != nil {
				t.Fatal("a document with an error")
			}
			return
		}
		again, err := schema.UserType.Normalize(copyMap(got))
		if err != nil {
			t.Fatalf("the result does not normalize: %v\n%s", err, mustMarshal(t, got))
		}
		if !reflect.DeepEqual(plain(t, again), plain(t, got)) {
			t.Fatalf("the result is not in canonical form:\n%s\nnormalized:\n%s", mustMarshal(t, got), mustMarshal(t, again))
		}
	})
}

// FuzzSplitMembers checks that whenever SplitMembers takes the fast path,
// the delta and the remaining operations do what Apply does.
func FuzzSplitMembers(f *testing.F) {
	for _, s := range fuzzOps {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, ok := decodeFuzzOps(data)
		if !ok {
			return
		}
		delta, rest, ok, splitErr := SplitMembers(schema.GroupType, ops)
		if splitErr != nil {
			checkClientError(t, splitErr)
			if _, err := Apply(schema.GroupType, decodeDoc(t, fuzzGroup), ops); err == nil {
				t.Fatalf("SplitMembers fails (%v) where Apply succeeds", splitErr)
			}
			return
		}
		if !ok {
			return
		}
		doc := decodeDoc(t, fuzzGroup)
		want, wantErr := Apply(schema.GroupType, doc, ops)
		members := applyDelta(doc["members"].([]any), delta)
		delete(doc, "members")
		got, gotErr := Apply(schema.GroupType, doc, rest)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("Apply: %v; with the delta: %v", wantErr, gotErr)
		}
		if wantErr != nil {
			return
		}
		if len(members) > 0 {
			got["members"] = members
		}
		if !reflect.DeepEqual(plain(t, got), plain(t, want)) {
			t.Fatalf("Apply gives\n%s\nthe delta gives\n%s", mustMarshal(t, want), mustMarshal(t, got))
		}
	})
}
