package server_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestErrors(t *testing.T) {
	e := newEnv(t)
	user := e.createUser("dave", nil).str("id")
	tests := []struct {
		name     string
		method   string
		path     string
		body     any
		headers  []string
		status   int
		scimType string
	}{
		{"malformed JSON", "POST", "/scim/v2/Users", `{"userName": `, nil, 400, "invalidSyntax"},
		{"not an object", "POST", "/scim/v2/Users", `["userName"]`, nil, 400, "invalidSyntax"},
		{"trailing data", "POST", "/scim/v2/Users", `{"userName":"x"} {}`, nil, 400, "invalidSyntax"},
		{"empty body", "POST", "/scim/v2/Users", ``, nil, 400, "invalidSyntax"},
		{"unsupported media type", "POST", "/scim/v2/Users", `{"userName":"x"}`, []string{"Content-Type", "text/xml"}, 415, ""},
		{"too large", "POST", "/scim/v2/Users", `{"userName":"` + strings.Repeat("x", 2<<20) + `"}`, nil, 413, ""},
		{"missing userName", "POST", "/scim/v2/Users", map[string]any{"displayName": "x"}, nil, 400, "invalidValue"},
		{"empty userName", "POST", "/scim/v2/Users", map[string]any{"userName": ""}, nil, 400, "invalidValue"},
		{"wrong type", "POST", "/scim/v2/Users", map[string]any{"userName": "x", "active": "maybe"}, nil, 400, "invalidValue"},
		{"string for complex", "POST", "/scim/v2/Users", map[string]any{"userName": "x", "name": []any{1}}, nil, 400, "invalidValue"},
		{"two primaries", "POST", "/scim/v2/Users", map[string]any{"userName": "x", "emails": []any{
			map[string]any{"value": "a@x", "primary": true}, map[string]any{"value": "b@x", "primary": true}}}, nil, 400, "invalidValue"},
		{"NUL in a value", "POST", "/scim/v2/Users", `{"userName":"a\u0000b"}`, nil, 400, "invalidValue"},
		{"NUL in a filter", "GET", "/scim/v2/Users?filter=" + q(`userName eq "a\u0000"`), nil, nil, 400, "invalidFilter"},
		{"missing displayName", "POST", "/scim/v2/Groups", map[string]any{}, nil, 400, "invalidValue"},
		{"unknown member", "POST", "/scim/v2/Groups", map[string]any{"displayName": "G", "members": []any{map[string]any{"value": "usr_nobody"}}}, nil, 400, "invalidValue"},
		{"member without value", "POST", "/scim/v2/Groups", map[string]any{"displayName": "G", "members": []any{map[string]any{"display": "x"}}}, nil, 400, "invalidValue"},
		{"unknown user", "GET", "/scim/v2/Users/usr_nobody", nil, nil, 404, ""},
		{"unknown endpoint", "GET", "/scim/v2/Widgets", nil, nil, 404, ""},
		{"unknown root path", "GET", "/nothing-here", nil, nil, 404, ""},
		{"method not allowed", "DELETE", "/scim/v2/Users", nil, nil, 405, ""},
		{"method not allowed on item", "POST", "/scim/v2/Users/" + user, map[string]any{}, nil, 405, ""},
		{"bad filter", "GET", "/scim/v2/Users?filter=" + q(`userName eq`), nil, nil, 400, "invalidFilter"},
		{"unknown filter attribute", "GET", "/scim/v2/Users?filter=" + q(`shoeSize gt 40`), nil, nil, 400, "invalidFilter"},
		{"bad startIndex", "GET", "/scim/v2/Users?startIndex=one", nil, nil, 400, "invalidValue"},
		{"bad sortOrder", "GET", "/scim/v2/Users?sortOrder=sideways", nil, nil, 400, "invalidValue"},
		{"bad attributes", "GET", "/scim/v2/Users/" + user + "?attributes=shoeSize", nil, nil, 400, "invalidValue"},
		{"bad cursor", "GET", "/scim/v2/Users?cursor=garbage&count=1", nil, nil, 400, "invalidCursor"},
		{"patch unknown path", "PATCH", "/scim/v2/Users/" + user, patchOps(map[string]any{"op": "replace", "path": "shoeSize", "value": 42}), nil, 400, "invalidPath"},
		{"patch remove without path", "PATCH", "/scim/v2/Users/" + user, patchOps(map[string]any{"op": "remove"}), nil, 400, "noTarget"},
		{"patch read-only", "PATCH", "/scim/v2/Users/" + user, patchOps(map[string]any{"op": "replace", "path": "id", "value": "usr_x"}), nil, 400, "mutability"},
		{"patch bad op", "PATCH", "/scim/v2/Users/" + user, patchOps(map[string]any{"op": "frobnicate", "path": "title", "value": "x"}), nil, 400, "invalidSyntax"},
		{"patch no operations", "PATCH", "/scim/v2/Users/" + user, map[string]any{"schemas": []string{patchURN}}, nil, 400, "invalidValue"},
		{"patch operations not a list", "PATCH", "/scim/v2/Users/" + user, map[string]any{"Operations": "add"}, nil, 400, "invalidSyntax"},
		{"patch removes required", "PATCH", "/scim/v2/Users/" + user, patchOps(map[string]any{"op": "remove", "path": "userName"}), nil, 400, "invalidValue"},
		{"patch bad value", "PATCH", "/scim/v2/Users/" + user, patchOps(map[string]any{"op": "replace", "path": "active", "value": "perhaps"}), nil, 400, "invalidValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.body, tt.headers...)
			wantError(t, r, tt.status, tt.scimType)
		})
	}
	// Nothing above changed the user.
	if got := e.must(http.StatusOK, "GET", "/scim/v2/Users/"+user, nil); got.str("meta.version") != `W/"1"` {
		t.Errorf("user changed by failed requests: %s", got.raw)
	}
}

func patchOps(ops ...any) map[string]any {
	return map[string]any{"schemas": []string{patchURN}, "Operations": ops}
}

func TestETags(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("erin", nil)
	id, v1 := u.str("id"), u.str("meta.version")
	path := "/scim/v2/Users/" + id

	r := e.do("GET", path, nil, "If-None-Match", v1)
	if r.status != http.StatusNotModified || len(r.raw) != 0 {
		t.Errorf("If-None-Match current: %d %s", r.status, r.raw)
	}
	e.must(http.StatusOK, "GET", path, nil, "If-None-Match", `W/"999"`)

	wantError(t, e.do("PUT", path, map[string]any{"userName": "erin"}, "If-Match", `W/"999"`), http.StatusPreconditionFailed, "")
	wantError(t, e.do("PATCH", path, patchOps(map[string]any{"op": "add", "path": "title", "value": "x"}), "If-Match", `W/"999"`), http.StatusPreconditionFailed, "")
	wantError(t, e.do("DELETE", path, nil, "If-Match", `W/"999"`), http.StatusPreconditionFailed, "")

	v2 := e.must(http.StatusOK, "PATCH", path, patchOps(map[string]any{"op": "add", "path": "title", "value": "x"}), "If-Match", v1).str("meta.version")
	if v2 == v1 {
		t.Fatal("version unchanged")
	}
	wantError(t, e.do("PUT", path, map[string]any{"userName": "erin"}, "If-Match", v1), http.StatusPreconditionFailed, "")
	e.must(http.StatusOK, "PUT", path, map[string]any{"userName": "erin"}, "If-Match", "*")
	e.must(http.StatusNoContent, "DELETE", path, nil, "If-Match", `W/"3"`)
}
