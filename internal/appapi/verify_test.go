package appapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

func TestVerify(t *testing.T) {
	e := newEnv(t)
	key := e.do("POST", "workspaces/acme/users/"+e.ada+"/api-keys", `{"name":"ci"}`).want(http.StatusCreated)
	sess := e.do("POST", "workspaces/acme/users/"+e.ada+"/sessions", `{"name":"Firefox","ttl":"8h"}`).want(http.StatusCreated)
	for _, tt := range []struct {
		secret string
		issued map[string]any
	}{{key["key"].(string), key}, {sess["token"].(string), sess}} {
		for range 2 { // from the store, then from the cache
			r := e.verify(tt.secret)
			u, _ := r["user"].(map[string]any)
			c, _ := r["credential"].(map[string]any)
			if r["valid"] != true || r["workspace"] != "acme" || r["reason"] != nil {
				t.Fatalf("verify = %v", r)
			}
			if u["id"] != e.ada || u["user_name"] != "ada@acme.test" || u["active"] != true ||
				fmt.Sprint(u["roles"], u["groups"], u["teams"]) != "[viewer] [] []" {
				t.Errorf("user %v", u)
			}
			for _, k := range []string{"id", "kind", "name", "created", "expires", "state"} {
				if fmt.Sprint(c[k]) != fmt.Sprint(tt.issued[k]) {
					t.Errorf("credential %s = %v, issued %v", k, c[k], tt.issued[k])
				}
			}
		}
	}

	// RFC 7662 §2.1 sends the token as a form.
	req := httptest.NewRequest("POST", "/v1/verify", strings.NewReader(url.Values{"token": {key["key"].(string)}, "token_type_hint": {"access_token"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+e.app)
	if r := e.doRaw(req).want(http.StatusOK); r["valid"] != true {
		t.Errorf("form verify = %v", r)
	}

	if n := e.counted("valid"); n != 5 {
		t.Errorf("%v valid verifications counted, want 5", n)
	}
}

// TestVerifyRefuses checks, through the API, that what ends a
// credential is refused from the very next verification.
func TestVerifyRefuses(t *testing.T) {
	deactivate := patch.Operation{Op: "replace", Path: "active", Value: false}
	for _, tt := range []struct {
		name   string
		config func(*store.WorkspaceConfig)
		change func(e *env, keyID string)
		reason string
	}{
		{"revoked", nil, func(e *env, keyID string) {
			e.do("DELETE", "workspaces/acme/users/"+e.ada+"/api-keys/"+keyID, "").want(http.StatusOK)
		}, access.ReasonRevoked},
		{"user deactivated", nil, func(e *env, _ string) { e.patchUser(e.ada, deactivate) }, access.ReasonRevoked},
		{"user deactivated, keys kept", func(c *store.WorkspaceConfig) { c.RevokeKeysOnDeactivate = false },
			func(e *env, _ string) { e.patchUser(e.ada, deactivate) }, access.ReasonUserInactive},
		{"user deleted, keys kept", func(c *store.WorkspaceConfig) { c.RevokeKeysOnDeactivate = false },
			func(e *env, _ string) {
				if _, err := e.prov.Delete(e.ctx, e.workspace(), schema.UserType, e.ada, ""); err != nil {
					t.Fatal(err)
				}
			}, access.ReasonUserDeleted},
		{"user deleted for good", func(c *store.WorkspaceConfig) { c.DeleteMode = store.DeleteHard },
			func(e *env, _ string) {
				if _, err := e.prov.Delete(e.ctx, e.workspace(), schema.UserType, e.ada, ""); err != nil {
					t.Fatal(err)
				}
			}, access.ReasonUnknown},
		{"expired", nil, func(e *env, _ string) { e.advance(time.Hour) }, access.ReasonExpired},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.config != nil {
				if _, err := e.st.UpdateWorkspace(e.ctx, "acme", func(w *store.Workspace) error { tt.config(&w.Config); return nil }); err != nil {
					t.Fatal(err)
				}
			}
			k := e.do("POST", "workspaces/acme/users/"+e.ada+"/api-keys", `{"name":"ci","expires_in":"1h"}`).want(http.StatusCreated)
			secret := k["key"].(string)
			if r := e.verify(secret); r["valid"] != true {
				t.Fatalf("before: %v", r)
			}
			tt.change(e, k["id"].(string))
			e.wantReason(secret, tt.reason)
			if n := e.counted(tt.reason); n != 1 {
				t.Errorf("%v verifications counted as %s, want 1", n, tt.reason)
			}
		})
	}
}

func TestVerifyOtherWorkspace(t *testing.T) {
	e := newEnv(t)
	other, err := e.ten.CreateWorkspace(e.ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.prov.Create(e.ctx, &other, schema.UserType, map[string]any{"userName": "eve@other.test"})
	if err != nil {
		t.Fatal(err)
	}
	theirs, _, err := e.iss.IssueAPIKey(e.ctx, other.ID, r.Resource.ID, "ci", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	theirApp, _, err := e.iss.CreateAppToken(e.ctx, other.ID, "their backend", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// Real, but another workspace's: as if it did not exist.
	e.wantReason(theirs, access.ReasonUnknown)
	if r := e.doAs(theirApp, "POST", "verify", `{"token":"`+theirs+`"}`).want(http.StatusOK); r["valid"] != true || r["workspace"] != "other" {
		t.Errorf("verified by its own workspace: %v", r)
	}
}

func TestVerifyInput(t *testing.T) {
	e := newEnv(t)
	scim, _, err := e.ten.CreateToken(e.ctx, "acme", "okta", 0)
	if err != nil {
		t.Fatal(err)
	}
	never, _, _ := e.hasher.MintKind(token.Session, e.acme.ID)
	// Secrets that are no user's credential are unknown, not errors.
	for _, s := range []string{"nonsense", scim, e.app, never} {
		e.wantReason(s, access.ReasonUnknown)
	}
	for _, tt := range []struct {
		body, contentType string
		status            int
		code              string
	}{
		{`{}`, "application/json", http.StatusBadRequest, "invalid_value"},
		{`{"token":""}`, "application/json", http.StatusBadRequest, "invalid_value"},
		{`{"token":1}`, "application/json", http.StatusBadRequest, "invalid_json"},
		{`{"token":"x","scope":"all"}`, "application/json", http.StatusBadRequest, "invalid_json"},
		{`["x"]`, "application/json", http.StatusBadRequest, "invalid_json"},
		{`{"token":"x"`, "application/json", http.StatusBadRequest, "invalid_json"},
		{`token=x`, "text/plain", http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{`token=%zz`, "application/x-www-form-urlencoded", http.StatusBadRequest, "invalid_value"},
		{`{"token":"` + strings.Repeat("x", 20000) + `"}`, "application/json", http.StatusRequestEntityTooLarge, "body_too_large"},
	} {
		req := httptest.NewRequest("POST", "/v1/verify", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", tt.contentType)
		req.Header.Set("Authorization", "Bearer "+e.app)
		e.doRaw(req).wantError(tt.status, tt.code)
	}
	e.do("GET", "verify", "").wantError(http.StatusMethodNotAllowed, "method_not_allowed")

	// curl -d '{"token": …}' sends JSON as a form: say which header to send.
	req := httptest.NewRequest("POST", "/v1/verify", strings.NewReader(` {"token":"`+e.app+`"}`))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+e.app)
	if msg := e.doRaw(req).wantError(http.StatusUnsupportedMediaType, "unsupported_media_type"); !strings.Contains(msg, "Content-Type: application/json") {
		t.Errorf("message %q does not say to send Content-Type: application/json", msg)
	}
}

// counted returns the verifications of acme counted with the result.
func (e *env) counted(result string) float64 {
	e.t.Helper()
	var m dto.Metric
	if err := e.counter.WithLabelValues("acme", result).Write(&m); err != nil {
		e.t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
