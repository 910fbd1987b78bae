package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/schema"
)

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	spc := e.must(http.StatusOK, "GET", "/scim/v2/ServiceProviderConfig", nil)
	for _, k := range []string{"patch", "bulk", "filter", "sort", "etag", "changePassword"} {
		if _, ok := spc.body[k].(map[string]any)["supported"].(bool); !ok {
			t.Errorf("ServiceProviderConfig.%s.supported missing", k)
		}
	}
	if spc.body["filter"].(map[string]any)["maxResults"] != jsonInt(1000) {
		t.Errorf("filter.maxResults %v", spc.body["filter"])
	}

	rts := e.must(http.StatusOK, "GET", "/scim/v2/ResourceTypes", nil)
	if rts.body["totalResults"] != jsonInt(2) {
		t.Errorf("ResourceTypes: %s", rts.raw)
	}
	user := e.must(http.StatusOK, "GET", "/scim/v2/ResourceTypes/User", nil)
	if user.str("endpoint") != "/Users" || user.str("schema") != userURN {
		t.Errorf("ResourceTypes/User: %s", user.raw)
	}
	wantError(t, e.do("GET", "/scim/v2/ResourceTypes/Widget", nil), http.StatusNotFound, "")

	schemas := e.must(http.StatusOK, "GET", "/scim/v2/Schemas", nil)
	if schemas.body["totalResults"] != jsonInt(6) {
		t.Errorf("Schemas: %s", schemas.raw)
	}
	us := e.must(http.StatusOK, "GET", "/scim/v2/Schemas/"+userURN, nil)
	attrs := map[string]map[string]any{}
	for _, a := range us.body["attributes"].([]any) {
		a := a.(map[string]any)
		attrs[a["name"].(string)] = a
	}
	if a := attrs["userName"]; a["uniqueness"] != "server" || a["required"] != true || a["caseExact"] != false {
		t.Errorf("userName definition %v", a)
	}
	if a := attrs["password"]; a["returned"] != "never" || a["mutability"] != "writeOnly" {
		t.Errorf("password definition %v", a)
	}
	if a := attrs["groups"]; a["mutability"] != "readOnly" {
		t.Errorf("groups definition %v", a)
	}
	for _, name := range []string{"emails", "phoneNumbers", "ims", "photos", "addresses", "entitlements", "roles", "x509Certificates"} {
		if attrs[name]["multiValued"] != true {
			t.Errorf("%s missing or not multi-valued", name)
		}
	}
	e.must(http.StatusOK, "GET", "/scim/v2/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", nil)
	wantError(t, e.do("GET", "/scim/v2/Schemas/urn:nope", nil), http.StatusNotFound, "")
}

// A strict client checks each attribute of a resource against its
// schema: every attribute of the discovery resources is declared, with its
// type, in the schema that /Schemas serves for them (RFC 7643 §5-7,
// §8.7.2), pagination (RFC 9865) among them.
func TestDiscoverySchemas(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	defs := map[string]map[string]any{}
	for _, sc := range e.must(http.StatusOK, "GET", "/scim/v2/Schemas", nil).list() {
		id := sc["id"].(string)
		defs[id] = sc
		if one := e.must(http.StatusOK, "GET", "/scim/v2/Schemas/"+id, nil); one.body["id"] != id {
			t.Errorf("/Schemas/%s: %s", id, one.raw)
		}
	}
	for _, id := range []string{schema.ServiceProviderConfigURN, schema.ResourceTypeURN, schema.SchemaURN} {
		if defs[id] == nil {
			t.Fatalf("/Schemas lacks %s", id)
		}
	}
	resources := []map[string]any{e.must(http.StatusOK, "GET", "/scim/v2/ServiceProviderConfig", nil).body}
	resources = append(resources, e.must(http.StatusOK, "GET", "/scim/v2/ResourceTypes", nil).list()...)
	resources = append(resources, e.must(http.StatusOK, "GET", "/scim/v2/Schemas", nil).list()...)
	for _, res := range resources {
		if res["id"] == schema.SchemaURN {
			// The Schema schema describing itself nests subAttributes
			// one level deeper than any finite declaration of them,
			// RFC 7643 §8.7.2's included.
			continue
		}
		for _, urn := range res["schemas"].([]any) {
			def := defs[urn.(string)]
			if def == nil {
				t.Errorf("%v: no schema %s at /Schemas", res["id"], urn)
				continue
			}
			checkDeclared(t, fmt.Sprint(urn), res, def["attributes"].([]any), true)
		}
	}
	if _, ok := e.must(http.StatusOK, "GET", "/scim/v2/ServiceProviderConfig", nil).body["pagination"]; !ok {
		t.Error("the ServiceProviderConfig has no pagination")
	}
}

