package admin

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestSCIMConfig(t *testing.T) {
	e := newEnv(t)
	cfg := e.do("GET", "workspaces/acme/scim-config", "").want(http.StatusOK)
	if cfg["scimEnabled"] != true || cfg["deleteMode"] != "soft" {
		t.Errorf("config %v", cfg)
	}
	cfg = e.do("PATCH", "workspaces/acme/scim-config", `{"seatLimit":10,"defaultTeam":"eng"}`).want(http.StatusOK)
	if cfg["seatLimit"] != 10.0 || cfg["defaultTeam"] != "eng" || cfg["defaultRole"] != "viewer" {
		t.Errorf("after PATCH %v", cfg)
	}
	// PUT: what is left out takes its default.
	cfg = e.do("PUT", "workspaces/acme/scim-config", `{"defaultRole":"admin"}`).want(http.StatusOK)
	if cfg["defaultRole"] != "admin" || cfg["seatLimit"] != nil || cfg["defaultTeam"] != "" {
		t.Errorf("after PUT %v", cfg)
	}
	cfg = e.do("DELETE", "workspaces/acme/scim-config", "").want(http.StatusOK)
	if cfg["scimEnabled"] != false || cfg["defaultRole"] != "viewer" {
		t.Errorf("after DELETE %v", cfg)
	}
	if tk, _ := e.st.TokenByID(e.ctx, e.scimID); !tk.Revoked.IsZero() {
		t.Error("resetting the configuration revoked the token")
	}
	e.do("PATCH", "workspaces/acme/scim-config", `{"scimEnabled":true}`).want(http.StatusOK)

	entries := e.audit("config.*")
	if len(entries) != 4 {
		t.Fatalf("%d config entries, want 4", len(entries))
	}
	p := payload(t, entries[3]) // the first PATCH
	diff, _ := p["diff"].(map[string]any)
	if diff["seatLimit"] == nil || diff["defaultTeam"] == nil || len(diff) != 2 {
		t.Errorf("diff %v", p["diff"])
	}
	if entries[3].Action != "config.update" || entries[3].WorkspaceID != e.acmeID || entries[3].Actor != "admin_token:"+e.adminID {
		t.Errorf("entry %+v", entries[3])
	}
}

func TestSCIMConfigErrors(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "workspaces/nope/scim-config", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	e.do("PUT", "workspaces/nope/scim-config", `{}`).wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	e.do("DELETE", "workspaces/nope/scim-config", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	e.do("PATCH", "workspaces/acme/scim-config", "").wantError(http.StatusBadRequest, CodeInvalidJSON)
	contains(t, e.do("PATCH", "workspaces/acme/scim-config", `{"scimEnable":false}`).wantError(http.StatusBadRequest, CodeInvalidJSON),
		`unknown field "scimEnable"`, "the settings are")
	contains(t, e.do("PATCH", "workspaces/acme/scim-config", `{"strictMode":"yes"}`).wantError(http.StatusBadRequest, CodeInvalidJSON),
		`"strictMode"`, "true or false")
	msg := e.do("PUT", "workspaces/acme/scim-config", `{"scimEnabled":false,"seatLimit":0,"defaultTeamRole":"\n"}`).wantError(http.StatusBadRequest, CodeInvalidValue)
	contains(t, msg, "seatLimit", "defaultTeamRole")
	if w, _ := e.ten.Workspace(e.ctx, "acme"); !w.Config.SCIMEnabled {
		t.Error("a refused PUT disabled SCIM")
	}
}

func TestRotateConfigToken(t *testing.T) {
	e := newEnv(t)
	e.now = e.now.Add(time.Minute)
	newer := e.do("POST", "workspaces/acme/tokens", `{"name":"entra"}`).want(http.StatusCreated)
	r := e.do("POST", "workspaces/acme/scim-config/rotate-token", `{"overlap":"24h"}`).want(http.StatusCreated)
	prev := r["previous"].(map[string]any)
	if prev["id"] != newer["id"] || prev["state"] != "active" || prev["expires"] == nil {
		t.Errorf("rotated %v, want the newest token, ending in 24h", prev)
	}
	if tok, _ := r["token"].(string); tok == "" || r["name"] != "entra" {
		t.Errorf("new token %v", r)
	}
	// By id, ending at once.
	r = e.do("POST", "workspaces/acme/scim-config/rotate-token", `{"token_id":"`+e.scimID+`"}`).want(http.StatusCreated)
	if r["previous"].(map[string]any)["state"] != "revoked" {
		t.Errorf("previous %v", r["previous"])
	}
	e.do("POST", "workspaces/acme/scim-config/rotate-token", `{"token_id":"`+e.scimID+`"}`).wantError(http.StatusConflict, CodeTokenInactive)
	e.do("POST", "workspaces/acme/scim-config/rotate-token", `{"overlap":"forever"}`).wantError(http.StatusBadRequest, CodeInvalidValue)
	e.do("POST", "workspaces/nope/scim-config/rotate-token", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	e.do("POST", "workspaces/acme/scim-config/rotate-token", `{"token_id":"tok_nope"}`).wantError(http.StatusNotFound, CodeTokenNotFound)

	e.do("POST", "workspaces", `{"slug":"empty"}`).want(http.StatusCreated)
	e.do("POST", "workspaces/empty/scim-config/rotate-token", "").wantError(http.StatusConflict, CodeNoActiveToken)
}

// The audit entry of a change to a list setting shows the list as it was,
// even where the new list is written over the old one's storage.
func TestSCIMConfigDiffOfLists(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, before, after string
		removed, added      string
	}{
		{"groupAllowlist shorter", `{"groupAllowlist":["Eng*","Sales"]}`, `{"groupAllowlist":["Ops"]}`,
			`["Eng*","Sales"]`, `["Ops"]`},
		{"groupAllowlist same length", `{"groupAllowlist":["Eng*","Sales"]}`, `{"groupAllowlist":["Sales","Ops"]}`,
			`["Eng*"]`, `["Ops"]`},
		{"roleMappings", `{"roleMappings":[{"group":"Admins","role":"admin"},{"externalId":"00g1","role":"editor"}]}`,
			`{"roleMappings":[{"group":"Ops","role":"admin"}]}`,
			`[{"group":"Admins","role":"admin"},{"externalId":"00g1","role":"editor"}]`, `[{"group":"Ops","role":"admin"}]`},
		{"roles", `{"roles":[{"name":"viewer","rank":10},{"name":"admin","rank":40}]}`,
			`{"roles":[{"name":"viewer","rank":1}]}`,
			`[{"name":"viewer","rank":10},{"name":"admin","rank":40}]`, `[{"name":"viewer","rank":1}]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.do("PATCH", "workspaces/acme/scim-config", tt.before).want(http.StatusOK)
			e.do("PATCH", "workspaces/acme/scim-config", tt.after).want(http.StatusOK)
			r := e.do("GET", "audit?action=config.update", "").want(http.StatusOK)
			entries := r["entries"].([]any)
			if len(entries) != 2 {
				t.Fatalf("%d entries, want 2", len(entries))
			}
			diff, _ := entries[0].(map[string]any)["payload"].(map[string]any)["diff"].(map[string]any)
			if len(diff) != 1 {
				t.Fatalf("diff %v, want one setting", diff)
			}
			for _, ch := range diff {
				ch := ch.(map[string]any)
				if got := marshal(t, ch["removed"]); got != tt.removed {
					t.Errorf("removed %s, want %s", got, tt.removed)
				}
				if got := marshal(t, ch["added"]); got != tt.added {
					t.Errorf("added %s, want %s", got, tt.added)
				}
			}
		})
	}
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
