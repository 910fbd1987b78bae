package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/scimd/scimd/client/admin"
)

// TestGroupAndUserShow provisions a nested directory by SCIM, maps its
// groups to roles with the CLI, and reads groups and a user's picture
// back as an operator types the commands.
func TestGroupAndUserShow(t *testing.T) {
	bothWays(t, func(t *testing.T, s *testServer, c *cli) {
		bob := s.createUser(t, "bob@example.com")
		group := func(name, externalID string, members ...string) string {
			t.Helper()
			var ms []any
			for _, m := range members {
				ms = append(ms, map[string]any{"value": m})
			}
			st, g := s.scimDo(t, "POST", "/Groups", map[string]any{
				"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": name, "externalId": externalID, "members": ms,
			})
			if st != http.StatusCreated {
				t.Fatalf("create group %s: %d %v", name, st, g)
			}
			return g["id"].(string)
		}
		platform := group("Platform", "00gplat", bob)
		eng := group("Engineering", "00geng", platform)
		group("Admins", "00gadm", bob)
		c.must("workspace", "set", "default", "roleMappings=Engineering:developer,Admins:admin", "groupAllowlist=Engineering,Platform")

		table := c.must("group", "list", "--workspace", "default")
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^` + platform + `\s+Platform\s+00gplat\s+1\s+yes\s+developer\s+-\s+engineering/platform$`),
			regexp.MustCompile(`(?m)^` + eng + `\s+Engineering\s+00geng\s+1\s+yes\s+developer\s+-\s+engineering$`),
			regexp.MustCompile(`(?m)^grp_\S+\s+Admins\s+00gadm\s+1\s+no \(not in groupAllowlist\)\s+-\s+-\s+admins$`),
		} {
			if !want.MatchString(table) {
				t.Errorf("group list lacks %s:\n%s", want, table)
			}
		}
		var page admin.GroupPage
		c.mustJSON(&page, "group", "list", "--workspace", "default", "--filter", `displayName sw "eng"`)
		if len(page.Groups) != 1 || page.Groups[0].ID != eng || page.Total != 1 {
			t.Errorf("group list --filter: %+v", page)
		}
		out := c.must("group", "list", "--workspace", "default", "--limit", "2")
		if !regexp.MustCompile(`\(2 of 3; more with --cursor \S+\)`).MatchString(out) {
			t.Errorf("group list --limit 2:\n%s", out)
		}

		// What provisioning did: the SCIM writes above, by token.
		out = c.must("workspace", "activity", "default")
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^since \S+ \S+: [4-9] SCIM requests, 0 failed$`),
			regexp.MustCompile(`(?m)^tok_\S+\s+\S+\s+other\s+[4-9]\s+0\s+.* group\.create 201\s+Go-http-client/1\.1$`),
		} {
			if !want.MatchString(out) {
				t.Errorf("workspace activity lacks %s:\n%s", want, out)
			}
		}

		// Which groups each mapping and allowlist entry reaches.
		out = c.must("group", "matches", "--workspace", "default")
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^roleMappings\s+Engineering\s+developer\s+Platform, Engineering$`),
			regexp.MustCompile(`(?m)^roleMappings\s+Admins\s+admin\s+Admins$`),
			regexp.MustCompile(`(?m)^groupAllowlist\s+Platform\s+-\s+Platform$`),
		} {
			if !want.MatchString(out) {
				t.Errorf("group matches lacks %s:\n%s", want, out)
			}
		}
		var m admin.GroupMatches
		c.mustJSON(&m, "group", "matches", "--workspace", "default")
		if m.Checked != 3 || len(m.RoleMappings) != 2 || m.RoleMappings[0].Count != 2 {
			t.Errorf("group matches --json: %+v", m)
		}

		out = c.must("group", "show", "--workspace", "default", "00gplat")
		for _, want := range []string{"display name:  Platform", "parents:       Engineering (" + eng + ")", "paths:         engineering/platform",
			`developer: role mapping "engineering" matches "engineering" of group "Platform"`, "User  " + bob + "  User bob@example.com"} {
			if !strings.Contains(out, want) {
				t.Errorf("group show lacks %q:\n%s", want, out)
			}
		}
		var g admin.GroupDetail
		c.mustJSON(&g, "group", "show", "--workspace", "default", eng)
		if len(g.Members) != 1 || g.Members[0].ID != platform || g.Members[0].Type != "Group" {
			t.Errorf("group show --json: %+v", g)
		}
		if _, err := c.run("group", "show", "--workspace", "default", "nope"); err == nil || !strings.Contains(err.Error(), `no group with the id or externalId "nope"`) {
			t.Errorf("group show nope: %v", err)
		}

		out = c.must("user", "show", "--workspace", "default", bob)
		for _, want := range []string{
			"user name:     bob@example.com", "state:         active", "seat:          takes a seat (no seat limit)",
			`developer: role mapping "engineering" matches "engineering" of group "Engineering"`,
			`not admin: role mapping "admins" matches "admins" of group "Admins", which the group allowlist does not sync`,
			"group keys:    group:engineering,group:engineering/platform",
			"is active: its API keys and sessions that are neither revoked nor expired verify as valid",
			"The user has no API key or session",
			"scimd audit --workspace default --target " + bob,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("user show lacks %q:\n%s", want, out)
			}
		}
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^\s+` + platform + `\s+Platform\s+direct\s+yes\s+engineering/platform$`),
			regexp.MustCompile(`(?m)^\s+` + eng + `\s+Engineering\s+through nesting\s+yes\s+engineering$`),
		} {
			if !want.MatchString(out) {
				t.Errorf("user show lacks %s:\n%s", want, out)
			}
		}
		var u admin.UserDetail
		c.mustJSON(&u, "user", "show", "--workspace", "default", bob)
		if u.ID != bob || len(u.Roles) != 1 || u.Roles[0].Role != "developer" || len(u.Groups) != 3 {
			t.Errorf("user show --json: %+v", u)
		}
		if _, err := c.run("user", "show", "--workspace", "default", "usr_nope"); err == nil || !strings.Contains(err.Error(), "has no user usr_nope") {
			t.Errorf("user show usr_nope: %v", err)
		}
	})
}
