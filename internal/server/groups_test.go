package server_test

import (
	"net/http"
	"slices"
	"sort"
	"testing"
)

func memberIDs(r response) []string {
	var ids []string
	ms, _ := r.body["members"].([]any)
	for _, m := range ms {
		ids = append(ids, m.(map[string]any)["value"].(string))
	}
	sort.Strings(ids)
	return ids
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

func TestGroupMembership(t *testing.T) {
	e := newEnv(t)
	a := e.createUser("ann", map[string]any{"displayName": "Ann A"}).str("id")
	b := e.createUser("ben", nil).str("id")
	c := e.createUser("cat", nil).str("id")
	g := e.createGroup("Staff", a, b)
	gid := g.str("id")
	if !slices.Equal(memberIDs(g), sorted(a, b)) {
		t.Fatalf("created with members %v", memberIDs(g))
	}
	for _, m := range g.body["members"].([]any) {
		m := m.(map[string]any)
		if m["value"] == a && (m["display"] != "Ann A" || m["type"] != "User" || m["$ref"] != e.srv.URL+"/scim/v2/Users/"+a) {
			t.Errorf("member rendered as %v", m)
		}
	}
	path := "/scim/v2/Groups/" + gid
	members := func() []string {
		return memberIDs(e.must(http.StatusOK, "GET", path, nil))
	}
	steps := []struct {
		name string
		ops  []any
		want []string
	}{
		{"okta remove by filter and add", []any{
			map[string]any{"op": "remove", "path": `members[value eq "` + a + `"]`},
			map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": c, "display": "cat"}}},
		}, sorted(b, c)},
		{"entra remove with value list", []any{
			map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": b}}},
		}, sorted(c)},
		{"entra add with null ref", []any{
			map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"$ref": nil, "value": a}}},
		}, sorted(a, c)},
		{"adding an existing member is a no-op", []any{
			map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": a}}},
		}, sorted(a, c)},
		{"okta rename leaves members alone", []any{
			map[string]any{"op": "replace", "value": map[string]any{"id": gid, "displayName": "Staff!"}},
		}, sorted(a, c)},
		{"replace all", []any{
			map[string]any{"op": "replace", "path": "members", "value": []any{map[string]any{"value": b}}},
		}, sorted(b)},
		{"replace with empty list", []any{
			map[string]any{"op": "replace", "path": "members", "value": []any{}},
		}, nil},
		{"path-less add", []any{
			map[string]any{"op": "add", "value": map[string]any{"members": []any{map[string]any{"value": a}, map[string]any{"value": b}}}},
		}, sorted(a, b)},
		{"remove by filter on another sub-attribute", []any{
			map[string]any{"op": "remove", "path": `members[display eq "ben"]`},
		}, sorted(a)},
		{"remove all", []any{
			map[string]any{"op": "remove", "path": "members"},
		}, nil},
	}
	for _, s := range steps {
		r := e.do("PATCH", path, patchOps(s.ops...))
		if r.status != http.StatusNoContent {
			t.Fatalf("%s: status %d %s", s.name, r.status, r.raw)
		}
		if got := members(); !slices.Equal(got, s.want) {
			t.Fatalf("%s: members %v, want %v", s.name, got, s.want)
		}
	}
	if got := e.must(http.StatusOK, "GET", path, nil).str("displayName"); got != "Staff!" {
		t.Errorf("displayName %q", got)
	}
	// An unknown member fails the whole request.
	r := e.do("PATCH", path, patchOps(
		map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": a}}},
		map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": "usr_ghost"}}},
	))
	wantError(t, r, http.StatusBadRequest, "invalidValue")
	if got := members(); got != nil {
		t.Errorf("failed PATCH left members %v", got)
	}
	// With attributes, PATCH returns the group.
	r = e.must(http.StatusOK, "PATCH", path+"?attributes=members", patchOps(
		map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": a}}}))
	if !slices.Equal(memberIDs(r), []string{a}) || r.body["displayName"] != nil {
		t.Errorf("PATCH with attributes: %s", r.raw)
	}
}

func TestUserGroupsAndNesting(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("ivan", nil).str("id")
	platform := e.createGroup("Platform", u).str("id")
	eng := e.createGroup("Engineering", platform).str("id")
	all := e.createGroup("Everyone", eng).str("id")
	// A cycle must not hang anything.
	e.must(http.StatusNoContent, "PATCH", "/scim/v2/Groups/"+platform, patchOps(
		map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": all}}}))

	r := e.must(http.StatusOK, "GET", "/scim/v2/Users/"+u, nil)
	got := map[string]string{}
	for _, g := range r.body["groups"].([]any) {
		g := g.(map[string]any)
		got[g["value"].(string)] = g["type"].(string) + " " + g["display"].(string)
	}
	want := map[string]string{platform: "direct Platform", eng: "indirect Engineering", all: "indirect Everyone"}
	if len(got) != len(want) {
		t.Fatalf("groups %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("group %s: %q, want %q", k, got[k], v)
		}
	}
	// groups is read-only: a PUT that echoes it changes nothing.
	e.must(http.StatusOK, "PUT", "/scim/v2/Users/"+u, map[string]any{"userName": "ivan", "groups": []any{}})
	if r := e.must(http.StatusOK, "GET", "/scim/v2/Users/"+u, nil); len(r.body["groups"].([]any)) != 3 {
		t.Errorf("PUT changed groups: %s", r.raw)
	}
	// Filtering on groups and members.
	r = e.must(http.StatusOK, "GET", "/scim/v2/Users?filter="+q(`groups.value eq "`+platform+`"`), nil)
	if r.body["totalResults"] != jsonInt(1) {
		t.Errorf("groups.value filter: %s", r.raw)
	}
	r = e.must(http.StatusOK, "GET", "/scim/v2/Groups?filter="+q(`members.value eq "`+u+`"`)+"&excludedAttributes=members", nil)
	if r.body["totalResults"] != jsonInt(1) || r.list()[0]["members"] != nil {
		t.Errorf("members.value filter: %s", r.raw)
	}
	// Deleting a member removes the membership.
	e.must(http.StatusNoContent, "DELETE", "/scim/v2/Users/"+u, nil)
	if r := e.must(http.StatusOK, "GET", "/scim/v2/Groups/"+platform, nil); len(memberIDs(r)) != 1 {
		t.Errorf("members after delete: %v", memberIDs(r))
	}
	// A group cannot contain itself.
	r = e.do("PATCH", "/scim/v2/Groups/"+eng, patchOps(
		map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": eng}}}))
	wantError(t, r, http.StatusBadRequest, "invalidValue")
}

func TestGroupPutClearsMembers(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("judy", nil).str("id")
	g := e.createGroup("Ops", u).str("id")
	// Keycloak omits members for an empty group: PUT clears them.
	r := e.must(http.StatusOK, "PUT", "/scim/v2/Groups/"+g, map[string]any{"displayName": "Ops", "externalId": "kc-1"})
	if r.body["members"] != nil || r.str("externalId") != "kc-1" {
		t.Errorf("PUT: %s", r.raw)
	}
}
