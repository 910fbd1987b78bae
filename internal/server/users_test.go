package server_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/patch"
)

const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	patchURN      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

func TestUserLifecycle(t *testing.T) {
	e := newEnv(t)
	boss := e.createUser("boss@example.com", nil).str("id")
	created := e.createUser("Alice@Example.com", map[string]any{
		"externalId": "00u1",
		"name":       map[string]any{"givenName": "Alice", "familyName": "Liddell"},
		"emails":     []any{map[string]any{"value": "alice@example.com", "type": "work", "primary": true}},
		"password":   "s3cret!",
		"active":     true,
		enterpriseURN: map[string]any{
			"department": "R&D",
			"manager":    map[string]any{"value": boss},
		},
	})
	id := created.str("id")
	if !strings.HasPrefix(id, "usr_") {
		t.Fatalf("id %q does not start with usr_", id)
	}
	if created.body["password"] != nil {
		t.Error("password returned")
	}
	if created.str("userName") != "Alice@Example.com" {
		t.Errorf("userName %q, want it stored as sent", created.str("userName"))
	}
	loc := created.header.Get("Location")
	if loc != e.srv.URL+"/scim/v2/Users/"+id || created.str("meta.location") != loc {
		t.Errorf("Location %q, meta.location %q", loc, created.str("meta.location"))
	}
	if created.str("meta.resourceType") != "User" || created.str("meta.version") == "" || created.header.Get("ETag") != created.str("meta.version") {
		t.Errorf("meta %v, ETag %q", created.body["meta"], created.header.Get("ETag"))
	}
	if _, err := time.Parse(time.RFC3339, created.str("meta.created")); err != nil {
		t.Errorf("meta.created: %v", err)
	}
	schemas, _ := created.body["schemas"].([]any)
	if len(schemas) != 2 || schemas[0] != userURN || schemas[1] != enterpriseURN {
		t.Errorf("schemas %v", schemas)
	}

	got := e.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, nil)
	if got.str("name.givenName") != "Alice" || lookup(got.body, enterpriseURN+".department") != "R&D" {
		t.Errorf("GET returned %s", got.raw)
	}

	// PUT replaces: attributes left out are cleared, read-only ones ignored.
	put := e.must(http.StatusOK, "PUT", "/scim/v2/Users/"+id, map[string]any{
		"schemas":  []string{userURN},
		"id":       "usr_ignored",
		"meta":     map[string]any{"version": "W/\"99\""},
		"groups":   []any{map[string]any{"value": "grp_x"}},
		"userName": "alice@example.com",
		"active":   "False",
	})
	if put.str("id") != id || put.body["name"] != nil || put.body["active"] != false || put.body["emails"] != nil {
		t.Errorf("PUT returned %s", put.raw)
	}
	if put.str("meta.version") == created.str("meta.version") {
		t.Error("version did not change on PUT")
	}
	// Inactive users stay retrievable.
	e.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, nil)

	patched := e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, map[string]any{
		"schemas": []string{patchURN},
		"Operations": []any{
			map[string]any{"op": "Replace", "path": "active", "value": "True"},
			map[string]any{"op": "add", "path": "name.givenName", "value": "Al"},
		},
	})
	if patched.body["active"] != true || patched.str("name.givenName") != "Al" {
		t.Errorf("PATCH returned %s", patched.raw)
	}

	e.must(http.StatusNoContent, "DELETE", "/scim/v2/Users/"+id, nil)
	wantError(t, e.do("GET", "/scim/v2/Users/"+id, nil), http.StatusNotFound, "")
	wantError(t, e.do("DELETE", "/scim/v2/Users/"+id, nil), http.StatusNotFound, "")
}

