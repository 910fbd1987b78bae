package admin

import (
	"encoding/json"
	"time"
)

// Token is a token as the API lists it, of any kind (SCIM, app or
// admin): never its secret, nor its hash.
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Created   time.Time  `json:"created"`
	CreatedBy string     `json:"created_by,omitempty"`
	Expires   *time.Time `json:"expires"`   // null: never
	DaysLeft  *int       `json:"days_left"` // null: never expires
	LastUsed  *time.Time `json:"last_used"` // null: never used
	Revoked   *time.Time `json:"revoked"`   // null: not revoked
	State     string     `json:"state"`     // active, expired or revoked
}

// NewToken is a token just minted: the only answer that shows the token
// itself.
type NewToken struct {
	Token
	// Secret is the token itself, shown once.
	Secret string `json:"token"`
	// Previous is the token a rotation replaced, as it now is.
	Previous *Token `json:"previous,omitempty"`
}

// TokenList is a listing of tokens.
type TokenList struct {
	Tokens []Token `json:"tokens"`
}

// Workspace is a workspace as the API shows it.
type Workspace struct {
	ID      string          `json:"id"`
	Slug    string          `json:"slug"`
	Created time.Time       `json:"created"`
	Config  WorkspaceConfig `json:"config"`
}

// WorkspaceList is a listing of workspaces.
type WorkspaceList struct {
	Workspaces []Workspace `json:"workspaces"`
}

// WorkspaceConfig is how a workspace takes part in SCIM provisioning, as
// the API shows it. The JSON names are those that scimd workspace set
// and the API's PATCH take.
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
	// DeleteMode is "soft" or "hard".
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
	// user becomes the provisioned one, keeping its id.
	AllowLinking bool `json:"allowLinking"`
	// DeleteOnDeactivate makes an identity provider's deactivation of a
	// user delete the user, as its DELETE would.
	DeleteOnDeactivate bool `json:"deleteOnDeactivate"`
	// UndeclaredExtensions is "ignore" or "keep": what SCIM does with
	// attributes under extension URNs the workspace has not declared.
	UndeclaredExtensions string `json:"undeclaredExtensions"`
	// Roles are the application's roles with their ranks; none means
	// the default roles.
	Roles []Role `json:"roles"`
	// RoleMappings grant roles to the members of groups.
	RoleMappings []RoleMapping `json:"roleMappings"`
	// GroupAllowlist names the groups that have an effect, by
	// displayName or glob; none means all do.
	GroupAllowlist []string `json:"groupAllowlist"`
}

// Role is a role of the application, with its rank: a user with several
// roles has the highest-ranked.
type Role struct {
	Name string `json:"name"`
	Rank int    `json:"rank"`
}

// RoleMapping grants a role to the members of a group, named by its
// displayName (or a glob of displayNames) or by its externalId.
type RoleMapping struct {
	Group      string `json:"group,omitempty"`
	ExternalID string `json:"externalId,omitempty"`
	Role       string `json:"role"`
}

// User states. A user is in exactly one; programs should show states
// they do not know as they are, since more may come.
const (
	UserActive = "active"
	// UserSuspended is a user its identity provider deactivated: it
	// cannot sign in, and its credentials were revoked, until it is
	// reactivated.
	UserSuspended = "suspended"
	// UserSoftDeleted is a user its identity provider deleted in a
	// workspace with deleteMode "soft": SCIM no longer finds it, and it
	// goes for good at purge_at unless restored.
	UserSoftDeleted = "soft_deleted"
	// UserInvited is a user the application invited itself, which no
	// identity provider manages.
	UserInvited = "invited"
)

