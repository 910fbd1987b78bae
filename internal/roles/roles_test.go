package roles_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/roles"
)

func compile(t testing.TB, p roles.Policy) *roles.Compiled {
	t.Helper()
	c, err := p.Compile()
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}

// group returns a group whose id is its displayName, in the parents with
// the given ids.
func group(name string, parents ...string) roles.Group {
	return roles.Group{ID: name, DisplayName: name, Parents: parents}
}

func teamKeys(a roles.Access) []string {
	keys := []string{}
	for _, t := range a.Teams {
		keys = append(keys, t.Key)
	}
	return keys
}

func TestDefaultRoles(t *testing.T) {
	want := []roles.Role{{"viewer", 10}, {"auditor", 15}, {"developer", 20}, {"editor", 25}, {"billing", 30}, {"admin", 40}}
	if got := roles.DefaultRoles(); !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultRoles() = %v, want %v", got, want)
	}
	want = []roles.Role{{"admin", 40}, {"billing", 30}, {"editor", 25}, {"developer", 20}, {"auditor", 15}, {"viewer", 10}}
	if got := compile(t, roles.Policy{}).Roles(); !reflect.DeepEqual(got, want) {
		t.Errorf("Roles() of the zero policy = %v, want %v", got, want)
	}
}

func TestPaths(t *testing.T) {
	tests := []struct {
		name   string
		groups []roles.Group
		keys   []string // want Access.Groups
		teams  []string // want team keys
	}{
		{"by name", []roles.Group{group("Engineering")},
			[]string{"group:engineering"}, []string{"group:engineering"}},
		{"by name, folded", []roles.Group{group("ENGINEERING Ops")},
			[]string{"group:engineering ops"}, []string{"group:engineering ops"}},
		{"path in the name", []roles.Group{group(" Engineering / Platform ")},
			[]string{"group:engineering", "group:engineering/platform"}, []string{"group:engineering/platform"}},
		{"empty segments dropped", []roles.Group{group("/Engineering//Platform/")},
			[]string{"group:engineering", "group:engineering/platform"}, []string{"group:engineering/platform"}},
		{"deep path implies every ancestor", []roles.Group{group("a/b/c/d")},
			[]string{"group:a", "group:a/b", "group:a/b/c", "group:a/b/c/d"}, []string{"group:a/b/c/d"}},
		{"nested", []roles.Group{group("Platform", "Engineering"), group("Engineering")},
			[]string{"group:engineering", "group:engineering/platform"},
			[]string{"group:engineering", "group:engineering/platform"}},
		{"nested twice", []roles.Group{group("Oncall", "Platform"), group("Platform", "Engineering"), group("Engineering")},
			[]string{"group:engineering", "group:engineering/platform", "group:engineering/platform/oncall"},
			[]string{"group:engineering", "group:engineering/platform", "group:engineering/platform/oncall"}},
		{"nested, name already a path", []roles.Group{group("Engineering/Platform", "Engineering"), group("Engineering")},
			[]string{"group:engineering", "group:engineering/platform"},
			[]string{"group:engineering", "group:engineering/platform"}},
		{"nested, name starts with the parent's name", []roles.Group{
			group("Engineering/Platform", "Engineering"), group("Engineering", "Company"), group("Company")},
			[]string{"group:company", "group:company/engineering", "group:company/engineering/platform"},
			[]string{"group:company", "group:company/engineering", "group:company/engineering/platform"}},
		{"nested, name spells the parent's path", []roles.Group{
			group("Company/Engineering/Platform", "Engineering"), group("Engineering", "Company"), group("Company")},
			[]string{"group:company", "group:company/engineering", "group:company/engineering/platform"},
			[]string{"group:company", "group:company/engineering", "group:company/engineering/platform"}},
		{"nested, name shares only a prefix of a segment", []roles.Group{group("EngineeringOps", "Engineering"), group("Engineering")},
			[]string{"group:engineering", "group:engineering/engineeringops"},
			[]string{"group:engineering", "group:engineering/engineeringops"}},
		{"nested, path names", []roles.Group{group("Platform/Oncall", "Eng/Infra"), group("Eng/Infra")},
			[]string{"group:eng", "group:eng/infra", "group:eng/infra/platform", "group:eng/infra/platform/oncall"},
			[]string{"group:eng/infra", "group:eng/infra/platform/oncall"}},
		{"several parents", []roles.Group{group("Oncall", "Engineering", "Support"), group("Engineering"), group("Support")},
			[]string{"group:engineering", "group:engineering/oncall", "group:support", "group:support/oncall"},
			[]string{"group:engineering", "group:engineering/oncall", "group:support", "group:support/oncall"}},
		{"diamond", []roles.Group{group("D", "B", "C"), group("B", "A"), group("C", "A"), group("A")},
			[]string{"group:a", "group:a/b", "group:a/b/d", "group:a/c", "group:a/c/d"},
			[]string{"group:a", "group:a/b", "group:a/b/d", "group:a/c", "group:a/c/d"}},
		{"parent not given", []roles.Group{group("Platform", "Engineering")},
			[]string{"group:platform"}, []string{"group:platform"}},
		{"parent without a name", []roles.Group{group("Platform", "x"), {ID: "x", DisplayName: " / "}},
			[]string{"group:platform"}, []string{"group:platform"}},
		{"own parent", []roles.Group{group("A", "A")},
			[]string{"group:a"}, []string{"group:a"}},
		{"cycle of two", []roles.Group{group("A", "B"), group("B", "A")},
			[]string{"group:a", "group:a/b", "group:b", "group:b/a"}, []string{"group:a/b", "group:b/a"}},
		{"cycle of three", []roles.Group{group("A", "B"), group("B", "C"), group("C", "A")},
			[]string{"group:a", "group:a/c", "group:a/c/b", "group:b", "group:b/a", "group:b/a/c", "group:c", "group:c/b", "group:c/b/a"},
			[]string{"group:a/c/b", "group:b/a/c", "group:c/b/a"}},
		{"cycle below a root", []roles.Group{group("A", "B", "Root"), group("B", "A"), group("Root")},
			[]string{"group:root", "group:root/a", "group:root/a/b", "group:b", "group:b/a"},
			[]string{"group:b/a", "group:root", "group:root/a", "group:root/a/b"}},
		{"no groups", nil, []string{}, []string{}},
		{"no name", []roles.Group{{ID: "x"}}, []string{}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := compile(t, roles.Policy{}).Compute(roles.Input{Groups: tt.groups})
			slices.Sort(tt.keys)
			if !reflect.DeepEqual(a.Groups, tt.keys) {
				t.Errorf("Groups = %q, want %q", a.Groups, tt.keys)
			}
			slices.Sort(tt.teams)
			if got := teamKeys(a); !reflect.DeepEqual(got, tt.teams) {
				t.Errorf("Teams = %q, want %q", got, tt.teams)
			}
		})
	}
}

