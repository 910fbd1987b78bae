package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// directory is a small directory provisioned into acme: Bob is in
// Platform, nested in Engineering, and in Admins; Carol is in no group.
type directory struct {
	bob, carol, eng, platform, admins string
}

func (e *env) provision(typ *schema.ResourceType, body map[string]any) string {
	e.t.Helper()
	w, err := e.st.WorkspaceByID(e.ctx, e.acmeID)
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := provision.New(e.st).Create(e.ctx, &w, typ, body)
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Resource.ID
}

func newDirectory(e *env) directory {
	var d directory
	d.bob = e.provision(schema.UserType, map[string]any{"userName": "bob@acme.test", "roles": []any{map[string]any{"value": "billing"}, map[string]any{"value": "wizard"}}})
	d.carol = e.provision(schema.UserType, map[string]any{"userName": "carol@acme.test", "active": false})
	d.platform = e.provision(schema.GroupType, map[string]any{"displayName": "Platform", "members": []any{map[string]any{"value": d.bob}}})
	d.eng = e.provision(schema.GroupType, map[string]any{"displayName": "Engineering", "externalId": "eng-1", "members": []any{map[string]any{"value": d.platform}}})
	d.admins = e.provision(schema.GroupType, map[string]any{"displayName": "Admins", "members": []any{map[string]any{"value": d.bob}}})
	e.do("PATCH", "workspaces/acme", `{"config": {"roleMappings": [{"group": "Engineering", "role": "developer"}, {"group": "Admins", "role": "admin"}], "groupAllowlist": ["Engineering", "Platform"]}}`).want(http.StatusOK)
	e.do("PUT", "workspaces/acme/groups/"+d.platform+"/team", `{"team": "infra", "role": "lead"}`).want(http.StatusOK)
	return d
}

// decode decodes a response's body into a value of the API's types.
func decode[T any](r *response, status int) T {
	r.t.Helper()
	r.want(status)
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		r.t.Fatal(err)
	}
	return v
}

func TestListGroups(t *testing.T) {
	e := newEnv(t)
	newDirectory(e)
	page := decode[GroupPage](e.do("GET", "workspaces/acme/groups", ""), http.StatusOK)
	got := map[string]string{}
	for _, g := range page.Groups {
		team := "-"
		if g.Team != nil {
			team = g.Team.Key + "/" + g.Team.Role
		}
		var parents []string
		for _, p := range g.Parents {
			parents = append(parents, p.DisplayName)
		}
		got[g.DisplayName] = fmt.Sprintf("id=%v members=%d synced=%v roles=%v team=%s paths=%v parents=%v",
			g.ID != "", g.MemberCount, g.Synced, g.Roles, team, g.Paths, parents)
	}
	want := map[string]string{
		"Platform":    "id=true members=1 synced=true roles=[developer] team=infra/lead paths=[engineering/platform] parents=[Engineering]",
		"Engineering": "id=true members=1 synced=true roles=[developer] team=- paths=[engineering] parents=[]",
		"Admins":      "id=true members=1 synced=false roles=[] team=- paths=[admins] parents=[]",
	}
	if page.Total != 3 || len(got) != 3 {
		t.Fatalf("total %d, groups %v", page.Total, got)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s:\n got %s\nwant %s", name, got[name], w)
		}
	}

	tests := []struct{ filter, want string }{
		{`displayName sw "eng"`, "Engineering"},
		{`externalId eq "eng-1"`, "Engineering"},
		{`displayName eq "nobody"`, ""},
	}
	for _, tt := range tests {
		page := decode[GroupPage](e.do("GET", "workspaces/acme/groups?filter="+url.QueryEscape(tt.filter), ""), http.StatusOK)
		var names []string
		for _, g := range page.Groups {
			names = append(names, g.DisplayName)
		}
		if strings.Join(names, ",") != tt.want {
			t.Errorf("filter %s: %v, want %s", tt.filter, names, tt.want)
		}
	}

	first := decode[GroupPage](e.do("GET", "workspaces/acme/groups?limit=2", ""), http.StatusOK)
	next := decode[GroupPage](e.do("GET", "workspaces/acme/groups?limit=2&cursor="+url.QueryEscape(first.NextCursor), ""), http.StatusOK)
	if len(first.Groups) != 2 || first.NextCursor == "" || len(next.Groups) != 1 || next.NextCursor != "" {
		t.Errorf("pages of 2: %d then %d groups", len(first.Groups), len(next.Groups))
	}

	e.do("GET", "workspaces/acme/groups?filter="+url.QueryEscape("displayName zz 1"), "").wantError(http.StatusBadRequest, CodeInvalidParameter)
	e.do("GET", "workspaces/acme/groups?cursor=bogus", "").wantError(http.StatusBadRequest, CodeInvalidCursor)
	e.do("GET", "workspaces/nope/groups", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
}

