package roles

import (
	"errors"
	"testing"
)

// TestMatcher checks each mapping and allowlist entry alone against the
// same groups Compute sees, and that what one reports it matches is what
// Compute grants for it.
func TestMatcher(t *testing.T) {
	p := Policy{
		Mappings: []Mapping{
			{Group: "Engineering", Role: Developer},
			{Group: "eng*/plat*", Role: Editor},
			{ExternalID: "00g9", Role: Admin},
			{Group: "Engineering", Role: Billing}, // the same pattern again: reported too
			{Group: "Nobody", Role: Admin},
		},
		Allowlist: []string{"Eng*", "Platform", "Sales"},
	}
	groups := []GroupPaths{
		{Group: Group{ID: "g1", DisplayName: "Engineering"}, Paths: []string{"engineering"}},
		{Group: Group{ID: "g2", DisplayName: "Platform", ExternalID: "00g9"}, Paths: []string{"engineering/platform"}},
		{Group: Group{ID: "g3", DisplayName: "Sales / EU"}, Paths: []string{"sales/eu"}},
	}
	m, err := p.Matcher()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		mapping int
		want    []string // what it matches of each group
	}{
		{0, []string{"engineering", "engineering", ""}},
		{1, []string{"", "engineering/platform", ""}},
		{2, []string{"", "00g9", ""}},
		{3, []string{"engineering", "engineering", ""}},
		{4, []string{"", "", ""}},
	} {
		for i, g := range groups {
			if got := m.Mapping(tt.mapping, g); got != tt.want[i] {
				t.Errorf("mapping %d (%+v) of %s: matched %q, want %q", tt.mapping, p.Mappings[tt.mapping], g.DisplayName, got, tt.want[i])
			}
		}
	}
	for _, tt := range []struct {
		entry int
		want  []bool
	}{
		{0, []bool{true, false, false}},
		{1, []bool{false, true, false}},
		// The allowlist takes displayNames, not paths: "Sales" is not
		// "Sales / EU".
		{2, []bool{false, false, false}},
	} {
		for i, g := range groups {
			if got := m.Allows(tt.entry, g.DisplayName); got != tt.want[i] {
				t.Errorf("allowlist entry %q of %s: %v, want %v", p.Allowlist[tt.entry], g.DisplayName, got, tt.want[i])
			}
		}
	}

	// What Compute grants a member of Platform agrees: the roles of the
	// mappings that match it.
	c, err := p.Compile()
	if err != nil {
		t.Fatal(err)
	}
	x := c.Explain(Input{Groups: []Group{groups[1].Group, {ID: "g1", DisplayName: "Engineering"}}})
	if got := x.Grants[0].Role; got != Admin {
		t.Errorf("Explain's first grant %+v, want admin from externalId 00g9", x.Grants)
	}

	if _, err := (Policy{Mappings: []Mapping{{Group: "", Role: Admin}}}).Matcher(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Matcher of an invalid policy: %v, want ErrInvalid", err)
	}
}
