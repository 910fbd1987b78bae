package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/server"
)

// keptURN is an extension no workspace of these tests declares, named as
// Entra ID names its custom ones.
const keptURN = "urn:ietf:params:scim:schemas:extension:Kept:2.0:User"

// TestUndeclaredExtensions takes attributes of an extension the
// workspace has not declared through SCIM with undeclaredExtensions
// "ignore" and "keep", on SQLite and PostgreSQL.
func TestUndeclaredExtensions(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, mk envMaker) {
		e := mk(t, server.DefaultConfig(), nil)
		other := e.newWorkspace("globex")
		kept := map[string]any{
			"costCenter": "CC-42", "badge": 7, "vip": true, "ratio": 0.5,
			"manager": map[string]any{"value": "m-1", "displayName": "Boss", "empty": ""},
			"tags":    []any{"a", "b"}, "nothing": nil,
		}

		// ignore, the default: dropped, and not filterable.
		r := e.createUser("ignored", map[string]any{keptURN: kept})
		iid := r.str("id")
		if r.body[keptURN] != nil {
			t.Errorf("ignore: %s", r.raw)
		}
		wantError(t, e.do("GET", e.base+"/Users?filter="+q(keptURN+`:costCenter eq "CC-42"`), nil), http.StatusBadRequest, "invalidFilter")

		e.setConfig("undeclaredExtensions=keep")
		want := `{"badge":7,"costCenter":"CC-42","manager":{"displayName":"Boss","value":"m-1"},"ratio":0.5,"tags":["a","b"],"vip":true}`
		ada := e.createUser("ada", map[string]any{"schemas": []string{schema.UserURN, keptURN}, keptURN: kept})
		id := ada.str("id")
		for _, r := range []response{ada, e.must(http.StatusOK, "GET", e.base+"/Users/"+id, nil)} {
			if got, _ := json.Marshal(ext(r.body, keptURN)); string(got) != want {
				t.Errorf("kept %s, want %s", got, want)
			}
			if s, _ := json.Marshal(r.body["schemas"]); string(s) != `["`+schema.UserURN+`","`+keptURN+`"]` {
				t.Errorf("schemas %s", s)
			}
		}
		// Another workspace keeps nothing: its setting is its own.
		if r := e.doToken(other, "POST", e.base+"/Users", map[string]any{"userName": "ada", keptURN: kept}); r.status != http.StatusCreated || r.body[keptURN] != nil {
			t.Errorf("another workspace: %d %s", r.status, r.raw)
		}
		wantError(t, e.doToken(other, "GET", e.base+"/Users?filter="+q(keptURN+`:costCenter pr`), nil), http.StatusBadRequest, "invalidFilter")

		// Qualified keys, and a URN that does not end with the resource
		// type (SCIM 1.1's), which stays ignored.
		grace := e.createUser("grace", map[string]any{
			keptURN + ":costCenter": "CC-7", keptURN + ":manager.value": "m-2", keptURN + ":badge": "7",
			"urn:scim:schemas:extension:acme:1.0": map[string]any{"x": "y"},
		})
		gid := grace.str("id")
		if got, _ := json.Marshal(ext(grace.body, keptURN)); string(got) != `{"badge":"7","costCenter":"CC-7","manager":{"value":"m-2"}}` || grace.body["urn:scim:schemas:extension:acme:1.0"] != nil {
			t.Errorf("qualified keys: %s", grace.raw)
		}
		pid := e.createUser("plain", nil).str("id")

		// attributes and excludedAttributes.
		for _, tc := range []struct{ query, want string }{
			{"attributes=" + q(keptURN+":costCenter"), `{"costCenter":"CC-42"}`},
			{"attributes=" + q(keptURN+":manager.value"), `{"manager":{"value":"m-1"}}`},
			{"attributes=" + q(keptURN), want},
			{"attributes=userName", `null`},
			{"excludedAttributes=" + q(keptURN+":tags,"+keptURN+":manager.displayName"), `{"badge":7,"costCenter":"CC-42","manager":{"value":"m-1"},"ratio":0.5,"vip":true}`},
			{"excludedAttributes=" + q(keptURN), `null`},
		} {
			r := e.must(http.StatusOK, "GET", e.base+"/Users/"+id+"?"+tc.query, nil)
			if got, _ := json.Marshal(r.body[keptURN]); string(got) != tc.want {
				t.Errorf("%s: %s, want %s", tc.query, got, tc.want)
			}
		}

		// Filters, in SQL: eq on a value of the literal's JSON type,
		// strings without case; pr.
		for _, tc := range []struct {
			filter string
			want   []string
		}{
			{keptURN + `:costCenter eq "cc-42"`, []string{id}},
			{keptURN + `:badge eq 7`, []string{id}},
			{keptURN + `:badge eq "7"`, []string{gid}},
			{keptURN + `:badge eq 7.0`, []string{id}},
			{keptURN + `:ratio eq 0.5`, []string{id}},
			{keptURN + `:vip eq true`, []string{id}},
			{keptURN + `:vip eq false`, nil},
			{keptURN + `:manager.value eq "M-2"`, []string{gid}},
			{keptURN + `:manager eq "m-1"`, nil},
			{keptURN + `:tags eq "a"`, nil},
			{keptURN + `:costCenter pr`, []string{id, gid}},
			{keptURN + `:tags pr`, []string{id}},
			{keptURN + `:manager.displayName pr`, []string{id}},
			{keptURN + `:nothing pr`, nil},
			{keptURN + `:costCenter ne "CC-42"`, []string{iid, gid, pid}},
			{`not (` + keptURN + `:costCenter pr) and userName ne "ignored"`, []string{pid}},
			{`userName eq "ada" and ` + keptURN + `:vip eq true`, []string{id}},
		} {
			r := e.do("GET", e.base+"/Users?filter="+q(tc.filter), nil)
			if got := listIDs(r.body); r.status != http.StatusOK || !slices.Equal(got, tc.want) {
				t.Errorf("filter %s: %d %v, want %v", tc.filter, r.status, got, tc.want)
			}
		}
		for _, bad := range []string{keptURN + `:costCenter co "4"`, keptURN + `:badge gt 1`, keptURN + `:tags[value eq "a"]`, keptURN + `:cost$ eq "x"`} {
			wantError(t, e.do("GET", e.base+"/Users?filter="+q(bad), nil), http.StatusBadRequest, "invalidFilter")
		}
		wantError(t, e.do("GET", e.base+"/Users?sortBy="+q(keptURN+":badge"), nil), http.StatusBadRequest, "invalidValue")

		// PATCH: qualified paths, path-less values, the extension whole.
		patchOps := func(ops ...map[string]any) response {
			t.Helper()
			return e.must(http.StatusOK, "PATCH", e.base+"/Users/"+id, map[string]any{"schemas": []string{schema.PatchOpURN}, "Operations": ops})
		}
		r = patchOps(map[string]any{"op": "Replace", "path": keptURN + ":costCenter", "value": "CC-43"},
			map[string]any{"op": "Add", "path": keptURN + ":manager.value", "value": "m-3"},
			map[string]any{"op": "remove", "path": keptURN + ":tags"},
			map[string]any{"op": "add", "path": keptURN + ":region", "value": map[string]any{"code": "EU"}})
		if got, _ := json.Marshal(ext(r.body, keptURN)); string(got) != `{"badge":7,"costCenter":"CC-43","manager":{"displayName":"Boss","value":"m-3"},"ratio":0.5,"region":{"code":"EU"},"vip":true}` {
			t.Errorf("PATCH paths: %s", got)
		}
		r = patchOps(map[string]any{"op": "replace", "value": map[string]any{keptURN: map[string]any{"badge": 8}, keptURN + ":vip": false}})
		if m := ext(r.body, keptURN); m["badge"] != json.Number("8") || m["vip"] != false || m["costCenter"] != "CC-43" {
			t.Errorf("path-less PATCH: %s", r.raw)
		}
		if got := listIDs(e.must(http.StatusOK, "GET", e.base+"/Users?filter="+q(keptURN+`:costCenter eq "CC-43"`), nil).body); !slices.Equal(got, []string{id}) {
			t.Errorf("after PATCH: %v", got)
		}
		r = patchOps(map[string]any{"op": "remove", "path": keptURN})
		if r.body[keptURN] != nil || strings.Contains(string(r.raw), keptURN) {
			t.Errorf("removing the extension: %s", r.raw)
		}
		wantError(t, e.do("PATCH", e.base+"/Users/"+id, map[string]any{"Operations": []any{map[string]any{"op": "add", "path": keptURN + ":bad name", "value": 1}}}),
			http.StatusBadRequest, "invalidPath")

		// PUT replaces the extension with what it carries.
		r = e.must(http.StatusOK, "PUT", e.base+"/Users/"+gid, map[string]any{"userName": "grace", keptURN: map[string]any{"costCenter": "CC-8"}})
		if got, _ := json.Marshal(ext(r.body, keptURN)); string(got) != `{"costCenter":"CC-8"}` {
			t.Errorf("PUT: %s", r.raw)
		}

		// Bulk writes take it too.
		r = e.must(http.StatusOK, "POST", e.base+"/Bulk", map[string]any{"schemas": []string{schema.BulkRequestURN}, "Operations": []any{
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "b1", "data": map[string]any{"userName": "bulky", keptURN: map[string]any{"badge": 99}}},
			map[string]any{"method": "PATCH", "path": "/Users/" + pid, "data": map[string]any{"Operations": []any{map[string]any{"op": "add", "path": keptURN + ":costCenter", "value": "CC-9"}}}},
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "b2", "data": map[string]any{"userName": "bulky2", keptURN: map[string]any{"deep": map[string]any{"a": map[string]any{"b": 1}}}}},
		}})
		if ops, _ := r.body["Operations"].([]any); len(ops) != 3 || ops[2].(map[string]any)["status"] != "400" {
			t.Errorf("bulk: %s", r.raw)
		}
		if got := listIDs(e.must(http.StatusOK, "GET", e.base+"/Users?filter="+q(keptURN+":badge eq 99 or "+keptURN+`:costCenter eq "CC-9"`), nil).body); len(got) != 2 {
			t.Errorf("bulk writes found: %v", got)
		}

		// Groups keep URNs that end with Group.
		g := e.must(http.StatusCreated, "POST", e.base+"/Groups", map[string]any{"displayName": "Ops",
			"urn:acme:scim:Group": map[string]any{"region": "EU"}, keptURN: map[string]any{"x": "y"}})
		if got, _ := json.Marshal(g.body["urn:acme:scim:Group"]); string(got) != `{"region":"EU"}` || g.body[keptURN] != nil {
			t.Errorf("group: %s", g.raw)
		}
		if got := listIDs(e.must(http.StatusOK, "GET", e.base+"/Groups?filter="+q(`urn:acme:scim:Group:region eq "eu"`), nil).body); !slices.Equal(got, []string{g.str("id")}) {
			t.Errorf("group filter: %v", got)
		}
	})
}