func TestGetGroup(t *testing.T) {
	e := newEnv(t)
	d := newDirectory(e)
	for _, ref := range []string{d.eng, "eng-1"} {
		g := decode[GroupDetail](e.do("GET", "workspaces/acme/groups/"+ref, ""), http.StatusOK)
		if g.ID != d.eng || len(g.Members) != 1 || g.Members[0].ID != d.platform || g.Members[0].Type != "Group" || g.Members[0].Display != "Platform" {
			t.Errorf("group %s: %+v", ref, g)
		}
		if len(g.Grants) != 1 || g.Grants[0].Role != "developer" || g.Grants[0].Mapping != "engineering" || !strings.Contains(g.Grants[0].Why, "Engineering") {
			t.Errorf("grants %+v", g.Grants)
		}
	}
	// Members a page at a time.
	for i := range 2 {
		e.patchMembers(d.platform, e.provision(schema.UserType, map[string]any{"userName": fmt.Sprintf("u%d@acme.test", i)}))
	}
	var seen []string
	for cursor := ""; ; {
		g := decode[GroupDetail](e.do("GET", "workspaces/acme/groups/"+d.platform+"?limit=2&cursor="+cursor, ""), http.StatusOK)
		for _, m := range g.Members {
			seen = append(seen, m.ID)
		}
		if g.NextCursor == "" {
			break
		}
		cursor = g.NextCursor
	}
	if len(seen) != 3 {
		t.Errorf("members paged: %v", seen)
	}
	e.do("GET", "workspaces/acme/groups/nope", "").wantError(http.StatusNotFound, CodeGroupNotFound)
	e.do("GET", "workspaces/acme/groups/"+d.eng+"?cursor=x", "").wantError(http.StatusBadRequest, CodeInvalidCursor)
}

