package tenant

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/store"
)

// The settings of a workspace are described once, in the table below:
// each one's key, the field of store.WorkspaceConfig it is (and so its
// type), its default, its bounds or allowed values and what it does.
// From the table come ValidateConfig's checks of those bounds, the text
// forms that scimd workspace set reads and show prints, the help of
// scimd workspace show, the admin API's Config schema (package admin),
// the console's settings form (package console); the settings table of
// docs/workspaces.md is checked against it by a test.
//
// Adding a setting means: a field of store.WorkspaceConfig (with its
// default in store.DefaultWorkspaceConfig, which a test compares with
// the table's, and the backends' storage of it), a row here, the code
// that acts on it and its test, and a row in docs/workspaces.md (its
// test says which). A setting of a new Go type also needs its text form
// in Setting.Set and Setting.Value, and its JSON schema in package
// admin's configSchema; tests fail until they have them.

// Kind is the type of a setting's value.
type Kind int

// The kinds of setting, after the type of their field in
// store.WorkspaceConfig.
const (
	Bool           Kind = iota + 1 // bool: true or false
	Text                           // string
	Number                         // int, from Min to Max
	OptionalNumber                 // *int: a number from Min, or none
	RoleList                       // []roles.Role: name:rank,...
	MappingList                    // []roles.Mapping: group:role,...
	NameList                       // []string: names or globs, separated by commas
)

// Setting is one setting of a workspace's configuration, as
// administrators name and write it.
type Setting struct {
	// Key is the setting's name: its JSON name in store.WorkspaceConfig,
	// which the admin API, scimd workspace set and the console use.
	Key string
	// Label names the setting in words, for forms: "Delete mode".
	Label string
	// Doc says in one line what the setting does; Help adds its bounds.
	Doc string
	// Default is the value of a new workspace, in the text form Set
	// reads.
	Default string
	// Enum, for a Text setting, lists the values it may have.
	Enum []string
	// Name, for a Text setting, says what the value names ("role",
	// "team"): it must then be a name of the application's, see
	// NameRule.
	Name string
	// OfRoles, for a Text setting, says that the value is one of the
	// workspace's roles, for forms to offer them.
	OfRoles bool
	// Min and Max bound a Number, and Min an OptionalNumber; Max 0 is
	// no bound.
	Min, Max int
	// Unit is what a number counts: "days", "seats".
	Unit string
	// None says what no value means where a setting may have none: an
	// empty Text, a null OptionalNumber, an empty list.
	None string
	// Example is a JSON example of a list's value.
	Example string

	// field returns a pointer to the setting's field of c.
	field func(c *store.WorkspaceConfig) any
}

