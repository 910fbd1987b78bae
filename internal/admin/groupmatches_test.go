package admin

import (
	"net/http"
	"reflect"
	"testing"
)

// TestGroupMatches previews the workspace's mappings and allowlist, and
// drafts of them: each pattern with the groups it matches, as
// provisioning matches them, and nothing saved.
func TestGroupMatches(t *testing.T) {
	e := newEnv(t)
	d := newDirectory(e)
	audited := len(e.audit("workspace.*")) + len(e.audit("config.*"))
	names := func(gs []GroupMatch) []string {
		out := []string{}
		for _, g := range gs {
			out = append(out, g.DisplayName+"="+g.Matched)
		}
		return out
	}

	// The workspace's own: Engineering reaches Platform, nested in it,
	// through its path.
	m := decode[GroupMatches](e.do("POST", "workspaces/acme/group-matches", ""), http.StatusOK)
	if m.Checked != 3 || m.Total != 3 || len(m.RoleMappings) != 2 || len(m.GroupAllowlist) != 2 {
		t.Fatalf("matches %+v", m)
	}
	for i, want := range [][]string{{"Platform=engineering", "Engineering=engineering"}, {"Admins=admins"}} {
		if got := names(m.RoleMappings[i].Groups); !reflect.DeepEqual(got, want) || m.RoleMappings[i].Count != len(want) {
			t.Errorf("mapping %+v matches %v, want %v", m.RoleMappings[i].RoleMapping, got, want)
		}
	}
	if got := names(m.GroupAllowlist[1].Groups); m.GroupAllowlist[1].Pattern != "Platform" || !reflect.DeepEqual(got, []string{"Platform="}) {
		t.Errorf("allowlist entry %+v", m.GroupAllowlist[1])
	}

	// A draft: globs, an externalId, a pattern that matches nothing.
	m = decode[GroupMatches](e.do("POST", "workspaces/acme/group-matches",
		`{"roleMappings": [{"group": "*form", "role": "editor"}, {"externalId": "eng-1", "role": "admin"}, {"group": "Nobody", "role": "admin"}], "groupAllowlist": ["A*", "*"]}`), http.StatusOK)
	for i, want := range [][]string{{"Platform=platform"}, {"Engineering=eng-1"}, {}} {
		if got := names(m.RoleMappings[i].Groups); !reflect.DeepEqual(got, want) {
			t.Errorf("draft mapping %+v matches %v, want %v", m.RoleMappings[i].RoleMapping, got, want)
		}
	}
	if a, b := m.GroupAllowlist[0], m.GroupAllowlist[1]; a.Count != 1 || a.Groups[0].ID != d.admins || b.Count != 3 {
		t.Errorf("draft allowlist %+v", m.GroupAllowlist)
	}
	// An empty draft allowlist is no entry, not the workspace's.
	if m = decode[GroupMatches](e.do("POST", "workspaces/acme/group-matches", `{"groupAllowlist": []}`), http.StatusOK); len(m.GroupAllowlist) != 0 || len(m.RoleMappings) != 2 {
		t.Errorf("with an empty allowlist: %+v", m)
	}

	// Draft roles for draft mappings.
	m = decode[GroupMatches](e.do("POST", "workspaces/acme/group-matches",
		`{"roles": [{"name": "viewer", "rank": 1}, {"name": "boss", "rank": 9}], "roleMappings": [{"group": "Admins", "role": "boss"}]}`), http.StatusOK)
	if len(m.RoleMappings) != 1 || m.RoleMappings[0].Count != 1 {
		t.Errorf("with draft roles: %+v", m.RoleMappings)
	}

	// A draft that could not be saved is refused in the same words.
	for _, body := range []string{
		`{"roleMappings": [{"group": "Eng*", "role": "wizard"}]}`,
		`{"roleMappings": [{"role": "admin"}]}`,
		`{"groupAllowlist": [""]}`,
		`{"roles": [{"name": "reader", "rank": 1}]}`, // the mappings' roles are gone
	} {
		e.do("POST", "workspaces/acme/group-matches", body).wantError(http.StatusBadRequest, CodeInvalidValue)
	}
	e.do("POST", "workspaces/acme/group-matches", `{"roleMappings": "Eng*"}`).wantError(http.StatusBadRequest, "invalid_json")

	// Nothing saved, nothing audited.
	w := decode[Workspace](e.do("GET", "workspaces/acme", ""), http.StatusOK)
	if len(w.Config.RoleMappings) != 2 || w.Config.RoleMappings[0].Group != "Engineering" {
		t.Errorf("after previews: %+v", w.Config.RoleMappings)
	}
	if n := len(e.audit("workspace.*")) + len(e.audit("config.*")); n != audited {
		t.Errorf("previews added %d audit entries of changes", n-audited)
	}
}