// TestUndeclaredExtensionBounds checks what a workspace that keeps
// undeclared extensions refuses, with 400s that say why, and that a
// refused write changes nothing.
func TestUndeclaredExtensionBounds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setConfig("undeclaredExtensions=keep")
	id := e.createUser("ada", map[string]any{keptURN: map[string]any{"costCenter": "CC-1"}}).str("id")
	many := map[string]any{}
	for i := range schema.MaxKeptExtensions + 1 {
		many["urn:acme:x"+string(rune('a'+i))+":User"] = map[string]any{"a": 1}
	}
	for name, tc := range map[string]struct {
		body   map[string]any
		detail string
	}{
		"too large":      {map[string]any{keptURN: map[string]any{"blob": strings.Repeat("x", schema.MaxKeptBytes)}}, "more than the 16384"},
		"too many URNs":  {many, "at most 10 extensions"},
		"nested objects": {map[string]any{keptURN: map[string]any{"a": map[string]any{"b": map[string]any{"c": 1}}}}, "object within an object"},
		"nested arrays":  {map[string]any{keptURN: map[string]any{"a": []any{[]any{1}}}}, "array within an array"},
		"bad name":       {map[string]any{keptURN: map[string]any{"1st": "x"}}, "must start with a letter"},
		"bad sub name":   {map[string]any{keptURN: map[string]any{"a": map[string]any{"b c": 1}}}, `"b c" has`},
		"not an object":  {map[string]any{keptURN: "CC-1"}, "must be an object"},
		"NUL":            {map[string]any{keptURN: map[string]any{"a": "x\x00"}}, "NUL"},
	} {
		for _, method := range []string{"POST", "PUT"} {
			path := e.base + "/Users"
			body := map[string]any{"userName": "eve"}
			if method == "PUT" {
				path, body["userName"] = path+"/"+id, "ada"
			}
			for k, v := range tc.body {
				body[k] = v
			}
			r := e.do(method, path, body)
			wantError(t, r, http.StatusBadRequest, "invalidValue")
			if !strings.Contains(r.str("detail"), tc.detail) {
				t.Errorf("%s %s: detail %q, want %q in it", name, method, r.str("detail"), tc.detail)
			}
		}
	}
	// PATCH up to the bound, then past it.
	half := strings.Repeat("x", schema.MaxKeptBytes/2)
	e.must(http.StatusOK, "PATCH", e.base+"/Users/"+id, patchOp("add", keptURN+":a", half))
	r := e.do("PATCH", e.base+"/Users/"+id, patchOp("add", keptURN+":b", half))
	wantError(t, r, http.StatusBadRequest, "invalidValue")
	got := e.must(http.StatusOK, "GET", e.base+"/Users/"+id, nil)
	if m := ext(got.body, keptURN); m["costCenter"] != "CC-1" || m["a"] != half || m["b"] != nil {
		t.Errorf("after a refused PATCH: %v", m)
	}
	if r := e.do("GET", e.base+"/Users?filter="+q(`userName eq "eve"`), nil); len(r.list()) != 0 {
		t.Errorf("a refused create made a user: %s", r.raw)
	}
}

