// Package roles decides what an application user may do from the identity
// provider groups the user is in: the user's roles, the groups the
// application knows the user by, and the teams the user belongs to.
//
// A workspace's Policy says which roles exist and how they rank, which
// groups grant which roles, which groups are synced at all, and whether
// roles an identity provider assigns to a user directly count (strict mode
// says they do not, and refuses those above what the user's groups grant).
// Compile checks a Policy and prepares it once; the Compiled form then
// answers Compute and Check without compiling anything, since they run for
// every access decision.
//
// # Groups and paths
//
// Groups form a hierarchy in two ways, and both give a group paths. A
// displayName with "/" is a path by itself: "Engineering / Platform" is
// engineering/platform, segments trimmed. A group nested in another (SCIM
// Group members that are groups, RFC 7643 §4.2) has its parent's path
// followed by its own name, unless its name already spells the parent's
// path or starts with the parent's name: "Engineering/Platform" inside
// "Engineering" stays engineering/platform. A group in several parents
// has several paths. Being in a group means being in every ancestor of its
// paths too, whether or not a group has that name: a member of
// engineering/platform is in engineering.
//
// The application knows groups by keys, "group:" followed by the path in
// lower case: group:engineering/platform.
package roles

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalid is returned by Validate and Compile for a policy that breaks
// a rule; the message says which and how to fix it.
var ErrInvalid = errors.New("invalid access policy")

// Role is an application role with a privilege rank: higher ranks grant
// more.
type Role struct {
	Name string `json:"name"`
	Rank int    `json:"rank"`
}

// Role names of DefaultRoles.
const (
	Viewer    = "viewer"
	Auditor   = "auditor"
	Developer = "developer"
	Editor    = "editor"
	Billing   = "billing"
	Admin     = "admin"
)

// DefaultTeamRole is a synced group's members' role in that group as a
// team when the policy names none.
const DefaultTeamRole = "member"

// DefaultRoles returns the roles of a policy that defines none, from the
// lowest rank to the highest.
func DefaultRoles() []Role {
	return []Role{
		{Viewer, 10},
		{Auditor, 15},
		{Developer, 20},
		{Editor, 25},
		{Billing, 30},
		{Admin, 40},
	}
}

// Mapping grants a role to the members of identity provider groups, named
// either by Group or by ExternalID.
//
// Group is a displayName, or a glob in which * matches any run of
// characters, "/" included, and ? any one character; it is compared
// case-insensitively with the group's displayName and with each of its
// paths and their ancestors ("Engineering" also grants the role to members
// of Engineering/Platform). ExternalID is compared exactly with the
// group's externalId (RFC 7643 §3.1), which, unlike a displayName, does
// not change when the group is renamed.
type Mapping struct {
	Group      string `json:"group,omitempty"`
	ExternalID string `json:"externalId,omitempty"`
	Role       string `json:"role"`
}

// Policy is a workspace's access policy. Its zero value is valid: the
// default roles, everyone a viewer, every group synced.
type Policy struct {
	// Roles are the roles there are; none means DefaultRoles(). Names
	// are compared case-insensitively.
	Roles []Role `json:"roles"`
	// DefaultRole is the role of users in no mapped group; "" means
	// viewer.
	DefaultRole string `json:"defaultRole"`
	// Mappings grant roles to members of groups.
	Mappings []Mapping `json:"roleMappings"`
	// Allowlist names the groups that are synced, by displayName or
	// glob as in Mapping; none means every group is synced. Groups that
	// are not synced grant no role, key or team, but still give the
	// groups nested in them their paths.
	Allowlist []string `json:"groupAllowlist"`
	// Strict ignores roles assigned to users directly, and makes Check
	// refuse those ranking above what the user's groups grant.
	Strict bool `json:"strictMode"`
	// TeamRole is the role of a synced group's members in that group
	// as a team, or in the team it is linked to unless the link names
	// one, and of every user in DefaultTeam; "" means DefaultTeamRole.
	TeamRole string `json:"defaultTeamRole"`
	// DefaultTeam, if not "", is a team every user is in.
	DefaultTeam string `json:"defaultTeam"`
}

// Validate reports every rule the policy breaks, wrapped in ErrInvalid.
func (p Policy) Validate() error {
	_, err := p.Compile()
	return err
}

// Synced reports whether the group with this displayName is synced: the
// allowlist is empty or one of its entries matches.
func (p Policy) Synced(displayName string) bool {
	if len(p.Allowlist) == 0 {
		return true
	}
	name := strings.ToLower(displayName)
	for _, a := range p.Allowlist {
		if foldPattern(a).match(name) {
			return true
		}
	}
	return false
}