// User is a user as administrators list them: who, and in which
// state, rather than the whole SCIM document (GET /scim/v2/Users/{id}
// has that).
type User struct {
	ID           string    `json:"id"`
	UserName     string    `json:"user_name"`
	ExternalID   string    `json:"external_id,omitempty"`
	DisplayName  string    `json:"display_name,omitempty"`
	Email        string    `json:"email,omitempty"`
	State        string    `json:"state"`
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"last_modified"`
	// Roles are the user's effective roles as last computed, highest
	// rank first: in listings of the workspace's users.
	Roles []string `json:"roles,omitempty"`
	// Deleted and PurgeAt are those of a soft-deleted user.
	Deleted *time.Time `json:"deleted,omitempty"`
	PurgeAt *time.Time `json:"purge_at,omitempty"`
}

// UserPage is a page of a workspace's users.
type UserPage struct {
	Users []User `json:"users"`
	// Total counts the users that match the filter, on every page.
	Total      int    `json:"total"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// UserList is a listing of users: invited or soft-deleted ones.
type UserList struct {
	Users []User `json:"users"`
}

// Webhook is a webhook as listed: never its secret.
type Webhook struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// EventTypes is null for every type.
	EventTypes []string  `json:"event_types"`
	Enabled    bool      `json:"enabled"`
	Created    time.Time `json:"created"`
	// DisabledReason says why scimd disabled the webhook.
	DisabledReason string `json:"disabled_reason,omitempty"`
}

// NewWebhook is a webhook with its signing secret: the answer to a
// create or a rotation, the only ones that show it.
type NewWebhook struct {
	Webhook
	Secret string `json:"secret"`
}

// WebhookList is a listing of webhooks.
type WebhookList struct {
	Webhooks []Webhook `json:"webhooks"`
}