// patchMembers adds a member to a group through SCIM PATCH.
func (e *env) patchMembers(group, member string) {
	e.t.Helper()
	w, err := e.st.WorkspaceByID(e.ctx, e.acmeID)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.UpdateResource(e.ctx, w.ID, schema.GroupType.ID, group, false, func(*store.Resource) (*store.Update, error) {
		return &store.Update{Members: &store.MemberChange{Add: []string{member}}}, nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

func TestGetUser(t *testing.T) {
	e := newEnv(t)
	d := newDirectory(e)
	iss := access.NewIssuer(access.Config{Store: e.st, Hasher: e.hasher})
	secret, key, err := iss.IssueAPIKey(e.ctx, e.acmeID, d.bob, "laptop", e.now.AddDate(0, 0, 30))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Revoke(e.ctx, e.acmeID, d.bob, store.CredentialAPIKey, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := iss.IssueSession(e.ctx, e.acmeID, d.bob, "web", 0); err != nil {
		t.Fatal(err)
	}

	r := e.do("GET", "workspaces/acme/users/"+d.bob, "")
	if strings.Contains(string(r.body), secret) {
		t.Fatal("the answer shows a secret")
	}
	u := decode[UserDetail](r, http.StatusOK)
	if u.State != UserActive || u.UserName != "bob@acme.test" || u.SCIM["userName"] != "bob@acme.test" {
		t.Errorf("user %+v", u.User)
	}
	var groups []string
	for _, g := range u.Groups {
		groups = append(groups, fmt.Sprintf("%s direct=%v synced=%v %v", g.DisplayName, g.Direct, g.Synced, g.Paths))
	}
	if want := "[Admins direct=true synced=false [admins] Platform direct=true synced=true [engineering/platform] Engineering direct=false synced=true [engineering]]"; fmt.Sprint(groups) != want {
		t.Errorf("groups\n got %s\nwant %s", groups, want)
	}
	var roles []string
	for _, r := range u.Roles {
		for _, g := range r.Grants {
			roles = append(roles, r.Role+":"+g.Source+":"+g.GroupName)
		}
	}
	if want := "[billing:direct: developer:group:Engineering developer:group:Platform]"; fmt.Sprint(roles) != want {
		t.Errorf("roles\n got %s\nwant %s", roles, want)
	}
	var refused []string
	for _, r := range u.Refused {
		refused = append(refused, r.Role+":"+r.Reason)
	}
	if want := "[admin:allowlist wizard:not_a_role]"; fmt.Sprint(refused) != want {
		t.Errorf("refused %s, want %s", refused, want)
	}
	if fmt.Sprint(u.Teams) != "[{group:engineering member} {infra lead}]" || fmt.Sprint(u.GroupKeys) != "[group:engineering group:engineering/platform]" {
		t.Errorf("teams %v, keys %v", u.Teams, u.GroupKeys)
	}
	var creds []string
	for _, c := range u.Credentials {
		creds = append(creds, c.Kind+":"+c.Name+":"+c.State)
	}
	if want := "[api_key:laptop:revoked session:web:active]"; fmt.Sprint(creds) != want {
		t.Errorf("credentials %s, want %s", creds, want)
	}
	if !strings.Contains(u.Links.Audit, "target="+d.bob) {
		t.Errorf("links %+v", u.Links)
	}

	// The audit link works.
	e.do("GET", strings.TrimPrefix(u.Links.Audit, Prefix+"/"), "").want(http.StatusOK)

	// Strict mode ignores direct roles.
	e.do("PATCH", "workspaces/acme", `{"config": {"strictMode": true}}`).want(http.StatusOK)
	u = decode[UserDetail](e.do("GET", "workspaces/acme/users/"+d.bob, ""), http.StatusOK)
	refused = nil
	for _, r := range u.Refused {
		refused = append(refused, r.Role+":"+r.Reason)
	}
	if want := "[admin:allowlist billing:strict_mode wizard:not_a_role]"; fmt.Sprint(refused) != want {
		t.Errorf("strict: refused %s, want %s", refused, want)
	}

	c := decode[UserDetail](e.do("GET", "workspaces/acme/users/"+d.carol, ""), http.StatusOK)
	if c.State != UserSuspended || len(c.Groups) != 0 || len(c.Roles) != 1 || c.Roles[0].Grants[0].Source != "default" {
		t.Errorf("carol %+v", c)
	}
	e.do("GET", "workspaces/acme/users/usr_nope", "").wantError(http.StatusNotFound, CodeUserNotFound)
}

func TestExplainAccess(t *testing.T) {
	e := newEnv(t)
	d := newDirectory(e)
	iss := access.NewIssuer(access.Config{Store: e.st, Hasher: e.hasher})
	secret, _, err := iss.IssueAPIKey(e.ctx, e.acmeID, d.bob, "laptop", e.now.AddDate(0, 0, 30))
	if err != nil {
		t.Fatal(err)
	}
	a := decode[UserAccess](e.do("GET", "workspaces/acme/users/"+d.bob+"/access", ""), http.StatusOK)

	// The answer is what verification answers.
	v := access.NewVerifier(access.Config{Store: e.st, Hasher: e.hasher})
	defer v.Close()
	res, err := v.Verify(e.ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Valid || a.User == nil || !res.Valid ||
		fmt.Sprint(a.User.Roles) != fmt.Sprint(res.User.Roles) || fmt.Sprint(a.User.Groups) != fmt.Sprint(res.User.Groups) ||
		fmt.Sprint(a.User.Teams) != fmt.Sprint(res.User.Teams) {
		t.Errorf("explained %+v, verify answers %+v", a.User, res.User)
	}
	if len(a.Credentials) != 1 || !a.Credentials[0].Valid {
		t.Errorf("credentials %+v", a.Credentials)
	}
	reasoning := strings.Join(a.Reasoning, "\n")
	contains(t, reasoning, "is active", `Role developer: role mapping "engineering" matches "engineering" of group "Engineering"`,
		"Role billing: assigned to the user directly", `Not role admin: role mapping "admins" matches "admins" of group "Admins", which the group allowlist does not sync`,
		`Group "Admins" is not in the workspace's groupAllowlist`, "1 of the user's 1 API keys and sessions verify now")

	c := decode[UserAccess](e.do("GET", "workspaces/acme/users/"+d.carol+"/access", ""), http.StatusOK)
	if c.Valid || c.Reason != access.ReasonUserInactive {
		t.Errorf("carol: valid %v, reason %q", c.Valid, c.Reason)
	}
	contains(t, strings.Join(c.Reasoning, "\n"), "is suspended", "user_inactive", "has no API key or session")
}

func TestListUsersRoles(t *testing.T) {
	e := newEnv(t)
	d := newDirectory(e)
	if _, err := e.st.SetUserRoles(e.ctx, e.acmeID, d.bob, store.UserRoles{Roles: []string{"developer", "billing"}}, func(store.UserRoles, bool) store.Effects {
		return store.Effects{Events: []store.NewEvent{store.NewEvent{Type: "user.roles_changed", Subject: d.bob, Data: []byte("{}")}}}
	}); err != nil {
		t.Fatal(err)
	}
	page := decode[UserPage](e.do("GET", "workspaces/acme/users", ""), http.StatusOK)
	got := map[string]string{}
	for _, u := range page.Users {
		got[u.UserName] = fmt.Sprint(u.Roles)
	}
	if got["bob@acme.test"] != "[developer billing]" || got["carol@acme.test"] != "[]" {
		t.Errorf("roles %v", got)
	}
}