var settings = []Setting{
	{Key: "scimEnabled", Label: "SCIM enabled", Default: "true",
		Doc:   "accept SCIM requests; when false, every SCIM request of the workspace gets 403",
		field: func(c *store.WorkspaceConfig) any { return &c.SCIMEnabled }},
	{Key: "createUsers", Label: "Identity providers create users", Default: "true",
		Doc:   "identity providers may create users; when false, creating one gets 403, and existing users are still updated",
		field: func(c *store.WorkspaceConfig) any { return &c.CreateUsers }},
	{Key: "syncDisplayName", Label: "Sync display names", Default: "true",
		Doc:   "keep the display names applications see in step with what identity providers send; when false, a user's stays the one it was created with",
		field: func(c *store.WorkspaceConfig) any { return &c.SyncDisplayName }},
	{Key: "defaultRole", Label: "Default role", Default: "viewer", Name: "role", OfRoles: true,
		Doc:   "role of users in no group that maps to a role",
		field: func(c *store.WorkspaceConfig) any { return &c.DefaultRole }},
	{Key: "defaultTeam", Label: "Default team", Default: "", Name: "team", None: "no team",
		Doc:   "team provisioned users join; empty for none",
		field: func(c *store.WorkspaceConfig) any { return &c.DefaultTeam }},
	{Key: "defaultTeamRole", Label: "Default team role", Default: roles.DefaultTeamRole, Name: "role",
		Doc:   "their role in that team, and in the teams of synced groups",
		field: func(c *store.WorkspaceConfig) any { return &c.DefaultTeamRole }},
	{Key: "revokeKeysOnDeactivate", Label: "Revoke API keys on deactivation", Default: "true",
		Doc:   "revoke a user's API keys, not only its sessions, when the identity provider deactivates or deletes it",
		field: func(c *store.WorkspaceConfig) any { return &c.RevokeKeysOnDeactivate }},
	{Key: "deleteMode", Label: "Delete mode", Default: store.DeleteSoft, Enum: []string{store.DeleteSoft, store.DeleteHard},
		Doc:   "soft: deleted users can be restored for softDeleteGraceDays, then are purged; hard: gone at once",
		field: func(c *store.WorkspaceConfig) any { return &c.DeleteMode }},
	{Key: "softDeleteGraceDays", Label: "Grace period of soft deletes", Default: "30", Min: 1, Max: 3650, Unit: "days",
		Doc:   "how many days soft-deleted users are kept",
		field: func(c *store.WorkspaceConfig) any { return &c.SoftDeleteGraceDays }},
	{Key: "strictMode", Label: "Strict mode", Default: "false",
		Doc:   "refuse SCIM writes that would give a user a role above what its groups grant, and ignore roles assigned directly",
		field: func(c *store.WorkspaceConfig) any { return &c.StrictMode }},
	{Key: "allowLinking", Label: "Link invited users", Default: "false",
		Doc:   "an identity provider that creates a user with an invited user's userName or primary email gets that user, with its id, rather than 409",
		field: func(c *store.WorkspaceConfig) any { return &c.AllowLinking }},
	{Key: "deleteOnDeactivate", Label: "Delete on deactivation", Default: "false",
		Doc:   "an identity provider's deactivation of a user deletes it, as a DELETE would (see deleteMode)",
		field: func(c *store.WorkspaceConfig) any { return &c.DeleteOnDeactivate }},
	{Key: "undeclaredExtensions", Label: "Undeclared extensions", Default: store.UndeclaredIgnore, Enum: []string{store.UndeclaredIgnore, store.UndeclaredKeep},
		Doc:   "ignore: attributes under extension URNs the workspace has not declared are dropped; keep: they are stored as sent, returned and filterable with eq and pr",
		field: func(c *store.WorkspaceConfig) any { return &c.UndeclaredExtensions }},
	{Key: "roles", Label: "Roles", Default: "", None: "the defaults",
		Example: `[{"name": "viewer", "rank": 10}, {"name": "admin", "rank": 40}]`,
		Doc:     "the application's roles, each with its rank; none for the default ones",
		field:   func(c *store.WorkspaceConfig) any { return &c.Roles }},
	{Key: "roleMappings", Label: "Role mappings", Default: "", None: "none",
		Example: `[{"group": "Eng*", "role": "developer"}, {"externalId": "00g1", "role": "admin"}]`,
		Doc:     "groups whose members get a role: by displayName, exact or a glob such as Eng*, or by externalId",
		field:   func(c *store.WorkspaceConfig) any { return &c.RoleMappings }},
	{Key: "groupAllowlist", Label: "Group allowlist", Default: "", None: "every group",
		Example: `["Engineering", "Sales*"]`,
		Doc:     "the groups that have an effect, by displayName or glob; none for every group",
		field:   func(c *store.WorkspaceConfig) any { return &c.GroupAllowlist }},
	{Key: "seatLimit", Label: "Seat limit", Default: "none", Min: 1, Unit: "seats", None: "unlimited",
		Doc:   "most active and invited users; none for unlimited",
		field: func(c *store.WorkspaceConfig) any { return &c.SeatLimit }},
}