// TestDenseNesting has every group nested in every other, which has more
// paths than can be listed; Compute must still end, with a team for each
// group.
func TestDenseNesting(t *testing.T) {
	var groups []roles.Group
	names := strings.Split("a b c d e f g h i j k l m n o p", " ")
	for _, n := range names {
		groups = append(groups, group(n, names...))
	}
	a := compile(t, roles.Policy{}).Compute(roles.Input{Groups: groups})
	for _, n := range names {
		if !slices.ContainsFunc(a.Teams, func(t roles.Team) bool {
			return t.Key == "group:"+n || strings.HasSuffix(t.Key, "/"+n)
		}) {
			t.Errorf("no team for group %s in %v", n, a.Teams)
		}
	}
}

func TestTeamRole(t *testing.T) {
	in := roles.Input{Groups: []roles.Group{group("Platform", "Engineering"), group("Engineering")}}
	a := compile(t, roles.Policy{}).Compute(in)
	want := []roles.Team{{"group:engineering", "member"}, {"group:engineering/platform", "member"}}
	if !reflect.DeepEqual(a.Teams, want) {
		t.Errorf("Teams = %v, want %v", a.Teams, want)
	}
	a = compile(t, roles.Policy{TeamRole: "maintainer"}).Compute(in)
	want = []roles.Team{{"group:engineering", "maintainer"}, {"group:engineering/platform", "maintainer"}}
	if !reflect.DeepEqual(a.Teams, want) {
		t.Errorf("Teams = %v, want %v", a.Teams, want)
	}
}

