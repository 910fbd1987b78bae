package patch

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
)

// In the JSON of these tests, ENT stands for the enterprise User extension
// URN, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.
var expandURN = strings.NewReplacer("ENT", schema.EnterpriseUserURN)

func decodeJSON(t testing.TB, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(expandURN.Replace(s)))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
}

func decodeDoc(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	decodeJSON(t, s, &m)
	return m
}

func decodeOps(t testing.TB, s string) []Operation {
	t.Helper()
	var ops []Operation
	decodeJSON(t, s, &ops)
	return ops
}

// plain turns v into what encoding/json decodes from its JSON, so that
// int64, float64 and json.Number compare equal.
func plain(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func checkJSON(t testing.TB, got any, want string) {
	t.Helper()
	var w any
	decodeJSON(t, want, &w)
	if g := plain(t, got); !reflect.DeepEqual(g, plain(t, w)) {
		gb, _ := json.MarshalIndent(g, "", "  ")
		wb, _ := json.MarshalIndent(plain(t, w), "", "  ")
		t.Errorf("got\n%s\nwant\n%s", gb, wb)
	}
}

func checkErr(t testing.TB, err error, scimType string) {
	t.Helper()
	var e *scimerr.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want a 400 %s", err, scimType)
	}
	if e.Status != 400 || e.ScimType != scimType {
		t.Errorf("got %d %s (%s), want 400 %s", e.Status, e.ScimType, e.Detail, scimType)
	}
	if e.Detail == "" {
		t.Error("error has no detail")
	}
}

type applyTest struct {
	name  string
	group bool   // the resource is a Group; a User otherwise
	doc   string // the resource before
	ops   string // the Operations array
	want  string // the resource after, if the request succeeds
	err   string // otherwise the scimType of the 400 error
}

