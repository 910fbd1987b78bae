package store

// WorkspaceConfig is how a workspace takes part in SCIM provisioning. The
// JSON names are those shown to administrators.
type WorkspaceConfig struct {
	// SCIMEnabled admits SCIM requests; without it every SCIM request
	// of the workspace is refused (403).
	SCIMEnabled bool `json:"scimEnabled"`
	// CreateUsers lets identity providers create users; without it
	// creating one is refused (403), while updates still apply.
	CreateUsers bool `json:"createUsers"`
	// SyncDisplayName keeps the application's display names in step with
	// what identity providers send.
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
	// StrictMode refuses what identity providers send that the RFCs do
	// not allow, rather than accepting it.
	StrictMode bool `json:"strictMode"`
	// SeatLimit, if not nil, caps the number of users.
	SeatLimit *int `json:"seatLimit"`
}

// Delete modes.
const (
	DeleteSoft = "soft"
	DeleteHard = "hard"
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
	}
}
