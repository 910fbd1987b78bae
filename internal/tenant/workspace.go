package tenant

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/store"
)

// Bounds of WorkspaceConfig.SoftDeleteGraceDays.
const (
	MinGraceDays = 1
	MaxGraceDays = 3650
)

// nameRE is what role and team names may be: an application's own names,
// so only what could not be one is refused.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.:@/-]{0,63}$`)

// ValidateConfig checks a workspace configuration and reports every rule
// it breaks, wrapped in ErrInvalid.
func ValidateConfig(c store.WorkspaceConfig) error {
	var problems []string
	if !nameRE.MatchString(c.DefaultRole) {
		problems = append(problems, fmt.Sprintf("defaultRole %q must be a role name: 1-64 letters, digits, spaces or _.:@/-, starting with a letter or digit", c.DefaultRole))
	}
	if c.DefaultTeam != "" && !nameRE.MatchString(c.DefaultTeam) {
		problems = append(problems, fmt.Sprintf("defaultTeam %q must be empty (no team) or a team name: 1-64 letters, digits, spaces or _.:@/-, starting with a letter or digit", c.DefaultTeam))
	}
	if !nameRE.MatchString(c.DefaultTeamRole) {
		problems = append(problems, fmt.Sprintf("defaultTeamRole %q must be a role name: 1-64 letters, digits, spaces or _.:@/-, starting with a letter or digit", c.DefaultTeamRole))
	}
	if c.DeleteMode != store.DeleteSoft && c.DeleteMode != store.DeleteHard {
		problems = append(problems, fmt.Sprintf("deleteMode %q must be %q or %q", c.DeleteMode, store.DeleteSoft, store.DeleteHard))
	}
	if c.SoftDeleteGraceDays < MinGraceDays || c.SoftDeleteGraceDays > MaxGraceDays {
		problems = append(problems, fmt.Sprintf("softDeleteGraceDays %d must be from %d to %d", c.SoftDeleteGraceDays, MinGraceDays, MaxGraceDays))
	}
	if c.SeatLimit != nil && *c.SeatLimit < 1 {
		problems = append(problems, fmt.Sprintf("seatLimit %d must be a positive number of seats, or none for unlimited", *c.SeatLimit))
	}
	if err := c.Policy().Validate(); err != nil {
		problems = append(problems, strings.TrimSuffix(err.Error(), ": "+roles.ErrInvalid.Error()))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", strings.Join(problems, "; "), ErrInvalid)
}

// ValidateTeamLink checks the team key and role an operator links a
// group with: names of the application's, as defaultTeam and
// defaultTeamRole are; role "" stands for the workspace's
// defaultTeamRole. It reports every problem, wrapped in ErrInvalid.
func ValidateTeamLink(team, role string) error {
	var problems []string
	if !nameRE.MatchString(team) {
		problems = append(problems, fmt.Sprintf("team %q must be a team key: 1-64 letters, digits, spaces or _.:@/-, starting with a letter or digit", team))
	}
	if role != "" && !nameRE.MatchString(role) {
		problems = append(problems, fmt.Sprintf("role %q must be empty (the workspace's defaultTeamRole) or a role name: 1-64 letters, digits, spaces or _.:@/-, starting with a letter or digit", role))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", strings.Join(problems, "; "), ErrInvalid)
}

// setting is one key of a workspace configuration, as administrators name
// it.
type setting struct {
	key string
	set func(c *store.WorkspaceConfig, value string) error
	// get returns the value in the form set reads.
	get func(c store.WorkspaceConfig) string
}

func boolSetting(key string, field func(*store.WorkspaceConfig) *bool) setting {
	return setting{key, func(c *store.WorkspaceConfig, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s=%s: want true or false: %w", key, v, ErrInvalid)
		}
		*field(c) = b
		return nil
	}, func(c store.WorkspaceConfig) string { return strconv.FormatBool(*field(&c)) }}
}

func stringSetting(key string, field func(*store.WorkspaceConfig) *string) setting {
	return setting{key, func(c *store.WorkspaceConfig, v string) error {
		*field(c) = v
		return nil
	}, func(c store.WorkspaceConfig) string { return *field(&c) }}
}

var settings = []setting{
	boolSetting("scimEnabled", func(c *store.WorkspaceConfig) *bool { return &c.SCIMEnabled }),
	boolSetting("createUsers", func(c *store.WorkspaceConfig) *bool { return &c.CreateUsers }),
	boolSetting("syncDisplayName", func(c *store.WorkspaceConfig) *bool { return &c.SyncDisplayName }),
	stringSetting("defaultRole", func(c *store.WorkspaceConfig) *string { return &c.DefaultRole }),
	stringSetting("defaultTeam", func(c *store.WorkspaceConfig) *string { return &c.DefaultTeam }),
	stringSetting("defaultTeamRole", func(c *store.WorkspaceConfig) *string { return &c.DefaultTeamRole }),
	boolSetting("revokeKeysOnDeactivate", func(c *store.WorkspaceConfig) *bool { return &c.RevokeKeysOnDeactivate }),
	stringSetting("deleteMode", func(c *store.WorkspaceConfig) *string { return &c.DeleteMode }),
	{"softDeleteGraceDays", func(c *store.WorkspaceConfig, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("softDeleteGraceDays=%s: want a number of days: %w", v, ErrInvalid)
		}
		c.SoftDeleteGraceDays = n
		return nil
	}, func(c store.WorkspaceConfig) string { return strconv.Itoa(c.SoftDeleteGraceDays) }},
	boolSetting("strictMode", func(c *store.WorkspaceConfig) *bool { return &c.StrictMode }),
	boolSetting("allowLinking", func(c *store.WorkspaceConfig) *bool { return &c.AllowLinking }),
	boolSetting("deleteOnDeactivate", func(c *store.WorkspaceConfig) *bool { return &c.DeleteOnDeactivate }),
	{"roles", func(c *store.WorkspaceConfig, v string) error {
		// name:rank,name:rank
		c.Roles = nil
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			name, rank, ok := strings.Cut(item, ":")
			n, err := strconv.Atoi(strings.TrimSpace(rank))
			if !ok || err != nil {
				return fmt.Errorf("roles=%s: want name:rank pairs separated by commas, e.g. viewer:10,admin:40: %w", v, ErrInvalid)
			}
			c.Roles = append(c.Roles, roles.Role{Name: strings.TrimSpace(name), Rank: n})
		}
		return nil
	}, func(c store.WorkspaceConfig) string {
		items := make([]string, len(c.Roles))
		for i, r := range c.Roles {
			items[i] = r.Name + ":" + strconv.Itoa(r.Rank)
		}
		return strings.Join(items, ",")
	}},
	{"roleMappings", func(c *store.WorkspaceConfig, v string) error {
		// group:role,group:role; a group of the form externalId=X
		// names the group by externalId.
		c.RoleMappings = nil
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			i := strings.LastIndex(item, ":")
			if i < 0 {
				return fmt.Errorf("roleMappings=%s: want group:role pairs separated by commas, e.g. Engineering*:developer,externalId=00g1:admin: %w", v, ErrInvalid)
			}
			m := roles.Mapping{Role: strings.TrimSpace(item[i+1:])}
			group := strings.TrimSpace(item[:i])
			if ext, ok := strings.CutPrefix(group, "externalId="); ok {
				m.ExternalID = ext
			} else {
				m.Group = group
			}
			c.RoleMappings = append(c.RoleMappings, m)
		}
		return nil
	}, func(c store.WorkspaceConfig) string {
		items := make([]string, len(c.RoleMappings))
		for i, m := range c.RoleMappings {
			group := m.Group
			if m.ExternalID != "" {
				group = "externalId=" + m.ExternalID
			}
			items[i] = group + ":" + m.Role
		}
		return strings.Join(items, ",")
	}},
	{"groupAllowlist", func(c *store.WorkspaceConfig, v string) error {
		c.GroupAllowlist = nil
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				c.GroupAllowlist = append(c.GroupAllowlist, item)
			}
		}
		return nil
	}, func(c store.WorkspaceConfig) string { return strings.Join(c.GroupAllowlist, ",") }},
	{"seatLimit", func(c *store.WorkspaceConfig, v string) error {
		switch strings.ToLower(v) {
		case "", "none", "unlimited", "null":
			c.SeatLimit = nil
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("seatLimit=%s: want a number of seats, or none: %w", v, ErrInvalid)
		}
		c.SeatLimit = &n
		return nil
	}, func(c store.WorkspaceConfig) string {
		if c.SeatLimit == nil {
			return "none"
		}
		return strconv.Itoa(*c.SeatLimit)
	}},
}

