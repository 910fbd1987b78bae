package admin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	api "github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/httpapi/httpapitest"
)

// referencePage documents the API's routes and error codes in tables,
// which the tests keep in step with the code.
var referencePage = filepath.Join("..", "..", "docs", "admin-api.md")

func TestReferencePage(t *testing.T) {
	httpapitest.CheckReference(t, referencePage, newAPI(nil), docRoutes(routes()))
}

// TestOpenAPIStatuses checks that every operation answers with the
// statuses it documents, and errors with the codes it names.
func TestOpenAPIStatuses(t *testing.T) {
	e := newEnv(t)
	doc := e.doAs("", "GET", "openapi.json", "")
	fill := strings.NewReplacer("{slug}", "acme", "{id}", e.scimID)
	httpapitest.CheckServed(t, doc.body, fill, func(method, path, body string) (int, []byte) {
		r := e.do(method, strings.TrimPrefix(path, Prefix+"/"), body)
		return r.status, r.body
	})
}

// TestSchemas checks the documented answers against the types the
// handlers answer with.
func TestSchemas(t *testing.T) {
	httpapitest.CheckSchema[api.Workspace](t, schemas, "Workspace")
	httpapitest.CheckSchema[api.WorkspaceList](t, schemas, "WorkspaceList")
	httpapitest.CheckSchema[api.Token](t, schemas, "Token")
	httpapitest.CheckSchema[api.TokenList](t, schemas, "TokenList")
	httpapitest.CheckSchema[api.NewToken](t, schemas, "NewToken")
	httpapitest.CheckSchema[api.User](t, schemas, "User")
	httpapitest.CheckSchema[api.UserPage](t, schemas, "UserList")
	httpapitest.CheckSchema[api.UserList](t, schemas, "DeletedUserList")
	httpapitest.CheckSchema[api.Webhook](t, schemas, "Webhook")
	httpapitest.CheckSchema[api.NewWebhook](t, schemas, "NewWebhook")
	httpapitest.CheckSchema[api.WebhookList](t, schemas, "WebhookList")
	httpapitest.CheckSchema[api.Delivery](t, schemas, "Delivery")
	httpapitest.CheckSchema[api.DeliveryAttempt](t, schemas, "DeliveryAttempt")
	httpapitest.CheckSchema[api.DeliveryPage](t, schemas, "DeliveryPage")
	httpapitest.CheckSchema[api.Redelivery](t, schemas, "Redelivery")
	httpapitest.CheckSchema[api.DeliveryDetail](t, schemas, "DeliveryDetail")
	httpapitest.CheckSchema[api.TestDelivery](t, schemas, "TestDelivery")
	httpapitest.CheckSchema[api.AuditEntry](t, schemas, "AuditEntry")
	httpapitest.CheckSchema[api.AuditPage](t, schemas, "AuditPage")
	httpapitest.CheckSchema[api.TeamList](t, schemas, "TeamList")
	httpapitest.CheckSchema[api.Team](t, schemas, "Team")
	httpapitest.CheckSchema[api.TeamGroup](t, schemas, "TeamGroup")
	httpapitest.CheckSchema[api.TeamLink](t, schemas, "TeamLink")
	httpapitest.CheckSchema[api.SchemaExtension](t, schemas, "SchemaExtension")
	httpapitest.CheckSchema[api.SchemaExtensionList](t, schemas, "SchemaExtensionList")
	httpapitest.CheckSchema[api.SchemaExtensionSet](t, schemas, "SchemaExtensionSet")
	httpapitest.CheckSchema[api.Group](t, schemas, "Group")
	httpapitest.CheckSchema[api.GroupPage](t, schemas, "GroupList")
	httpapitest.CheckSchema[api.GroupDetail](t, schemas, "GroupDetail")
	httpapitest.CheckSchema[api.UserDetail](t, schemas, "UserDetail")
	httpapitest.CheckSchema[api.UserAccess](t, schemas, "UserAccess")
	httpapitest.CheckSchema[api.CredentialAnswer](t, schemas, "CredentialAnswer")
	httpapitest.CheckSchema[api.GroupMatches](t, schemas, "GroupMatches")
	httpapitest.CheckSchema[api.MappingMatch](t, schemas, "MappingMatch")
	httpapitest.CheckSchema[api.AllowlistMatch](t, schemas, "AllowlistMatch")
	httpapitest.CheckSchema[api.GroupMatch](t, schemas, "GroupMatch")
	httpapitest.CheckSchema[api.Activity](t, schemas, "Activity")
	httpapitest.CheckSchema[api.TokenActivity](t, schemas, "TokenActivity")
	httpapitest.CheckSchema[api.LastRequest](t, schemas, "LastRequest")
	httpapitest.CheckSchema[api.ExpiringToken](t, schemas, "ExpiringToken")
	httpapitest.CheckSchema[api.UserSeat](t, schemas, "UserSeat")
}

// TestAuditActionsDocumented checks that the page names every audit
// action of the routes.
func TestAuditActionsDocumented(t *testing.T) {
	page, err := os.ReadFile(referencePage)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range routes() {
		if rt.action != "" && !strings.Contains(string(page), "`"+rt.action+"`") {
			t.Errorf("%s: audit action %s of %s %s is not documented", referencePage, rt.action, rt.method, rt.path)
		}
	}
}
