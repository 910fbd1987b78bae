package admin

import (
	"encoding/json"

	api "github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/store"
)

// The API's answers are defined in package client/admin, where Go
// programs outside this module can name them; the handlers use these
// names for them.
type (
	Token            = api.Token
	NewToken         = api.NewToken
	NewSetupLink     = api.NewSetupLink
	SetupLinkList    = api.SetupLinkList
	Setup            = api.Setup
	TokenList        = api.TokenList
	Workspace        = api.Workspace
	WorkspaceList    = api.WorkspaceList
	User             = api.User
	UserPage         = api.UserPage
	UserList         = api.UserList
	Webhook          = api.Webhook
	NewWebhook       = api.NewWebhook
	WebhookList      = api.WebhookList
	Delivery         = api.Delivery
	DeliveryAttempt  = api.DeliveryAttempt
	DeliveryPage     = api.DeliveryPage
	Redelivery       = api.Redelivery
	DeliveryDetail   = api.DeliveryDetail
	TestDelivery     = api.TestDelivery
	AuditEntry       = api.AuditEntry
	AuditPage        = api.AuditPage
	TeamList         = api.TeamList
	Team             = api.Team
	TeamGroup        = api.TeamGroup
	TeamLink         = api.TeamLink
	Group            = api.Group
	GroupTeam        = api.GroupTeam
	GroupRef         = api.GroupRef
	GroupPage        = api.GroupPage
	GroupDetail      = api.GroupDetail
	GroupMember      = api.GroupMember
	RoleGrant        = api.RoleGrant
	RoleRefusal      = api.RoleRefusal
	UserRole         = api.UserRole
	UserGroup        = api.UserGroup
	UserTeam         = api.UserTeam
	Credential       = api.Credential
	UserLinks        = api.UserLinks
	UserDetail       = api.UserDetail
	AccessUser       = api.AccessUser
	CredentialAnswer = api.CredentialAnswer
	UserAccess       = api.UserAccess

	SchemaExtension      = api.SchemaExtension
	SchemaExtensionList  = api.SchemaExtensionList
	UndeclaredSchemaList = api.UndeclaredSchemaList
	UndeclaredSchema     = api.UndeclaredSchema
	RoleMapping          = api.RoleMapping
	GroupMatches         = api.GroupMatches
	MappingMatch         = api.MappingMatch
	AllowlistMatch       = api.AllowlistMatch
	GroupMatch           = api.GroupMatch
	Activity             = api.Activity
	TokenActivity        = api.TokenActivity
	LastRequest          = api.LastRequest
	ExpiringToken        = api.ExpiringToken
	UserSeat             = api.UserSeat
)

// User states; see package client/admin.
const (
	UserActive      = api.UserActive
	UserSuspended   = api.UserSuspended
	UserSoftDeleted = api.UserSoftDeleted
	UserInvited     = api.UserInvited
)

// configOut returns a workspace's configuration as the API shows it.
// The two types have the same JSON, which a test checks, so the JSON of
// one decodes as the other.
func configOut(c store.WorkspaceConfig) api.WorkspaceConfig {
	var out api.WorkspaceConfig
	b, err := json.Marshal(c)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		// Plain values of the same shape: only a bug gets here.
		panic("admin: workspace configuration: " + err.Error())
	}
	return out
}