var applyTests = []applyTest{
	// Operation names.
	{
		name: "op names are case-insensitive (Entra ID sends Replace, Add, Remove)",
		doc:  `{"userName": "b", "nickName": "Babs", "title": "Eng"}`,
		ops: `[{"op": "Replace", "path": "userName", "value": "renamed@contoso.com"},
		       {"op": "Add", "path": "displayName", "value": "Barbara"},
		       {"op": "Remove", "path": "nickName"},
		       {"op": "REPLACE", "path": "title", "value": "CTO"}]`,
		want: `{"userName": "renamed@contoso.com", "displayName": "Barbara", "title": "CTO"}`,
	},
	{
		name: "an unknown op is invalidSyntax",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "copy", "path": "nickName", "value": "x"}]`,
		err:  scimerr.InvalidSyntax,
	},
	{
		name: "a missing op is invalidSyntax",
		doc:  `{"userName": "b"}`,
		ops:  `[{"path": "nickName", "value": "x"}]`,
		err:  scimerr.InvalidSyntax,
	},

	// add (RFC 7644 §3.5.2.1).
	{
		name: "add sets an unassigned single-valued attribute",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "path": "nickName", "value": "Babs"}]`,
		want: `{"userName": "b", "nickName": "Babs"}`,
	},
	{
		name: "add on an assigned single-valued attribute replaces it",
		doc:  `{"userName": "b", "nickName": "Babs"}`,
		ops:  `[{"op": "add", "path": "nickName", "value": "Barb"}]`,
		want: `{"userName": "b", "nickName": "Barb"}`,
	},
	{
		name: "add on a single-valued complex attribute merges sub-attributes",
		doc:  `{"userName": "b", "name": {"givenName": "Barbara", "familyName": "Jensen"}}`,
		ops:  `[{"op": "add", "path": "name", "value": {"middleName": "Jane", "givenName": "Babs"}}]`,
		want: `{"userName": "b", "name": {"givenName": "Babs", "middleName": "Jane", "familyName": "Jensen"}}`,
	},
	{
		name: "add a sub-attribute",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "path": "name.givenName", "value": "Barbara"}]`,
		want: `{"userName": "b", "name": {"givenName": "Barbara"}}`,
	},
	{
		name: "add appends to a multi-valued attribute",
		doc:  `{"userName": "b", "emails": [{"value": "b@example.com", "type": "work"}]}`,
		ops:  `[{"op": "add", "path": "emails", "value": [{"value": "b@home.org", "type": "home"}]}]`,
		want: `{"userName": "b", "emails": [{"value": "b@example.com", "type": "work"}, {"value": "b@home.org", "type": "home"}]}`,
	},
	{
		name: "add a single object to a multi-valued attribute",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "path": "emails", "value": {"value": "b@example.com"}}]`,
		want: `{"userName": "b", "emails": [{"value": "b@example.com"}]}`,
	},
	{
		name: "add does not duplicate a value already present (emails compare case-insensitively)",
		doc:  `{"userName": "b", "emails": [{"value": "b@example.com", "type": "work"}]}`,
		ops:  `[{"op": "add", "path": "emails", "value": [{"value": "B@Example.com", "type": "Work"}, {"value": "x@example.com"}, {"value": "x@example.com"}]}]`,
		want: `{"userName": "b", "emails": [{"value": "b@example.com", "type": "work"}, {"value": "x@example.com"}]}`,
	},
	{
		name: "add a primary value: the previous primary value stops being primary (RFC 7643 §2.4)",
		doc:  `{"userName": "b", "emails": [{"value": "b@example.com", "primary": true}]}`,
		ops:  `[{"op": "add", "path": "emails", "value": [{"value": "new@example.com", "primary": true}]}]`,
		want: `{"userName": "b", "emails": [{"value": "b@example.com", "primary": false}, {"value": "new@example.com", "primary": true}]}`,
	},
	{
		name: "add two primary values is invalidValue",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "path": "emails", "value": [{"value": "a@example.com", "primary": true}, {"value": "b@example.com", "primary": true}]}]`,
		err:  scimerr.InvalidValue,
	},
	{
		name: "add to an extension attribute",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "path": "ENT:department", "value": "Retail"}]`,
		want: `{"userName": "b", "ENT": {"department": "Retail"}}`,
	},
	{
		name: "add to a bare extension URN sets that extension's attributes",
		doc:  `{"userName": "b", "ENT": {"department": "Retail"}}`,
		ops:  `[{"op": "add", "path": "ENT", "value": {"costCenter": "4130", "manager": {"value": "m1"}, "unknown": 1}}]`,
		want: `{"userName": "b", "ENT": {"department": "Retail", "costCenter": "4130", "manager": {"value": "m1"}}}`,
	},
	{
		name: "add externalId and a core-URN-qualified attribute",
		doc:  `{"userName": "b"}`,
		ops: `[{"op": "add", "path": "externalId", "value": "ext-1"},
		       {"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:User:title", "value": "Eng"}]`,
		want: `{"userName": "b", "externalId": "ext-1", "title": "Eng"}`,
	},
	{
		name: "add an empty value adds nothing",
		doc:  `{"userName": "b"}`,
		ops: `[{"op": "add", "path": "emails", "value": []},
		       {"op": "add", "path": "profileUrl", "value": ""},
		       {"op": "add", "path": "name", "value": {}}]`,
		want: `{"userName": "b"}`,
	},
	{
		name: "add without a value is invalidValue",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "path": "nickName"}]`,
		err:  scimerr.InvalidValue,
	},
	{
		name: "add a value of the wrong type is invalidValue",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "path": "emails", "value": [{"value": 5}]}]`,
		err:  scimerr.InvalidValue,
	},
	{
		name: "add an array to a single-valued attribute is invalidValue",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "path": "nickName", "value": ["a", "b"]}]`,
		err:  scimerr.InvalidValue,
	},

	// Path-less add and replace: each key of the value is a path.
	{
		name: "path-less add: plain, dotted, URN-qualified and extension-object keys",
		doc:  `{"userName": "b", "name": {"familyName": "Jensen"}}`,
		ops: `[{"op": "add", "value": {
			"nickName": "Babs",
			"name.givenName": "Barbara",
			"ENT:employeeNumber": "701984",
			"ENT": {"costCenter": "4130"},
			"emails": [{"value": "b@example.com"}]}}]`,
		want: `{"userName": "b", "nickName": "Babs", "name": {"givenName": "Barbara", "familyName": "Jensen"},
			"emails": [{"value": "b@example.com"}], "ENT": {"employeeNumber": "701984", "costCenter": "4130"}}`,
	},
	{
		name: "path-less replace ignores id, meta, schemas, groups, password and unknown or SCIM 1.1 keys",
		doc:  `{"userName": "b", "active": true}`,
		ops: `[{"op": "replace", "value": {
			"id": "2819c223", "meta": {"resourceType": "User"}, "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"groups": [{"value": "g1"}], "password": "t1meMa$heen", "favouriteColour": "green",
			"urn:scim:schemas:core:1.0:nickName": "x", "urn:example:vendor:2.0:User": {"badge": "7"},
			"ENT:manager.displayName": "Boss", "name.unknown": "x",
			"active": false}}]`,
		want: `{"userName": "b", "active": false}`,
	},
	{
		name: "path-less keys under the core schema URN",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "value": {"urn:ietf:params:scim:schemas:core:2.0:User": {"nickName": "Babs", "name.givenName": "Barbara"}}}]`,
		want: `{"userName": "b", "nickName": "Babs", "name": {"givenName": "Barbara"}}`,
	},
	{
		name: "path-less keys apply general before specific",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "replace", "value": {"name.givenName": "Babs", "name": {"givenName": "Barbara", "familyName": "Jensen"}}}]`,
		want: `{"userName": "b", "name": {"givenName": "Babs", "familyName": "Jensen"}}`,
	},
	{
		name: "path-less null unassigns with replace and adds nothing with add",
		doc:  `{"userName": "b", "nickName": "Babs", "title": "Eng"}`,
		ops: `[{"op": "replace", "value": {"nickName": null}},
		       {"op": "add", "value": {"title": null}}]`,
		want: `{"userName": "b", "title": "Eng"}`,
	},
	{
		name: "path-less add with a value that is not an object is invalidValue",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "value": "Babs"}]`,
		err:  scimerr.InvalidValue,
	},
	{
		name: "path-less replace without a value is invalidValue",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "replace"}]`,
		err:  scimerr.InvalidValue,
	},
	{
		name: "path-less key with a malformed value filter is invalidPath",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "value": {"emails[type eq": "x"}}]`,
		err:  scimerr.InvalidPath,
	},
	{
		name: "path-less key with a value filter",
		doc:  `{"userName": "b", "emails": [{"value": "old@example.com", "type": "work"}]}`,
		ops:  `[{"op": "replace", "value": {"emails[type eq \"work\"].value": "new@example.com"}}]`,
		want: `{"userName": "b", "emails": [{"value": "new@example.com", "type": "work"}]}`,
	},
	{
		name: "path-less value of the wrong type is invalidValue",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "replace", "value": {"active": "maybe"}}]`,
		err:  scimerr.InvalidValue,
	},

	// replace (RFC 7644 §3.5.2.3).
	{
		name: "replace a single-valued attribute",
		doc:  `{"userName": "b", "title": "Eng"}`,
		ops:  `[{"op": "replace", "path": "title", "value": "CTO"}]`,
		want: `{"userName": "b", "title": "CTO"}`,
	},
	{
		name: "replace an unassigned attribute adds it",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "replace", "path": "title", "value": "CTO"}]`,
		want: `{"userName": "b", "title": "CTO"}`,
	},
	{
		name: "replace a complex attribute leaves unspecified sub-attributes unchanged",
		doc:  `{"userName": "b", "name": {"givenName": "Barbara", "familyName": "Jensen"}}`,
		ops:  `[{"op": "replace", "path": "name", "value": {"givenName": "Babs"}}]`,
		want: `{"userName": "b", "name": {"givenName": "Babs", "familyName": "Jensen"}}`,
	},
	{
		name: "replace a multi-valued attribute replaces all values",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com"}, {"value": "b@example.com"}]}`,
		ops:  `[{"op": "replace", "path": "emails", "value": [{"value": "c@example.com", "type": "work"}]}]`,
		want: `{"userName": "b", "emails": [{"value": "c@example.com", "type": "work"}]}`,
	},
	{
		name: "replace with null or an empty array unassigns (RFC 7643 §2.5)",
		doc:  `{"userName": "b", "title": "Eng", "emails": [{"value": "a@example.com"}], "name": {"givenName": "B"}}`,
		ops: `[{"op": "replace", "path": "title", "value": null},
		       {"op": "replace", "path": "emails", "value": []},
		       {"op": "replace", "path": "name.givenName", "value": null}]`,
		want: `{"userName": "b"}`,
	},
	{
		name: "replace a value of the wrong type is invalidValue",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "replace", "path": "active", "value": "maybe"}]`,
		err:  scimerr.InvalidValue,
	},
	{
		name: "replace checks binary values",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "replace", "path": "x509Certificates", "value": [{"value": "not base64!"}]}]`,
		err:  scimerr.InvalidValue,
	},

	// Value-filtered paths.
	{
		name: "replace a sub-attribute of the values a filter matches",
		doc: `{"userName": "b", "emails": [{"value": "old@example.com", "type": "work"}, {"value": "b@home.org", "type": "home"}],
			"addresses": [{"type": "work", "formatted": "old"}]}`,
		ops: `[{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"},
		       {"op": "replace", "path": "addresses[type eq \"work\"].formatted", "value": "18/2111"}]`,
		want: `{"userName": "b", "emails": [{"value": "new@example.com", "type": "work"}, {"value": "b@home.org", "type": "home"}],
			"addresses": [{"type": "work", "formatted": "18/2111"}]}`,
	},
	{
		name: "replace the values a filter matches",
		doc:  `{"userName": "b", "emails": [{"value": "old@example.com", "type": "work", "display": "Old"}, {"value": "b@home.org", "type": "home"}]}`,
		ops:  `[{"op": "replace", "path": "emails[type eq \"work\"]", "value": {"value": "new@example.com", "type": "work"}}]`,
		want: `{"userName": "b", "emails": [{"value": "new@example.com", "type": "work"}, {"value": "b@home.org", "type": "home"}]}`,
	},
	{
		name: "add to the values a filter matches merges sub-attributes",
		doc:  `{"userName": "b", "emails": [{"value": "b@example.com", "type": "work"}]}`,
		ops:  `[{"op": "add", "path": "emails[value eq \"b@example.com\"]", "value": {"display": "Work"}}]`,
		want: `{"userName": "b", "emails": [{"value": "b@example.com", "type": "work", "display": "Work"}]}`,
	},
	{
		name: "a filter matching several values changes each",
		doc:  `{"userName": "b", "phoneNumbers": [{"value": "1", "type": "work"}, {"value": "2", "type": "work"}, {"value": "3", "type": "home"}]}`,
		ops:  `[{"op": "add", "path": "phoneNumbers[type eq \"work\"].display", "value": "Office"}]`,
		want: `{"userName": "b", "phoneNumbers": [{"value": "1", "type": "work", "display": "Office"}, {"value": "2", "type": "work", "display": "Office"}, {"value": "3", "type": "home"}]}`,
	},
	{
		name: "a filter that matches nothing creates the value from its eq clauses (Entra ID)",
		doc:  `{"userName": "b", "emails": [{"value": "b@home.org", "type": "home"}]}`,
		ops:  `[{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "b@contoso.com"}]`,
		want: `{"userName": "b", "emails": [{"value": "b@home.org", "type": "home"}, {"type": "work", "value": "b@contoso.com"}]}`,
	},
	{
		name: "add through a filter of and-ed eq clauses that matches nothing creates the value",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "path": "addresses[type eq \"work\" and country eq \"NL\"]", "value": {"locality": "Utrecht"}}]`,
		want: `{"userName": "b", "addresses": [{"type": "work", "country": "NL", "locality": "Utrecht"}]}`,
	},
	{
		name: "creating a primary value through a filter demotes the other (Okta phoneNumbers[primary eq true].value)",
		doc:  `{"userName": "b", "phoneNumbers": [{"value": "1", "type": "home"}], "emails": [{"value": "a@example.com", "primary": true}]}`,
		ops: `[{"op": "replace", "path": "phoneNumbers[primary eq true].value", "value": "2"},
		       {"op": "add", "path": "emails[value eq \"b@example.com\"].primary", "value": "True"}]`,
		want: `{"userName": "b", "phoneNumbers": [{"value": "1", "type": "home"}, {"primary": true, "value": "2"}],
			"emails": [{"value": "a@example.com", "primary": false}, {"value": "b@example.com", "primary": true}]}`,
	},
	{
		name: "making a value primary demotes the other",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com", "type": "home", "primary": true}, {"value": "b@example.com", "type": "work"}]}`,
		ops:  `[{"op": "replace", "path": "emails[type eq \"work\"].primary", "value": true}]`,
		want: `{"userName": "b", "emails": [{"value": "a@example.com", "type": "home", "primary": false}, {"value": "b@example.com", "type": "work", "primary": true}]}`,
	},
	{
		name: "making several values primary is invalidValue",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com", "type": "work"}, {"value": "b@example.com", "type": "work"}]}`,
		ops:  `[{"op": "replace", "path": "emails[type eq \"work\"].primary", "value": true}]`,
		err:  scimerr.InvalidValue,
	},
	{
		name: "replace through a filter that is not an and of eq and matches nothing is noTarget",
		doc:  `{"userName": "b", "emails": [{"value": "b@home.org", "type": "home"}]}`,
		ops:  `[{"op": "replace", "path": "emails[value co \"contoso\"].type", "value": "work"}]`,
		err:  scimerr.NoTarget,
	},
	{
		name: "add through an or filter that matches nothing is noTarget",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "path": "emails[type eq \"work\" or type eq \"home\"].value", "value": "b@example.com"}]`,
		err:  scimerr.NoTarget,
	},
	{
		name: "a sub-attribute of a multi-valued attribute without a filter selects every value",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com"}, {"value": "b@example.com"}]}`,
		ops:  `[{"op": "replace", "path": "emails.type", "value": "work"}]`,
		want: `{"userName": "b", "emails": [{"value": "a@example.com", "type": "work"}, {"value": "b@example.com", "type": "work"}]}`,
	},
	{
		name: "a sub-attribute of an empty multi-valued attribute creates a value",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "replace", "path": "emails.value", "value": "b@example.com"}]`,
		want: `{"userName": "b", "emails": [{"value": "b@example.com"}]}`,
	},
	{
		name: "replace through a filter with a one-element array",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com", "type": "work"}]}`,
		ops:  `[{"op": "replace", "path": "emails[type eq \"work\"]", "value": [{"value": "b@example.com", "type": "work"}]}]`,
		want: `{"userName": "b", "emails": [{"value": "b@example.com", "type": "work"}]}`,
	},
	{
		name: "replace through a filter with several values is invalidValue",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com", "type": "work"}]}`,
		ops:  `[{"op": "replace", "path": "emails[type eq \"work\"]", "value": [{"value": "b@example.com"}, {"value": "c@example.com"}]}]`,
		err:  scimerr.InvalidValue,
	},

	// remove (RFC 7644 §3.5.2.2).
	{
		name: "remove an attribute, a sub-attribute and an extension attribute",
		doc:  `{"userName": "b", "nickName": "Babs", "name": {"givenName": "B", "familyName": "J"}, "ENT": {"department": "Retail", "costCenter": "1"}}`,
		ops: `[{"op": "remove", "path": "nickName"},
		       {"op": "remove", "path": "name.givenName"},
		       {"op": "remove", "path": "ENT:department"}]`,
		want: `{"userName": "b", "name": {"familyName": "J"}, "ENT": {"costCenter": "1"}}`,
	},
	{
		name: "removing the last sub-attribute or value unassigns the attribute",
		doc:  `{"userName": "b", "name": {"givenName": "B"}, "emails": [{"value": "a@example.com", "type": "work"}], "ENT": {"department": "Retail"}}`,
		ops: `[{"op": "remove", "path": "name.givenName"},
		       {"op": "remove", "path": "emails[type eq \"work\"]"},
		       {"op": "remove", "path": "ENT:department"}]`,
		want: `{"userName": "b"}`,
	},
	{
		name: "remove a whole extension",
		doc:  `{"userName": "b", "ENT": {"department": "Retail", "manager": {"value": "m1"}}}`,
		ops:  `[{"op": "remove", "path": "ENT"}]`,
		want: `{"userName": "b"}`,
	},
	{
		name: "remove the values a filter matches",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com", "type": "work"}, {"value": "b@home.org", "type": "home"}, {"value": "c@example.com", "type": "work"}]}`,
		ops:  `[{"op": "remove", "path": "emails[type eq \"work\"]"}]`,
		want: `{"userName": "b", "emails": [{"value": "b@home.org", "type": "home"}]}`,
	},
	{
		name: "remove a sub-attribute of the values a filter matches",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com", "type": "work", "display": "A"}, {"value": "b@home.org", "type": "home", "display": "B"}]}`,
		ops:  `[{"op": "remove", "path": "emails[type eq \"work\"].display"}]`,
		want: `{"userName": "b", "emails": [{"value": "a@example.com", "type": "work"}, {"value": "b@home.org", "type": "home", "display": "B"}]}`,
	},
	{
		name: "remove with a value list removes only the listed values, matched on value",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com", "type": "work"}, {"value": "b@home.org", "type": "home"}]}`,
		ops:  `[{"op": "remove", "path": "emails", "value": [{"value": "A@example.com"}]}]`,
		want: `{"userName": "b", "emails": [{"value": "b@home.org", "type": "home"}]}`,
	},
	{
		name: "remove with an empty value list removes nothing",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com"}]}`,
		ops:  `[{"op": "remove", "path": "emails", "value": []}]`,
		want: `{"userName": "b", "emails": [{"value": "a@example.com"}]}`,
	},
	{
		name: "remove with values lacking value is invalidValue",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com", "type": "work"}]}`,
		ops:  `[{"op": "remove", "path": "emails", "value": [{"type": "work"}]}]`,
		err:  scimerr.InvalidValue,
	},
	{
		name: "remove a multi-valued attribute without a value removes all values",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com"}, {"value": "b@example.com"}]}`,
		ops:  `[{"op": "remove", "path": "emails"}]`,
		want: `{"userName": "b"}`,
	},
	{
		name: "removing what is absent succeeds",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com", "type": "home"}]}`,
		ops: `[{"op": "remove", "path": "nickName"},
		       {"op": "remove", "path": "name.givenName"},
		       {"op": "remove", "path": "emails[type eq \"work\"]"},
		       {"op": "remove", "path": "emails[type eq \"work\"].value"},
		       {"op": "remove", "path": "phoneNumbers"},
		       {"op": "remove", "path": "ENT:manager.value"},
		       {"op": "remove", "path": "ENT"}]`,
		want: `{"userName": "b", "emails": [{"value": "a@example.com", "type": "home"}]}`,
	},
	{
		name: "remove without a path is noTarget",
		doc:  `{"userName": "b", "nickName": "Babs"}`,
		ops:  `[{"op": "remove", "value": {"nickName": "Babs"}}]`,
		err:  scimerr.NoTarget,
	},

	// Paths.
	{
		name: "an unknown attribute is invalidPath",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "replace", "path": "favouriteColour", "value": "green"}]`,
		err:  scimerr.InvalidPath,
	},
	{
		name: "an unknown sub-attribute is invalidPath",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "replace", "path": "name.nick", "value": "x"}]`,
		err:  scimerr.InvalidPath,
	},
	{
		name: "an unknown schema is invalidPath",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "remove", "path": "urn:scim:schemas:core:1.0:nickName"}]`,
		err:  scimerr.InvalidPath,
	},
	{
		name: "an unterminated value filter is invalidPath",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "remove", "path": "emails[type eq \"work\""}]`,
		err:  scimerr.InvalidPath,
	},
	{
		name: "a malformed value filter is invalidPath",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "remove", "path": "emails[type eq]"}]`,
		err:  scimerr.InvalidPath,
	},
	{
		name: "a value filter on a single-valued attribute is invalidPath",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "remove", "path": "name[givenName eq \"B\"]"}]`,
		err:  scimerr.InvalidPath,
	},
	{
		name: "a value filter naming an unknown sub-attribute is invalidPath",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "remove", "path": "emails[colour eq \"red\"]"}]`,
		err:  scimerr.InvalidPath,
	},
	{
		name: "text after a value filter that is not a sub-attribute is invalidPath",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "remove", "path": "emails[type eq \"work\"]value"}]`,
		err:  scimerr.InvalidPath,
	},
	{
		name: "brackets inside a quoted filter value are part of the value",
		doc:  `{"userName": "b", "emails": [{"value": "a]b@example.com", "type": "work"}, {"value": "c@example.com"}]}`,
		ops:  `[{"op": "remove", "path": "emails[value eq \"a]b@example.com\"]"}]`,
		want: `{"userName": "b", "emails": [{"value": "c@example.com"}]}`,
	},
	{
		name: "a URN-qualified value path",
		doc:  `{"userName": "b", "emails": [{"value": "a@example.com", "type": "work"}]}`,
		ops:  `[{"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"].value", "value": "b@example.com"}]`,
		want: `{"userName": "b", "emails": [{"value": "b@example.com", "type": "work"}]}`,
	},

	// Mutability (RFC 7643 §7).
	{
		name: "a path to id is mutability",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "replace", "path": "id", "value": "x"}]`,
		err:  scimerr.Mutability,
	},
	{
		name: "a path to meta is mutability",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "replace", "path": "meta.lastModified", "value": "2024-01-01T00:00:00Z"}]`,
		err:  scimerr.Mutability,
	},
	{
		name: "a path to groups is mutability",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "path": "groups", "value": [{"value": "g1"}]}]`,
		err:  scimerr.Mutability,
	},
	{
		name: "removing a read-only attribute is mutability",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "remove", "path": "groups"}]`,
		err:  scimerr.Mutability,
	},
	{
		name: "a path to manager.displayName is mutability",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "replace", "path": "ENT:manager.displayName", "value": "Boss"}]`,
		err:  scimerr.Mutability,
	},
	{
		name: "read-only sub-attributes inside a value are ignored",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "add", "path": "ENT:manager", "value": {"value": "m1", "displayName": "Boss"}}]`,
		want: `{"userName": "b", "ENT": {"manager": {"value": "m1"}}}`,
	},
	{
		name: "password is accepted and discarded",
		doc:  `{"userName": "b"}`,
		ops: `[{"op": "replace", "path": "password", "value": "t1meMa$heen"},
		       {"op": "replace", "value": {"password": "t1meMa$heen"}},
		       {"op": "remove", "path": "password"}]`,
		want: `{"userName": "b"}`,
	},

	// Identity providers (see /work/shared/idp).
	{
		name: "Okta: reactivate with a path-less replace",
		doc:  `{"userName": "test.user@okta.local", "active": false}`,
		ops:  `[{"op": "replace", "value": {"active": true}}]`,
		want: `{"userName": "test.user@okta.local", "active": true}`,
	},
	{
		name: "Entra ID: legacy multi-operation update with filtered and URN paths",
		doc: `{"userName": "b@contoso.com", "name": {"givenName": "B", "familyName": "J"},
			"emails": [{"value": "b@contoso.com", "type": "work", "primary": true}]}`,
		ops: `[{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@contoso.com"},
		       {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
		       {"op": "Replace", "path": "addresses[type eq \"work\"].formatted", "value": "18/2111"},
		       {"op": "Add", "path": "ENT:department", "value": "Retail"}]`,
		want: `{"userName": "b@contoso.com", "name": {"givenName": "B", "familyName": "updatedFamilyName"},
			"emails": [{"value": "updatedEmail@contoso.com", "type": "work", "primary": true}],
			"addresses": [{"type": "work", "formatted": "18/2111"}],
			"ENT": {"department": "Retail"}}`,
	},
	{
		name: "Entra ID: disable with a string boolean",
		doc:  `{"userName": "b", "active": true}`,
		ops:  `[{"op": "Replace", "path": "active", "value": "False"}]`,
		want: `{"userName": "b", "active": false}`,
	},
	{
		name: "Entra ID: deprovision with Add on active",
		doc:  `{"userName": "b", "active": true}`,
		ops:  `[{"op": "Add", "path": "active", "value": "False"}]`,
		want: `{"userName": "b", "active": false}`,
	},
	{
		name: "Entra ID: string booleans inside values",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "Add", "path": "emails", "value": [{"value": "b@contoso.com", "type": "work", "primary": "True"}]}]`,
		want: `{"userName": "b", "emails": [{"value": "b@contoso.com", "type": "work", "primary": true}]}`,
	},
	{
		name: "Entra ID: manager as a bare id",
		doc:  `{"userName": "b", "ENT": {"manager": {"value": "old-manager"}}}`,
		ops:  `[{"op": "Add", "path": "ENT:manager", "value": "new-manager"}]`,
		want: `{"userName": "b", "ENT": {"manager": {"value": "new-manager"}}}`,
	},
	{
		name: "Entra ID: manager as a bare id in a path-less value",
		doc:  `{"userName": "b"}`,
		ops:  `[{"op": "replace", "value": {"ENT:manager": "m2"}}]`,
		want: `{"userName": "b", "ENT": {"manager": {"value": "m2"}}}`,
	},
	{
		name: "Entra ID: remove the manager",
		doc:  `{"userName": "b", "ENT": {"manager": {"value": "m1"}, "department": "Retail"}}`,
		ops:  `[{"op": "Remove", "path": "ENT:manager", "value": [{"value": "m1"}]}]`,
		want: `{"userName": "b", "ENT": {"department": "Retail"}}`,
	},
	{
		name: "Entra ID (aadOptscim062020): one path-less replace with dotted and URN keys",
		doc:  `{"userName": "b", "name": {"givenName": "B", "familyName": "J"}, "active": true}`,
		ops: `[{"op": "replace", "value": {
			"displayName": "Barbara Jensen",
			"name.givenName": "Barbara",
			"name.familyName": "Jensen",
			"ENT:employeeNumber": "701984",
			"active": false}}]`,
		want: `{"userName": "b", "displayName": "Barbara Jensen", "name": {"givenName": "Barbara", "familyName": "Jensen"},
			"active": false, "ENT": {"employeeNumber": "701984"}}`,
	},
	{
		name: "JumpCloud: one operation per attribute",
		doc:  `{"userName": "b", "name": {"givenName": "B", "familyName": "J"}, "active": true}`,
		ops: `[{"op": "replace", "path": "name.givenName", "value": "Barbara"},
		       {"op": "replace", "path": "name.familyName", "value": "Jensen"},
		       {"op": "replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "tel:+1-555-555-5555"},
		       {"op": "replace", "path": "active", "value": false}]`,
		want: `{"userName": "b", "name": {"givenName": "Barbara", "familyName": "Jensen"}, "active": false,
			"phoneNumbers": [{"type": "work", "value": "tel:+1-555-555-5555"}]}`,
	},

	// Groups.
	{
		name:  "Okta: a rename without a members key leaves members alone and ignores id",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}]}`,
		ops:   `[{"op": "replace", "value": {"id": "g1", "displayName": "Test SCIMv2 renamed"}}]`,
		want:  `{"displayName": "Test SCIMv2 renamed", "members": [{"value": "u1", "type": "User"}]}`,
	},
	{
		name:  "Okta: remove by filter and add in one request",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}, {"value": "u2", "type": "User"}]}`,
		ops: `[{"op": "remove", "path": "members[value eq \"u2\"]"},
		       {"op": "add", "path": "members", "value": [{"value": "u3", "display": "test.user@okta.local"}]}]`,
		want: `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}, {"value": "u3"}]}`,
	},
	{
		name:  "Okta: replace members with an empty list",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1"}, {"value": "u2"}]}`,
		ops:   `[{"op": "replace", "path": "members", "value": []}]`,
		want:  `{"displayName": "Sales"}`,
	},
	{
		name:  "Entra ID: add members with $ref null",
		group: true,
		doc:   `{"displayName": "Sales"}`,
		ops:   `[{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "u1"}, {"$ref": null, "value": "u2"}]}]`,
		want:  `{"displayName": "Sales", "members": [{"value": "u1"}, {"value": "u2"}]}`,
	},
	{
		name:  "Entra ID and JumpCloud: remove members with a value list removes only those",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1"}, {"value": "u2"}, {"value": "u3"}]}`,
		ops:   `[{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "u2"}, {"value": "u9"}]}]`,
		want:  `{"displayName": "Sales", "members": [{"value": "u1"}, {"value": "u3"}]}`,
	},
	{
		name:  "Entra ID: rename with a path",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1"}]}`,
		ops:   `[{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}]`,
		want:  `{"displayName": "Sales EMEA", "members": [{"value": "u1"}]}`,
	},
	{
		name:  "Entra ID (aadOptscim062020): remove members by an or of eq filters",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1"}, {"value": "u2"}, {"value": "u3"}]}`,
		ops:   `[{"op": "remove", "path": "members[value eq \"u1\" or value eq \"u3\"]"}]`,
		want:  `{"displayName": "Sales", "members": [{"value": "u2"}]}`,
	},
	{
		name:  "adding a member already present changes nothing",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}]}`,
		ops:   `[{"op": "add", "path": "members", "value": [{"value": "u1", "type": "Group"}, {"value": "u2"}, {"value": "u2"}]}]`,
		want:  `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}, {"value": "u2"}]}`,
	},
	{
		name:  "member ids are case-sensitive",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "abc"}]}`,
		ops:   `[{"op": "add", "path": "members", "value": {"value": "ABC"}}]`,
		want:  `{"displayName": "Sales", "members": [{"value": "abc"}, {"value": "ABC"}]}`,
	},
	{
		name:  "replace members replaces the list, dropping duplicates",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1"}, {"value": "u2"}]}`,
		ops:   `[{"op": "replace", "path": "members", "value": [{"value": "u3", "type": "User"}, {"value": "u3"}]}]`,
		want:  `{"displayName": "Sales", "members": [{"value": "u3", "type": "User"}]}`,
	},
	{
		name:  "remove members without a value removes all",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1"}, {"value": "u2"}]}`,
		ops:   `[{"op": "remove", "path": "members"}]`,
		want:  `{"displayName": "Sales"}`,
	},
	{
		name:  "remove members by type",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}, {"value": "g1", "type": "Group"}]}`,
		ops:   `[{"op": "remove", "path": "members[type eq \"Group\"]"}]`,
		want:  `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}]}`,
	},
	{
		name:  "path-less add and replace with a members key",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1"}]}`,
		ops: `[{"op": "add", "value": {"members": [{"value": "u2"}]}},
		       {"op": "replace", "value": {"displayName": "Sales EMEA", "members": [{"value": "u3"}]}}]`,
		want: `{"displayName": "Sales EMEA", "members": [{"value": "u3"}]}`,
	},
	{
		name:  "a member id given as a bare string",
		group: true,
		doc:   `{"displayName": "Sales"}`,
		ops:   `[{"op": "add", "path": "members", "value": ["u1", "u2"]}]`,
		want:  `{"displayName": "Sales", "members": [{"value": "u1"}, {"value": "u2"}]}`,
	},
	{
		name:  "setting an unassigned immutable member type is allowed",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1"}]}`,
		ops:   `[{"op": "add", "path": "members[value eq \"u1\"].type", "value": "User"}]`,
		want:  `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}]}`,
	},
	{
		name:  "setting a member's type to the same value is allowed",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}]}`,
		ops:   `[{"op": "replace", "path": "members[value eq \"u1\"]", "value": {"value": "u1", "type": "User"}}]`,
		want:  `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}]}`,
	},
	{
		name:  "a filter that matches no member creates it",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}]}`,
		ops:   `[{"op": "add", "path": "members[value eq \"u2\"].type", "value": "User"}]`,
		want:  `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}, {"value": "u2", "type": "User"}]}`,
	},
	{
		name:  "a member without a value is invalidValue",
		group: true,
		doc:   `{"displayName": "Sales"}`,
		ops:   `[{"op": "add", "path": "members", "value": [{"display": "Babs"}]}]`,
		err:   scimerr.InvalidValue,
	},
	{
		name:  "a member with an empty value is invalidValue",
		group: true,
		doc:   `{"displayName": "Sales"}`,
		ops:   `[{"op": "add", "path": "members", "value": [{"value": ""}]}]`,
		err:   scimerr.InvalidValue,
	},
	{
		name:  "removing members listed without a value is invalidValue",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1"}]}`,
		ops:   `[{"op": "remove", "path": "members", "value": [{"type": "User"}]}]`,
		err:   scimerr.InvalidValue,
	},
	{
		name:  "creating a member through a filter without a value is invalidValue",
		group: true,
		doc:   `{"displayName": "Sales"}`,
		ops:   `[{"op": "add", "path": "members[type eq \"User\"].type", "value": "User"}]`,
		err:   scimerr.InvalidValue,
	},
	{
		name:  "a path to members.display is mutability",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1"}]}`,
		ops:   `[{"op": "replace", "path": "members[value eq \"u1\"].display", "value": "Babs"}]`,
		err:   scimerr.Mutability,
	},
	{
		name:  "removing members.display is mutability",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1"}]}`,
		ops:   `[{"op": "remove", "path": "members.display"}]`,
		err:   scimerr.Mutability,
	},
	{
		name:  "changing a member's value is mutability",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}]}`,
		ops:   `[{"op": "replace", "path": "members[value eq \"u1\"].value", "value": "u2"}]`,
		err:   scimerr.Mutability,
	},
	{
		name:  "changing a member's type is mutability",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}]}`,
		ops:   `[{"op": "replace", "path": "members[value eq \"u1\"].type", "value": "Group"}]`,
		err:   scimerr.Mutability,
	},
	{
		name:  "replacing a member with another value is mutability",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}]}`,
		ops:   `[{"op": "replace", "path": "members[value eq \"u1\"]", "value": {"value": "u2"}}]`,
		err:   scimerr.Mutability,
	},
	{
		name:  "removing a member's type is mutability",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}]}`,
		ops:   `[{"op": "remove", "path": "members[value eq \"u1\"].type"}]`,
		err:   scimerr.Mutability,
	},
	{
		name:  "creating a member through a filter that already exists with another type is mutability",
		group: true,
		doc:   `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}]}`,
		ops:   `[{"op": "add", "path": "members[type eq \"Group\"]", "value": {"value": "u1"}}]`,
		err:   scimerr.Mutability,
	},
	{
		name:  "a User attribute on a Group is invalidPath",
		group: true,
		doc:   `{"displayName": "Sales"}`,
		ops:   `[{"op": "replace", "path": "userName", "value": "x"}]`,
		err:   scimerr.InvalidPath,
	},
}