// Settings returns the settings of a workspace, in the order of their
// documentation.
func Settings() []Setting { return slices.Clone(settings) }

// LookupSetting returns the setting named key, in any case.
func LookupSetting(key string) (Setting, bool) {
	for _, s := range settings {
		if strings.EqualFold(s.Key, key) {
			return s, true
		}
	}
	return Setting{}, false
}

// Kind returns the type of the setting's value.
func (s Setting) Kind() Kind {
	var c store.WorkspaceConfig
	switch s.field(&c).(type) {
	case *bool:
		return Bool
	case *string:
		return Text
	case *int:
		return Number
	case **int:
		return OptionalNumber
	case *[]roles.Role:
		return RoleList
	case *[]roles.Mapping:
		return MappingList
	case *[]string:
		return NameList
	}
	panic("tenant: setting " + s.Key + " has a field of a type with no text form")
}

// Help is the setting's doc with its bounds: what scimd workspace show
// -h, the console and the admin API's schema say of it.
func (s Setting) Help() string {
	if s.Kind() == Number && s.Max > 0 {
		return fmt.Sprintf("%s: %d to %d", s.Doc, s.Min, s.Max)
	}
	return s.Doc
}

// Shown is the setting's value in c as scimd workspace show prints it:
// its text form, with `""` for empty text, none for an empty list, and
// the default roles that no roles stand for.
func (s Setting) Shown(c store.WorkspaceConfig) string {
	if v := s.Value(c); v != "" {
		return v
	}
	switch s.Kind() {
	case RoleList:
		c.Roles = roles.DefaultRoles()
		return s.Value(c)
	case MappingList, NameList:
		return "none"
	}
	return `""`
}

// Value returns the setting's value in c in the text form Set reads.
func (s Setting) Value(c store.WorkspaceConfig) string {
	switch p := s.field(&c).(type) {
	case *bool:
		return strconv.FormatBool(*p)
	case *string:
		return *p
	case *int:
		return strconv.Itoa(*p)
	case **int:
		if *p == nil {
			return "none"
		}
		return strconv.Itoa(**p)
	case *[]roles.Role:
		items := make([]string, len(*p))
		for i, r := range *p {
			items[i] = r.Name + ":" + strconv.Itoa(r.Rank)
		}
		return strings.Join(items, ",")
	case *[]roles.Mapping:
		items := make([]string, len(*p))
		for i, m := range *p {
			group := m.Group
			if m.ExternalID != "" {
				group = "externalId=" + m.ExternalID
			}
			items[i] = group + ":" + m.Role
		}
		return strings.Join(items, ",")
	case *[]string:
		return strings.Join(*p, ",")
	}
	panic("tenant: setting " + s.Key + " has a field of a type with no text form")
}

// Set sets the setting in c from its text form. It does not check the
// value's bounds: see ValidateConfig.
func (s Setting) Set(c *store.WorkspaceConfig, v string) error {
	switch p := s.field(c).(type) {
	case *bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s=%s: want true or false: %w", s.Key, v, ErrInvalid)
		}
		*p = b
	case *string:
		*p = v
	case *int:
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%s=%s: want a number of %s: %w", s.Key, v, s.Unit, ErrInvalid)
		}
		*p = n
	case **int:
		switch strings.ToLower(v) {
		case "", "none", "unlimited", "null":
			*p = nil
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%s=%s: want a number of %s, or none: %w", s.Key, v, s.Unit, ErrInvalid)
		}
		*p = &n
	case *[]roles.Role:
		// name:rank,name:rank
		*p = nil
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			name, rank, ok := strings.Cut(item, ":")
			n, err := strconv.Atoi(strings.TrimSpace(rank))
			if !ok || err != nil {
				return fmt.Errorf("%s=%s: want name:rank pairs separated by commas, e.g. viewer:10,admin:40: %w", s.Key, v, ErrInvalid)
			}
			*p = append(*p, roles.Role{Name: strings.TrimSpace(name), Rank: n})
		}
	case *[]roles.Mapping:
		// group:role,group:role; a group of the form externalId=X
		// names the group by externalId.
		*p = nil
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			i := strings.LastIndex(item, ":")
			if i < 0 {
				return fmt.Errorf("%s=%s: want group:role pairs separated by commas, e.g. Engineering*:developer,externalId=00g1:admin: %w", s.Key, v, ErrInvalid)
			}
			m := roles.Mapping{Role: strings.TrimSpace(item[i+1:])}
			group := strings.TrimSpace(item[:i])
			if ext, ok := strings.CutPrefix(group, "externalId="); ok {
				m.ExternalID = ext
			} else {
				m.Group = group
			}
			*p = append(*p, m)
		}
	case *[]string:
		*p = nil
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				*p = append(*p, item)
			}
		}
	default:
		panic("tenant: setting " + s.Key + " has a field of a type with no text form")
	}
	return nil
}

