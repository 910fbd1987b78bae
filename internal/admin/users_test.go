package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
)

func TestListUsers(t *testing.T) {
	e := newEnv(t)
	svc := provision.New(e.st)
	for i := range 5 {
		body := map[string]any{
			"userName": fmt.Sprintf("user%d@acme.test", i),
			"active":   i != 3,
			"emails":   []any{map[string]any{"value": fmt.Sprintf("u%d@acme.test", i), "primary": true}},
		}
		if _, err := svc.Create(e.ctx, e.acmeID, schema.UserType, body); err != nil {
			t.Fatal(err)
		}
	}
	r := e.do("GET", "workspaces/acme/users?limit=2", "").want(http.StatusOK)
	var names, states []any
	for r != nil {
		for _, u := range r["users"].([]any) {
			names = append(names, u.(map[string]any)["user_name"])
			states = append(states, u.(map[string]any)["state"])
		}
		if r["total"] != 5.0 {
			t.Errorf("total %v", r["total"])
		}
		next, _ := r["next_cursor"].(string)
		if next == "" {
			break
		}
		r = e.do("GET", "workspaces/acme/users?limit=2&cursor="+url.QueryEscape(next), "").want(http.StatusOK)
	}
	if fmt.Sprint(names) != "[user0@acme.test user1@acme.test user2@acme.test user3@acme.test user4@acme.test]" ||
		fmt.Sprint(states) != "[active active active inactive active]" {
		t.Errorf("users %v, states %v", names, states)
	}

	r = e.do("GET", "workspaces/acme/users?filter="+url.QueryEscape("active eq false"), "").want(http.StatusOK)
	users := r["users"].([]any)
	if len(users) != 1 || users[0].(map[string]any)["email"] != "u3@acme.test" {
		t.Errorf("inactive users %v", users)
	}
}

func TestListUsersErrors(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "workspaces/nope/users", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	contains(t, e.do("GET", "workspaces/acme/users?filter="+url.QueryEscape("userName zz 1"), "").wantError(http.StatusBadRequest, CodeInvalidParameter), "filter")
	e.do("GET", "workspaces/acme/users?cursor=bogus", "").wantError(http.StatusBadRequest, CodeInvalidCursor)
	e.do("GET", "workspaces/acme/users?limit=0", "").wantError(http.StatusBadRequest, CodeInvalidParameter)
	e.do("GET", "workspaces/acme/users?limit=1001", "").wantError(http.StatusBadRequest, CodeInvalidParameter)
}
