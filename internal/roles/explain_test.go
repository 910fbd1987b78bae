package roles

import (
	"slices"
	"testing"
)

func TestExplain(t *testing.T) {
	eng := Group{ID: "g1", DisplayName: "Engineering", ExternalID: "ext-eng"}
	plat := Group{ID: "g2", DisplayName: "Platform", Parents: []string{"g1"}}
	admins := Group{ID: "g3", DisplayName: "Admins"}
	tests := []struct {
		name    string
		policy  Policy
		in      Input
		grants  []Grant
		refused []Refusal
	}{
		{
			name:   "no group mapped: the default role",
			in:     Input{Groups: []Group{eng}},
			grants: []Grant{{Role: Viewer, Source: SourceDefault}},
		},
		{
			name:   "a parent's mapping reaches a nested group's members through its path",
			policy: Policy{Mappings: []Mapping{{Group: "Engineering", Role: Developer}}},
			in:     Input{Groups: []Group{plat, eng}},
			grants: []Grant{
				{Role: Developer, Source: SourceGroup, GroupID: "g1", GroupName: "Engineering", Mapping: "engineering", Matched: "engineering"},
				{Role: Developer, Source: SourceGroup, GroupID: "g2", GroupName: "Platform", Mapping: "engineering", Matched: "engineering"},
			},
		},
		{
			name:   "glob and externalId",
			policy: Policy{Mappings: []Mapping{{Group: "eng*/plat*", Role: Editor}, {ExternalID: "ext-eng", Role: Developer}}},
			in:     Input{Groups: []Group{plat, eng}},
			grants: []Grant{
				{Role: Editor, Source: SourceGroup, GroupID: "g2", GroupName: "Platform", Mapping: "eng*/plat*", Matched: "engineering/platform"},
				{Role: Developer, Source: SourceGroup, GroupID: "g1", GroupName: "Engineering", Mapping: "externalId ext-eng", Matched: "ext-eng"},
			},
		},
		{
			name:    "allowlist refuses a mapped group",
			policy:  Policy{Mappings: []Mapping{{Group: "Admins", Role: Admin}}, Allowlist: []string{"Engineering"}},
			in:      Input{Groups: []Group{eng, admins}},
			grants:  []Grant{{Role: Viewer, Source: SourceDefault}},
			refused: []Refusal{{Role: Admin, Reason: RefusedAllowlist, GroupID: "g3", GroupName: "Admins", Mapping: "admins", Matched: "admins"}},
		},
		{
			name:    "direct roles count unless strict",
			in:      Input{DirectRoles: []string{"Billing", "wizard"}},
			grants:  []Grant{{Role: Billing, Source: SourceDirect}, {Role: Viewer, Source: SourceDefault}},
			refused: []Refusal{{Role: "wizard", Reason: RefusedUnknown}},
		},
		{
			name:    "strict mode ignores direct roles",
			policy:  Policy{Strict: true},
			in:      Input{DirectRoles: []string{"admin"}},
			grants:  []Grant{{Role: Viewer, Source: SourceDefault}},
			refused: []Refusal{{Role: Admin, Reason: RefusedStrict}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.policy.Compile()
			if err != nil {
				t.Fatal(err)
			}
			x := c.Explain(tt.in)
			if !slices.Equal(x.Grants, tt.grants) {
				t.Errorf("grants:\n got %+v\nwant %+v", x.Grants, tt.grants)
			}
			if !slices.Equal(x.Refused, tt.refused) {
				t.Errorf("refused:\n got %+v\nwant %+v", x.Refused, tt.refused)
			}
			checkExplained(t, c, tt.in)
		})
	}
}

// checkExplained checks that the grants of an explanation name exactly
// the roles Compute gives.
func checkExplained(t *testing.T, c *Compiled, in Input) {
	t.Helper()
	x := c.Explain(in)
	var granted []string
	for _, g := range x.Grants {
		if !slices.Contains(granted, g.Role) {
			granted = append(granted, g.Role)
		}
	}
	if want := c.Compute(in).Roles; !slices.Equal(granted, want) {
		t.Errorf("explained roles %q, Compute gives %q", granted, want)
	}
}

func TestGroupRoles(t *testing.T) {
	eng := Group{ID: "g1", DisplayName: "Engineering"}
	plat := Group{ID: "g2", DisplayName: "Platform", Parents: []string{"g1"}}
	policy := Policy{Mappings: []Mapping{{Group: "Engineering", Role: Developer}, {Group: "*/platform", Role: Admin}, {Group: "Ops", Role: Editor}},
		Allowlist: []string{"Engineering", "Platform"}}
	c, err := policy.Compile()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		chain []Group // the group, then its ancestors
		want  []string
	}{
		{"mapped", []Group{eng}, []string{Developer}},
		{"mapped, and nested in a mapped group", []Group{plat, eng}, []string{Admin, Developer}},
		{"not mapped", []Group{{ID: "g3", DisplayName: "Sales"}}, []string{}},
		{"not synced, nested in a synced group", []Group{{ID: "g4", DisplayName: "Ops", Parents: []string{"g1"}}, eng}, []string{Developer}},
	}
	for _, tt := range tests {
		if got := c.Explain(Input{Groups: tt.chain}).GroupRoles(); !slices.Equal(got, tt.want) {
			t.Errorf("%s: GroupRoles() = %q, want %q", tt.name, got, tt.want)
		}
	}
}