func TestUniqueness(t *testing.T) {
	e := newEnv(t)
	e.createUser("bob@example.com", nil)
	r := e.do("POST", "/scim/v2/Users", map[string]any{"schemas": []string{userURN}, "userName": "BOB@example.com"})
	wantError(t, r, http.StatusConflict, "uniqueness")

	// Renaming onto a taken name fails too, and changes nothing.
	carol := e.createUser("carol@example.com", nil)
	r = e.do("PATCH", "/scim/v2/Users/"+carol.str("id"), map[string]any{
		"schemas":    []string{patchURN},
		"Operations": []any{map[string]any{"op": "replace", "path": "userName", "value": "Bob@Example.com"}},
	})
	wantError(t, r, http.StatusConflict, "uniqueness")
	if got := e.must(http.StatusOK, "GET", "/scim/v2/Users/"+carol.str("id"), nil); got.str("userName") != "carol@example.com" {
		t.Errorf("userName changed to %q", got.str("userName"))
	}

	e.createGroup("Engineering")
	r = e.do("POST", "/scim/v2/Groups", map[string]any{"displayName": "engineering"})
	wantError(t, r, http.StatusConflict, "uniqueness")

	// Another workspace may use the same names.
	other := e.newWorkspace("other")
	if r := e.doToken(other, "POST", "/scim/v2/Users", map[string]any{"userName": "bob@example.com"}); r.status != http.StatusCreated {
		t.Errorf("same userName in another workspace: %d %s", r.status, r.raw)
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	expired, _, err := e.ten.CreateToken(t.Context(), "acme", "short", time.Nanosecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond)
	bad := "scim_" + strings.Repeat("A", 56)
	tests := []struct {
		name  string
		token string
		auth  string
	}{
		{"no token", "", ""},
		{"basic auth", "", "Basic YWxpY2U6c2VjcmV0"},
		{"malformed", "nonsense", ""},
		{"unknown", bad, ""},
		{"tampered", e.token[:len(e.token)-2] + "xx", ""},
		{"expired", expired, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h []string
			if tt.auth != "" {
				h = []string{"Authorization", tt.auth}
			}
			r := e.doToken(tt.token, "GET", "/scim/v2/Users", nil, h...)
			wantError(t, r, http.StatusUnauthorized, "")
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	// The scheme is case-insensitive.
	if r := e.doToken("", "GET", "/scim/v2/Users", nil, "Authorization", "bearer "+e.token); r.status != http.StatusOK {
		t.Errorf("lower-case scheme: %d", r.status)
	}
}

func TestWorkspaceIsolation(t *testing.T) {
	e := newEnv(t)
	alice := e.createUser("alice", nil).str("id")
	group := e.createGroup("Admins", alice).str("id")
	other := e.newWorkspace("globex")

	for _, c := range []struct{ method, path string }{
		{"GET", "/scim/v2/Users/" + alice},
		{"PUT", "/scim/v2/Users/" + alice},
		{"PATCH", "/scim/v2/Users/" + alice},
		{"DELETE", "/scim/v2/Users/" + alice},
		{"GET", "/scim/v2/Groups/" + group},
		{"PATCH", "/scim/v2/Groups/" + group},
		{"DELETE", "/scim/v2/Groups/" + group},
	} {
		var body any
		switch c.method {
		case "PUT":
			body = map[string]any{"userName": "mallory"}
		case "PATCH":
			body = map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "x"}}}
		}
		r := e.doToken(other, c.method, c.path, body)
		wantError(t, r, http.StatusNotFound, "")
	}
	r := e.doToken(other, "GET", "/scim/v2/Users?filter="+q(`userName eq "alice"`), nil)
	if r.body["totalResults"] != jsonInt(0) {
		t.Errorf("other workspace sees %v users", r.body["totalResults"])
	}
	// Nor can a group in another workspace take our user as a member.
	r = e.doToken(other, "POST", "/scim/v2/Groups", map[string]any{"displayName": "G", "members": []any{map[string]any{"value": alice}}})
	wantError(t, r, http.StatusBadRequest, "invalidValue")
	e.must(http.StatusOK, "GET", "/scim/v2/Users/"+alice, nil)
}