// TestLinkedTeams: a group linked to a team is in that team rather than
// a team of its own, whatever it is called, with the link's role or the
// default; one team is listed once; the default team comes last.
func TestLinkedTeams(t *testing.T) {
	linked := func(g roles.Group, team, role string) roles.Group {
		g.Team, g.TeamRole = team, role
		return g
	}
	tests := []struct {
		name   string
		policy roles.Policy
		groups []roles.Group
		want   []roles.Team
	}{
		{"linked", roles.Policy{}, []roles.Group{linked(group("Engineering"), "eng", "")},
			[]roles.Team{{"eng", "member"}}},
		{"renamed", roles.Policy{}, []roles.Group{linked(group("Eng Dept"), "eng", "")},
			[]roles.Team{{"eng", "member"}}},
		{"with a role", roles.Policy{TeamRole: "maintainer"}, []roles.Group{linked(group("Engineering"), "eng", "lead")},
			[]roles.Team{{"eng", "lead"}}},
		{"beside own teams", roles.Policy{}, []roles.Group{group("Sales"), linked(group("Platform", "Engineering"), "platform", ""), group("Engineering")},
			[]roles.Team{{"group:engineering", "member"}, {"group:sales", "member"}, {"platform", "member"}}},
		{"to another group's own team", roles.Policy{}, []roles.Group{group("Engineering"), linked(group("Eng"), "group:engineering", "lead")},
			[]roles.Team{{"group:engineering", "lead"}}},
		{"one team through several links", roles.Policy{}, []roles.Group{
			linked(group("A"), "eng", ""), linked(group("B"), "eng", "writer"), linked(group("C"), "eng", "lead")},
			[]roles.Team{{"eng", "lead"}}},
		{"not synced", roles.Policy{Allowlist: []string{"Sales"}}, []roles.Group{linked(group("Engineering"), "eng", "lead"), group("Sales")},
			[]roles.Team{{"group:sales", "member"}}},
		{"default team", roles.Policy{DefaultTeam: "all", TeamRole: "member"}, []roles.Group{linked(group("Engineering"), "eng", "")},
			[]roles.Team{{"eng", "member"}, {"all", "member"}}},
		{"default team linked too", roles.Policy{DefaultTeam: "all"}, []roles.Group{linked(group("Everyone"), "all", "lead")},
			[]roles.Team{{"all", "lead"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := compile(t, tt.policy).Compute(roles.Input{Groups: tt.groups})
			if !reflect.DeepEqual(a.Teams, tt.want) {
				t.Errorf("Teams = %v, want %v", a.Teams, tt.want)
			}
		})
	}
	// A linked group keeps its group keys and the roles its name grants.
	p := roles.Policy{Mappings: []roles.Mapping{{Group: "Engineering", Role: "developer"}}}
	a := compile(t, p).Compute(roles.Input{Groups: []roles.Group{linked(group("Engineering"), "eng", "")}})
	if !slices.Equal(a.Groups, []string{"group:engineering"}) || !slices.Equal(a.Roles, []string{"developer"}) {
		t.Errorf("linked group: groups %v, roles %v", a.Groups, a.Roles)
	}
}

func TestSynced(t *testing.T) {
	tests := []struct {
		allow []string
		name  string
		want  bool
	}{
		{nil, "anything", true},
		{[]string{"Engineering"}, "Engineering", true},
		{[]string{"Engineering"}, "engineering", true},
		{[]string{"engineering"}, "ENGINEERING", true},
		{[]string{"Engineering"}, "Engineering/Platform", false},
		{[]string{"Engineering"}, "Engineering Ops", false},
		{[]string{"Engineering*"}, "Engineering/Platform", true},
		{[]string{"Engineering/*"}, "engineering/platform/oncall", true},
		{[]string{"Engineering/*"}, "Engineering", false},
		{[]string{"*"}, "", true},
		{[]string{"*ops"}, "DevOps", true},
		{[]string{"*ops"}, "Ops team", false},
		{[]string{"team-?"}, "team-a", true},
		{[]string{"team-?"}, "team-é", true},
		{[]string{"team-?"}, "team-ab", false},
		{[]string{"team-?"}, "team-", false},
		{[]string{"a?c"}, "a/c", true},
		{[]string{"*a*b*c*"}, "xxaxxbxxcxx", true},
		{[]string{"*a*b*c*"}, "xxaxxcxxbxx", false},
		{[]string{"Sales [EU]"}, "sales [eu]", true},
		{[]string{"Sales [EU]"}, "Sales E", false},
		{[]string{`CORP\Admins`}, `corp\admins`, true},
		{[]string{"Straße"}, "STRASSE", false},
		{[]string{"ÉQUIPE"}, "équipe", true},
		{[]string{"Sales", "Support*"}, "Support EU", true},
		{[]string{"Sales", "Support*"}, "Marketing", false},
	}
	for _, tt := range tests {
		p := roles.Policy{Allowlist: tt.allow}
		if got := p.Synced(tt.name); got != tt.want {
			t.Errorf("Policy{Allowlist: %q}.Synced(%q) = %v, want %v", tt.allow, tt.name, got, tt.want)
		}
		if got := compile(t, p).Synced(tt.name); got != tt.want {
			t.Errorf("Compiled{Allowlist: %q}.Synced(%q) = %v, want %v", tt.allow, tt.name, got, tt.want)
		}
	}
}

func TestAllowlist(t *testing.T) {
	p := roles.Policy{
		Allowlist: []string{"Platform", "Sales*"},
		Mappings: []roles.Mapping{
			{Group: "Engineering", Role: "admin"},
			{Group: "Marketing", Role: "billing"},
			{ExternalID: "mkt-1", Role: "editor"},
			{Group: "Engineering/Platform", Role: "developer"},
		},
	}
	tests := []struct {
		name   string
		groups []roles.Group
		want   roles.Access
	}{
		{"group not synced grants nothing",
			[]roles.Group{{ID: "m", DisplayName: "Marketing", ExternalID: "mkt-1"}},
			roles.Access{Roles: []string{"viewer"}, Groups: []string{}, Teams: []roles.Team{}}},
		{"synced group nested in one that is not",
			// Platform takes its path from Engineering, and so matches
			// mappings of its path's ancestors, while Engineering itself
			// is no team of the user's.
			[]roles.Group{group("Platform", "Engineering"), group("Engineering")},
			roles.Access{
				Roles:  []string{"admin", "developer"},
				Groups: []string{"group:engineering", "group:engineering/platform"},
				Teams:  []roles.Team{{"group:engineering/platform", "member"}},
			}},
		{"glob entry",
			[]roles.Group{group("Sales EU"), group("Marketing")},
			roles.Access{
				Roles:  []string{"viewer"},
				Groups: []string{"group:sales eu"},
				Teams:  []roles.Team{{"group:sales eu", "member"}},
			}},
	}
	c := compile(t, p)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Compute(roles.Input{Groups: tt.groups}); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Compute = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMappings(t *testing.T) {
	custom := []roles.Role{{"reader", 1}, {"writer", 2}, {"Owner", 3}, {"maintainer", 2}}
	tests := []struct {
		name   string
		policy roles.Policy
		groups []roles.Group
		want   []string
	}{
		{"no groups: default role", roles.Policy{}, nil, []string{"viewer"}},
		{"no mapped group: default role",
			roles.Policy{Mappings: []roles.Mapping{{Group: "Admins", Role: "admin"}}},
			[]roles.Group{group("Engineering")}, []string{"viewer"}},
		{"default role set",
			roles.Policy{DefaultRole: "Developer"},
			[]roles.Group{group("Engineering")}, []string{"developer"}},
		{"exact name",
			roles.Policy{Mappings: []roles.Mapping{{Group: "Admins", Role: "admin"}}},
			[]roles.Group{group("Admins")}, []string{"admin"}},
		{"mapped group replaces the default role",
			roles.Policy{DefaultRole: "editor", Mappings: []roles.Mapping{{Group: "Auditors", Role: "auditor"}}},
			[]roles.Group{group("Auditors")}, []string{"auditor"}},
		{"exact name, other case",
			roles.Policy{Mappings: []roles.Mapping{{Group: "ADMINS", Role: "ADMIN"}}},
			[]roles.Group{group("admins")}, []string{"admin"}},
		{"exact name is not a prefix",
			roles.Policy{Mappings: []roles.Mapping{{Group: "Admins", Role: "admin"}}},
			[]roles.Group{group("Admins-readonly")}, []string{"viewer"}},
		{"exact name matches the displayName as written",
			roles.Policy{Mappings: []roles.Mapping{{Group: "Engineering / Platform", Role: "developer"}}},
			[]roles.Group{group("Engineering / Platform")}, []string{"developer"}},
		{"exact path",
			roles.Policy{Mappings: []roles.Mapping{{Group: "engineering/platform", Role: "developer"}}},
			[]roles.Group{group("Engineering / Platform")}, []string{"developer"}},
		{"exact path from nesting",
			roles.Policy{Mappings: []roles.Mapping{{Group: "Engineering/Platform", Role: "developer"}}},
			[]roles.Group{group("Platform", "Engineering"), group("Engineering")}, []string{"developer"}},
		{"ancestor path",
			roles.Policy{Mappings: []roles.Mapping{{Group: "Engineering", Role: "developer"}}},
			[]roles.Group{group("Engineering/Platform/Oncall")}, []string{"developer"}},
		{"ancestor path of a nested group",
			roles.Policy{Mappings: []roles.Mapping{{Group: "Company/Engineering", Role: "developer"}},
				Allowlist: []string{"Platform"}},
			[]roles.Group{group("Platform", "Engineering"), group("Engineering", "Company"), group("Company")},
			[]string{"developer"}},
		{"descendant path grants nothing",
			roles.Policy{Mappings: []roles.Mapping{{Group: "Engineering/Platform", Role: "developer"}}},
			[]roles.Group{group("Engineering")}, []string{"viewer"}},
		{"glob",
			roles.Policy{Mappings: []roles.Mapping{{Group: "*-admins", Role: "admin"}}},
			[]roles.Group{group("Billing-Admins")}, []string{"admin"}},
		{"glob star spans slashes",
			roles.Policy{Mappings: []roles.Mapping{{Group: "eng*oncall", Role: "editor"}}},
			[]roles.Group{group("Oncall", "Platform"), group("Platform", "Engineering"), group("Engineering")},
			[]string{"editor"}},
		{"glob question mark",
			roles.Policy{Mappings: []roles.Mapping{{Group: "team-?", Role: "developer"}}},
			[]roles.Group{group("Team-B")}, []string{"developer"}},
		{"glob not matching",
			roles.Policy{Mappings: []roles.Mapping{{Group: "team-?", Role: "developer"}}},
			[]roles.Group{group("Team-BC")}, []string{"viewer"}},
		{"externalId",
			roles.Policy{Mappings: []roles.Mapping{{ExternalID: "00g1abc", Role: "billing"}}},
			[]roles.Group{{ID: "g1", DisplayName: "Finance", ExternalID: "00g1abc"}}, []string{"billing"}},
		{"externalId is case-sensitive",
			roles.Policy{Mappings: []roles.Mapping{{ExternalID: "00g1abc", Role: "billing"}}},
			[]roles.Group{{ID: "g1", DisplayName: "Finance", ExternalID: "00G1ABC"}}, []string{"viewer"}},
		{"externalId does not match names",
			roles.Policy{Mappings: []roles.Mapping{{ExternalID: "Finance", Role: "billing"}}},
			[]roles.Group{group("Finance")}, []string{"viewer"}},
		{"several roles, highest first",
			roles.Policy{Mappings: []roles.Mapping{
				{Group: "Viewers", Role: "viewer"}, {Group: "Admins", Role: "admin"},
				{Group: "Dev*", Role: "developer"}, {ExternalID: "x", Role: "admin"},
			}},
			[]roles.Group{group("Viewers"), group("Developers"), {ID: "a", DisplayName: "Admins", ExternalID: "x"}, group("Other")},
			[]string{"admin", "developer", "viewer"}},
		{"one group, several mappings",
			roles.Policy{Mappings: []roles.Mapping{
				{Group: "Engineering", Role: "developer"}, {Group: "engineering", Role: "auditor"}, {Group: "Eng*", Role: "editor"},
			}},
			[]roles.Group{group("Engineering")}, []string{"editor", "developer", "auditor"}},
		{"custom roles: equal ranks by name, canonical case",
			roles.Policy{Roles: custom, DefaultRole: "reader", Mappings: []roles.Mapping{
				{Group: "a", Role: "writer"}, {Group: "b", Role: "Maintainer"}, {Group: "c", Role: "owner"},
			}},
			[]roles.Group{group("a"), group("b"), group("c")}, []string{"Owner", "maintainer", "writer"}},
		{"custom roles: default",
			roles.Policy{Roles: custom, DefaultRole: "READER"}, nil, []string{"reader"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := compile(t, tt.policy).Compute(roles.Input{Groups: tt.groups})
			if !reflect.DeepEqual(a.Roles, tt.want) {
				t.Errorf("Roles = %q, want %q", a.Roles, tt.want)
			}
		})
	}
}

func TestDirectRoles(t *testing.T) {
	mappings := []roles.Mapping{{Group: "Developers", Role: "developer"}}
	tests := []struct {
		name   string
		strict bool
		groups []roles.Group
		direct []string
		want   []string
	}{
		{"added to group roles", false, []roles.Group{group("Developers")}, []string{"billing"}, []string{"billing", "developer"}},
		{"added to the default role", false, nil, []string{"admin"}, []string{"admin", "viewer"}},
		{"canonical case, trimmed, once", false, nil, []string{" Admin", "ADMIN", "admin", "viewer"}, []string{"admin", "viewer"}},
		{"unknown ignored", false, nil, []string{"superuser", ""}, []string{"viewer"}},
		{"strict: group roles only", true, []roles.Group{group("Developers")}, []string{"admin"}, []string{"developer"}},
		{"strict: default role only", true, nil, []string{"admin", "viewer"}, []string{"viewer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compile(t, roles.Policy{Strict: tt.strict, Mappings: mappings})
			a := c.Compute(roles.Input{Groups: tt.groups, DirectRoles: tt.direct})
			if !reflect.DeepEqual(a.Roles, tt.want) {
				t.Errorf("Roles = %q, want %q", a.Roles, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	policy := roles.Policy{
		Strict:   true,
		Roles:    append(roles.DefaultRoles(), roles.Role{Name: "Operator", Rank: 20}),
		Mappings: []roles.Mapping{{Group: "Developers", Role: "developer"}, {Group: "Billing", Role: "billing"}},
	}
	devs := []roles.Group{group("Developers")}
	tests := []struct {
		name      string
		strict    bool
		groups    []roles.Group
		requested []string
		refused   string // "" if allowed
		allowed   string
	}{
		{"above group roles", true, devs, []string{"admin"}, "admin", "developer"},
		{"case-insensitive", true, devs, []string{"EDITOR"}, "editor", "developer"},
		{"highest refused is named", true, devs, []string{"editor", "viewer", "Admin", "billing"}, "admin", "developer"},
		{"above the default role", true, nil, []string{"auditor"}, "auditor", "viewer"},
		{"highest of several group roles counts", true, []roles.Group{group("Developers"), group("Billing")}, []string{"billing", "developer"}, "", ""},
		{"equal role", true, devs, []string{"developer"}, "", ""},
		{"other role of equal rank", true, devs, []string{"operator"}, "", ""},
		{"lower role", true, devs, []string{"viewer", "auditor"}, "", ""},
		{"unknown ignored", true, devs, []string{"superuser", "root"}, "", ""},
		{"nothing requested", true, devs, nil, "", ""},
		{"not strict", false, devs, []string{"admin"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policy
			p.Strict = tt.strict
			err := compile(t, p).Check(roles.Input{Groups: tt.groups}, tt.requested)
			if tt.refused == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var esc *roles.EscalationError
			if !errors.As(err, &esc) {
				t.Fatalf("Check = %v, want an *EscalationError", err)
			}
			if esc.Role != tt.refused || esc.Allowed != tt.allowed {
				t.Errorf("Check = %+v, want Role %q, Allowed %q", *esc, tt.refused, tt.allowed)
			}
			if msg := err.Error(); !strings.Contains(msg, `"`+tt.refused+`"`) || !strings.Contains(msg, `"`+tt.allowed+`"`) {
				t.Errorf("Check error %q names neither %q nor %q", msg, tt.refused, tt.allowed)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		policy roles.Policy
		want   []string // "" policy is valid; else substrings of the error
	}{
		{"zero policy", roles.Policy{}, nil},
		{"full policy", roles.Policy{
			Roles: []roles.Role{{"reader", 1}, {"Writer", 2}}, DefaultRole: "reader",
			Mappings:  []roles.Mapping{{Group: "w*", Role: "writer"}, {ExternalID: "42", Role: "Reader"}},
			Allowlist: []string{"w*", "Sales [EU]"}, Strict: true, TeamRole: "lead",
		}, nil},
		{"unknown mapping role", roles.Policy{Mappings: []roles.Mapping{{Group: "a", Role: "Viewer"}, {Group: "b", Role: "superuser"}}},
			[]string{`roleMappings[1]: role "superuser" is not a role; use one of admin, billing, editor, developer, auditor, viewer`}},
		{"unknown default role", roles.Policy{DefaultRole: "guest"}, []string{`defaultRole "guest" is not a role`}},
		{"no viewer for the empty default role", roles.Policy{Roles: []roles.Role{{"reader", 1}}},
			[]string{`defaultRole is empty, which means "viewer", and there is no such role; set it to one of reader`}},
		{"duplicate role", roles.Policy{Roles: []roles.Role{{"viewer", 1}, {"Admin", 2}, {"admin", 3}}},
			[]string{`"admin" and "Admin" are the same role name`}},
		{"empty role name", roles.Policy{Roles: []roles.Role{{"viewer", 1}, {"", 2}}}, []string{"roles[1]: name is empty"}},
		{"role name with spaces", roles.Policy{Roles: []roles.Role{{"viewer ", 1}}}, []string{`roles[0]: name "viewer " starts or ends with a space`}},
		{"both group and externalId", roles.Policy{Mappings: []roles.Mapping{{Group: "a", ExternalID: "b", Role: "admin"}}},
			[]string{`roleMappings[0]: has both group "a" and externalId "b"; keep one`}},
		{"neither group nor externalId", roles.Policy{Mappings: []roles.Mapping{{Role: "admin"}}},
			[]string{"roleMappings[0]: names no group"}},
		{"bad mapping glob", roles.Policy{Mappings: []roles.Mapping{{Group: "a\x00*", Role: "admin"}}},
			[]string{"roleMappings[0]: group", "control character"}},
		{"mapping glob not UTF-8", roles.Policy{Mappings: []roles.Mapping{{Group: "\xff*", Role: "admin"}}},
			[]string{"roleMappings[0]: group", "not valid UTF-8"}},
		{"mapping glob too long", roles.Policy{Mappings: []roles.Mapping{{Group: strings.Repeat("*a", 1000), Role: "admin"}}},
			[]string{"roleMappings[0]: group is 2000 bytes long"}},
		{"empty allowlist entry", roles.Policy{Allowlist: []string{"a", ""}}, []string{"groupAllowlist[1]: is empty"}},
		{"bad allowlist glob", roles.Policy{Allowlist: []string{"a\n*"}}, []string{"groupAllowlist[0]:", "control character"}},
		{"every problem at once", roles.Policy{
			DefaultRole: "guest",
			Mappings:    []roles.Mapping{{Role: "admin"}, {Group: "x", Role: "root"}},
			Allowlist:   []string{""},
		}, []string{"defaultRole", "roleMappings[0]", "roleMappings[1]", "groupAllowlist[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()
			_, cerr := tt.policy.Compile()
			if (err == nil) != (cerr == nil) {
				t.Fatalf("Validate = %v but Compile = %v", err, cerr)
			}
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, roles.ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v, want it to say %q", err, w)
				}
			}
		})
	}
}

// TestPolicyJSON pins the names a workspace configuration stores the
// policy under.
func TestPolicyJSON(t *testing.T) {
	const doc = `{
		"roles": [{"name": "reader", "rank": 1}, {"name": "writer", "rank": 2}],
		"defaultRole": "reader",
		"roleMappings": [{"group": "Writers", "role": "writer"}, {"externalId": "00g42", "role": "writer"}],
		"groupAllowlist": ["Writers", "Readers*"],
		"strictMode": true,
		"defaultTeamRole": "lead"
	}`
	var p roles.Policy
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	want := roles.Policy{
		Roles:       []roles.Role{{"reader", 1}, {"writer", 2}},
		DefaultRole: "reader",
		Mappings:    []roles.Mapping{{Group: "Writers", Role: "writer"}, {ExternalID: "00g42", Role: "writer"}},
		Allowlist:   []string{"Writers", "Readers*"},
		Strict:      true,
		TeamRole:    "lead",
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Unmarshal = %+v, want %+v", p, want)
	}
	a := compile(t, p).Compute(roles.Input{Groups: []roles.Group{group("Writers")}})
	got, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	const wantAccess = `{"roles":["writer"],"groups":["group:writers"],"teams":[{"key":"group:writers","role":"lead"}]}`
	if string(got) != wantAccess {
		t.Errorf("Access as JSON = %s, want %s", got, wantAccess)
	}
	got, _ = json.Marshal(compile(t, roles.Policy{Allowlist: []string{"none"}}).Compute(roles.Input{Groups: []roles.Group{group("Writers")}}))
	if want := `{"roles":["viewer"],"groups":[],"teams":[]}`; string(got) != want {
		t.Errorf("Access without groups as JSON = %s, want %s", got, want)
	}
}
