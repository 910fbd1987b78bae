package roles

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Where a role comes from, in Grant.Source.
const (
	// SourceGroup: a role mapping matches a synced group the user is in.
	SourceGroup = "group"
	// SourceDirect: the identity provider assigns the role to the user
	// directly, and the policy is not strict.
	SourceDirect = "direct"
	// SourceDefault: no synced group of the user's grants a role, so the
	// user has the policy's default role.
	SourceDefault = "default"
)

// Why a role is not granted, in Refusal.Reason.
const (
	// RefusedStrict: the identity provider assigns the role directly, and
	// strict mode ignores roles assigned directly.
	RefusedStrict = "strict_mode"
	// RefusedUnknown: the identity provider assigns a role directly that
	// the policy does not have.
	RefusedUnknown = "not_a_role"
	// RefusedAllowlist: a role mapping matches a group the user is in,
	// but the allowlist does not sync that group.
	RefusedAllowlist = "allowlist"
)

// Grant is one reason a user has a role. A role may have several.
type Grant struct {
	Role   string `json:"role"`
	Source string `json:"source"`
	// GroupID and GroupName name the group whose mapping grants the
	// role, for SourceGroup.
	GroupID   string `json:"groupId,omitempty"`
	GroupName string `json:"groupName,omitempty"`
	// Mapping is the role mapping that matched, as written: its group
	// pattern, or "externalId " and the externalId.
	Mapping string `json:"mapping,omitempty"`
	// Matched is what the mapping matched: the group's displayName, one
	// of its paths or their ancestors, or its externalId.
	Matched string `json:"matched,omitempty"`
}

// String says why in words.
func (g Grant) String() string {
	switch g.Source {
	case SourceGroup:
		return fmt.Sprintf("role mapping %q matches %q of group %q", g.Mapping, g.Matched, g.GroupName)
	case SourceDirect:
		return "assigned to the user directly by the identity provider"
	case SourceDefault:
		return "the default role: no synced group of the user's is mapped to a role"
	}
	return g.Source
}

// Refusal is a role a user does not have although something asks for it.
type Refusal struct {
	Role   string `json:"role"`
	Reason string `json:"reason"`
	// GroupID, GroupName, Mapping and Matched are as in Grant, for
	// RefusedAllowlist.
	GroupID   string `json:"groupId,omitempty"`
	GroupName string `json:"groupName,omitempty"`
	Mapping   string `json:"mapping,omitempty"`
	Matched   string `json:"matched,omitempty"`
}

// String says why in words.
func (r Refusal) String() string {
	switch r.Reason {
	case RefusedStrict:
		return "assigned directly by the identity provider, which strict mode ignores: roles come from groups"
	case RefusedUnknown:
		return "assigned directly by the identity provider, but not one of the workspace's roles"
	case RefusedAllowlist:
		return fmt.Sprintf("role mapping %q matches %q of group %q, which the group allowlist does not sync", r.Mapping, r.Matched, r.GroupName)
	}
	return r.Reason
}

// GroupPaths is a group of Input as the policy sees it.
type GroupPaths struct {
	Group
	// Paths are the group's paths, folded to lower case; see the package
	// comment.
	Paths []string
	// Synced says whether the allowlist lets the group grant roles, keys
	// and teams.
	Synced bool
}

// Explanation is a user's access with the reasons for it.
type Explanation struct {
	Access
	// Grants say why the user has each of Access.Roles: by role, highest
	// rank first, each role's grants by group name.
	Grants []Grant
	// Refused are the roles asked for that the user does not have
	// through them, by role.
	Refused []Refusal
	// Paths are Input.Groups, in order, with their paths.
	Paths []GroupPaths
}

