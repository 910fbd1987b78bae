package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// TeamLink ties a group to a team of the application by the group's id,
// which renaming the group does not change. A group without one has a
// team of its own, named after it (see package roles).
type TeamLink struct {
	GroupID string
	// DisplayName and ExternalID are the group's, as they are now; the
	// link does not depend on them.
	DisplayName string
	ExternalID  string
	// Team is the team's key, as the application knows it.
	Team string
	// Role is the role of the group's members in the team; "" means the
	// workspace's defaultTeamRole.
	Role    string
	Updated time.Time
}

// TeamStore stores which groups are linked to which teams.
type TeamStore interface {
	// LinkTeam links the group l.GroupID of the workspace to l.Team with
	// l.Role, replacing any link it has, and returns the link stored. It
	// tells subscribers of the users under the group, as a rename of
	// the group does, since their teams may have changed. It fails with
	// ErrNotFound if there is no such group.
	LinkTeam(ctx context.Context, workspaceID string, l TeamLink) (TeamLink, error)
	// UnlinkTeam removes a group's link, gives the group its own team
	// back, tells subscribers as LinkTeam does, and returns the link
	// removed; ErrNotFound if the group has none.
	UnlinkTeam(ctx context.Context, workspaceID, groupID string) (TeamLink, error)
	// TeamLinks lists a workspace's links by team, then by the group's
	// displayName. A group's link goes with the group.
	TeamLinks(ctx context.Context, workspaceID string) ([]TeamLink, error)
}

// Team is a user's membership of a team, as stored with its roles.
type Team struct {
	Key  string `json:"key"`
	Role string `json:"role"`
}

// SortTeamLinks sorts links by team, then by the group's displayName and
// id: the order of TeamLinks, the same whatever the database's collation.
func SortTeamLinks(links []TeamLink) {
	slices.SortFunc(links, func(a, b TeamLink) int {
		return cmp.Or(strings.Compare(a.Team, b.Team), strings.Compare(a.DisplayName, b.DisplayName), strings.Compare(a.GroupID, b.GroupID))
	})
}
