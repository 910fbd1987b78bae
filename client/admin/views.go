package admin

import "time"

// A group's and a user's whole picture, as an operator sees them: who is
// in what, which roles that gives, and why.

// Group is a group of a workspace with what it gives its members.
type Group struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	ExternalID  string `json:"external_id,omitempty"`
	MemberCount int    `json:"member_count"`
	// Synced says whether the workspace's groupAllowlist lets the group
	// act: grant roles, keys and teams.
	Synced bool `json:"synced"`
	// Roles are the roles its members get from it and the groups it is
	// nested in, under the workspace's role mappings, highest rank first.
	Roles []string `json:"roles"`
	// Team is the team it is linked to, if it is.
	Team *GroupTeam `json:"team,omitempty"`
	// Paths are its paths in the nesting of groups, in lower case
	// (engineering/platform); the application knows it as group: and one
	// of them.
	Paths []string `json:"paths"`
	// Parents are the groups it is a direct member of.
	Parents      []GroupRef `json:"parents"`
	Created      time.Time  `json:"created"`
	LastModified time.Time  `json:"last_modified"`
}

// GroupTeam is the team a group is linked to.
type GroupTeam struct {
	Key string `json:"key"`
	// Role is its members' role there; "" for the workspace's
	// defaultTeamRole.
	Role string `json:"role,omitempty"`
}

// GroupRef names a group.
type GroupRef struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
}

