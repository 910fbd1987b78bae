package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/scimd/scimd/internal/roles"
)

// WorkspaceConfig is how a workspace takes part in SCIM provisioning. The
// JSON names are those shown to administrators.
type WorkspaceConfig struct {
	// SCIMEnabled admits SCIM requests; without it every SCIM request
	// of the workspace is refused (403).
	SCIMEnabled bool `json:"scimEnabled"`
	// CreateUsers lets identity providers create users; without it
	// creating one is refused (403), while updates still apply.
	CreateUsers bool `json:"createUsers"`
	// SyncDisplayName keeps the display names applications see
	// (Resource.AppDisplayName) in step with what identity providers
	// send; without it a user's is the one it had when created.
	SyncDisplayName bool `json:"syncDisplayName"`
	// DefaultRole is the role a provisioned user gets.
	DefaultRole string `json:"defaultRole"`
	// DefaultTeam, if not "", is a team provisioned users join.
	DefaultTeam string `json:"defaultTeam"`
	// DefaultTeamRole is their role in DefaultTeam.
	DefaultTeamRole string `json:"defaultTeamRole"`
	// RevokeKeysOnDeactivate revokes a user's credentials when an
	// identity provider deactivates the user.
	RevokeKeysOnDeactivate bool `json:"revokeKeysOnDeactivate"`
	// DeleteMode is DeleteSoft or DeleteHard.
	DeleteMode string `json:"deleteMode"`
	// SoftDeleteGraceDays is how long a soft-deleted user can be
	// restored.
	SoftDeleteGraceDays int `json:"softDeleteGraceDays"`
	// StrictMode refuses any SCIM write that would give a user a role
	// above what its identity provider groups grant, and ignores roles
	// assigned to users directly.
	StrictMode bool `json:"strictMode"`
	// SeatLimit, if not nil, caps the number of active users.
	SeatLimit *int `json:"seatLimit"`
	// AllowLinking lets an identity provider create a user with the
	// userName of a user the application invited itself: the invited
	// user becomes the provisioned one, keeping its id. Without it such
	// a create is refused (409).
	AllowLinking bool `json:"allowLinking"`
	// DeleteOnDeactivate makes an identity provider's deactivation of a
	// user delete the user, as its DELETE would (see DeleteMode).
	DeleteOnDeactivate bool `json:"deleteOnDeactivate"`
	// UndeclaredExtensions says what SCIM does with attributes under
	// extension URNs the workspace has not declared: UndeclaredIgnore
	// or UndeclaredKeep.
	UndeclaredExtensions string `json:"undeclaredExtensions"`

	// Roles are the application's roles with their ranks; none means
	// roles.DefaultRoles().
	Roles []roles.Role `json:"roles"`
	// RoleMappings grant roles to the members of groups.
	RoleMappings []roles.Mapping `json:"roleMappings"`
	// GroupAllowlist names the groups that have an effect, by
	// displayName or glob; none means all do.
	GroupAllowlist []string `json:"groupAllowlist"`
}

// Policy returns the workspace's access policy.
func (c WorkspaceConfig) Policy() roles.Policy {
	return roles.Policy{
		Roles:       c.Roles,
		DefaultRole: c.DefaultRole,
		Mappings:    c.RoleMappings,
		Allowlist:   c.GroupAllowlist,
		Strict:      c.StrictMode,
		TeamRole:    c.DefaultTeamRole,
		DefaultTeam: c.DefaultTeam,
	}
}

// Clone returns a copy of c that shares nothing with it: changing one,
// or decoding JSON into one (which reuses a slice's array), leaves the
// other as it was.
func (c WorkspaceConfig) Clone() WorkspaceConfig {
	if c.SeatLimit != nil {
		n := *c.SeatLimit
		c.SeatLimit = &n
	}
	c.Roles = slices.Clone(c.Roles)
	c.RoleMappings = slices.Clone(c.RoleMappings)
	c.GroupAllowlist = slices.Clone(c.GroupAllowlist)
	return c
}

// accessJSON is how the policy's lists are kept in the access column.
type accessJSON struct {
	Roles          []roles.Role    `json:"roles,omitempty"`
	RoleMappings   []roles.Mapping `json:"roleMappings,omitempty"`
	GroupAllowlist []string        `json:"groupAllowlist,omitempty"`
}

// AccessJSON returns what backends keep in a workspace's access column:
// nil for the defaults.
func (c WorkspaceConfig) AccessJSON() ([]byte, error) {
	if len(c.Roles) == 0 && len(c.RoleMappings) == 0 && len(c.GroupAllowlist) == 0 {
		return nil, nil
	}
	return json.Marshal(accessJSON{c.Roles, c.RoleMappings, c.GroupAllowlist})
}

// SetAccessJSON sets the policy's lists from an access column.
func (c *WorkspaceConfig) SetAccessJSON(b []byte) error {
	var a accessJSON
	if len(b) > 0 {
		if err := json.Unmarshal(b, &a); err != nil {
			return fmt.Errorf("workspace access policy: %w", err)
		}
	}
	c.Roles, c.RoleMappings, c.GroupAllowlist = a.Roles, a.RoleMappings, a.GroupAllowlist
	return nil
}

// Delete modes.
const (
	DeleteSoft = "soft"
	DeleteHard = "hard"
)

// What SCIM does with attributes under extension URNs a workspace has
// not declared (WorkspaceConfig.UndeclaredExtensions).
const (
	UndeclaredIgnore = "ignore"
	UndeclaredKeep   = "keep"
)

// DefaultWorkspaceConfig returns the configuration of a new workspace,
// which is also what workspaces made before there was one have.
func DefaultWorkspaceConfig() WorkspaceConfig {
	return WorkspaceConfig{
		SCIMEnabled:            true,
		CreateUsers:            true,
		SyncDisplayName:        true,
		DefaultRole:            "viewer",
		DefaultTeam:            "",
		DefaultTeamRole:        "member",
		RevokeKeysOnDeactivate: true,
		DeleteMode:             DeleteSoft,
		SoftDeleteGraceDays:    30,
		StrictMode:             false,
		SeatLimit:              nil,
		UndeclaredExtensions:   UndeclaredIgnore,
	}
}

// IsZero reports whether c is the zero WorkspaceConfig.
func (c WorkspaceConfig) IsZero() bool {
	return reflect.DeepEqual(c, WorkspaceConfig{})
}