// Compiled is a checked policy prepared for Compute and Check. It does not
// change, and is safe for concurrent use.
type Compiled struct {
	roles       []Role         // highest rank first, then by name
	byName      map[string]int // lower-case name to index in roles
	defaultRole int
	teamRole    string
	defaultTeam string
	strict      bool
	allowAll    bool
	allowExact  map[string]bool // folded displayNames
	allowGlobs  []pattern
	exact       map[string][]int // folded displayName or path to roles
	globs       []globMapping
	external    map[string][]int // externalId to roles
}

type globMapping struct {
	pattern pattern
	role    int
}

// Compile checks the policy and prepares it for Compute and Check. Its
// error, like Validate's, lists every problem.
func (p Policy) Compile() (*Compiled, error) {
	var problems []string
	problem := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}

	c := &Compiled{strict: p.Strict, teamRole: p.TeamRole, defaultTeam: p.DefaultTeam}
	if c.teamRole == "" {
		c.teamRole = DefaultTeamRole
	}

	c.roles = slices.Clone(p.Roles)
	if len(c.roles) == 0 {
		c.roles = DefaultRoles()
	}
	for i, r := range c.roles {
		if err := checkName(r.Name); err != nil {
			problem("roles[%d]: name %s", i, err)
		}
	}
	slices.SortStableFunc(c.roles, func(a, b Role) int {
		return cmp.Or(cmp.Compare(b.Rank, a.Rank), strings.Compare(a.Name, b.Name))
	})
	c.byName = make(map[string]int, len(c.roles))
	for i, r := range c.roles {
		key := strings.ToLower(r.Name)
		if j, dup := c.byName[key]; dup {
			problem("roles: %q and %q are the same role name (names are case-insensitive); rename or remove one", c.roles[j].Name, r.Name)
			continue
		}
		c.byName[key] = i
	}
	known := func() string {
		names := make([]string, len(c.roles))
		for i, r := range c.roles {
			names[i] = r.Name
		}
		return strings.Join(names, ", ")
	}

	def := p.DefaultRole
	if def == "" {
		def = Viewer
	}
	if i, ok := c.byName[strings.ToLower(def)]; ok {
		c.defaultRole = i
	} else if p.DefaultRole == "" {
		problem("defaultRole is empty, which means %q, and there is no such role; set it to one of %s", Viewer, known())
	} else {
		problem("defaultRole %q is not a role; use one of %s", p.DefaultRole, known())
	}

	c.exact = make(map[string][]int)
	c.external = make(map[string][]int)
	for i, m := range p.Mappings {
		role, ok := c.byName[strings.ToLower(m.Role)]
		if !ok {
			problem("roleMappings[%d]: role %q is not a role; use one of %s", i, m.Role, known())
		}
		switch {
		case m.Group != "" && m.ExternalID != "":
			problem("roleMappings[%d]: has both group %q and externalId %q; keep one", i, m.Group, m.ExternalID)
		case m.Group == "" && m.ExternalID == "":
			problem("roleMappings[%d]: names no group; set group (a displayName or glob) or externalId", i)
		case m.ExternalID != "":
			if ok {
				c.external[m.ExternalID] = appendRole(c.external[m.ExternalID], role)
			}
		default:
			pat, err := compilePattern(m.Group)
			if err != nil {
				problem("roleMappings[%d]: group %s", i, err)
			} else if ok && pat.glob {
				c.globs = append(c.globs, globMapping{pat, role})
			} else if ok {
				c.exact[pat.text] = appendRole(c.exact[pat.text], role)
			}
		}
	}

	c.allowAll = len(p.Allowlist) == 0
	c.allowExact = make(map[string]bool)
	for i, a := range p.Allowlist {
		pat, err := compilePattern(a)
		switch {
		case err != nil:
			problem("groupAllowlist[%d]: %s", i, err)
		case pat.glob:
			c.allowGlobs = append(c.allowGlobs, pat)
		default:
			c.allowExact[pat.text] = true
		}
	}

	if len(problems) > 0 {
		return nil, fmt.Errorf("%s: %w", strings.Join(problems, "; "), ErrInvalid)
	}
	return c, nil
}

// checkName says what is wrong with a role name, if anything.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("is empty")
	case !utf8.ValidString(name):
		return fmt.Errorf("%q is not valid UTF-8", name)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("%q starts or ends with a space", name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("%q contains a control character", name)
	}
	return nil
}

func appendRole(list []int, role int) []int {
	if slices.Contains(list, role) {
		return list
	}
	return append(list, role)
}

// Roles returns the policy's roles, highest rank first, then by name.
func (c *Compiled) Roles() []Role {
	return slices.Clone(c.roles)
}

// Synced reports whether the group with this displayName is synced, as
// Policy.Synced does.
func (c *Compiled) Synced(displayName string) bool {
	return c.synced(strings.ToLower(displayName))
}

// synced is Synced for a displayName folded with strings.ToLower.
func (c *Compiled) synced(name string) bool {
	if c.allowAll || c.allowExact[name] {
		return true
	}
	for _, pat := range c.allowGlobs {
		if pat.match(name) {
			return true
		}
	}
	return false
}
