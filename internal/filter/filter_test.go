package filter_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/filter/filtertest"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
)

const (
	coreURN = "urn:ietf:params:scim:schemas:core:2.0:User:"
	entURN  = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
)

// thingType has the attribute types that User and Group lack.
var thingType = &schema.ResourceType{
	ID:       "Thing",
	Endpoint: "/Things",
	Schema: &schema.Schema{
		ID:   "urn:example:params:scim:schemas:Thing",
		Name: "Thing",
		Attributes: []*schema.Attribute{
			{Name: "count", Type: schema.Integer},
			{Name: "score", Type: schema.Decimal},
			{Name: "sizes", Type: schema.Integer, MultiValued: true},
			{Name: "tags", Type: schema.String, MultiValued: true},
			{Name: "when", Type: schema.DateTime},
			{Name: "code", Type: schema.String, CaseExact: true},
		},
	},
}

func resourceType(name string) *schema.ResourceType {
	switch name {
	case "User":
		return schema.UserType
	case "Group":
		return schema.GroupType
	case "Thing":
		return thingType
	}
	panic("unknown resource type " + name)
}

func TestParse(t *testing.T) {
	long := `userName eq "x"` + strings.Repeat(` or userName eq "x"`, filter.MaxTerms-1)
	tests := []struct {
		rt   string // default User
		in   string
		want string // canonical form; "" means the input is canonical
	}{
		// Operators and literals.
		{in: `userName eq "bjensen"`},
		{in: `userName ne "bjensen"`},
		{in: `userName co "jensen"`},
		{in: `userName sw "J"`},
		{in: `userName ew "n"`},
		{in: `userName gt "a"`},
		{in: `userName ge "a"`},
		{in: `userName lt "a"`},
		{in: `userName le "a"`},
		{in: `title pr`},
		{in: `title eq null`},
		{in: `title ne null`},
		{in: `active eq true`},
		{in: `active ne false`},
		{in: `active eq "True"`, want: `active eq true`},
		{in: `active eq "FALSE"`, want: `active eq false`},
		{in: `active eq TRUE`, want: `active eq true`},
		{in: `title eq NULL`, want: `title eq null`},
		{in: `meta.created gt "2024-01-02T04:04:05+01:00"`},
		{in: `meta.lastModified le "2024-01-02T04:04:05.123456789Z"`},
		{rt: "Thing", in: `count eq 5`},
		{rt: "Thing", in: `count ge -1.5e3`},
		{rt: "Thing", in: `score lt 0.25E-2`},
		{rt: "Thing", in: `sizes gt 0`},
		{rt: "Thing", in: `tags co "x"`},
		{rt: "Thing", in: `when lt "2024-01-02T03:04:05Z"`},

		// Case and spacing.
		{in: `USERNAME EQ "x"`, want: `userName eq "x"`},
		{in: `userName Eq "x" AND Title PR`, want: `userName eq "x" and title pr`},
		{in: " \t userName   eq\n\"x\"\r\n ", want: `userName eq "x"`},
		{in: `userName eq"x"and(title pr)`, want: `userName eq "x" and title pr`},
		{in: `not(title pr)`, want: `not (title pr)`},
		{in: `NOT (title pr)`, want: `not (title pr)`},

		// Strings are JSON strings.
		{in: `title eq "a\"b\\c\/d\u00e9\n\t\r\b\f"`, want: `title eq "a\"b\\c/dé\n\t\r\u0008\u000c"`},
		{in: `title eq "\ud83d\ude00"`, want: `title eq "😀"`},
		{in: `title eq "\ud83d"`, want: `title eq "�"`},
		{in: `title eq "Émile ☃"`},
		{in: `title eq ""`},

		// Precedence and parentheses: only the needed ones are kept.
		{in: `title pr or userName pr and active pr`},
		{in: `(title pr or userName pr) and active pr`},
		{in: `title pr and userName pr or active pr`},
		{in: `(title pr and userName pr) or active pr`, want: `title pr and userName pr or active pr`},
		{in: `title pr and (userName pr or active pr)`},
		{in: `title pr and (userName pr and active pr)`},
		{in: `title pr or (userName pr or active pr)`},
		{in: `(title pr or userName pr) or active pr`, want: `title pr or userName pr or active pr`},
		{in: `((title pr))`, want: `title pr`},
		{in: `not ((title pr))`, want: `not (title pr)`},
		{in: `not (title pr) and not (userName pr or active pr)`},
		{in: `not (not (title pr))`},
		{in: strings.Repeat("(", filter.MaxDepth) + "title pr" + strings.Repeat(")", filter.MaxDepth), want: `title pr`},
		{in: long},

		// Paths.
		{in: `name.givenName eq "x"`},
		{in: `NAME.GIVENNAME eq "x"`, want: `name.givenName eq "x"`},
		{in: coreURN + `userName eq "x"`, want: `userName eq "x"`},
		{in: coreURN + `name.givenName eq "x"`, want: `name.givenName eq "x"`},
		{in: coreURN + `id eq "x"`, want: `id eq "x"`},
		{in: entURN + `department eq "x"`},
		{in: strings.ToLower(entURN) + `DEPARTMENT eq "x"`, want: entURN + `department eq "x"`},
		{in: entURN + `manager.value eq "x"`},
		{in: `meta.resourceType eq "User"`},
		{in: `groups.$ref sw "https://"`},
		{rt: "Group", in: `urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"`, want: `displayName eq "x"`},

		// A complex attribute stands for its value sub-attribute.
		{in: `emails co "x"`, want: `emails.value co "x"`},
		{in: `emails pr`},
		{in: entURN + `manager eq "u1"`, want: entURN + `manager.value eq "u1"`},
		{in: entURN + `manager pr`},
		{rt: "Group", in: `members eq "u1"`, want: `members.value eq "u1"`},
		{in: `name pr`},
		{in: `meta pr`},

		// Value paths.
		{in: `emails[type eq "work" and value co "@example.com"]`},
		{in: `EMAILS[TYPE EQ "work"]`, want: `emails[type eq "work"]`},
		{in: `emails [ type eq "work" ]`, want: `emails[type eq "work"]`},
		{in: `emails[type eq "work" or (primary eq true and value pr)]`, want: `emails[type eq "work" or primary eq true and value pr]`},
		{in: `emails[not (type eq "work")]`},
		{in: `emails[type eq "work"] and title pr`},
		{in: `not (emails[type eq "work"]) or emails[value ew ".org"]`},
		{in: coreURN + `emails[type eq "work"]`, want: `emails[type eq "work"]`},
		{in: `emails[type eq "work"].value eq "x"`, want: `emails[type eq "work" and value eq "x"]`},
		{in: `emails[type eq "work"].VALUE pr`, want: `emails[type eq "work" and value pr]`},
		{in: `emails[type eq "work" or type eq "home"].value pr`, want: `emails[(type eq "work" or type eq "home") and value pr]`},
		{in: `emails[type eq "work" and primary eq true].value co "x"`, want: `emails[type eq "work" and primary eq true and value co "x"]`},
		{in: `groups[$ref pr]`},
		{rt: "Group", in: `members[value eq "u1" and type eq "User"]`},
	}
	for _, tt := range tests {
		rt := schema.UserType
		if tt.rt != "" {
			rt = resourceType(tt.rt)
		}
		want := tt.want
		if want == "" {
			want = tt.in
		}
		e, err := filter.Parse(rt, tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		got := filter.Format(e)
		if got != want {
			t.Errorf("Format(Parse(%q))\n got %s\nwant %s", tt.in, got, want)
		}
		e2, err := filter.Parse(rt, got)
		if err != nil {
			t.Errorf("Parse(Format(Parse(%q))): %v", tt.in, err)
		} else if !reflect.DeepEqual(e, e2) {
			t.Errorf("Parse(%q) and Parse(%q) differ", tt.in, got)
		}
	}
}

func TestParseTree(t *testing.T) {
	path := func(s string) schema.Path {
		p, err := schema.UserType.ParsePath(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		in   string
		want filter.Expr
	}{
		{`userName eq "x"`, &filter.Compare{Path: path("userName"), Op: filter.Eq, Value: "x"}},
		{`emails co "x"`, &filter.Compare{Path: path("emails.value"), Op: filter.Co, Value: "x"}},
		{`active eq "true"`, &filter.Compare{Path: path("active"), Op: filter.Eq, Value: true}},
		{`title ne null`, &filter.Compare{Path: path("title"), Op: filter.Ne, Value: nil}},
		{`title pr`, &filter.Present{Path: path("title")}},
		{`title pr or userName pr and active pr`, &filter.Or{
			Left: &filter.Present{Path: path("title")},
			Right: &filter.And{
				Left:  &filter.Present{Path: path("userName")},
				Right: &filter.Present{Path: path("active")},
			},
		}},
		{`title pr and userName pr and active pr`, &filter.And{
			Left: &filter.And{
				Left:  &filter.Present{Path: path("title")},
				Right: &filter.Present{Path: path("userName")},
			},
			Right: &filter.Present{Path: path("active")},
		}},
		{`not (title pr)`, &filter.Not{X: &filter.Present{Path: path("title")}}},
		{`emails[type eq "work"].value pr`, &filter.ValuePath{
			Path: path("emails"),
			Filter: &filter.And{
				Left:  &filter.Compare{Path: path("emails.type"), Op: filter.Eq, Value: "work"},
				Right: &filter.Present{Path: path("emails.value")},
			},
		}},
	}
	for _, tt := range tests {
		got, err := filter.Parse(schema.UserType, tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	e, _ := filter.Parse(thingType, `count eq 10`)
	if v := e.(*filter.Compare).Value; v != json.Number("10") {
		t.Errorf("number literal = %#v, want json.Number", v)
	}
}

// checkInvalidFilter fails unless err is a 400 invalidFilter whose detail
// contains want.
func checkInvalidFilter(t *testing.T, in string, err error, want string) {
	t.Helper()
	if len(in) > 100 {
		in = in[:100] + "..."
	}
	var se *scimerr.Error
	if !errors.As(err, &se) {
		t.Errorf("Parse(%q): error %v (%T), want *scimerr.Error", in, err, err)
		return
	}
	if se.Status != http.StatusBadRequest || se.ScimType != scimerr.InvalidFilter {
		t.Errorf("Parse(%q): %d %s, want 400 invalidFilter", in, se.Status, se.ScimType)
	}
	if !strings.Contains(se.Detail, want) {
		t.Errorf("Parse(%q): detail %q, want it to contain %q", in, se.Detail, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		rt   string // default User
		in   string
		want string // part of the error detail
	}{
		// Structure.
		{in: ``, want: `empty filter`},
		{in: " \t\n", want: `empty filter`},
		{in: `userName`, want: `expected an operator after "userName" but found end of filter at position 9`},
		{in: `userName eq`, want: `expected a value (string, number, true, false or null) after "eq" but found end of filter at position 12`},
		{in: `userName eq bjensen`, want: `expected a value after "eq" but found "bjensen"; strings must be in double quotes at position 13`},
		{in: `userName eq (`, want: `expected a value (string, number, true, false or null) after "eq" but found "(" at position 13`},
		{in: `userName foo "x"`, want: `unknown operator "foo" after "userName"; expected eq, ne, co, sw, ew, gt, ge, lt, le or pr at position 10`},
		{in: `userName "x"`, want: `expected an operator after "userName" but found string "x" at position 10`},
		{in: `userName pr "x"`, want: `"pr" takes no value but found string "x" at position 13`},
		{in: `userName pr true`, want: `"pr" takes no value but found "true"`},
		{in: `userName eq "x" title pr`, want: `expected "and", "or" or end of filter but found "title" at position 17`},
		{in: `userName eq "x" and`, want: `expected an attribute path, "(" or "not" but found end of filter at position 20`},
		{in: `and userName pr`, want: `expected an attribute path, "(" or "not" but found "and" at position 1`},
		{in: `userName pr or or title pr`, want: `but found "or" at position 16`},
		{in: `()`, want: `expected an attribute path, "(" or "not" but found ")" at position 2`},
		{in: `"x" eq userName`, want: `but found string "x" at position 1`},
		{in: `1 eq 1`, want: `but found "1" at position 1`},
		{in: `not userName pr`, want: `expected "(" after "not" at position 5`},
		{in: `not`, want: `expected "(" after "not" at position 4`},
		{in: `(userName pr`, want: `unbalanced "(": no ")" closes it at position 1`},
		{in: `userName pr or (title pr`, want: `unbalanced "(": no ")" closes it at position 16`},
		{in: `not (userName pr`, want: `unbalanced "(": no ")" closes it at position 5`},
		{in: `(userName pr title pr)`, want: `expected ")", "and" or "or" but found "title" at position 14`},
		{in: `userName pr)`, want: `unbalanced ")": no "(" to close at position 12`},
		{in: `userName pr]`, want: `unbalanced "]": no "[" to close at position 12`},
		{in: `emails[type eq "work"`, want: `unbalanced "[": no "]" closes it at position 7`},
		{in: `emails[type eq "work")`, want: `expected "]", "and" or "or" but found ")" at position 22`},
		{in: `emails[]`, want: `but found "]" at position 8`},
		{in: `emails[type[value pr]]`, want: `nested brackets are not allowed inside the value filter of "emails" at position 12`},
		{in: `emails[type eq "work"] .value eq "x"`, want: `expected "and", "or" or end of filter but found ".value" at position 24`},
		{in: `emails[type eq "work"].value`, want: `expected an operator after ".value" but found end of filter`},
		{in: `emails[type eq "work"].foo eq "x"`, want: `unknown sub-attribute "foo" of "emails" at position 23`},
		{in: `userName eq "x" & title pr`, want: `unexpected character '&' at position 17`},
		{in: `userName eq 'x'`, want: `unexpected character '\'' at position 13`},
		{in: strings.Repeat("(", filter.MaxDepth+1) + "title pr" + strings.Repeat(")", filter.MaxDepth+1), want: `filter nests deeper than 50 levels at position 51`},
		{in: strings.Repeat("not (", filter.MaxDepth+1) + "title pr" + strings.Repeat(")", filter.MaxDepth+1), want: `filter nests deeper than 50 levels`},
		{in: strings.Repeat("(", filter.MaxDepth-1) + `emails[type pr or value pr].value pr` + strings.Repeat(")", filter.MaxDepth-1), want: `filter nests deeper than 50 levels`},
		{in: `userName eq "` + strings.Repeat("x", filter.MaxLength) + `"`, want: `filter is 10014 bytes long; the limit is 10000`},
		{in: "userName eq \"\xff\"", want: `invalid UTF-8 at position 14`},

		// Literals.
		{in: `userName eq "abc`, want: `unterminated string at position 13`},
		{in: `userName eq "abc\"`, want: `unterminated string at position 13`},
		{in: `userName eq "a\x"`, want: `invalid escape \x in string at position 15`},
		{in: `userName eq "a\u12"`, want: `invalid escape in string: \u needs four hex digits at position 15`},
		{in: "userName eq \"a\tb\"", want: `control character '\t' in string; escape it at position 15`},
		{rt: "Thing", in: `count eq 1.`, want: `invalid number "1." at position 10`},
		{rt: "Thing", in: `count eq 01`, want: `invalid number "01"`},
		{rt: "Thing", in: `count eq +1`, want: `unexpected character '+'`},
		{rt: "Thing", in: `count eq 12abc`, want: `invalid number "12abc"`},
		{rt: "Thing", in: `count eq -`, want: `invalid number "-"`},
		{rt: "Thing", in: `count eq 1e999`, want: `number 1e999 is out of range at position 10`},

		// Paths.
		{in: `foo eq "x"`, want: `unknown attribute "foo" at position 1`},
		{in: `name.foo eq "x"`, want: `unknown attribute "name.foo" at position 1`},
		{in: `userName.foo eq "x"`, want: `attribute "userName" has no sub-attributes at position 1`},
		{in: `name.givenName.x eq "x"`, want: `invalid attribute path "name.givenName.x" at position 1`},
		{in: `name. eq "x"`, want: `invalid attribute path "name."`},
		{in: `a:b eq "x"`, want: `invalid attribute path "a:b"`},
		{in: `department eq "x"`, want: `unknown attribute "department"`},
		{in: `urn:example:Foo:bar eq "x"`, want: `unknown schema in attribute path "urn:example:Foo:bar"`},
		{in: strings.TrimSuffix(entURN, ":") + ` pr`, want: `names a schema, not an attribute at position 1`},
		{in: entURN + `userName eq "x"`, want: `unknown attribute`},
		{rt: "Group", in: `userName eq "x"`, want: `unknown attribute "userName"`},
		{in: `userName[value eq "x"]`, want: `brackets must follow a multi-valued complex attribute, and "userName" is not one at position 9`},
		{in: `name[givenName eq "x"]`, want: `brackets must follow a multi-valued complex attribute, and "name" is not one`},
		{in: `emails.value[type eq "x"]`, want: `brackets must follow a multi-valued complex attribute, and "emails.value" is not one`},
		{in: `emails[foo eq "x"]`, want: `unknown sub-attribute "foo" of "emails" at position 8`},
		{in: `emails[emails.type eq "x"]`, want: `"emails.type" is not a sub-attribute name; inside brackets, paths name sub-attributes of "emails" at position 8`},

		// Types.
		{in: `name eq "x"`, want: `"name" is a complex attribute without a "value" sub-attribute; compare one of its sub-attributes at position 1`},
		{in: `meta eq "x"`, want: `"meta" is a complex attribute without a "value" sub-attribute`},
		{in: `name eq null`, want: `"name" is a complex attribute without a "value" sub-attribute`},
		{in: `userName eq 5`, want: `"userName" is a string attribute; compare it with a string in double quotes at position 13`},
		{in: `userName eq true`, want: `"userName" is a string attribute`},
		{in: `profileUrl eq 5`, want: `"profileUrl" is a reference attribute`},
		{in: `userName gt null`, want: `null can only be compared with eq or ne at position 13`},
		{in: `userName co null`, want: `null can only be compared with eq or ne`},
		{in: `active eq "yes"`, want: `"active" is a boolean attribute; compare it with true or false at position 11`},
		{in: `active eq 1`, want: `"active" is a boolean attribute`},
		{in: `active gt true`, want: `gt does not apply to boolean attribute "active"; use eq, ne or pr at position 8`},
		{in: `active co "true"`, want: `co does not apply to boolean attribute "active"`},
		{in: `emails.primary sw true`, want: `sw does not apply to boolean attribute "emails.primary"`},
		{in: `meta.created gt "yesterday"`, want: `"yesterday" is not an RFC 3339 dateTime such as "2024-01-02T03:04:05Z" at position 17`},
		{in: `meta.created gt "2024-01-02"`, want: `is not an RFC 3339 dateTime`},
		{in: `meta.created gt "2024-01-02T03:04:05"`, want: `is not an RFC 3339 dateTime`},
		{in: `meta.created gt 5`, want: `"meta.created" is a dateTime attribute; compare it with a string`},
		{in: `meta.created co "2024-01-02T03:04:05Z"`, want: `co does not apply to dateTime attribute "meta.created"`},
		{in: `x509Certificates.value gt "a"`, want: `gt does not apply to binary attribute "x509Certificates.value"`},
		{in: `x509Certificates le "a"`, want: `le does not apply to binary attribute "x509Certificates.value"`},
		{rt: "Thing", in: `count eq "5"`, want: `"count" is a number attribute; compare it with a number`},
		{rt: "Thing", in: `score co 5`, want: `co does not apply to number attribute "score"`},
		{rt: "Thing", in: `when sw "2024-01-02T03:04:05Z"`, want: `sw does not apply to dateTime attribute "when"`},
	}
	for _, tt := range tests {
		rt := schema.UserType
		if tt.rt != "" {
			rt = resourceType(tt.rt)
		}
		e, err := filter.Parse(rt, tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %s, want error %q", tt.in, filter.Format(e), tt.want)
			continue
		}
		checkInvalidFilter(t, tt.in, err, tt.want)
	}
}

func TestParseValueFilter(t *testing.T) {
	emails, _ := schema.UserType.ParsePath("emails")
	members, _ := schema.GroupType.ParsePath("members")
	tests := []struct {
		rt        *schema.ResourceType
		attr      schema.Path
		in        string
		want      string // Format of the value path
		wantMatch []bool // MatchValue on each of values
	}{
		{schema.UserType, emails, `type eq "work" and value co "@x.com"`, `emails[type eq "work" and value co "@x.com"]`, []bool{true, false, false, false}},
		{schema.UserType, emails, `TYPE eq "work"`, `emails[type eq "work"]`, []bool{true, true, false, false}},
		{schema.UserType, emails, `type ne "work"`, `emails[type ne "work"]`, []bool{false, false, true, true}},
		{schema.UserType, emails, `not (primary eq true)`, `emails[not (primary eq true)]`, []bool{false, true, true, true}},
		{schema.UserType, emails, `primary eq null`, `emails[primary eq null]`, []bool{false, true, true, true}},
		{schema.UserType, emails, `value pr or type pr`, `emails[value pr or type pr]`, []bool{true, true, true, false}},
		{schema.GroupType, members, `value eq "U1"`, `members[value eq "U1"]`, []bool{false, false, false, false}},
	}
	values := []map[string]any{
		{"value": "a@X.com", "type": "work", "primary": true},
		{"value": "b@y.com", "type": "Work"},
		{"value": "c@x.com", "type": "home"},
		{"display": ""},
	}
	for _, tt := range tests {
		e, err := filter.ParseValueFilter(tt.rt, tt.attr, tt.in)
		if err != nil {
			t.Errorf("ParseValueFilter(%q): %v", tt.in, err)
			continue
		}
		vp := &filter.ValuePath{Path: tt.attr, Filter: e}
		if got := filter.Format(vp); got != tt.want {
			t.Errorf("ParseValueFilter(%q) = %s, want %s", tt.in, got, tt.want)
		}
		var got []bool
		for _, v := range values {
			got = append(got, filter.MatchValue(e, v))
		}
		if !slices.Equal(got, tt.wantMatch) {
			t.Errorf("MatchValue(%s) = %v, want %v", tt.want, got, tt.wantMatch)
		}
		// The same filter in brackets matches a document holding values.
		doc := map[string]any{tt.attr.Attr.Name: []any{values[0], values[1], values[2], values[3]}}
		if got, want := filter.Match(vp, doc), slices.Contains(tt.wantMatch, true); got != want {
			t.Errorf("Match(%s) = %v, want %v", tt.want, got, want)
		}
	}

	// Full paths: a value filter evaluated on a whole document.
	e, err := filter.ParseValueFilter(schema.UserType, emails, `type eq "home"`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := filter.Format(e), `emails.type eq "home"`; got != want {
		t.Errorf("Format = %s, want %s", got, want)
	}
	if !filter.Match(e, map[string]any{"emails": []any{values[2]}}) {
		t.Errorf("Match(%s) = false on a home email", filter.Format(e))
	}

	userName, _ := schema.UserType.ParsePath("userName")
	emailsValue, _ := schema.UserType.ParsePath("emails.value")
	name, _ := schema.UserType.ParsePath("name")
	errTests := []struct {
		attr schema.Path
		in   string
		want string
	}{
		{emails, ``, `empty filter`},
		{emails, `foo eq "x"`, `unknown sub-attribute "foo" of "emails" at position 1`},
		{emails, `not type eq "x"`, `expected "(" after "not" at position 5`},
		{emails, `emails.type eq "x"`, `"emails.type" is not a sub-attribute name`},
		{emails, `value[type eq "x"]`, `nested brackets are not allowed inside the value filter of "emails" at position 6`},
		{emails, `type eq "work"]`, `unbalanced "]"`},
		{emails, `primary eq "yes"`, `"emails.primary" is a boolean attribute`},
		{userName, `value eq "x"`, `a value filter applies to a multi-valued complex attribute, and "userName" is not one`},
		{emailsValue, `value eq "x"`, `"emails.value" is not one`},
		{name, `givenName eq "x"`, `"name" is not one`},
		{schema.Path{}, `value eq "x"`, `is not one`},
	}
	for _, tt := range errTests {
		e, err := filter.ParseValueFilter(schema.UserType, tt.attr, tt.in)
		if err == nil {
			t.Errorf("ParseValueFilter(%q) = %s, want error %q", tt.in, filter.Format(e), tt.want)
			continue
		}
		checkInvalidFilter(t, tt.in, err, tt.want)
	}
}

// TestCases runs the shared fixture cases against Match.
func TestCases(t *testing.T) {
	docs := map[string][]map[string]any{
		"User":  filtertest.UsersWithGroups(),
		"Group": filtertest.Groups(),
	}
	seen := map[string]bool{}
	for _, c := range filtertest.Cases {
		if seen[c.Name] {
			t.Errorf("duplicate case name %q", c.Name)
		}
		seen[c.Name] = true
		if !slices.IsSorted(c.Want) {
			t.Errorf("%s: Want %v is not sorted", c.Name, c.Want)
		}
		e, err := filter.Parse(filtertest.ResourceType(c.Resource), c.Filter)
		if err != nil {
			t.Errorf("%s: Parse(%q): %v", c.Name, c.Filter, err)
			continue
		}
		var got []string
		for _, d := range docs[c.Resource] {
			if filter.Match(e, d) {
				got = append(got, d["id"].(string))
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, c.Want) {
			t.Errorf("%s: %s\n got %q\nwant %q", c.Name, c.Filter, got, c.Want)
		}
	}
	if len(filtertest.Cases) < 80 {
		t.Errorf("only %d cases", len(filtertest.Cases))
	}
}

func TestUsersWithGroups(t *testing.T) {
	for _, u := range filtertest.UsersWithGroups() {
		if u["id"] != "u9" {
			continue
		}
		want := []any{
			map[string]any{"value": "g2", "display": "Engineering", "type": "indirect"},
			map[string]any{"value": "g4", "display": "Security Team", "type": "direct"},
		}
		if !reflect.DeepEqual(u["groups"], want) {
			t.Errorf("u9 groups = %v, want %v", u["groups"], want)
		}
	}
	for _, u := range filtertest.Users() {
		if _, ok := u["groups"]; ok {
			t.Errorf("Users()[%s] has groups", u["id"])
		}
	}
}

// TestMatch covers what the User and Group fixtures cannot: numbers,
// multi-valued simple attributes, and stored values of unexpected types.
func TestMatch(t *testing.T) {
	docs := []map[string]any{
		{"id": "int", "count": 5, "score": 1.5, "sizes": []any{1, 2, 3}, "tags": []any{"Red", "blue"}},
		{"id": "int64", "count": int64(5), "score": float32(2.5), "sizes": []any{int64(10)}, "tags": []any{}},
		{"id": "float", "count": 5.0, "score": json.Number("0.1"), "sizes": []any{}, "tags": "Green"},
		{"id": "number", "count": json.Number("9007199254740993"), "score": json.Number("1e2")},
		{"id": "wrong", "count": "5", "score": true, "sizes": []any{"3"}, "tags": []any{1}},
		{"id": "time", "when": "2024-01-02T04:04:05+01:00", "code": "AbC"},
		{"id": "badtime", "when": "yesterday"},
		{"id": "empty"},
	}
	tests := []struct {
		filter string
		want   []string
	}{
		{`count eq 5`, []string{"float", "int", "int64"}},
		{`count eq 5.0`, []string{"float", "int", "int64"}},
		{`count eq 0.5e1`, []string{"float", "int", "int64"}},
		{`count ne 5`, []string{"badtime", "empty", "number", "time", "wrong"}},
		{`count gt 5`, []string{"number"}},
		{`count ge 5`, []string{"float", "int", "int64", "number"}},
		{`count lt 5.5`, []string{"float", "int", "int64"}},
		{`count le -1`, nil},
		{`count eq 9007199254740993`, []string{"number"}},
		{`count gt 9007199254740992`, []string{"number"}},
		{`count pr`, []string{"float", "int", "int64", "number", "wrong"}},
		{`score eq 100`, []string{"number"}},
		{`score gt 1`, []string{"int", "int64", "number"}},
		{`score lt 0.2`, []string{"float"}},
		{`score eq 2.5`, []string{"int64"}},
		{`sizes eq 2`, []string{"int"}},
		{`sizes gt 5`, []string{"int64"}},
		{`sizes ne 3`, []string{"badtime", "empty", "float", "int64", "number", "time", "wrong"}},
		{`sizes pr`, []string{"int", "int64", "wrong"}},
		{`tags eq "red"`, []string{"int"}},
		{`tags co "E"`, []string{"float", "int"}},
		{`tags pr`, []string{"float", "int", "wrong"}},
		{`tags eq null`, []string{"badtime", "empty", "int64", "number", "time"}},
		{`when eq "2024-01-02T03:04:05Z"`, []string{"time"}},
		{`when gt "2024-01-02T03:04:04.999999999Z"`, []string{"time"}},
		{`when lt "2024-01-02T03:04:05.000000001Z"`, []string{"time"}},
		{`when ne "2024-01-02T03:04:05Z"`, []string{"badtime", "empty", "float", "int", "int64", "number", "wrong"}},
		{`when pr`, []string{"badtime", "time"}},
		{`code eq "AbC"`, []string{"time"}},
		{`code eq "abc"`, nil},
		{`code gt "B"`, nil},
		{`code lt "B"`, []string{"time"}},
	}
	for _, tt := range tests {
		e, err := filter.Parse(thingType, tt.filter)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.filter, err)
			continue
		}
		var got []string
		for _, d := range docs {
			if filter.Match(e, d) {
				got = append(got, d["id"].(string))
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s\n got %q\nwant %q", tt.filter, got, tt.want)
		}
	}
}

// TestMatchOddDocuments checks that documents of unexpected shapes do not
// match and do not panic.
func TestMatchOddDocuments(t *testing.T) {
	filters := []string{
		`emails[type eq "work"]`, `emails.value eq "x"`, `emails pr`, `emails ne "x"`,
		`name.givenName eq "x"`, entURN + `manager.value eq "x"`, `meta.created gt "2024-01-02T03:04:05Z"`,
	}
	docs := []map[string]any{
		nil,
		{},
		{"emails": "x", "name": "x", entURN[:len(entURN)-1]: "x", "meta": "x"},
		{"emails": []any{"x", nil, []any{"x"}, 5}, "name": []any{"x"}},
		{"emails": map[string]any{"value": "x", "type": "work"}, "meta": map[string]any{"created": 5}},
	}
	want := map[string][]bool{
		`emails[type eq "work"]`: {false, false, false, false, true},
		`emails.value eq "x"`:    {false, false, false, false, true},
		`emails pr`:              {false, false, true, true, true},
		`emails ne "x"`:          {true, true, true, true, false},
		`name.givenName eq "x"`:  {false, false, false, false, false},
	}
	for _, f := range filters {
		e, err := filter.Parse(schema.UserType, f)
		if err != nil {
			t.Fatalf("Parse(%q): %v", f, err)
		}
		for i, d := range docs {
			got := filter.Match(e, d)
			if w, ok := want[f]; ok && got != w[i] {
				t.Errorf("Match(%s, docs[%d]) = %v, want %v", f, i, got, w[i])
			} else if !ok && got {
				t.Errorf("Match(%s, docs[%d]) = true, want false", f, i)
			}
		}
	}
}

func TestString(t *testing.T) {
	e, err := filter.Parse(schema.UserType, `emails[TYPE eq "work"] OR not (title pr)`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.(*filter.Or).String(), `emails[type eq "work"] or not (title pr)`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

// FuzzParse checks that Parse never panics, fails only with invalidFilter,
// and that Format prints a filter that parses back to the same tree.
func FuzzParse(f *testing.F) {
	for _, c := range filtertest.Cases {
		f.Add(c.Filter)
	}
	for _, s := range []string{
		`emails[type eq "work"].value eq "x"`, `emails[type eq "work" or type eq "home"].value pr`,
		`title eq "a\"b\\c\/d\u00e9\n\ud83d\ude00\ud83d"`, `active eq "True"`, `not(title pr)`,
		`userName eq"x"and(title pr)`, entURN + `manager eq "u1"`, `emails[type[value pr]]`,
		`meta.created gt "2024-01-02T04:04:05+01:00"`, `(userName pr`, `userName eq 1e5`,
	} {
		f.Add(s)
	}
	users := filtertest.UsersWithGroups()
	groups := filtertest.Groups()
	emails, _ := schema.UserType.ParsePath("emails")
	f.Fuzz(func(t *testing.T, s string) {
		for _, rt := range []*schema.ResourceType{schema.UserType, schema.GroupType} {
			e, err := filter.Parse(rt, s)
			if err != nil {
				checkInvalidFilter(t, s, err, "")
				continue
			}
			roundTrip(t, rt, s, e)
			docs := users
			if rt == schema.GroupType {
				docs = groups
			}
			for _, d := range docs {
				filter.Match(e, d)
			}
		}
		e, err := filter.ParseValueFilter(schema.UserType, emails, s)
		if err != nil {
			checkInvalidFilter(t, s, err, "")
			return
		}
		vp := &filter.ValuePath{Path: emails, Filter: e}
		roundTrip(t, schema.UserType, s, vp)
		for _, u := range users {
			list, _ := u["emails"].([]any)
			for _, v := range list {
				filter.MatchValue(e, v.(map[string]any))
			}
		}
	})
}

func roundTrip(t *testing.T, rt *schema.ResourceType, in string, e filter.Expr) {
	t.Helper()
	out := filter.Format(e)
	if len(out) > filter.MaxLength {
		// Formatting can lengthen a filter (spaces, rewrites), past the
		// limit on input.
		return
	}
	e2, err := filter.Parse(rt, out)
	if err != nil {
		t.Fatalf("Parse(%q) formats as %q, which does not parse: %v", in, out, err)
	}
	if out2 := filter.Format(e2); out2 != out {
		t.Fatalf("Parse(%q) formats as %q, which formats as %q", in, out, out2)
	}
	if !reflect.DeepEqual(e, e2) {
		t.Fatalf("Parse(%q) formats as %q, which parses to a different tree", in, out)
	}
}

func BenchmarkParse(b *testing.B) {
	s := `emails[type eq "work" and value co "@example.com"] or (userName sw "b" and not (active eq false)) or meta.lastModified gt "2024-01-01T00:00:00Z"`
	for b.Loop() {
		if _, err := filter.Parse(schema.UserType, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	e, err := filter.Parse(schema.UserType, `emails[type eq "work" and value co "@example.com"] or (userName sw "b" and not (active eq false)) or meta.lastModified gt "2024-01-01T00:00:00Z"`)
	if err != nil {
		b.Fatal(err)
	}
	users := filtertest.UsersWithGroups()
	for b.Loop() {
		for _, u := range users {
			filter.Match(e, u)
		}
	}
}

func TestMaxTerms(t *testing.T) {
	long := `userName eq "a"` + strings.Repeat(` or userName eq "a"`, filter.MaxTerms)
	if _, err := filter.Parse(schema.UserType, long); err == nil {
		t.Errorf("a filter of %d comparisons was accepted", filter.MaxTerms+1)
	}
	ok := `userName eq "a"` + strings.Repeat(` or userName eq "a"`, filter.MaxTerms-1)
	if _, err := filter.Parse(schema.UserType, ok); err != nil {
		t.Errorf("a filter of %d comparisons: %v", filter.MaxTerms, err)
	}
}