// checkDeclared checks that each attribute of v is declared in attrs with
// a matching type; top leaves out the common attributes (RFC 7643 §3.1).
func checkDeclared(t *testing.T, where string, v map[string]any, attrs []any, top bool) {
	t.Helper()
	byName := map[string]map[string]any{}
	for _, a := range attrs {
		a := a.(map[string]any)
		byName[strings.ToLower(a["name"].(string))] = a
	}
	for k, val := range v {
		if top && (k == "schemas" || k == "meta") {
			continue
		}
		a := byName[strings.ToLower(k)]
		if a == nil {
			t.Errorf("%s: attribute %q is not declared", where, k)
			continue
		}
		vals := []any{val}
		if a["multiValued"] == true {
			list, ok := val.([]any)
			if !ok {
				t.Errorf("%s.%s: multi-valued, but %T", where, k, val)
				continue
			}
			vals = list
		}
		for _, x := range vals {
			ok := false
			switch a["type"] {
			case "string", "reference", "dateTime", "binary":
				_, ok = x.(string)
			case "boolean":
				_, ok = x.(bool)
			case "integer", "decimal":
				_, ok = x.(json.Number)
			case "complex":
				var m map[string]any
				if m, ok = x.(map[string]any); ok {
					subs, _ := a["subAttributes"].([]any)
					checkDeclared(t, where+"."+k, m, subs, false)
				}
			}
			if !ok {
				t.Errorf("%s.%s: %T, declared %v", where, k, x, a["type"])
			}
		}
	}
}

func TestBasePath(t *testing.T) {
	cfg := defaultConfig()
	cfg.BasePath = "/v1/auth/scim/v2/"
	e := newEnvConfig(t, cfg)
	r := e.must(http.StatusCreated, "POST", "/v1/auth/scim/v2/Users", map[string]any{"userName": "kim"})
	if r.str("meta.location") != e.srv.URL+"/v1/auth/scim/v2/Users/"+r.str("id") {
		t.Errorf("location %q", r.str("meta.location"))
	}
	wantError(t, e.do("GET", "/scim/v2/Users", nil), http.StatusNotFound, "")
}

func TestBulk(t *testing.T) {
	e := newEnv(t)
	existing := e.createUser("lee", nil).str("id")
	r := e.must(http.StatusOK, "POST", "/scim/v2/Bulk", map[string]any{
		"schemas":      []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
		"failOnErrors": 0,
		"Operations": []any{
			// A forward reference: the group names a user created later.
			map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": map[string]any{
				"displayName": "Bulk", "members": []any{map[string]any{"type": "User", "value": "bulkId:u1"}}}},
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "u1", "data": map[string]any{"userName": "mia"}},
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "dup", "data": map[string]any{"userName": "lee"}},
			map[string]any{"method": "PATCH", "path": "/Users/" + existing, "data": patchOps(map[string]any{"op": "replace", "path": "title", "value": "Boss"})},
			map[string]any{"method": "DELETE", "path": "/Users/usr_ghost"},
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "x", "data": map[string]any{"userName": "bulkId:nowhere"}},
		},
	})
	ops, _ := r.body["Operations"].([]any)
	status := map[string]string{}
	for _, o := range ops {
		o := o.(map[string]any)
		key, _ := o["bulkId"].(string)
		if key == "" {
			key = o["method"].(string)
		}
		status[key] = o["status"].(string)
	}
	want := map[string]string{"g1": "201", "u1": "201", "dup": "409", "PATCH": "200", "DELETE": "404", "x": "409"}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("operation %s: status %q, want %q (%s)", k, status[k], v, r.raw)
		}
	}
	g := e.must(http.StatusOK, "GET", "/scim/v2/Groups?filter="+q(`displayName eq "Bulk"`), nil).list()
	if len(g) != 1 || len(g[0]["members"].([]any)) != 1 {
		t.Errorf("bulk group: %v", g)
	}
	// failOnErrors stops processing.
	r = e.must(http.StatusOK, "POST", "/scim/v2/Bulk", map[string]any{
		"failOnErrors": 1,
		"Operations": []any{
			map[string]any{"method": "DELETE", "path": "/Users/usr_ghost"},
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "n", "data": map[string]any{"userName": "never"}},
		},
	})
	if ops := r.body["Operations"].([]any); len(ops) != 1 {
		t.Errorf("failOnErrors: %s", r.raw)
	}
	if r := e.must(http.StatusOK, "GET", "/scim/v2/Users?filter="+q(`userName eq "never"`), nil); r.body["totalResults"] != jsonInt(0) {
		t.Errorf("operation after failOnErrors ran: %s", r.raw)
	}
}