// settingDocs say what each setting does, for the help of the scimd
// command and the console; the table in docs/workspaces.md says it at length.
var settingDocs = map[string]string{
	"scimEnabled":            "accept SCIM requests; when false, every SCIM request of the workspace gets 403",
	"createUsers":            "identity providers may create users; when false, creating one gets 403, and existing users are still updated",
	"syncDisplayName":        "keep the display names applications see in step with what identity providers send; when false, a user's stays the one it was created with",
	"defaultRole":            "role of users in no group that maps to a role",
	"defaultTeam":            "team provisioned users join; empty for none",
	"defaultTeamRole":        "their role in that team, and in the teams of synced groups",
	"revokeKeysOnDeactivate": "revoke a user's API keys, not only its sessions, when the identity provider deactivates or deletes it",
	"deleteMode":             "soft: deleted users can be restored for softDeleteGraceDays, then are purged; hard: gone at once",
	"softDeleteGraceDays":    "how many days soft-deleted users are kept: 1 to 3650",
	"strictMode":             "refuse SCIM writes that would give a user a role above what its groups grant, and ignore roles assigned directly",
	"seatLimit":              "most active and invited users; none for unlimited",
	"allowLinking":           "an identity provider that creates a user with an invited user's userName or primary email gets that user, with its id, rather than 409",
	"deleteOnDeactivate":     "an identity provider's deactivation of a user deletes it, as a DELETE would (see deleteMode)",
	"roles":                  "the application's roles, each with its rank; none for the default ones",
	"roleMappings":           "groups whose members get a role: by displayName, exact or a glob such as Eng*, or by externalId",
	"groupAllowlist":         "the groups that have an effect, by displayName or glob; none for every group",
}