// Delivery is one delivery of the delivery log.
type Delivery struct {
	ID          string     `json:"id"`
	WebhookID   string     `json:"webhook_id"`
	EventID     string     `json:"event_id"`
	EventType   string     `json:"event_type"`
	EventSeq    int64      `json:"event_seq"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	NextAttempt *time.Time `json:"next_attempt"` // null unless pending
	LastAttempt *time.Time `json:"last_attempt"` // null: never attempted
	LastStatus  *int       `json:"last_status"`  // null: no response
	LastError   string     `json:"last_error,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at"`
	// AttemptLog is every attempt made, oldest first, those before a
	// redelivery included.
	AttemptLog []DeliveryAttempt `json:"attempt_log"`
}

// DeliveryAttempt is one attempt at a delivery.
type DeliveryAttempt struct {
	At     time.Time `json:"at"`
	Status *int      `json:"status"` // null: no response
	Error  string    `json:"error,omitempty"`
	// Response is the start of the endpoint's answer to an attempt it
	// accepted; a failed attempt's error ends with it instead.
	Response string `json:"response,omitempty"`
}

// DeliveryDetail is one delivery with the body sent for it.
type DeliveryDetail struct {
	Delivery
	// Payload is the body POSTed to the endpoint on each attempt; null
	// once the workspace's outbox no longer holds the event.
	Payload json.RawMessage `json:"payload"`
}

// TestDelivery is the delivery of a test event just sent to a webhook.
type TestDelivery struct {
	Delivery
	// Warning says why the delivery will not go yet.
	Warning string `json:"warning,omitempty"`
}

// DeliveryPage is a page of a webhook's delivery log, newest event first.
type DeliveryPage struct {
	Deliveries []Delivery `json:"deliveries"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// Redelivery is a delivery made pending again.
type Redelivery struct {
	Delivery
	// Warning says why the delivery will not go yet.
	Warning string `json:"warning,omitempty"`
}

// AuditEntry is an audit entry as the API shows it: the columns of
// the audit log, and the workspace's slug when it still exists.
type AuditEntry struct {
	ID            int64           `json:"id"`
	Time          time.Time       `json:"ts"`
	WorkspaceID   string          `json:"workspace_id,omitempty"`
	Workspace     string          `json:"workspace,omitempty"`
	Channel       string          `json:"channel"`
	Action        string          `json:"action"`
	Actor         string          `json:"actor,omitempty"`
	Target        string          `json:"target,omitempty"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	Status        int             `json:"status,omitempty"`
	DurationMS    float64         `json:"duration_ms,omitempty"`
	Payload       json.RawMessage `json:"payload,omitempty"`
}

// AuditPage is a page of the audit log, newest first.
type AuditPage struct {
	Entries    []AuditEntry `json:"entries"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// Teams are the application's: scimd says which users are in which, with
// which role. A synced group is a team of its own, keyed by its group
// key (group:engineering/platform), unless an operator links it to a
// team; the link holds to the group's id, so renaming the group in the
// identity provider keeps its team.

// TeamList is a workspace's linked teams and what teams get by default.
type TeamList struct {
	// Teams are the teams groups are linked to, by key.
	Teams []Team `json:"teams"`
	// DefaultTeam is the team every provisioned user is in; "" for
	// none.
	DefaultTeam string `json:"default_team"`
	// DefaultRole is the role in a team of the members of a group
	// linked without one, and of unlinked groups in their own.
	DefaultRole string `json:"default_role"`
}

// Team is a team and the groups linked to it.
type Team struct {
	Key    string      `json:"key"`
	Groups []TeamGroup `json:"groups"`
}

// TeamGroup is a group linked to a team.
type TeamGroup struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	ExternalID  string `json:"external_id,omitempty"`
	// Role is the role of the group's members in the team; "" for the
	// workspace's defaultTeamRole.
	Role   string    `json:"role,omitempty"`
	Linked time.Time `json:"linked"`
}

// TeamLink is a group's link to a team, as set.
type TeamLink struct {
	Team  string    `json:"team"`
	Role  string    `json:"role,omitempty"`
	Group TeamGroup `json:"group"`
}

// SchemaExtension is an extension schema declared for a workspace's
// resource type: its identity providers' requests may carry attributes
// under its URN, which scimd validates, stores, returns and filters on
// as it does core attributes.
type SchemaExtension struct {
	URN          string `json:"urn"`
	ResourceType string `json:"resource_type"` // User or Group
	// Required makes resources of the type invalid without it (RFC 7643
	// §6 schemaExtensions[].required).
	Required bool `json:"required"`
	// Schema is the RFC 7643 §7 schema document as scimd reads it, with
	// every characteristic spelt out.
	Schema  json.RawMessage `json:"schema"`
	Created time.Time       `json:"created"`
	Updated time.Time       `json:"updated"`
	// Notes, in the answer to a change, say what it does to the values
	// stored under the declaration it replaced.
	Notes []string `json:"notes,omitempty"`
}

// SchemaExtensionList is a workspace's declared extensions, by resource
// type and URN.
type SchemaExtensionList struct {
	Schemas []SchemaExtension `json:"schemas"`
}

// UndeclaredSchema is an extension a workspace's resources carry without
// its declaration (kept with the setting undeclaredExtensions "keep"),
// with a declaration proposed from what they carry.
type UndeclaredSchema struct {
	URN          string `json:"urn"`
	ResourceType string `json:"resource_type"` // User or Group
	// Resources is how many of the resources read carry it.
	Resources int `json:"resources"`
	// Sampled is how many resources of the type were read: the newest,
	// at most 1,000.
	Sampled int `json:"sampled"`
	// Schema is the proposed RFC 7643 §7 schema document, as
	// SchemaExtensionSet takes it.
	Schema json.RawMessage `json:"schema"`
}

// UndeclaredSchemaList is the undeclared extensions found, by resource
// type and URN.
type UndeclaredSchemaList struct {
	Schemas []UndeclaredSchema `json:"schemas"`
}

// SchemaExtensionSet declares an extension.
type SchemaExtensionSet struct {
	ResourceType string          `json:"resource_type"`
	Required     bool            `json:"required,omitempty"`
	Schema       json.RawMessage `json:"schema"`
}
