package appapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/patch"
)

func TestAPIKeys(t *testing.T) {
	e := newEnv(t)
	base := "workspaces/acme/users/" + e.ada + "/api-keys"
	k1 := e.do("POST", base, `{"name":"ci","expires_in":"90d"}`).want(http.StatusCreated)
	if !strings.HasPrefix(k1["key"].(string), "scimd_key_") || k1["kind"] != "api_key" || k1["name"] != "ci" ||
		k1["user_id"] != e.ada || k1["state"] != "active" || k1["revoked"] != nil || k1["token"] != nil {
		t.Fatalf("created %v", k1)
	}
	exp, _ := time.Parse(time.RFC3339Nano, k1["expires"].(string))
	if d := exp.Sub(e.clock()).Round(time.Second); d != 90*24*time.Hour {
		t.Errorf("expires in %v", d)
	}
	e.advance(time.Second)
	k2 := e.do("POST", base, `{"name":"deploy","expires":"2999-01-01T00:00:00Z"}`).want(http.StatusCreated)
	if k2["expires"] != "2999-01-01T00:00:00Z" {
		t.Errorf("expires %v", k2["expires"])
	}
	e.advance(time.Second)
	k3 := e.do("POST", base, `{"name":"forever"}`).want(http.StatusCreated)
	if k3["expires"] != nil {
		t.Errorf("a key without expiry expires %v", k3["expires"])
	}

	list := e.do("GET", base, "").want(http.StatusOK)["api_keys"].([]any)
	if len(list) != 3 {
		t.Fatalf("api keys %v", list)
	}
	for i, want := range []map[string]any{k1, k2, k3} {
		got := list[i].(map[string]any)
		if got["id"] != want["id"] || got["key"] != nil {
			t.Errorf("listed %v, created %v", got, want)
		}
	}

	r := e.do("DELETE", base+"/"+k1["id"].(string), "").want(http.StatusOK)
	if r["state"] != "revoked" || r["revoked_reason"] != "revoked" || r["revoked"] == nil {
		t.Errorf("revoked %v", r)
	}
	e.do("DELETE", base+"/"+k1["id"].(string), "").want(http.StatusOK) // again: no change
	if r := e.verify(k1["key"].(string)); r["reason"] != "revoked" {
		t.Errorf("verify revoked key: %v", r)
	}
	if r := e.verify(k2["key"].(string)); r["valid"] != true {
		t.Errorf("verify another key: %v", r)
	}
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	base := "workspaces/acme/users/" + e.ada + "/sessions"
	s1 := e.do("POST", base, "").want(http.StatusCreated)
	if !strings.HasPrefix(s1["token"].(string), "scimd_sess_") || s1["kind"] != "session" || s1["key"] != nil {
		t.Fatalf("created %v", s1)
	}
	created, _ := time.Parse(time.RFC3339Nano, s1["created"].(string))
	exp, _ := time.Parse(time.RFC3339Nano, s1["expires"].(string))
	if exp.Sub(created) != 24*time.Hour {
		t.Errorf("default session lasts %v", exp.Sub(created))
	}
	e.advance(time.Second) // for a plain creation order
	s2 := e.do("POST", base, `{"name":"Firefox on Linux","ttl":"30d"}`).want(http.StatusCreated)
	if s2["name"] != "Firefox on Linux" {
		t.Errorf("created %v", s2)
	}
	list := e.do("GET", base, "").want(http.StatusOK)["sessions"].([]any)
	if len(list) != 2 {
		t.Fatalf("sessions %v", list)
	}
	// An API key is not a session, and the other way round.
	k := e.do("POST", "workspaces/acme/users/"+e.ada+"/api-keys", `{"name":"ci"}`).want(http.StatusCreated)
	e.do("DELETE", base+"/"+k["id"].(string), "").wantError(http.StatusNotFound, "credential_not_found")
	e.do("DELETE", "workspaces/acme/users/"+e.ada+"/api-keys/"+s1["id"].(string), "").wantError(http.StatusNotFound, "credential_not_found")

	e.do("DELETE", base+"/"+s1["id"].(string), "").want(http.StatusOK)
	if r := e.verify(s1["token"].(string)); r["reason"] != "revoked" {
		t.Errorf("verify revoked session: %v", r)
	}

	// Sessions end.
	e.advance(24 * time.Hour)
	list = e.do("GET", base, "").want(http.StatusOK)["sessions"].([]any)
	if st := list[0].(map[string]any)["state"]; st != "revoked" {
		t.Errorf("revoked session listed as %v", st)
	}
	if st := list[1].(map[string]any)["state"]; st != "active" {
		t.Errorf("30-day session listed as %v after a day", st)
	}
}