// TestManagerInWorkspace: manager.value names a user of the same
// workspace (RFC 7643 §4.3), whether set by POST, PUT or PATCH.
func TestManagerInWorkspace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	boss := e.createUser("boss@acme.test", nil).str("id")
	group := e.createGroup("Engineering").str("id")
	otherTok := e.newWorkspace("globex")
	foreign := e.doToken(otherTok, "POST", "/scim/v2/Users", map[string]any{"userName": "boss@globex.test"}).str("id")
	ada := e.createUser("ada@acme.test", map[string]any{enterpriseURN: map[string]any{"manager": map[string]any{"value": boss}}}).str("id")
	if got := managerOf(e.must(http.StatusOK, "GET", "/scim/v2/Users/"+ada, nil)); got != boss {
		t.Errorf("manager.value %v, want %s", got, boss)
	}
	for _, tt := range []struct{ name, manager string }{
		{"of another workspace", foreign},
		{"that does not exist", "usr_nobodyaaaaaaaaaa"},
		{"a group", group},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ext := map[string]any{enterpriseURN: map[string]any{"manager": map[string]any{"value": tt.manager}}}
			wantError(t, e.do("POST", "/scim/v2/Users", map[string]any{"userName": "bob@acme.test", enterpriseURN: ext[enterpriseURN]}), http.StatusBadRequest, "invalidValue")
			wantError(t, e.do("PUT", "/scim/v2/Users/"+ada, map[string]any{"userName": "ada@acme.test", enterpriseURN: ext[enterpriseURN]}), http.StatusBadRequest, "invalidValue")
			wantError(t, e.do("PATCH", "/scim/v2/Users/"+ada, patchOp("replace", enterpriseURN+":manager.value", tt.manager)), http.StatusBadRequest, "invalidValue")
			wantError(t, e.do("PATCH", "/scim/v2/Users/"+ada, patchOp("replace", "", ext)), http.StatusBadRequest, "invalidValue")
		})
	}
	if got := managerOf(e.must(http.StatusOK, "GET", "/scim/v2/Users/"+ada, nil)); got != boss {
		t.Errorf("after refused writes, manager.value %v, want %s", got, boss)
	}
	// A user whose manager has gone can still be changed otherwise.
	e.must(http.StatusNoContent, "DELETE", "/scim/v2/Users/"+boss, nil)
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+ada, patchOp("replace", "title", "Engineer"))
}

func managerOf(r response) any {
	m, _ := lookup(r.body, enterpriseURN+".manager").(map[string]any)
	return m["value"]
}

// A PATCH's work is bounded: its filtered operations each examine every
// value of their attribute, so many of them on a user of many values
// would cost their product. Beyond patch.MaxWork values examined, the
// request fails with tooMany, saying the limit, and changes nothing.
func TestPatchWorkLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const roles = 2000
	var list []any
	for i := range roles {
		list = append(list, map[string]any{"value": fmt.Sprintf("role-%d", i)})
	}
	id := e.createUser("many.roles@example.com", map[string]any{"roles": list}).str("id")
	ops := func(n int) map[string]any {
		var ops []any
		for i := range n {
			ops = append(ops, map[string]any{"op": "replace", "path": fmt.Sprintf(`roles[value eq "role-%d"].display`, i), "value": "Role"})
		}
		return patchOps(ops...)
	}
	// Within the limit: 400 operations × 2,000 values.
	e.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, ops(patch.MaxWork/roles*4/10))
	// Beyond it: 600 × 2,000.
	r := e.do("PATCH", "/scim/v2/Users/"+id, ops(patch.MaxWork/roles*12/10))
	wantError(t, r, http.StatusBadRequest, "tooMany")
	if d := r.str("detail"); !strings.Contains(d, strconv.Itoa(patch.MaxWork)) {
		t.Errorf("detail %q does not say the limit", d)
	}
	u := e.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, nil)
	displayed := strings.Count(string(u.raw), `"display":"Role"`)
	if displayed != patch.MaxWork/roles*4/10 {
		t.Errorf("%d roles have a display, want the %d of the first request", displayed, patch.MaxWork/roles*4/10)
	}
}
