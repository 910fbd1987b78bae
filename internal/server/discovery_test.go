package server_test

import (
	"net/http"
	"testing"
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
	if schemas.body["totalResults"] != jsonInt(3) {
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
