package admin

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/store"
)

var allMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// TestOpenAPIMatchesRoutes keeps the document and the routes in
// agreement: every route is documented with its method, every documented
// operation is served, and no other method is.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	r := e.doAs("", "GET", "openapi.json", "")
	r.want(http.StatusOK)
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}

	for _, rt := range routes() {
		if _, ok := doc.Paths[Prefix+rt.path][strings.ToLower(rt.method)]; !ok {
			t.Errorf("%s %s is served but not documented", rt.method, rt.path)
		}
	}

	// Served in an order that leaves deletions last, so that every
	// request finds its workspace and token.
	var paths []string
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	fill := strings.NewReplacer("{slug}", "acme", "{id}", e.scimID)
	var deletes []string
	for _, p := range paths {
		for _, m := range allMethods {
			if _, ok := doc.Paths[p][strings.ToLower(m)]; !ok {
				r := e.do(m, fill.Replace(p), "{}")
				r.wantError(http.StatusMethodNotAllowed, CodeMethodNotAllowed)
				continue
			}
			if m == "DELETE" {
				deletes = append(deletes, p)
				continue
			}
			checkServed(t, e.do(m, fill.Replace(p), "{}"), m, p)
		}
		for key := range doc.Paths[p] {
			if !slices.Contains(allMethods, strings.ToUpper(key)) {
				t.Errorf("%s: unknown operation %q", p, key)
			}
		}
	}
	slices.Reverse(deletes) // the deepest paths first
	for _, p := range deletes {
		checkServed(t, e.do("DELETE", fill.Replace(p), ""), "DELETE", p)
	}

	// Every schema referred to exists.
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/components/schemas/")
				if _, ok := doc.Components.Schemas[name]; !ok {
					t.Errorf("dangling $ref %s", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var whole any
	json.Unmarshal(r.body, &whole)
	walk(whole)
}

func checkServed(t *testing.T, r *response, method, path string) {
	t.Helper()
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(r.body, &body)
	if r.status == http.StatusNotFound && body.Error.Code == CodeRouteNotFound || r.status == http.StatusMethodNotAllowed {
		t.Errorf("%s %s is documented but not served: %d %s", method, path, r.status, r.body)
	}
}

// TestOpenAPIConfigSchema checks that the documented settings are those
// of store.WorkspaceConfig.
func TestOpenAPIConfigSchema(t *testing.T) {
	props := schemas["Config"].(map[string]any)["properties"].(map[string]any)
	var documented, actual []string
	for k := range props {
		documented = append(documented, k)
	}
	typ := reflect.TypeFor[store.WorkspaceConfig]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		actual = append(actual, name)
	}
	slices.Sort(documented)
	slices.Sort(actual)
	if !slices.Equal(documented, actual) {
		t.Errorf("documented settings %v, want %v", documented, actual)
	}
}
