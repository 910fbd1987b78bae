package admin

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// TestActivity reads a workspace's requests of the last day back from the
// audit log, by token, with each one's last request and identity
// provider, and the tokens that expire within 30 days.
func TestActivity(t *testing.T) {
	e := newEnv(t)
	request := func(ago time.Duration, tokenID, action string, status int, ua string) store.AuditEntry {
		p, _ := json.Marshal(map[string]any{"method": "POST", "token_id": tokenID, "token_name": "okta", "headers": map[string]string{"user-agent": ua}})
		return store.AuditEntry{Time: e.now.Add(-ago), WorkspaceID: e.acmeID, Channel: "scim", Action: action,
			Actor: "token:" + tokenID, Status: status, Payload: p}
	}
	if err := e.st.AppendAudit(e.ctx, []store.AuditEntry{
		request(30*time.Hour, e.scimID, "user.create", 201, "Okta SCIM Client 1.0.0"), // the day before
		request(3*time.Hour, e.scimID, "user.create", 201, "Okta SCIM Client 1.0.0"),
		request(2*time.Hour, e.scimID, "user.patch", 409, "Okta SCIM Client 1.0.0"),
		request(time.Hour, "tok_entra", "group.patch", 204, "Azure AD SCIM Provisioning"),
	}); err != nil {
		t.Fatal(err)
	}
	// An app token that expires in 10 days, a SCIM token in 40.
	e.do("POST", "workspaces/acme/app-tokens", `{"name": "backend", "expires_in": "10d"}`).want(http.StatusCreated)
	e.do("POST", "workspaces/acme/tokens", `{"name": "later", "expires_in": "40d"}`).want(http.StatusCreated)

	a := decode[Activity](e.do("GET", "workspaces/acme/activity", ""), http.StatusOK)
	if a.Requests != 3 || a.Errors != 1 || !a.Since.Equal(e.now.Add(-24*time.Hour).UTC()) || len(a.Tokens) != 2 {
		t.Fatalf("activity %+v", a)
	}
	entra, okta := a.Tokens[0], a.Tokens[1]
	if entra.TokenID != "tok_entra" || entra.Requests != 1 || entra.Last.IdentityProvider != "entra" || entra.Last.Action != "group.patch" || entra.Last.Status != 204 {
		t.Errorf("the newest token's activity %+v", entra)
	}
	if okta.TokenID != e.scimID || okta.TokenName != "okta" || okta.Requests != 2 || okta.Errors != 1 || okta.Last.IdentityProvider != "okta" ||
		okta.Last.UserAgent != "Okta SCIM Client 1.0.0" || okta.Last.Status != 409 || okta.Last.AuditID == 0 {
		t.Errorf("okta's activity %+v", okta)
	}
	if len(a.Expiring) != 1 || a.Expiring[0].Name != "backend" || a.Expiring[0].Kind != "app" {
		t.Errorf("expiring %+v, want the app token alone", a.Expiring)
	}

	a = decode[Activity](e.do("GET", "workspaces/acme/activity?since=48h", ""), http.StatusOK)
	if a.Requests != 4 {
		t.Errorf("since 48h: %d requests, want 4", a.Requests)
	}
	e.do("GET", "workspaces/acme/activity?since=30d", "").wantError(http.StatusBadRequest, CodeInvalidParameter)
	e.do("GET", "workspaces/acme/activity?since=soon", "").wantError(http.StatusBadRequest, CodeInvalidParameter)
	e.do("GET", "workspaces/nope/activity", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
}
