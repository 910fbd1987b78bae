package roles

import (
	"fmt"
	"slices"
	"strings"
)

// KeyPrefix starts every group key.
const KeyPrefix = "group:"

// Group is an identity provider group as Compute needs it.
type Group struct {
	ID          string
	DisplayName string
	ExternalID  string
	// Parents are the ids of the groups this one is a direct member of.
	Parents []string
	// Team, if not "", is the team an operator linked the group to,
	// which it is then instead of a team of its own; TeamRole is its
	// members' role there, "" for the policy's TeamRole.
	Team     string
	TeamRole string
}

// Input is what Compute and Check know of a user.
type Input struct {
	// Groups are every group the user is in, directly or through
	// nesting, with the parents of each when there are any. Parents
	// named by id but missing here are left out of paths.
	Groups []Group
	// DirectRoles are the roles the identity provider assigns to the
	// user directly: the values of the SCIM User "roles" attribute
	// (RFC 7643 §4.1.2).
	DirectRoles []string
}

// Team is a user's membership of a team: of a synced group's own team,
// keyed by the group's key, of the team the group is linked to, or of
// the policy's DefaultTeam.
type Team struct {
	Key  string `json:"key"`
	Role string `json:"role"`
}

// Access is what a user may do.
type Access struct {
	// Roles are the user's roles, highest rank first, then by name.
	Roles []string `json:"roles"`
	// Groups are the keys of the synced groups the user is in, and of
	// their ancestors, sorted.
	Groups []string `json:"groups"`
	// Teams are the user's teams, sorted by key, then the policy's
	// DefaultTeam, if any, unless the user is in it already. A synced
	// group the user is in is a team of its own, keyed by the group's
	// keys (its paths; ancestors the user is in only by implication are
	// not teams), unless it is linked to a team. A user in one team
	// through several groups has one role there: that of a link that
	// names one, the first in order if several do, else the policy's
	// TeamRole.
	Teams []Team `json:"teams"`
}

// evaluation is what a user's groups give.
type evaluation struct {
	granted []bool   // by index in Compiled.roles: roles the groups grant
	keys    []string // folded paths of synced groups and their ancestors, sorted
	teams   []string // folded paths of synced groups not linked to a team, sorted
	linked  []Team   // teams synced groups are linked to
}

