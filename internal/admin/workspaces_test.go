package admin

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	api "github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/store"
)

func TestCreateWorkspace(t *testing.T) {
	e := newEnv(t)
	w := e.do("POST", "workspaces", `{"slug":"globex"}`).want(http.StatusCreated)
	if w["slug"] != "globex" || w["id"] == "" {
		t.Fatalf("created %v", w)
	}
	if cfg := w["config"].(map[string]any); cfg["scimEnabled"] != true || cfg["defaultRole"] != "viewer" {
		t.Errorf("config %v, want the defaults", cfg)
	}
	w = e.do("POST", "workspaces", `{"slug":"initech","config":{"defaultRole":"editor","seatLimit":5}}`).want(http.StatusCreated)
	if cfg := w["config"].(map[string]any); cfg["defaultRole"] != "editor" || cfg["seatLimit"] != 5.0 || cfg["createUsers"] != true {
		t.Errorf("config %v", cfg)
	}
	got, err := e.ten.Workspace(e.ctx, "initech")
	if err != nil || got.Config.DefaultRole != "editor" || got.Config.SeatLimit == nil || *got.Config.SeatLimit != 5 {
		t.Errorf("stored %+v, %v", got, err)
	}
}

func TestCreateWorkspaceErrors(t *testing.T) {
	e := newEnv(t)
	contains(t, e.do("POST", "workspaces", `{"slug":"acme"}`).wantError(http.StatusConflict, CodeWorkspaceExists), `"acme" already exists`)
	contains(t, e.do("POST", "workspaces", `{}`).wantError(http.StatusBadRequest, CodeInvalidValue), "slug is required")
	contains(t, e.do("POST", "workspaces", `{"slug":"Not_A_Slug"}`).wantError(http.StatusBadRequest, CodeInvalidValue), "lower-case letters")
	msg := e.do("POST", "workspaces", `{"slug":"bad-config","config":{"deleteMode":"never","softDeleteGraceDays":0}}`).wantError(http.StatusBadRequest, CodeInvalidValue)
	contains(t, msg, "deleteMode", "softDeleteGraceDays")
	if _, err := e.ten.Workspace(e.ctx, "bad-config"); err == nil {
		t.Error("a workspace was created with an invalid configuration")
	}
	if n := len(e.audit("workspace.create")); n != 4 {
		t.Errorf("%d workspace.create entries for 4 refused creates", n)
	}
}

func TestListAndGetWorkspaces(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "workspaces", `{"slug":"beta"}`).want(http.StatusCreated)
	list := e.do("GET", "workspaces", "").want(http.StatusOK)["workspaces"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["slug"] != "acme" || list[1].(map[string]any)["slug"] != "beta" {
		t.Errorf("workspaces %v", list)
	}
	w := e.do("GET", "workspaces/acme", "").want(http.StatusOK)
	if w["id"] != e.acmeID {
		t.Errorf("acme %v", w)
	}
	contains(t, e.do("GET", "workspaces/nope", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound), `"nope" does not exist`)
}

func TestPatchWorkspace(t *testing.T) {
	e := newEnv(t)
	w := e.do("PATCH", "workspaces/acme", `{"config":{"strictMode":true}}`).want(http.StatusOK)
	if cfg := w["config"].(map[string]any); cfg["strictMode"] != true || cfg["scimEnabled"] != true {
		t.Errorf("config %v", cfg)
	}
	e.do("PATCH", "workspaces/acme", `{"slug":"acme","config":{}}`).want(http.StatusOK)
	contains(t, e.do("PATCH", "workspaces/acme", `{"slug":"acme2"}`).wantError(http.StatusBadRequest, CodeInvalidValue), "cannot change")
	e.do("PATCH", "workspaces/nope", `{"config":{"strictMode":true}}`).wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	// One bad setting: none of them applies.
	e.do("PATCH", "workspaces/acme", `{"config":{"createUsers":false,"defaultRole":""}}`).wantError(http.StatusBadRequest, CodeInvalidValue)
	if got, _ := e.ten.Workspace(e.ctx, "acme"); !got.Config.CreateUsers || !got.Config.StrictMode {
		t.Errorf("config %+v after a refused change", got.Config)
	}
}

func TestDeleteWorkspace(t *testing.T) {
	e := newEnv(t)
	r := e.do("DELETE", "workspaces/acme", "")
	r.want(http.StatusNoContent)
	e.do("GET", "workspaces/acme", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	e.do("DELETE", "workspaces/acme", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	if _, err := e.st.TokenByID(e.ctx, e.scimID); err == nil {
		t.Error("the workspace's token survived it")
	}
	entries := e.audit("workspace.delete")
	if len(entries) != 2 || entries[1].Target != e.acmeID || entries[1].Status != 204 || entries[0].Status != 404 {
		t.Errorf("audit %+v", entries)
	}
}

// TestWorkspaceAnswerHasEverySetting checks that a workspace as the API
// shows it, typed for Go clients by package client/admin, carries every
// setting of the stored configuration with its value: a setting added to
// one and not the other fails here.
func TestWorkspaceAnswerHasEverySetting(t *testing.T) {
	e := newEnv(t)
	settings := func(ty reflect.Type) []string {
		var names []string
		for i := range ty.NumField() {
			name, _, _ := strings.Cut(ty.Field(i).Tag.Get("json"), ",")
			names = append(names, name)
		}
		slices.Sort(names)
		return names
	}
	if got, want := settings(reflect.TypeFor[api.WorkspaceConfig]()), settings(reflect.TypeFor[store.WorkspaceConfig]()); !slices.Equal(got, want) {
		t.Fatalf("client/admin.WorkspaceConfig has the settings %v; the store has %v: make them agree", got, want)
	}
	body := `{"config":{"scimEnabled":false,"createUsers":false,"syncDisplayName":false,"defaultRole":"editor",
		"defaultTeam":"eng","defaultTeamRole":"lead","revokeKeysOnDeactivate":false,"deleteMode":"hard",
		"softDeleteGraceDays":7,"strictMode":true,"seatLimit":9,"allowLinking":true,
		"roles":[{"name":"viewer","rank":10},{"name":"editor","rank":30},{"name":"lead","rank":40}],
		"roleMappings":[{"group":"Eng*","role":"editor"},{"externalId":"00g1","role":"lead"}],"groupAllowlist":["Eng*"]}}`
	w := e.do("PATCH", "workspaces/acme", body).want(http.StatusOK)
	stored := e.do("GET", "workspaces/acme/scim-config", "").want(http.StatusOK)
	if !reflect.DeepEqual(w["config"], stored) {
		t.Errorf("workspace config\n%v\nwant the stored\n%v", w["config"], stored)
	}
}
