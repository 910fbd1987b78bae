package admin

import (
	"net/http"
	"strings"
	"testing"
)

func TestRouteNotFound(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "nothing-here", "").wantError(http.StatusNotFound, CodeRouteNotFound)
	e.do("GET", "/elsewhere", "").wantError(http.StatusNotFound, CodeRouteNotFound)
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	r := e.do("PUT", "workspaces", `{}`)
	contains(t, r.wantError(http.StatusMethodNotAllowed, CodeMethodNotAllowed), "use GET, POST")
	if got := r.header.Get("Allow"); got != "GET, POST" {
		t.Errorf("Allow %q", got)
	}
	e.do("DELETE", "workspaces/acme/tokens", "").wantError(http.StatusMethodNotAllowed, CodeMethodNotAllowed)
}

func TestBadBodies(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		name, body, code, want string
		status                 int
	}{
		{"empty", "", CodeInvalidJSON, "empty", 400},
		{"syntax", `{"slug":`, CodeInvalidJSON, "not valid JSON", 400},
		{"array", `["acme2"]`, CodeInvalidJSON, "must be a JSON object", 400},
		{"trailing data", `{"slug":"a"} {}`, CodeInvalidJSON, "data after", 400},
		{"wrong type", `{"slug": 3}`, CodeInvalidJSON, `field "slug" must not be a JSON number; want a string`, 400},
		{"unknown field", `{"slug":"b","colour":"red"}`, CodeInvalidJSON, `unknown field "colour"`, 400},
		{"config wrong type", `{"slug":"c","config":{"seatLimit":"ten"}}`, CodeInvalidJSON, `field "config.seatLimit"`, 400},
		{"config list wrong type", `{"slug":"c","config":{"roles":"viewer:10"}}`, CodeInvalidJSON, `field "config.roles" must not be a JSON string; want a JSON array`, 400},
		{"config unknown setting", `{"slug":"c","config":{"seats":1}}`, CodeInvalidJSON, `unknown field "config.seats"; the settings are scimEnabled, `, 400},
		{"too large", `{"slug":"` + strings.Repeat("a", maxBody) + `"}`, CodeBodyTooLarge, "larger than", 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			contains(t, e.do("POST", "workspaces", tt.body).wantError(tt.status, tt.code), tt.want)
		})
	}
	req, _ := http.NewRequest("POST", Prefix+"/workspaces", strings.NewReader(`slug=x`))
	req.Header.Set("Authorization", "Bearer "+e.admin)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	e.doRaw(req).wantError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType)

	ws, err := e.ten.Workspaces(e.ctx)
	if err != nil || len(ws) != 1 {
		t.Errorf("workspaces after bad requests: %v, %v", ws, err)
	}
}