// evaluate applies the policy to a user's groups. The roles granted are
// those of the mappings that match a synced group, or the default role
// when none does.
func (c *Compiled) evaluate(groups []Group) evaluation {
	e := evaluation{granted: make([]bool, len(c.roles))}
	grant := func(roles []int) {
		for _, r := range roles {
			e.granted[r] = true
		}
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = strings.ToLower(g.DisplayName)
	}
	paths := groupPaths(groups, names)
	synced := make([]string, 0, len(groups)) // folded displayNames of synced groups
	n := 0
	for _, pp := range paths {
		n += len(pp)
	}
	all := make([]string, 0, n) // paths of synced groups
	for i, g := range groups {
		if !c.synced(names[i]) {
			continue
		}
		synced = append(synced, names[i])
		if g.ExternalID != "" {
			grant(c.external[g.ExternalID])
		}
		all = append(all, paths[i]...)
		if g.Team != "" {
			e.linked = append(e.linked, Team{Key: g.Team, Role: g.TeamRole})
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	e.teams = all
	if len(e.linked) > 0 {
		// Linked groups' paths are keys, but not teams.
		e.teams = nil
		for i, g := range groups {
			if g.Team == "" && c.synced(names[i]) {
				e.teams = append(e.teams, paths[i]...)
			}
		}
		slices.Sort(e.teams)
		e.teams = slices.Compact(e.teams)
	}
	n = 0
	for _, p := range all {
		n += 1 + strings.Count(p, "/")
	}
	e.keys = make([]string, 0, n)
	for _, p := range all {
		for q := p; ; {
			e.keys = append(e.keys, q)
			j := strings.LastIndexByte(q, '/')
			if j < 0 {
				break
			}
			q = q[:j]
		}
	}
	slices.Sort(e.keys)
	e.keys = slices.Compact(e.keys)

	for _, name := range synced {
		grant(c.exact[name])
	}
	for _, key := range e.keys {
		grant(c.exact[key])
	}
	for _, m := range c.globs {
		if !e.granted[m.role] && (slices.ContainsFunc(synced, m.pattern.match) || slices.ContainsFunc(e.keys, m.pattern.match)) {
			e.granted[m.role] = true
		}
	}
	if !slices.Contains(e.granted, true) {
		e.granted[c.defaultRole] = true
	}
	return e
}

// role returns the index of the role with this name, compared
// case-insensitively and without surrounding spaces.
func (c *Compiled) role(name string) (int, bool) {
	i, ok := c.byName[strings.ToLower(strings.TrimSpace(name))]
	return i, ok
}

// Compute returns a user's access. Roles are those the user's synced
// groups grant (the default role when they grant none) and, unless the
// policy is strict, the user's direct roles that name one of the policy's
// roles; other direct roles grant nothing.
func (c *Compiled) Compute(in Input) Access {
	e := c.evaluate(in.Groups)
	if !c.strict {
		for _, r := range in.DirectRoles {
			if i, ok := c.role(r); ok {
				e.granted[i] = true
			}
		}
	}
	a := Access{Roles: []string{}, Groups: make([]string, len(e.keys)), Teams: make([]Team, 0, len(e.teams)+len(e.linked)+1)}
	for i, ok := range e.granted {
		if ok {
			a.Roles = append(a.Roles, c.roles[i].Name)
		}
	}
	// The keys share one string, and teams the keys' strings, as
	// Compute runs often and keys are many and short.
	size := 0
	for _, k := range e.keys {
		size += len(KeyPrefix) + len(k)
	}
	buf := make([]byte, 0, size)
	for _, k := range e.keys {
		buf = append(append(buf, KeyPrefix...), k...)
	}
	all := string(buf)
	for i, k := range e.keys {
		a.Groups[i], all = all[:len(KeyPrefix)+len(k)], all[len(KeyPrefix)+len(k):]
	}
	// Teams are among keys, both sorted.
	i := 0
	for _, team := range e.teams {
		for e.keys[i] != team {
			i++
		}
		a.Teams = append(a.Teams, Team{Key: a.Groups[i], Role: c.teamRole})
	}
	if len(e.linked) > 0 {
		a.Teams = c.mergeLinked(a.Teams, e.linked)
	}
	if c.defaultTeam != "" && !slices.ContainsFunc(a.Teams, func(t Team) bool { return t.Key == c.defaultTeam }) {
		a.Teams = append(a.Teams, Team{Key: c.defaultTeam, Role: c.teamRole})
	}
	return a
}

// mergeLinked adds to own, the teams of unlinked groups, those of linked
// ones, and returns them sorted by key, one team once: with the role a
// link names, the first in order if several do, else the default.
func (c *Compiled) mergeLinked(own, linked []Team) []Team {
	for i := range own {
		own[i].Role = "" // names none
	}
	all := append(own, linked...)
	slices.SortFunc(all, func(a, b Team) int {
		if a.Key != b.Key {
			return strings.Compare(a.Key, b.Key)
		}
		if (a.Role == "") != (b.Role == "") {
			if a.Role == "" {
				return 1
			}
			return -1
		}
		return strings.Compare(a.Role, b.Role)
	})
	all = slices.CompactFunc(all, func(a, b Team) bool { return a.Key == b.Key })
	for i := range all {
		if all[i].Role == "" {
			all[i].Role = c.teamRole
		}
	}
	return all
}

// Check applies strict mode to roles an identity provider asks to assign
// to a user directly: it returns an *EscalationError if one of them ranks
// above the highest role the user's groups grant (the default role when
// they grant none). Equal ranks are allowed. Names that are not roles of
// the policy grant nothing and are ignored. Without strict mode, Check
// returns nil.
func (c *Compiled) Check(in Input, requested []string) error {
	if !c.strict {
		return nil
	}
	// Roles are by rank, highest first: the first granted is the
	// highest, and a lower index is a higher rank.
	allowed := slices.Index(c.evaluate(in.Groups).granted, true)
	refused := -1
	for _, r := range requested {
		i, ok := c.role(r)
		if ok && c.roles[i].Rank > c.roles[allowed].Rank && (refused < 0 || i < refused) {
			refused = i
		}
	}
	if refused < 0 {
		return nil
	}
	return &EscalationError{Role: c.roles[refused].Name, Allowed: c.roles[allowed].Name}
}

// EscalationError refuses a role above what the user's groups grant. When
// several are, Role is the highest.
type EscalationError struct {
	Role    string // the role refused
	Allowed string // the highest role the user's groups grant
}

func (e *EscalationError) Error() string {
	return fmt.Sprintf("role %q ranks above %q, the highest role the user's identity provider groups grant; in strict mode roles come from groups", e.Role, e.Allowed)
}