func TestApply(t *testing.T) {
	for _, tt := range applyTests {
		t.Run(tt.name, func(t *testing.T) {
			rt := schema.UserType
			if tt.group {
				rt = schema.GroupType
			}
			doc := decodeDoc(t, tt.doc)
			before := copyMap(doc)
			got, err := Apply(rt, doc, decodeOps(t, tt.ops))
			if !reflect.DeepEqual(doc, before) {
				t.Errorf("Apply changed its input document")
			}
			if tt.err != "" {
				if got != nil {
					t.Errorf("got a document with an error")
				}
				checkErr(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			checkJSON(t, got, tt.want)
		})
	}
}

func TestApplyIsAtomic(t *testing.T) {
	tests := []struct {
		name  string
		group bool
		ops   string
		err   string
	}{
		{"second op has a read-only path", false,
			`[{"op": "replace", "path": "displayName", "value": "X"}, {"op": "replace", "path": "id", "value": "x"}]`, scimerr.Mutability},
		{"second op has an unknown path", false,
			`[{"op": "add", "path": "emails", "value": {"value": "x@example.com", "primary": true}}, {"op": "add", "path": "nope", "value": 1}]`, scimerr.InvalidPath},
		{"second op matches nothing", false,
			`[{"op": "remove", "path": "name"}, {"op": "replace", "path": "emails[value sw \"zz\"].type", "value": "home"}]`, scimerr.NoTarget},
		{"second op has a bad value", false,
			`[{"op": "remove", "path": "ENT"}, {"op": "replace", "value": {"active": 3}}]`, scimerr.InvalidValue},
		{"last op is unknown", true,
			`[{"op": "remove", "path": "members"}, {"op": "replace", "path": "displayName", "value": "X"}, {"op": "move"}]`, scimerr.InvalidSyntax},
	}
	user := `{"userName": "b", "displayName": "B", "name": {"givenName": "B"}, "ENT": {"department": "Retail"},
		"emails": [{"value": "a@example.com", "type": "work", "primary": true}]}`
	group := `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}]}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, docText := schema.UserType, user
			if tt.group {
				rt, docText = schema.GroupType, group
			}
			doc := decodeDoc(t, docText)
			got, err := Apply(rt, doc, decodeOps(t, tt.ops))
			checkErr(t, err, tt.err)
			if got != nil {
				t.Error("got a document with an error")
			}
			checkJSON(t, doc, docText)
		})
	}
}

func TestApplyErrorNamesOperation(t *testing.T) {
	ops := decodeOps(t, `[{"op": "add", "path": "nickName", "value": "x"}, {"op": "add", "path": "nope", "value": 1}]`)
	_, err := Apply(schema.UserType, map[string]any{"userName": "b"}, ops)
	if err == nil || !strings.Contains(scimerr.From(err).Detail, "operation 2") {
		t.Errorf("got %v, want an error naming operation 2", err)
	}
}

func TestApplyTooManyOperations(t *testing.T) {
	ops := make([]Operation, MaxOperations+1)
	for i := range ops {
		ops[i] = Operation{Op: "replace", Path: "nickName", Value: fmt.Sprint(i)}
	}
	_, err := Apply(schema.UserType, map[string]any{"userName": "b"}, ops)
	checkErr(t, err, scimerr.InvalidValue)
	_, _, _, err = SplitMembers(schema.GroupType, ops)
	checkErr(t, err, scimerr.InvalidValue)

	got, err := Apply(schema.UserType, map[string]any{"userName": "b"}, ops[:MaxOperations])
	if err != nil {
		t.Fatal(err)
	}
	if got["nickName"] != fmt.Sprint(MaxOperations-1) {
		t.Errorf("nickName = %v", got["nickName"])
	}
}

func TestApplyResultIsIndependent(t *testing.T) {
	doc := decodeDoc(t, `{"userName": "b", "emails": [{"value": "a@example.com", "type": "work"}]}`)
	value := map[string]any{"value": "b@example.com", "type": "home"}
	ops := []Operation{{Op: "add", Path: "emails", Value: []any{value}}}
	got, err := Apply(schema.UserType, doc, ops)
	if err != nil {
		t.Fatal(err)
	}
	got["emails"].([]any)[0].(map[string]any)["type"] = "changed"
	got["emails"].([]any)[1].(map[string]any)["type"] = "changed"
	if doc["emails"].([]any)[0].(map[string]any)["type"] != "work" || value["type"] != "home" {
		t.Error("the result shares maps with the input document or the operations")
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		rt   *schema.ResourceType
		in   string
		want string // String() of the result, or "" for an invalidPath error
		sub  string // name of the sub-attribute, if any
		flt  bool   // whether there is a value filter
	}{
		{schema.UserType, "userName", "userName", "", false},
		{schema.UserType, " USERNAME ", "userName", "", false},
		{schema.UserType, "name.givenName", "name.givenName", "givenName", false},
		{schema.UserType, "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName", "name.givenName", "givenName", false},
		{schema.UserType, "ENT:manager.value", "ENT:manager.value", "value", false},
		{schema.UserType, "ENT", "ENT", "", false},
		{schema.UserType, "externalId", "externalId", "", false},
		{schema.UserType, `emails[type eq "work"]`, `emails[type eq "work"]`, "", true},
		{schema.UserType, `emails[type eq "work"].value`, `emails[type eq "work"].value`, "value", true},
		{schema.UserType, `Emails[Type eq "work"].Value`, `emails[Type eq "work"].value`, "value", true},
		{schema.UserType, `urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value`, `emails[type eq "work"].value`, "value", true},
		{schema.UserType, `emails[value eq "a]b\"]c"].display`, `emails[value eq "a]b\"]c"].display`, "display", true},
		{schema.UserType, `addresses[type eq "work" and primary eq true].formatted`, `addresses[type eq "work" and primary eq true].formatted`, "formatted", true},
		{schema.GroupType, `members[value eq "2819c223"]`, `members[value eq "2819c223"]`, "", true},
		{schema.UserType, "", "", "", false},
		{schema.UserType, "nope", "", "", false},
		{schema.UserType, "name.nope", "", "", false},
		{schema.UserType, "name.givenName.x", "", "", false},
		{schema.UserType, "urn:example:1.0:User:x", "", "", false},
		{schema.UserType, `emails[type eq "work"`, "", "", false},
		{schema.UserType, `emails[type eq "work]`, "", "", false},
		{schema.UserType, `emails]`, "", "", false},
		{schema.UserType, `emails"x"`, "", "", false},
		{schema.UserType, `emails[type eq "work"]value`, "", "", false},
		{schema.UserType, `emails[type eq "work"].`, "", "", false},
		{schema.UserType, `emails[type eq "work"].nope`, "", "", false},
		{schema.UserType, `emails[type eq "work"][value eq "x"]`, "", "", false},
		{schema.UserType, `emails.value[type eq "work"]`, "", "", false},
		{schema.UserType, `name[givenName eq "x"]`, "", "", false},
		{schema.UserType, `userName[value eq "x"]`, "", "", false},
		{schema.UserType, `ENT[department eq "x"]`, "", "", false},
		{schema.UserType, `emails[]`, "", "", false},
		{schema.UserType, `emails[nope eq "x"]`, "", "", false},
		{schema.GroupType, "userName", "", "", false},
	}
	for _, tt := range tests {
		in := expandURN.Replace(tt.in)
		p, err := ParsePath(tt.rt, in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParsePath(%q) = %v, want an error", in, p)
				continue
			}
			checkErr(t, err, scimerr.InvalidPath)
			continue
		}
		if err != nil {
			t.Errorf("ParsePath(%q): %v", in, err)
			continue
		}
		if got, want := p.String(), expandURN.Replace(tt.want); got != want {
			t.Errorf("ParsePath(%q) = %q, want %q", in, got, want)
		}
		if got := p.Attr.Sub; (got == nil) != (tt.sub == "") || (got != nil && got.Name != tt.sub) {
			t.Errorf("ParsePath(%q).Attr.Sub = %v, want %q", in, got, tt.sub)
		}
		if (p.Filter != nil) != tt.flt {
			t.Errorf("ParsePath(%q).Filter = %v", in, p.Filter)
		}
	}
}

type splitTest struct {
	name  string
	ops   string
	delta string // the delta as {"clear": bool, "add": [...], "remove": [...]}, fields omitted when empty
	rest  string // the remaining operations
	notOK bool   // SplitMembers returns ok=false
	err   string // scimType of the error
}

var splitTests = []splitTest{
	{
		name:  "Okta rename without members key stays in rest",
		ops:   `[{"op": "replace", "value": {"id": "g1", "displayName": "Test SCIMv2 renamed"}}]`,
		delta: `{}`,
		rest:  `[{"op": "replace", "value": {"id": "g1", "displayName": "Test SCIMv2 renamed"}}]`,
	},
	{
		name:  "Okta membership: remove by filter, then add",
		ops:   `[{"op": "remove", "path": "members[value eq \"u2\"]"}, {"op": "add", "path": "members", "value": [{"value": "u3", "display": "test.user@okta.local"}]}]`,
		delta: `{"add": [{"value": "u3"}], "remove": ["u2"]}`,
	},
	{
		name:  "Entra ID: add members with $ref null",
		ops:   `[{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "u1"}, {"$ref": null, "value": "u2"}]}]`,
		delta: `{"add": [{"value": "u1"}, {"value": "u2"}]}`,
	},
	{
		name:  "Entra ID: remove members with a value list",
		ops:   `[{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "u2"}]}]`,
		delta: `{"remove": ["u2"]}`,
	},
	{
		name:  "remove members with a single object",
		ops:   `[{"op": "remove", "path": "members", "value": {"value": "u2"}}]`,
		delta: `{"remove": ["u2"]}`,
	},
	{
		name:  "remove members with an empty list removes nothing",
		ops:   `[{"op": "remove", "path": "members", "value": []}]`,
		delta: `{}`,
	},
	{
		name:  "add a single member object with type",
		ops:   `[{"op": "add", "path": "members", "value": {"value": "g9", "type": "Group"}}]`,
		delta: `{"add": [{"value": "g9", "type": "Group"}]}`,
	},
	{
		name:  "Okta: replace members with an empty list",
		ops:   `[{"op": "replace", "path": "members", "value": []}]`,
		delta: `{"clear": true}`,
	},
	{
		name:  "replace members with a list",
		ops:   `[{"op": "replace", "path": "members", "value": [{"value": "u1"}, {"value": "u3"}]}]`,
		delta: `{"clear": true, "add": [{"value": "u1"}, {"value": "u3"}]}`,
	},
	{
		name:  "replace members with null",
		ops:   `[{"op": "replace", "path": "members", "value": null}]`,
		delta: `{"clear": true}`,
	},
	{
		name:  "remove members without a value",
		ops:   `[{"op": "remove", "path": "members"}]`,
		delta: `{"clear": true}`,
	},
	{
		name:  "remove members by an or of value eq clauses",
		ops:   `[{"op": "remove", "path": "members[value eq \"u1\" or value eq \"u2\" or value eq \"g1\"]"}]`,
		delta: `{"remove": ["u1", "u2", "g1"]}`,
	},
	{
		name:  "URN-qualified members path",
		ops:   `[{"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:Group:members", "value": [{"value": "u4"}]}]`,
		delta: `{"add": [{"value": "u4"}]}`,
	},
	{
		name:  "path-less replace with members: clear and add, other keys stay in rest",
		ops:   `[{"op": "replace", "value": {"displayName": "Sales EMEA", "members": [{"value": "u1"}]}}]`,
		delta: `{"clear": true, "add": [{"value": "u1"}]}`,
		rest:  `[{"op": "replace", "value": {"displayName": "Sales EMEA"}}]`,
	},
	{
		name:  "path-less add with only members",
		ops:   `[{"op": "add", "value": {"Members": [{"value": "u4"}]}}]`,
		delta: `{"add": [{"value": "u4"}]}`,
	},
	{
		name: "non-member operations keep their order",
		ops: `[{"op": "replace", "path": "displayName", "value": "A"}, {"op": "add", "path": "members", "value": [{"value": "u4"}]},
		       {"op": "replace", "value": {"displayName": "B"}}, {"op": "remove", "path": "externalId"}]`,
		delta: `{"add": [{"value": "u4"}]}`,
		rest:  `[{"op": "replace", "path": "displayName", "value": "A"}, {"op": "replace", "value": {"displayName": "B"}}, {"op": "remove", "path": "externalId"}]`,
	},
	{
		name:  "remove then add the same member re-adds it",
		ops:   `[{"op": "remove", "path": "members[value eq \"u1\"]"}, {"op": "add", "path": "members", "value": [{"value": "u1", "type": "Group"}]}]`,
		delta: `{"add": [{"value": "u1", "type": "Group"}], "remove": ["u1"]}`,
	},
	{
		name:  "add then remove the same member removes it",
		ops:   `[{"op": "add", "path": "members", "value": [{"value": "u4"}, {"value": "u5"}]}, {"op": "remove", "path": "members[value eq \"u4\"]"}]`,
		delta: `{"add": [{"value": "u5"}], "remove": ["u4"]}`,
	},
	{
		name:  "clear discards earlier changes",
		ops:   `[{"op": "add", "path": "members", "value": [{"value": "u4"}]}, {"op": "remove", "path": "members[value eq \"u1\"]"}, {"op": "replace", "path": "members", "value": [{"value": "u5"}]}]`,
		delta: `{"clear": true, "add": [{"value": "u5"}]}`,
	},
	{
		name:  "removal after a clear only drops adds",
		ops:   `[{"op": "remove", "path": "members"}, {"op": "add", "path": "members", "value": [{"value": "u4"}, {"value": "u5"}]}, {"op": "remove", "path": "members", "value": [{"value": "u4"}, {"value": "u1"}]}]`,
		delta: `{"clear": true, "add": [{"value": "u5"}]}`,
	},
	{
		name:  "adds are deduplicated by value, first wins",
		ops:   `[{"op": "add", "path": "members", "value": [{"value": "u4", "type": "User"}, {"value": "u4", "type": "Group"}]}, {"op": "add", "path": "members", "value": "u4"}]`,
		delta: `{"add": [{"value": "u4", "type": "User"}]}`,
	},
	{
		name:  "a filtered sub-attribute is not simple",
		ops:   `[{"op": "add", "path": "members", "value": [{"value": "u4"}]}, {"op": "replace", "path": "members[value eq \"x\"].display", "value": "X"}]`,
		notOK: true,
	},
	{
		name:  "removal by type is not simple",
		ops:   `[{"op": "remove", "path": "members[type eq \"Group\"]"}]`,
		notOK: true,
	},
	{
		name:  "an and filter is not simple",
		ops:   `[{"op": "remove", "path": "members[value eq \"u1\" and type eq \"User\"]"}]`,
		notOK: true,
	},
	{
		name:  "add through a filter is not simple",
		ops:   `[{"op": "add", "path": "members[value eq \"u1\"]", "value": {"type": "User"}}]`,
		notOK: true,
	},
	{
		name:  "a sub-attribute path is not simple",
		ops:   `[{"op": "remove", "path": "members.type"}]`,
		notOK: true,
	},
	{
		name:  "a path-less members sub-attribute key is not simple",
		ops:   `[{"op": "add", "value": {"members.value": "u1"}}]`,
		notOK: true,
	},
	{
		name:  "members named twice in one path-less value is not simple",
		ops:   `[{"op": "add", "value": {"members": [{"value": "u1"}], "Members": [{"value": "u2"}]}}]`,
		notOK: true,
	},
	{
		name:  "members inside a core URN object is not simple",
		ops:   `[{"op": "add", "value": {"urn:ietf:params:scim:schemas:core:2.0:Group": {"members": [{"value": "u1"}]}}}]`,
		notOK: true,
	},
	{
		name: "a member without a value is an error",
		ops:  `[{"op": "add", "path": "members", "value": [{"display": "Babs"}]}]`,
		err:  scimerr.InvalidValue,
	},
	{
		name: "removing a member without a value is an error",
		ops:  `[{"op": "remove", "path": "members", "value": [{"type": "User"}]}]`,
		err:  scimerr.InvalidValue,
	},
	{
		name: "a path-less member without a value is an error",
		ops:  `[{"op": "replace", "value": {"members": [{"value": 7}]}}]`,
		err:  scimerr.InvalidValue,
	},
	{
		name: "add members without a value is an error",
		ops:  `[{"op": "add", "path": "members"}]`,
		err:  scimerr.InvalidValue,
	},
	{
		name: "an unknown op is an error",
		ops:  `[{"op": "merge", "path": "members", "value": []}]`,
		err:  scimerr.InvalidSyntax,
	},
	{
		name: "a malformed path is an error",
		ops:  `[{"op": "remove", "path": "members[value eq"}]`,
		err:  scimerr.InvalidPath,
	},
}

// applyDelta applies a delta to a list of members the way a store does.
func applyDelta(members []any, d MemberDelta) []any {
	if d.Clear {
		members = nil
	}
	var out []any
	for _, m := range members {
		if !slices.Contains(d.Remove, m.(map[string]any)["value"].(string)) {
			out = append(out, m)
		}
	}
	for _, a := range d.Add {
		if !slices.ContainsFunc(out, func(m any) bool { return m.(map[string]any)["value"] == a["value"] }) {
			out = append(out, a)
		}
	}
	return out
}

func deltaJSON(d MemberDelta) map[string]any {
	m := map[string]any{}
	if d.Clear {
		m["clear"] = true
	}
	if len(d.Add) > 0 {
		m["add"] = d.Add
	}
	if len(d.Remove) > 0 {
		m["remove"] = d.Remove
	}
	return m
}

const splitGroup = `{"displayName": "Sales", "members": [{"value": "u1", "type": "User"}, {"value": "u2", "type": "User"}, {"value": "g1", "type": "Group"}]}`

func TestSplitMembers(t *testing.T) {
	for _, tt := range splitTests {
		t.Run(tt.name, func(t *testing.T) {
			ops := decodeOps(t, tt.ops)
			delta, rest, ok, err := SplitMembers(schema.GroupType, ops)
			if tt.err != "" {
				checkErr(t, err, tt.err)
				if ok {
					t.Error("ok with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if ok == tt.notOK {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			checkJSON(t, deltaJSON(delta), tt.delta)
			if tt.rest == "" {
				tt.rest = "[]"
			}
			if rest == nil {
				rest = []Operation{}
			}
			checkJSON(t, rest, tt.rest)

			// The delta and the remaining operations together do what
			// Apply does with all operations.
			doc := decodeDoc(t, splitGroup)
			want, err := Apply(schema.GroupType, doc, ops)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			members := applyDelta(doc["members"].([]any), delta)
			delete(doc, "members")
			got, err := Apply(schema.GroupType, doc, rest)
			if err != nil {
				t.Fatalf("Apply(rest): %v", err)
			}
			if len(members) > 0 {
				got["members"] = members
			}
			checkJSON(t, got, mustMarshal(t, want))
		})
	}
}

func mustMarshal(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSplitMembersOnUsers(t *testing.T) {
	ops := decodeOps(t, `[{"op": "replace", "path": "active", "value": false}]`)
	delta, rest, ok, err := SplitMembers(schema.UserType, ops)
	if err != nil || !ok || !delta.Empty() || !reflect.DeepEqual(rest, ops) {
		t.Errorf("SplitMembers(User) = %v, %v, %v, %v", delta, rest, ok, err)
	}
}