func TestCredentialErrors(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob@acme.test")
	e.patchUser(bob, patch.Operation{Op: "replace", Path: "active", Value: false})
	keys := "workspaces/acme/users/" + e.ada + "/api-keys"
	sessions := "workspaces/acme/users/" + e.ada + "/sessions"
	for _, tt := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"POST", keys, `{}`, http.StatusBadRequest, "invalid_value"},
		{"POST", keys, `{"name":"ci","expires_in":"soon"}`, http.StatusBadRequest, "invalid_value"},
		{"POST", keys, `{"name":"ci","expires_in":"-1h"}`, http.StatusBadRequest, "invalid_value"},
		{"POST", keys, `{"name":"ci","expires":"2000-01-01T00:00:00Z"}`, http.StatusBadRequest, "invalid_value"},
		{"POST", keys, `{"name":"ci","expires":"2999-01-01T00:00:00Z","expires_in":"1h"}`, http.StatusBadRequest, "invalid_value"},
		{"POST", keys, `{"name":"ci","scope":"all"}`, http.StatusBadRequest, "invalid_json"},
		{"POST", keys, `{"name":7}`, http.StatusBadRequest, "invalid_json"},
		{"POST", sessions, `{"ttl":"31d"}`, http.StatusBadRequest, "invalid_value"},
		{"POST", sessions, `{"ttl":"0s"}`, http.StatusBadRequest, "invalid_value"},
		{"POST", "workspaces/acme/users/usr_nobody/api-keys", `{"name":"ci"}`, http.StatusNotFound, "user_not_found"},
		{"GET", "workspaces/acme/users/usr_nobody/sessions", ``, http.StatusNotFound, "user_not_found"},
		{"DELETE", "workspaces/acme/users/usr_nobody/sessions/cred_x", ``, http.StatusNotFound, "user_not_found"},
		{"DELETE", keys + "/cred_x", ``, http.StatusNotFound, "credential_not_found"},
		{"POST", "workspaces/acme/users/" + bob + "/api-keys", `{"name":"ci"}`, http.StatusConflict, "user_inactive"},
		{"POST", "workspaces/acme/users/" + bob + "/sessions", ``, http.StatusConflict, "user_inactive"},
		{"PUT", keys, `{}`, http.StatusMethodNotAllowed, "method_not_allowed"},
		{"GET", "workspaces/acme/users", ``, http.StatusNotFound, "route_not_found"},
	} {
		r := e.do(tt.method, tt.path, tt.body)
		if r.status != tt.status {
			t.Errorf("%s %s %s: %d %s, want %d", tt.method, tt.path, tt.body, r.status, r.body, tt.status)
			continue
		}
		r.wantError(tt.status, tt.code)
	}
	// Another user's key cannot be revoked through ada.
	bobKeys := "workspaces/acme/users/" + e.user("carol@acme.test") + "/api-keys"
	k := e.do("POST", bobKeys, `{"name":"ci"}`).want(http.StatusCreated)
	e.do("DELETE", keys+"/"+k["id"].(string), "").wantError(http.StatusNotFound, "credential_not_found")
	if r := e.verify(k["key"].(string)); r["valid"] != true {
		t.Errorf("carol's key after a refused revocation: %v", r)
	}
}
