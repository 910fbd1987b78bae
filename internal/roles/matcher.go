package roles

import "strings"

// Matcher tells, one by one, what each of a policy's role mappings and
// group allowlist entries matches, with the matching Compute uses: for an
// operator to see which groups a pattern reaches before relying on it.
// Compute merges the mappings, and cannot say which one matched.
type Matcher struct {
	mappings []*Compiled // the policy with one mapping alone, for each
	allow    []*Compiled // the policy with one allowlist entry alone, for each
}

// Matcher checks the policy as Compile does, and prepares its Matcher.
func (p Policy) Matcher() (*Matcher, error) {
	if _, err := p.Compile(); err != nil {
		return nil, err
	}
	m := &Matcher{mappings: make([]*Compiled, len(p.Mappings)), allow: make([]*Compiled, len(p.Allowlist))}
	one := Policy{Roles: p.Roles, DefaultRole: p.DefaultRole}
	for i, mp := range p.Mappings {
		q := one
		q.Mappings = []Mapping{mp}
		c, err := q.Compile()
		if err != nil {
			return nil, err
		}
		m.mappings[i] = c
	}
	for i, a := range p.Allowlist {
		q := one
		q.Allowlist = []string{a}
		c, err := q.Compile()
		if err != nil {
			return nil, err
		}
		m.allow[i] = c
	}
	return m, nil
}

// Mapping returns what the policy's role mapping i matches of the group
// g with its paths (as Explain gives them): its externalId, displayName,
// or one of its paths or their ancestors, folded to lower case; "" if it
// matches nothing. Whether the allowlist syncs the group is not its
// concern.
func (m *Matcher) Mapping(i int, g GroupPaths) string {
	matched := ""
	m.mappings[i].match(strings.ToLower(g.DisplayName), g.Paths, g.ExternalID, func(_ int, _, k string) {
		if matched == "" {
			matched = k
		}
	})
	return matched
}

// Allows reports whether the policy's allowlist entry i matches the
// group with this displayName.
func (m *Matcher) Allows(i int, displayName string) bool {
	return m.allow[i].Synced(displayName)
}