// Bulk operations refer to each other's resources by bulkId, forwards and
// backwards (RFC 7644 §3.7.1, §3.7.2); a reference that nothing creates,
// or that goes round in a circle, fails its operation with a 409 that
// says which.
func TestBulkReferences(t *testing.T) {
	t.Parallel()
	user := func(bulkID, manager string) map[string]any {
		data := map[string]any{"userName": bulkID + "@example.com"}
		if manager != "" {
			data["schemas"] = []string{schema.UserURN, schema.EnterpriseUserURN}
			data[schema.EnterpriseUserURN] = map[string]any{"manager": map[string]any{"value": "bulkId:" + manager}}
		}
		return map[string]any{"method": "POST", "path": "/Users", "bulkId": bulkID, "data": data}
	}
	for _, tt := range []struct {
		name         string
		failOnErrors int
		ops          []any
		want         map[string]string // bulkId → status, and a part of the detail of a failure
	}{
		{"backward", 0, []any{user("a", ""), user("b", "a")}, map[string]string{"a": "201", "b": "201"}},
		{"forward", 0, []any{user("a", "b"), user("b", "c"), user("c", "")}, map[string]string{"a": "201", "b": "201", "c": "201"}},
		{"dangling", 0, []any{user("a", "nowhere"), user("b", "")}, map[string]string{"a": `409 bulkId "nowhere", which no POST operation`, "b": "201"}},
		{"self", 0, []any{user("a", "a")}, map[string]string{"a": "409 circular"}},
		{"cycle", 0, []any{user("a", "b"), user("b", "a"), user("c", "")}, map[string]string{"a": `409 bulkId "b", whose operation failed with status 409`, "b": "409 circular", "c": "201"}},
		{"failed", 0, []any{user("a", "b"), map[string]any{"method": "POST", "path": "/Users", "bulkId": "b", "data": map[string]any{}}},
			map[string]string{"a": `409 bulkId "b", whose operation failed with status 400`, "b": "400"}},
		{"failOnErrors", 1, []any{user("a", "nowhere"), user("b", "")}, map[string]string{"a": "409 nowhere"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			r := e.must(http.StatusOK, "POST", "/scim/v2/Bulk", map[string]any{
				"schemas": []string{schema.BulkRequestURN}, "failOnErrors": tt.failOnErrors, "Operations": tt.ops,
			})
			got := map[string]string{}
			ids := map[string]string{}
			for _, o := range r.body["Operations"].([]any) {
				o := o.(map[string]any)
				id := o["bulkId"].(string)
				got[id] = o["status"].(string)
				if resp, ok := o["response"].(map[string]any); ok {
					got[id] += " " + resp["detail"].(string)
				}
				if loc, ok := o["location"].(string); ok {
					ids[id] = loc[strings.LastIndexByte(loc, '/')+1:]
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("results %v, want %v", got, tt.want)
			}
			for id, want := range tt.want {
				status, detail, _ := strings.Cut(want, " ")
				if !strings.HasPrefix(got[id], status) || !strings.Contains(got[id], detail) {
					t.Errorf("operation %s: %q, want %q", id, got[id], want)
				}
			}
			// Each reference resolved to the id created.
			for _, op := range tt.ops {
				op := op.(map[string]any)
				id := op["bulkId"].(string)
				ext, _ := op["data"].(map[string]any)[schema.EnterpriseUserURN].(map[string]any)
				if ext == nil || ids[id] == "" {
					continue
				}
				manager := strings.TrimPrefix(ext["manager"].(map[string]any)["value"].(string), "bulkId:")
				u := e.must(http.StatusOK, "GET", "/scim/v2/Users/"+ids[id], nil)
				m, _ := u.body[schema.EnterpriseUserURN].(map[string]any)["manager"].(map[string]any)
				if m["value"] != ids[manager] {
					t.Errorf("%s's manager is %v, want %s's id %s", id, m["value"], manager, ids[manager])
				}
			}
		})
	}
}

// A long chain of forward references, each operation referring to the
// next, resolves in time linear in the operations
// (BenchmarkBulkReferences measures it), well within the request timeout.
func TestBulkLongChain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 300
	ops := make([]any, n)
	for i := range ops {
		data := map[string]any{"userName": fmt.Sprintf("u%d@example.com", i)}
		if i < n-1 {
			data["schemas"] = []string{schema.UserURN, schema.EnterpriseUserURN}
			data[schema.EnterpriseUserURN] = map[string]any{"manager": map[string]any{"value": fmt.Sprintf("bulkId:u%d", i+1)}}
		}
		ops[i] = map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprintf("u%d", i), "data": data}
	}
	r := e.must(http.StatusOK, "POST", "/scim/v2/Bulk", map[string]any{"schemas": []string{schema.BulkRequestURN}, "Operations": ops})
	if n := strings.Count(string(r.raw), `"status":"201"`); n != len(ops) {
		t.Errorf("%d operations created, want %d: %.500s", n, len(ops), r.raw)
	}
}