// TestUndeclaredThenDeclared checks what happens to kept values when
// the workspace stops keeping them, and when it declares their
// extension: the declaration wins.
func TestUndeclaredThenDeclared(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, mk envMaker) {
		e := mk(t, server.DefaultConfig(), nil)
		e.setConfig("undeclaredExtensions=keep")
		id := e.createUser("ada", map[string]any{keptURN: map[string]any{"costCenter": "CC-1", "badge": "B-7", "extra": "x"}}).str("id")
		show := func() string {
			t.Helper()
			b, _ := json.Marshal(e.must(http.StatusOK, "GET", e.base+"/Users/"+id, nil).body[keptURN])
			return string(b)
		}
		count := func(filter string) int {
			t.Helper()
			r := e.do("GET", e.base+"/Users?filter="+q(filter), nil)
			if r.status != http.StatusOK {
				return -r.status
			}
			return len(r.list())
		}

		// Back to ignore: stored, neither returned nor filterable; a
		// PATCH of something else keeps them; keep again shows them.
		e.setConfig("undeclaredExtensions=ignore")
		if got := show(); got != "null" {
			t.Errorf("with ignore: %s", got)
		}
		if got := count(keptURN + `:costCenter eq "CC-1"`); got != -400 {
			t.Errorf("filter with ignore: %d", got)
		}
		e.must(http.StatusOK, "PATCH", e.base+"/Users/"+id, patchOp("replace", "displayName", "Ada"))
		e.setConfig("undeclaredExtensions=keep")
		if got := show(); got != `{"badge":"B-7","costCenter":"CC-1","extra":"x"}` {
			t.Errorf("keep again: %s", got)
		}

		// Declared: costCenter as a string, badge as an integer. badge's
		// kept value is not one, and extra is not declared: both stay
		// stored, neither returned nor filterable, as for a declaration
		// changed (custom-attributes.md).
		e.declare("acme", "User", `{"id": "`+keptURN+`", "attributes": [{"name": "costCenter", "type": "string"}, {"name": "badge", "type": "integer"}]}`, false)
		if got := show(); got != `{"costCenter":"CC-1"}` {
			t.Errorf("declared: %s", got)
		}
		if got := count(keptURN + `:costCenter eq "cc-1"`); got != 1 {
			t.Errorf("declared filter: %d", got)
		}
		if got := count(keptURN + `:extra eq "x"`); got != -400 {
			t.Errorf("filter on an attribute the declaration lacks: %d", got)
		}
		// Writes are checked against the declaration.
		wantError(t, e.do("PATCH", e.base+"/Users/"+id, patchOp("replace", keptURN+":badge", "B-8")), http.StatusBadRequest, "invalidValue")
		e.must(http.StatusOK, "PATCH", e.base+"/Users/"+id, patchOp("replace", keptURN+":badge", 8))
		if got := show(); got != `{"badge":8,"costCenter":"CC-1"}` {
			t.Errorf("declared, after PATCH: %s", got)
		}
		// Deleting the declaration brings the kept values back as kept.
		if _, err := e.st.DeleteSchemaExtension(context.Background(), mustWorkspaceID(t, e, "acme"), keptURN); err != nil {
			t.Fatal(err)
		}
		if got := show(); got != `{"badge":8,"costCenter":"CC-1","extra":"x"}` {
			t.Errorf("declaration deleted: %s", got)
		}
	})
}

// TestUndeclaredFiltersInLargeWorkspaces checks that a comparison on an
// attribute kept without a declaration is one no index answers: alone,
// it is refused beyond the resources a listing may read; with one an
// index answers, it is answered.
func TestUndeclaredFiltersInLargeWorkspaces(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.MaxExamined = 3
	e := newEnvConfig(t, cfg)
	e.setConfig("undeclaredExtensions=keep")
	for i := range 5 {
		e.createUser("user"+string(rune('0'+i)), map[string]any{keptURN: map[string]any{"badge": i}})
	}
	wantError(t, e.do("GET", e.base+"/Users?filter="+q(keptURN+":badge eq 3"), nil), http.StatusBadRequest, "tooMany")
	wantError(t, e.do("GET", e.base+"/Users?filter="+q(keptURN+":badge pr"), nil), http.StatusBadRequest, "tooMany")
	r := e.must(http.StatusOK, "GET", e.base+"/Users?filter="+q(`userName eq "user3" and `+keptURN+":badge eq 3"), nil)
	if len(r.list()) != 1 {
		t.Errorf("with userName: %s", r.raw)
	}
}
