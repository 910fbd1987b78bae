package console_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// TestActivityPage shows what provisioning did in the last day: requests
// and failures by token with the identity provider and the last request,
// and the tokens that expire soon, as the admin API sums them up.
func TestActivityPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signIn()
	e.get("/admin/workspaces/acme").want(http.StatusOK).has(`href="/admin/workspaces/acme/activity"`)
	e.get("/admin/workspaces/acme/activity").want(http.StatusOK).has("<strong>0</strong> SCIM requests, none failed", "No SCIM request since then", "None expires within 30 days.")

	now := time.Now()
	if err := e.st.AppendAudit(e.ctx, []store.AuditEntry{
		{Time: now.Add(-2 * time.Hour), WorkspaceID: e.acmeID, Channel: "scim", Action: "user.create", Actor: "token:" + e.scimID, Status: 201,
			Payload: []byte(`{"token_id": "` + e.scimID + `", "token_name": "okta", "headers": {"user-agent": "Okta SCIM Client 1.0.0"}}`)},
		{Time: now.Add(-time.Hour), WorkspaceID: e.acmeID, Channel: "scim", Action: "user.patch", Actor: "token:" + e.scimID, Status: 409,
			Payload: []byte(`{"token_id": "` + e.scimID + `", "token_name": "<b>okta</b>", "headers": {"user-agent": "Okta SCIM Client 1.0.0"}}`)},
	}); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.api("POST", "/workspaces/acme/app-tokens", `{"name": "backend", "expires_in": "10d"}`); st != http.StatusCreated {
		t.Fatalf("app token: %d", st)
	}
	e.get("/admin/workspaces/acme/activity").want(http.StatusOK).has(
		"<strong>2</strong> SCIM requests, <strong class=\"bad\">1</strong> failed",
		"&lt;b&gt;okta&lt;/b&gt;", e.scimID, `<td data-label="Identity provider">okta<br><small>Okta SCIM Client 1.0.0</small></td>`,
		`<td data-label="Requests">2</td>`, `<td data-label="Failed" class="bad">1</td>`,
		`user.patch → <span class="bad">409</span>`,
		`href="/admin/audit?workspace=acme&amp;actor=token%3a`+e.scimID+`"`,
		"backend", "app token", "days left").lacks("<b>okta")
	e.get("/admin/workspaces/nope/activity").want(http.StatusNotFound).has("workspace_not_found")
}
