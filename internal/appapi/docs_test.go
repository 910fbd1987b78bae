package appapi

import (
	"path/filepath"
	"testing"

	"github.com/scimd/scimd/internal/httpapi/httpapitest"
)

// referencePage documents the API's routes and error codes in tables,
// which the tests keep in step with the code.
var referencePage = filepath.Join("..", "..", "docs", "application-api.md")

func TestReferencePage(t *testing.T) {
	httpapitest.CheckReference(t, referencePage, newAPI(nil), docRoutes(routes()))
}

// TestSchemas checks the documented answers against the types the
// handlers answer with.
func TestSchemas(t *testing.T) {
	httpapitest.CheckSchema[credentialJSON](t, schemas, "Credential")
	httpapitest.CheckSchema[newCredentialJSON](t, schemas, "NewCredential")
	httpapitest.CheckSchema[apiKeyList](t, schemas, "APIKeyList")
	httpapitest.CheckSchema[sessionList](t, schemas, "SessionList")
	httpapitest.CheckSchema[userJSON](t, schemas, "VerifiedUser")
	httpapitest.CheckSchema[eventPage](t, schemas, "EventPage")
	httpapitest.CheckSchema[eventJSON](t, schemas, "Event")
}