// GroupPage is a page of a workspace's groups.
type GroupPage struct {
	Groups []Group `json:"groups"`
	// Total counts the groups that match the filter, on every page.
	Total      int    `json:"total"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// GroupDetail is a group with a page of its members.
type GroupDetail struct {
	Group
	// Grants say why its members get each of Roles.
	Grants  []RoleGrant   `json:"grants"`
	Members []GroupMember `json:"members"`
	// NextCursor pages on through the members; "" on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// GroupMember is a direct member of a group: a user or a group.
type GroupMember struct {
	ID      string `json:"id"`
	Type    string `json:"type"` // "User" or "Group"
	Display string `json:"display,omitempty"`
}

// RoleGrant is one reason a user has a role.
type RoleGrant struct {
	Role string `json:"role"`
	// Source is "group" (a role mapping matches a synced group the user
	// is in), "direct" (the identity provider assigned it to the user)
	// or "default" (no group grants a role).
	Source    string `json:"source"`
	GroupID   string `json:"group_id,omitempty"`
	GroupName string `json:"group_name,omitempty"`
	// Mapping is the role mapping that matched: its group pattern, or
	// "externalId " and the externalId.
	Mapping string `json:"mapping,omitempty"`
	// Matched is what it matched: the group's name, one of its paths or
	// their ancestors, or its externalId.
	Matched string `json:"matched,omitempty"`
	// Why says it in words.
	Why string `json:"why"`
}

// RoleRefusal is a role asked for that the user does not get that way.
type RoleRefusal struct {
	Role string `json:"role"`
	// Reason is "strict_mode" (assigned directly, which strict mode
	// ignores), "not_a_role" (assigned directly, not a role of the
	// workspace) or "allowlist" (mapped to a group the allowlist does not
	// sync).
	Reason    string `json:"reason"`
	GroupID   string `json:"group_id,omitempty"`
	GroupName string `json:"group_name,omitempty"`
	Mapping   string `json:"mapping,omitempty"`
	Matched   string `json:"matched,omitempty"`
	Why       string `json:"why"`
}

// UserRole is an effective role of a user with why the user has it.
type UserRole struct {
	Role   string      `json:"role"`
	Grants []RoleGrant `json:"grants"`
}

// UserGroup is a group a user is in, directly or through nesting.
type UserGroup struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	ExternalID  string `json:"external_id,omitempty"`
	// Direct says the user is a member itself; else it is a member of a
	// group nested in this one.
	Direct bool     `json:"direct"`
	Synced bool     `json:"synced"`
	Paths  []string `json:"paths"`
	// Parents are the ids of the groups it is a direct member of.
	Parents []string `json:"parents"`
}

// UserTeam is a team a user is in, with its role there.
type UserTeam struct {
	Key  string `json:"key"`
	Role string `json:"role"`
}

// Credential is a user's API key or session, never its secret.
type Credential struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // "api_key" or "session"
	Name string `json:"name,omitempty"`
	// State is "active", "expired" or "revoked".
	State         string     `json:"state"`
	Created       time.Time  `json:"created"`
	Expires       *time.Time `json:"expires"`
	Revoked       *time.Time `json:"revoked"`
	RevokedReason string     `json:"revoked_reason,omitempty"`
}

// UserLinks point to what else there is on a user.
type UserLinks struct {
	// Audit is the admin API's query of the audit entries on the user.
	Audit string `json:"audit"`
	// Events is the application API's path of the workspace's events,
	// among which the user's name it as subject.
	Events string `json:"events"`
}

// UserDetail is a user's whole picture.
type UserDetail struct {
	User
	// SCIM is the user's SCIM attributes as stored, without id, meta and
	// groups.
	SCIM map[string]any `json:"scim"`
	// Groups are the groups the user is in, direct ones first.
	Groups []UserGroup `json:"groups"`
	// Roles are the user's effective roles, highest rank first, each with
	// why the user has it.
	Roles []UserRole `json:"roles"`
	// Refused are roles asked for that the user does not get that way.
	Refused []RoleRefusal `json:"refused_roles"`
	// GroupKeys are the group keys the application knows the user's
	// groups by.
	GroupKeys   []string     `json:"group_keys"`
	Teams       []UserTeam   `json:"teams"`
	Credentials []Credential `json:"credentials"`
	// Seat says whether the user takes one of the workspace's seats.
	Seat  UserSeat  `json:"seat"`
	Links UserLinks `json:"links"`
}

// UserSeat says whether a user takes a seat of its workspace.
type UserSeat struct {
	// Taken: active and invited users take a seat; suspended and
	// soft-deleted ones do not.
	Taken bool `json:"taken"`
	// Limit is the workspace's seatLimit; null for unlimited.
	Limit *int `json:"limit"`
}

// AccessUser is who a valid credential stands for, as POST /v1/verify
// answers.
type AccessUser struct {
	ID          string     `json:"id"`
	UserName    string     `json:"user_name"`
	DisplayName string     `json:"display_name,omitempty"`
	Active      bool       `json:"active"`
	Roles       []string   `json:"roles"`
	Groups      []string   `json:"groups"`
	Teams       []UserTeam `json:"teams"`
}

// CredentialAnswer is a credential with what POST /v1/verify answers for
// it now.
type CredentialAnswer struct {
	Credential
	Valid bool `json:"valid"`
	// Reason is why it is not valid: revoked, expired, user_inactive,
	// user_deleted.
	Reason string `json:"reason,omitempty"`
}

// UserAccess explains a user's access: what POST /v1/verify answers for
// the user's credentials now, and why.
type UserAccess struct {
	// Valid and Reason are what verification answers for a credential
	// of the user that has not ended (is neither revoked nor expired).
	Valid  bool   `json:"valid"`
	Reason string `json:"reason,omitempty"`
	// User is who such a credential stands for; absent for a deleted
	// user.
	User        *AccessUser        `json:"user,omitempty"`
	Credentials []CredentialAnswer `json:"credentials"`
	Roles       []UserRole         `json:"roles"`
	Refused     []RoleRefusal      `json:"refused_roles"`
	// Reasoning says it all in sentences, in order.
	Reasoning []string `json:"reasoning"`
}

// GroupMatches says which of a workspace's groups each role mapping and
// allowlist entry matches: those of the workspace's configuration, or of
// a draft of them.
type GroupMatches struct {
	RoleMappings   []MappingMatch   `json:"role_mappings"`
	GroupAllowlist []AllowlistMatch `json:"group_allowlist"`
	// Checked counts the groups checked: the workspace's first, in
	// creation order, up to a bound; Total counts them all.
	Checked int `json:"checked"`
	Total   int `json:"total"`
}

// MappingMatch is a role mapping with the groups it matches.
type MappingMatch struct {
	RoleMapping
	// Count counts the groups checked that it matches; Groups are the
	// first of them.
	Count  int          `json:"count"`
	Groups []GroupMatch `json:"groups"`
}

// AllowlistMatch is an allowlist entry with the groups it matches.
type AllowlistMatch struct {
	Pattern string       `json:"pattern"`
	Count   int          `json:"count"`
	Groups  []GroupMatch `json:"groups"`
}

// GroupMatch is a group a pattern matches.
type GroupMatch struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	// Matched is what a mapping matched: the group's displayName, one of
	// its paths or their ancestors (in lower case), or its externalId.
	Matched string `json:"matched,omitempty"`
}

// Activity is what provisioning did in a workspace over a period: the
// SCIM requests of each token, from the audit log, and the tokens that
// expire soon.
type Activity struct {
	Since time.Time `json:"since"`
	// Requests and Errors count the SCIM requests of the period, and
	// those answered 400 or more.
	Requests int `json:"requests"`
	Errors   int `json:"errors"`
	// Tokens are the tokens that made requests, the most recent first.
	Tokens []TokenActivity `json:"tokens"`
	// Expiring are the SCIM and app tokens, active, that expire within
	// 30 days, the soonest first.
	Expiring []ExpiringToken `json:"expiring"`
}

// TokenActivity is what one SCIM token, and so one identity provider,
// did over the period.
type TokenActivity struct {
	// Actor is as in the audit log: token:tok_…
	Actor     string `json:"actor"`
	TokenID   string `json:"token_id,omitempty"`
	TokenName string `json:"token_name,omitempty"`
	Requests  int    `json:"requests"`
	Errors    int    `json:"errors"`
	// Last is its latest request.
	Last LastRequest `json:"last"`
}

// LastRequest is a token's latest request, as the activity shows it.
type LastRequest struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	Status int       `json:"status,omitempty"`
	// UserAgent is the request's User-Agent; IdentityProvider names the
	// identity provider it says sent it: okta, entra, onelogin, google,
	// jumpcloud, keycloak or other.
	UserAgent        string `json:"user_agent,omitempty"`
	IdentityProvider string `json:"identity_provider"`
	// AuditID is the request's audit entry.
	AuditID int64 `json:"audit_id"`
}

// ExpiringToken is a token that expires soon.
type ExpiringToken struct {
	Token
	// Kind is scim or app.
	Kind string `json:"kind"`
}