// nameRE is what role and team names may be: an application's own names,
// so only what could not be one is refused.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.:@/-]{0,63}$`)

// NameRule says in words what nameRE takes, for messages and docs.
const NameRule = "1-64 letters, digits, spaces or _.:@/-, starting with a letter or digit"

// problem says how the setting's value in c breaks its bounds, or ""
// if it does not. Lists are the access policy's to check.
func (s Setting) problem(c store.WorkspaceConfig) string {
	switch p := s.field(&c).(type) {
	case *string:
		v := *p
		switch {
		case v == "" && s.None != "":
		case s.Name != "" && !nameRE.MatchString(v):
			empty := ""
			if s.None != "" {
				empty = fmt.Sprintf("empty (%s) or ", s.None)
			}
			return fmt.Sprintf("%s %q must be %sa %s name: %s", s.Key, v, empty, s.Name, NameRule)
		case s.Enum != nil && !slices.Contains(s.Enum, v):
			quoted := make([]string, len(s.Enum))
			for i, e := range s.Enum {
				quoted[i] = strconv.Quote(e)
			}
			return fmt.Sprintf("%s %q must be %s or %s", s.Key, v, strings.Join(quoted[:len(quoted)-1], ", "), quoted[len(quoted)-1])
		}
	case *int:
		if *p < s.Min || s.Max > 0 && *p > s.Max {
			return fmt.Sprintf("%s %d must be from %d to %d", s.Key, *p, s.Min, s.Max)
		}
	case **int:
		if *p != nil && **p < s.Min {
			least := "a positive number"
			if s.Min != 1 {
				least = fmt.Sprintf("at least %d", s.Min)
			}
			return fmt.Sprintf("%s %d must be %s of %s, or none for %s", s.Key, **p, least, s.Unit, s.None)
		}
	}
	return ""
}

// ConfigDoc says what a setting, named as in ConfigKeys, does: its Help.
func ConfigDoc(key string) string {
	s, ok := LookupSetting(key)
	if !ok {
		return ""
	}
	return s.Help()
}

// ConfigKeys returns the names of the settings of a workspace, in the
// order of their documentation.
func ConfigKeys() []string {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.Key
	}
	return keys
}

// SetConfigValue sets one setting, named as in ConfigKeys (in any case),
// from its text form. It does not validate the result: see ValidateConfig.
func SetConfigValue(c *store.WorkspaceConfig, key, value string) error {
	s, ok := LookupSetting(key)
	if !ok {
		return fmt.Errorf("unknown setting %q; the settings are %s: %w", key, strings.Join(ConfigKeys(), ", "), ErrInvalid)
	}
	return s.Set(c, strings.TrimSpace(value))
}

// ConfigValue returns one setting, named as in ConfigKeys (in any case),
// in the text form SetConfigValue reads, or "" for an unknown key.
func ConfigValue(c store.WorkspaceConfig, key string) string {
	s, ok := LookupSetting(key)
	if !ok {
		return ""
	}
	return s.Value(c)
}