// Explain returns what Compute does, with why: which group or direct
// assignment grants each role, and what strict mode and the allowlist
// refuse.
func (c *Compiled) Explain(in Input) Explanation {
	x := Explanation{Access: c.Compute(in), Paths: make([]GroupPaths, len(in.Groups))}
	names := make([]string, len(in.Groups))
	for i, g := range in.Groups {
		names[i] = strings.ToLower(g.DisplayName)
	}
	paths := groupPaths(in.Groups, names)
	fromGroups := false
	for i, g := range in.Groups {
		synced := c.synced(names[i])
		x.Paths[i] = GroupPaths{Group: g, Paths: slices.Clone(paths[i]), Synced: synced}
		c.match(names[i], paths[i], g.ExternalID, func(role int, mapping, matched string) {
			name := c.roles[role].Name
			if synced {
				fromGroups = true
				x.Grants = append(x.Grants, Grant{Role: name, Source: SourceGroup, GroupID: g.ID, GroupName: g.DisplayName, Mapping: mapping, Matched: matched})
			} else {
				x.Refused = append(x.Refused, Refusal{Role: name, Reason: RefusedAllowlist, GroupID: g.ID, GroupName: g.DisplayName, Mapping: mapping, Matched: matched})
			}
		})
	}
	if !fromGroups {
		x.Grants = append(x.Grants, Grant{Role: c.roles[c.defaultRole].Name, Source: SourceDefault})
	}
	for _, r := range in.DirectRoles {
		i, ok := c.role(r)
		switch {
		case !ok:
			x.Refused = append(x.Refused, Refusal{Role: r, Reason: RefusedUnknown})
		case c.strict:
			x.Refused = append(x.Refused, Refusal{Role: c.roles[i].Name, Reason: RefusedStrict})
		default:
			x.Grants = append(x.Grants, Grant{Role: c.roles[i].Name, Source: SourceDirect})
		}
	}
	rank := func(name string) int {
		if i, ok := c.role(name); ok {
			return i
		}
		return len(c.roles)
	}
	slices.SortStableFunc(x.Grants, func(a, b Grant) int {
		return cmp.Or(cmp.Compare(rank(a.Role), rank(b.Role)), strings.Compare(a.GroupName, b.GroupName))
	})
	slices.SortStableFunc(x.Refused, func(a, b Refusal) int {
		return cmp.Or(cmp.Compare(rank(a.Role), rank(b.Role)), strings.Compare(a.Role, b.Role))
	})
	return x
}

// GroupRoles returns the roles the user's groups grant, highest rank
// first, without the default role and direct roles. Explaining the access
// of a would-be member of one group, given that group and its ancestors as
// Input.Groups, it says what that group gives its members: the roles
// mapped to it and to its ancestors, as far as the allowlist syncs them.
func (x Explanation) GroupRoles() []string {
	out := []string{}
	for _, g := range x.Grants {
		if g.Source == SourceGroup && !slices.Contains(out, g.Role) {
			out = append(out, g.Role)
		}
	}
	return out
}

// match calls fn for each mapping that matches a group with the folded
// displayName name, the given paths and externalID: by externalId, by
// displayName, or by one of its paths or their ancestors, as evaluate
// grants them. Each role is reported once, for the first match.
func (c *Compiled) match(name string, paths []string, externalID string, fn func(role int, mapping, matched string)) {
	seen := make(map[int]bool)
	report := func(role int, mapping, matched string) {
		if !seen[role] {
			seen[role] = true
			fn(role, mapping, matched)
		}
	}
	if externalID != "" {
		for _, r := range c.external[externalID] {
			report(r, "externalId "+externalID, externalID)
		}
	}
	keys := []string{name}
	for _, p := range paths {
		for q := p; ; {
			keys = appendNew(keys, q)
			j := strings.LastIndexByte(q, '/')
			if j < 0 {
				break
			}
			q = q[:j]
		}
	}
	for _, k := range keys {
		for _, r := range c.exact[k] {
			report(r, k, k)
		}
	}
	for _, m := range c.globs {
		for _, k := range keys {
			if m.pattern.match(k) {
				report(m.role, m.pattern.text, k)
				break
			}
		}
	}
}
