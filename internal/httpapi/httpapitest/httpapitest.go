// Package httpapitest checks that what an API built with package httpapi
// says of itself is so: its OpenAPI document against what it serves, its
// schemas against the types it answers with, and the tables of its
// documentation against its route table and error codes.
package httpapitest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/httpapi"
)

// methods are the methods a route may use.
var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// Serve sends a request with the API's token and returns the response's
// status and body. path is the whole path, prefix included; body is "{}"
// for every method but DELETE, which gets none.
type Serve func(method, path, body string) (status int, respBody []byte)

// CheckServed keeps an OpenAPI document (as served) and the routes served
// in agreement: every documented operation answers, with a status it
// documents and, for an error, a code its response for that status names
// (500 and 503, which any request can meet, fall to "default"); every
// other method of a documented path is a 405. fill replaces the wildcards
// of a path with values that exist. DELETEs go last, the deepest path
// first, so that every other request finds what it names.
func CheckServed(t *testing.T, doc []byte, fill *strings.Replacer, serve Serve) {
	t.Helper()
	var d struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			Responses map[string]struct {
				Description string `json:"description"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	if d.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", d.OpenAPI)
	}
	var paths []string
	for p := range d.Paths {
		paths = append(paths, p)
		for key := range d.Paths[p] {
			if !slices.Contains(methods, strings.ToUpper(key)) {
				t.Errorf("%s: unknown operation %q", p, key)
			}
		}
	}
	slices.Sort(paths)
	check := func(method, path string) {
		t.Helper()
		op, documented := d.Paths[path][strings.ToLower(method)]
		body := "{}"
		if method == "DELETE" {
			body = ""
		}
		status, b := serve(method, fill.Replace(path), body)
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		json.Unmarshal(b, &e)
		switch {
		case !documented:
			if status != 405 || e.Error.Code != httpapi.CodeMethodNotAllowed {
				t.Errorf("%s %s is not documented, but answers %d %s", method, path, status, b)
			}
		case status >= 400 && (status == 500 || status == 503):
			t.Errorf("%s %s: %d %s", method, path, status, b)
		case status >= 400:
			r, ok := op.Responses[strconv.Itoa(status)]
			if !ok || !strings.Contains(r.Description, e.Error.Code+":") {
				t.Errorf("%s %s answers %d %s, which it does not document: %s", method, path, status, e.Error.Code, b)
			}
		default:
			if _, ok := op.Responses[strconv.Itoa(status)]; !ok {
				t.Errorf("%s %s answers %d, which it does not document", method, path, status)
			}
		}
	}
	var deletes []string
	for _, p := range paths {
		for _, m := range methods {
			if _, ok := d.Paths[p][strings.ToLower(m)]; ok && m == "DELETE" {
				deletes = append(deletes, p)
				continue
			}
			check(m, p)
		}
	}
	slices.Reverse(deletes)
	for _, p := range deletes {
		check("DELETE", p)
	}
}

// CheckSchema checks that the component schema name has the properties
// of the JSON of a value of type T, and no other, and requires those that
// the JSON always has. A schema made of allOf has the properties of each
// part, as NewToken is Token with the token.
func CheckSchema[T any](t *testing.T, schemas map[string]any, name string) {
	t.Helper()
	var documented, required []string
	var collect func(s any)
	collect = func(s any) {
		m, _ := s.(map[string]any)
		if ref, ok := m["$ref"].(string); ok {
			collect(schemas[strings.TrimPrefix(ref, "#/components/schemas/")])
		}
		for _, part := range anys(m["allOf"]) {
			collect(part)
		}
		props, _ := m["properties"].(map[string]any)
		for k := range props {
			documented = append(documented, k)
		}
		req, _ := m["required"].([]string)
		required = append(required, req...)
	}
	collect(schemas[name])
	fields, always := jsonFields(reflect.TypeFor[T]())
	for _, l := range [][]string{documented, required, fields, always} {
		slices.Sort(l)
	}
	typ := reflect.TypeFor[T]()
	if !slices.Equal(documented, fields) {
		t.Errorf("schema %s has the properties %v; the JSON of %v has %v", name, documented, typ, fields)
	}
	if !slices.Equal(required, always) {
		t.Errorf("schema %s requires %v; the JSON of %v always has %v", name, required, typ, always)
	}
}

func anys(v any) []any {
	a, _ := v.([]any)
	return a
}

// jsonFields returns the names of the JSON object of a struct type and,
// of them, those it always has (not omitempty). The fields of an
// embedded struct are the outer one's.
func jsonFields(typ reflect.Type) (names, always []string) {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			n, a := jsonFields(f.Type)
			names, always = append(names, n...), append(always, a...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			always = append(always, name)
		}
	}
	return names, always
}

// table returns the rows of the first Markdown table under the heading
// of the page at path, as its cells with code spans' backquotes removed,
// after checking that its header is header.
func table(t *testing.T, path, heading string, header ...string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	in, inTable := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			if in {
				break
			}
			in = line == heading
			continue
		}
		if !in {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		cells := strings.Split(strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|"), "|")
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(strings.TrimSpace(c), "`", "")
		}
		if !inTable {
			inTable = true
			if !slices.Equal(cells, header) {
				t.Fatalf("%s: the table under %q has the header %q, want %q", path, heading, cells, header)
			}
			continue
		}
		if strings.Trim(strings.Join(cells, ""), "- ") == "" {
			continue // the delimiter row
		}
		rows = append(rows, cells)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no table under %q", path, heading)
	}
	return rows
}