// ConfigDoc says what a setting, named as in ConfigKeys, does.
func ConfigDoc(key string) string { return settingDocs[key] }

// ConfigKeys returns the names of the settings of a workspace, in the
// order of their documentation.
func ConfigKeys() []string {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.key
	}
	return keys
}

// SetConfigValue sets one setting, named as in ConfigKeys (in any case),
// from its text form. It does not validate the result: see ValidateConfig.
func SetConfigValue(c *store.WorkspaceConfig, key, value string) error {
	for _, s := range settings {
		if strings.EqualFold(s.key, key) {
			return s.set(c, strings.TrimSpace(value))
		}
	}
	return fmt.Errorf("unknown setting %q; the settings are %s: %w", key, strings.Join(ConfigKeys(), ", "), ErrInvalid)
}

// ConfigValue returns one setting, named as in ConfigKeys (in any case),
// in the text form SetConfigValue reads, or "" for an unknown key.
func ConfigValue(c store.WorkspaceConfig, key string) string {
	for _, s := range settings {
		if strings.EqualFold(s.key, key) {
			return s.get(c)
		}
	}
	return ""
}

// Workspace returns the workspace with the given slug.
func (s *Service) Workspace(ctx context.Context, slug string) (store.Workspace, error) {
	return s.store.WorkspaceBySlug(ctx, slug)
}

// Workspaces lists the workspaces by slug.
func (s *Service) Workspaces(ctx context.Context) ([]store.Workspace, error) {
	return s.store.Workspaces(ctx)
}

// UpdateConfig changes a workspace's configuration with fn, in one
// transaction, and stores it if it is valid. Servers on the database apply
// it from their next request.
func (s *Service) UpdateConfig(ctx context.Context, slug string, fn func(*store.WorkspaceConfig) error) (store.Workspace, error) {
	return s.store.UpdateWorkspace(ctx, slug, func(w *store.Workspace) error {
		if err := fn(&w.Config); err != nil {
			return err
		}
		return ValidateConfig(w.Config)
	})
}

// SetConfig applies settings of the form key=value (see SetConfigValue)
// to a workspace's configuration, all or none.
func (s *Service) SetConfig(ctx context.Context, slug string, settings ...string) (store.Workspace, error) {
	if len(settings) == 0 {
		return store.Workspace{}, fmt.Errorf("no setting given; the settings are %s: %w", strings.Join(ConfigKeys(), ", "), ErrInvalid)
	}
	return s.UpdateConfig(ctx, slug, func(c *store.WorkspaceConfig) error {
		var errs []error
		for _, kv := range settings {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				errs = append(errs, fmt.Errorf("%q: want key=value: %w", kv, ErrInvalid))
				continue
			}
			if err := SetConfigValue(c, strings.TrimSpace(k), v); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
}

// DeleteWorkspace deletes a workspace with all its users, groups and
// tokens. Its tokens stop working at once on every server.
func (s *Service) DeleteWorkspace(ctx context.Context, slug string) error {
	return s.store.DeleteWorkspace(ctx, slug)
}
