package roles_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/roles"
)

// globRegexp is what a group pattern means, written as a regular
// expression over names folded with strings.ToLower.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^(?s)`)
	for _, r := range strings.ToLower(pattern) {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"Engineering", "engineering"}, {"eng*", "Engineering/Platform"}, {"*", ""}, {"?", "é"}, {"??", "é"},
		{"*?", "é"}, {"a*b*c", "aXbYc"}, {"a*b*c", "aXcYb"}, {"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaa"},
		{"team-?", "TEAM-Ä"}, {"*/*", "a/b"}, {"Sales [EU]", "sales [eu]"}, {"x", "\xff"}, {"?", "\xff"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		p := roles.Policy{Allowlist: []string{pattern}}
		c, err := p.Compile()
		if err != nil {
			if !errors.Is(err, roles.ErrInvalid) {
				t.Fatalf("Compile(%q) = %v, not ErrInvalid", pattern, err)
			}
			return
		}
		want := globRegexp(pattern).MatchString(strings.ToLower(name))
		if got := c.Synced(name); got != want {
			t.Fatalf("pattern %q on %q: Synced = %v, want %v", pattern, name, got, want)
		}
		if got := p.Synced(name); got != want {
			t.Fatalf("pattern %q on %q: Policy.Synced = %v, want %v", pattern, name, got, want)
		}
	})
}

// fuzzGroups reads groups from lines of "name|externalId|parent,parent",
// a group's id being its line number.
func fuzzGroups(s string) []roles.Group {
	var groups []roles.Group
	for i, line := range strings.Split(s, "\n") {
		fields := strings.SplitN(line, "|", 3)
		g := roles.Group{ID: string(rune('0' + i)), DisplayName: fields[0]}
		if len(fields) > 1 {
			g.ExternalID = fields[1]
		}
		if len(fields) > 2 {
			g.Parents = strings.Split(fields[2], ",")
		}
		groups = append(groups, g)
	}
	return groups
}

func FuzzCompute(f *testing.F) {
	f.Add("Engineering||\nPlatform||0\nOncall|x1|1,2\nSupport||", "eng*", "x1", "Platform", "admin,Billing,root", false)
	f.Add("A||1\nB||2\nC||0,1", "a/*", "", "*", "viewer", true)
	f.Add("a/b/c||\n/||0\n||", "?", "", "", "", true)
	f.Fuzz(func(t *testing.T, groups, glob, externalID, allow, direct string, strict bool) {
		p := roles.Policy{
			Strict: strict,
			Mappings: []roles.Mapping{
				{Group: glob, Role: "developer"}, {ExternalID: externalID, Role: "billing"}, {Group: "A", Role: "admin"},
			},
			Allowlist: strings.Split(allow, ","),
		}
		if allow == "" {
			p.Allowlist = nil
		}
		c, err := p.Compile()
		if err != nil {
			return
		}
		in := roles.Input{Groups: fuzzGroups(groups), DirectRoles: strings.Split(direct, ",")}
		a := c.Compute(in)
		checkAccess(t, c, a)
		var explained []string
		for _, g := range c.Explain(in).Grants {
			if !slices.Contains(explained, g.Role) {
				explained = append(explained, g.Role)
			}
		}
		if !slices.Equal(explained, a.Roles) {
			t.Fatalf("Explain grants %q, Compute gives %q", explained, a.Roles)
		}
		if strict {
			if err := c.Check(in, a.Roles); err != nil {
				t.Fatalf("Check of the roles Compute gives = %v", err)
			}
		}
	})
}

// checkAccess checks what holds of every Access.
func checkAccess(t *testing.T, c *roles.Compiled, a roles.Access) {
	t.Helper()
	rank := map[string]int{}
	for _, r := range c.Roles() {
		rank[r.Name] = r.Rank
	}
	if len(a.Roles) == 0 {
		t.Fatalf("no roles")
	}
	for i, r := range a.Roles {
		if _, ok := rank[r]; !ok {
			t.Fatalf("unknown role %q in %q", r, a.Roles)
		}
		if i > 0 {
			prev := a.Roles[i-1]
			if rank[prev] < rank[r] || rank[prev] == rank[r] && prev >= r {
				t.Fatalf("roles %q out of order", a.Roles)
			}
		}
	}
	if !slices.IsSorted(a.Groups) || len(slices.Compact(slices.Clone(a.Groups))) != len(a.Groups) {
		t.Fatalf("groups %q not sorted and unique", a.Groups)
	}
	for _, k := range a.Groups {
		path, ok := strings.CutPrefix(k, roles.KeyPrefix)
		if !ok || path == "" || path != strings.ToLower(path) {
			t.Fatalf("bad group key %q", k)
		}
		if i := strings.LastIndexByte(path, '/'); i >= 0 {
			if _, ok := slices.BinarySearch(a.Groups, roles.KeyPrefix+path[:i]); !ok {
				t.Fatalf("groups %q have %q without its parent", a.Groups, k)
			}
		}
	}
	for i, team := range a.Teams {
		if _, ok := slices.BinarySearch(a.Groups, team.Key); !ok {
			t.Fatalf("team %q is not among groups %q", team.Key, a.Groups)
		}
		if i > 0 && a.Teams[i-1].Key >= team.Key {
			t.Fatalf("teams %v not sorted and unique", a.Teams)
		}
		if team.Role != roles.DefaultTeamRole {
			t.Fatalf("team %v has not the default team role", team)
		}
	}
}