// CheckReference checks the reference page of an API at path against
// the API: its table under "## Routes" (| method and path | does |) has a
// row for each route, "METHOD /prefix/path", in the order of the routes,
// and no other; its table under "## Requests and errors" (| code | status
// | meaning |) lists the API's error codes, in order, each with its status
// and meaning.
func CheckReference(t *testing.T, path string, a *httpapi.API, routes []httpapi.Route) {
	t.Helper()
	checkRoutesTable(t, path, "## Routes", a, routes)
	checkErrorsTable(t, path, "## Requests and errors", a)
}

func checkRoutesTable(t *testing.T, path, heading string, a *httpapi.API, routes []httpapi.Route) {
	t.Helper()
	var documented, want []string
	for _, row := range table(t, path, heading, "method and path", "does") {
		documented = append(documented, row[0])
	}
	for _, rt := range routes {
		want = append(want, rt.Method+" "+a.Prefix+rt.Path)
	}
	if !slices.Equal(documented, want) {
		t.Errorf("%s: the routes documented under %q are not those served:\n%s", path, heading, diff(documented, want))
	}
}

func checkErrorsTable(t *testing.T, path, heading string, a *httpapi.API) {
	t.Helper()
	var documented, want []string
	for _, row := range table(t, path, heading, "code", "status", "meaning") {
		documented = append(documented, strings.Join(row, " | "))
	}
	for _, c := range a.Errors {
		want = append(want, fmt.Sprintf("%s | %d | %s", c.Code, c.Status, c.Meaning))
	}
	if !slices.Equal(documented, want) {
		t.Errorf("%s: the error codes documented under %q are not the API's:\n%s", path, heading, diff(documented, want))
	}
}

// diff says what documented lacks and has too much of, against want.
func diff(documented, want []string) string {
	var b strings.Builder
	for _, w := range want {
		if !slices.Contains(documented, w) {
			fmt.Fprintf(&b, "\tmissing: %s\n", w)
		}
	}
	for _, d := range documented {
		if !slices.Contains(want, d) {
			fmt.Fprintf(&b, "\tunexpected: %s\n", d)
		}
	}
	if b.Len() == 0 {
		fmt.Fprintf(&b, "\tin another order: want\n\t%s", strings.Join(want, "\n\t"))
	}
	return b.String()
}
