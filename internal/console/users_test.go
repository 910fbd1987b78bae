package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
)

// users provisions users into acme as an identity provider would, and
// returns their ids by userName.
type users struct {
	e   *env
	svc *provision.Service
	ids map[string]string
}

func newUsers(e *env) *users { return &users{e: e, svc: provision.New(e.st), ids: map[string]string{}} }

func (u *users) create(name, displayName string) string {
	u.e.t.Helper()
	ws, err := u.e.st.WorkspaceBySlug(u.e.ctx, "acme")
	if err != nil {
		u.e.t.Fatal(err)
	}
	r, err := u.svc.Create(u.e.ctx, &ws, schema.UserType, map[string]any{"userName": name, "displayName": displayName})
	if err != nil {
		u.e.t.Fatal(err)
	}
	u.ids[name] = r.Resource.ID
	return r.Resource.ID
}

// group provisions a group of acme with the members given by id.
func (u *users) group(name, externalID string, members ...string) string {
	u.e.t.Helper()
	ws, err := u.e.st.WorkspaceBySlug(u.e.ctx, "acme")
	if err != nil {
		u.e.t.Fatal(err)
	}
	ms := []any{}
	for _, m := range members {
		ms = append(ms, map[string]any{"value": m})
	}
	body := map[string]any{"displayName": name, "members": ms}
	if externalID != "" {
		body["externalId"] = externalID
	}
	r, err := u.svc.Create(u.e.ctx, &ws, schema.GroupType, body)
	if err != nil {
		u.e.t.Fatal(err)
	}
	return r.Resource.ID
}

func (u *users) suspend(name string) {
	u.e.t.Helper()
	ws, _ := u.e.st.WorkspaceBySlug(u.e.ctx, "acme")
	if _, err := u.svc.Patch(u.e.ctx, &ws, schema.UserType, u.ids[name], "", []patch.Operation{{Op: "replace", Path: "active", Value: false}}, false); err != nil {
		u.e.t.Fatal(err)
	}
}

func (u *users) delete(name string) {
	u.e.t.Helper()
	ws, _ := u.e.st.WorkspaceBySlug(u.e.ctx, "acme")
	if _, err := u.svc.Delete(u.e.ctx, &ws, schema.UserType, u.ids[name], ""); err != nil {
		u.e.t.Fatal(err)
	}
}

// state returns a user's state as the API lists it: "" if it is not
// among the workspace's users, "soft_deleted" if it is among the deleted.
func (u *users) state(name string) string {
	u.e.t.Helper()
	if d := find(u.e.apiOK("/workspaces/acme/users/deleted")["users"], "id", u.ids[name]); d != nil {
		return "soft_deleted"
	}
	q := url.Values{"filter": {fmt.Sprintf("userName eq %q", name)}}
	if x := find(u.e.apiOK("/workspaces/acme/users?" + q.Encode())["users"], "id", u.ids[name]); x != nil {
		return x["state"].(string)
	}
	return ""
}

func TestUsersPage(t *testing.T) {
	e := newEnv(t)
	u := newUsers(e)
	u.create("ada@acme.test", "Ada Lovelace")
	u.create("bob@acme.test", "Bob")
	u.create("cyd@acme.test", "Cyd")
	u.create("<script>alert(1)</script>", `"><img src=x>`)
	u.suspend("bob@acme.test")
	u.delete("cyd@acme.test")
	e.signIn()

	p := e.get("/admin/workspaces/acme/users").want(http.StatusOK).has(
		"3 users match.",
		"Ada Lovelace", `<td class="state active">active</td>`,
		`<td class="state suspended">suspended</td>`,
		`action="/admin/workspaces/acme/users/`+u.ids["bob@acme.test"]+`/reactivate"`,
		// cyd is among the soft-deleted, with its actions.
		`action="/admin/workspaces/acme/users/`+u.ids["cyd@acme.test"]+`/restore"`,
		`href="/admin/workspaces/acme/users/`+u.ids["cyd@acme.test"]+`/purge"`,
		// Hostile names are text.
		"&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x&gt;",
	).lacks("<script>alert", "<img src=x>")
	// Only a suspended user can be reactivated.
	if n := strings.Count(p.body, "/reactivate"); n != 1 {
		t.Errorf("%d reactivate forms, want 1", n)
	}

	// The filter is the API's SCIM filter.
	e.get("/admin/workspaces/acme/users?filter="+url.QueryEscape(`userName sw "b"`)).want(http.StatusOK).
		has("1 users match.", "bob@acme.test", `value="userName sw &#34;b&#34;"`).lacks("ada@acme.test")
	e.get("/admin/workspaces/acme/users?filter=" + url.QueryEscape("active eq false")).want(http.StatusOK).
		has("bob@acme.test").lacks("Ada Lovelace")
	// One the API refuses is shown with the API's message, and kept.
	e.get("/admin/workspaces/acme/users?filter="+url.QueryEscape("userName zz 1")).want(http.StatusBadRequest).
		has("invalid_parameter", "filter: ", `value="userName zz 1"`)
	e.get("/admin/workspaces/acme/users?cursor=bogus").want(http.StatusBadRequest).has("invalid_cursor")
	e.get("/admin/workspaces/nope/users").want(http.StatusNotFound).has("workspace &#34;nope&#34; does not exist")
}

func TestUsersPaging(t *testing.T) {
	e := newEnv(t)
	u := newUsers(e)
	for i := range 53 {
		u.create(fmt.Sprintf("user%02d@acme.test", i), "")
	}
	e.signIn()
	filter := url.QueryEscape(`userName sw "user"`)
	p := e.get("/admin/workspaces/acme/users?filter="+filter).want(http.StatusOK).has("53 users match.", "user00@acme.test", "user49@acme.test").lacks("user50@acme.test")
	next := regexp.MustCompile(`href="(/admin/workspaces/acme/users\?filter=[^"]*&amp;cursor=[^"]+)">Next page`).FindStringSubmatch(p.body)
	if next == nil {
		t.Fatalf("no next page link:\n%s", p.body)
	}
	e.get(strings.ReplaceAll(next[1], "&amp;", "&")).want(http.StatusOK).
		has("user50@acme.test", "user52@acme.test", "First page").lacks("user49@acme.test", "Next page")
}

func TestUserActions(t *testing.T) {
	e := newEnv(t)
	u := newUsers(e)
	u.create("ada@acme.test", "")
	u.create("bob@acme.test", "")
	u.create("cyd@acme.test", "")
	u.create("dan@acme.test", "")
	u.suspend("bob@acme.test")
	u.delete("cyd@acme.test")
	u.delete("dan@acme.test")
	e.signIn()

	t.Run("reactivate", func(t *testing.T) {
		// With every seat taken, the API's 403 is shown and bob stays
		// suspended.
		e.api("PATCH", "/workspaces/acme/scim-config", `{"seatLimit": 1}`)
		path := "/admin/workspaces/acme/users/" + u.ids["bob@acme.test"] + "/reactivate"
		e.post(path, url.Values{"filter": {"active eq false"}}).want(http.StatusForbidden).has("seat_limit", "bob@acme.test")
		if s := u.state("bob@acme.test"); s != "suspended" {
			t.Errorf("bob is %s after a refused reactivation", s)
		}
		if a := e.audited("user.reactivate"); a["status"] != 403.0 {
			t.Errorf("audit entry %v, want the refusal", a)
		}
		e.api("PATCH", "/workspaces/acme/scim-config", `{"seatLimit": null}`)
		p := e.post(path, url.Values{"filter": {"active eq false"}}).redirects("/admin/workspaces/acme/users?filter=active+eq+false")
		e.follow(p).want(http.StatusOK).has("Reactivated bob@acme.test (" + u.ids["bob@acme.test"] + ").")
		if s := u.state("bob@acme.test"); s != "active" {
			t.Errorf("bob is %s, want active", s)
		}
		if a := e.audited("user.reactivate"); a["status"] != 200.0 || a["target"] != u.ids["bob@acme.test"] {
			t.Errorf("audit entry %v", a)
		}
	})

	t.Run("restore", func(t *testing.T) {
		p := e.post("/admin/workspaces/acme/users/"+u.ids["cyd@acme.test"]+"/restore", nil).redirects("/admin/workspaces/acme/users")
		e.follow(p).want(http.StatusOK).has("Restored cyd@acme.test")
		if s := u.state("cyd@acme.test"); s != "active" {
			t.Errorf("cyd is %q, want active", s)
		}
		if a := e.audited("user.restore"); a["status"] != 200.0 || a["target"] != u.ids["cyd@acme.test"] {
			t.Errorf("audit entry %v", a)
		}
		// Restoring again: the API's 404.
		e.post("/admin/workspaces/acme/users/"+u.ids["cyd@acme.test"]+"/restore", nil).want(http.StatusNotFound).has("user_not_found")
	})

	t.Run("purge", func(t *testing.T) {
		path := "/admin/workspaces/acme/users/" + u.ids["dan@acme.test"] + "/purge"
		e.get(path).want(http.StatusOK).has("Purge user dan@acme.test ("+u.ids["dan@acme.test"]+") of workspace acme now?", "cannot be undone", `action="`+path+`"`)
		if s := u.state("dan@acme.test"); s != "soft_deleted" {
			t.Fatalf("dan is %q before the purge is confirmed", s)
		}
		p := e.post(path, nil).redirects("/admin/workspaces/acme/users")
		e.follow(p).want(http.StatusOK).has("Purged user " + u.ids["dan@acme.test"] + ".").lacks("dan@acme.test")
		if s := u.state("dan@acme.test"); s != "" {
			t.Errorf("dan is %q after the purge", s)
		}
		if a := e.audited("user.purge"); a["status"] != 204.0 || a["target"] != u.ids["dan@acme.test"] {
			t.Errorf("audit entry %v", a)
		}
		// An active user cannot be purged: the API's 404, on the page
		// that asked.
		e.post("/admin/workspaces/acme/users/"+u.ids["ada@acme.test"]+"/purge", nil).want(http.StatusNotFound).has("user_not_found", ">Purge</button>")
		if s := u.state("ada@acme.test"); s != "active" {
			t.Errorf("ada is %q", s)
		}
	})
}

func TestInviteUser(t *testing.T) {
	e := newEnv(t)
	u := newUsers(e)
	u.create("ada@acme.test", "Ada")
	e.signIn()
	e.get("/admin/workspaces/acme/users").want(http.StatusOK).has("Invited users", `action="/admin/workspaces/acme/users"`, `name="user_name"`, `name="display_name"`, `name="email"`)

	p := e.post("/admin/workspaces/acme/users", url.Values{"user_name": {"grace@acme.test"}, "display_name": {"Grace Hopper"}, "email": {"grace@acme.test"}}).
		redirects("/admin/workspaces/acme/users")
	invited := find(e.apiOK("/workspaces/acme/users/invited")["users"], "user_name", "grace@acme.test")
	if invited == nil || invited["display_name"] != "Grace Hopper" || invited["email"] != "grace@acme.test" || invited["state"] != "invited" {
		t.Fatalf("invited users %v", e.apiOK("/workspaces/acme/users/invited"))
	}
	id := invited["id"].(string)
	e.follow(p).want(http.StatusOK).has("Invited grace@acme.test ("+id+").",
		"<tr><td>grace@acme.test<br><small><code>"+id+"</code></small></td><td>Grace Hopper</td><td>grace@acme.test</td>")
	if a := e.audited("user.invite"); a["status"] != 201.0 || a["target"] != id {
		t.Errorf("audit entry %v", a)
	}
	// A userName alone will do; a hostile one is text.
	e.post("/admin/workspaces/acme/users", url.Values{"user_name": {"<script>alert(1)</script>"}}).redirects("/admin/workspaces/acme/users")
	e.get("/admin/workspaces/acme/users").want(http.StatusOK).has("&lt;script&gt;alert(1)&lt;/script&gt;").lacks("<script>alert")

	// Refused: the API's message, the form as it was sent, nobody new.
	for _, tt := range []struct {
		name   string
		form   url.Values
		status int
		says   string
	}{
		{"taken by a provisioned user", url.Values{"user_name": {"ADA@acme.test"}, "display_name": {"Other Ada"}}, http.StatusConflict, "user_name_taken"},
		{"taken by an invited user", url.Values{"user_name": {"grace@acme.test"}, "email": {"g2@acme.test"}}, http.StatusConflict, "already has the userName &#34;grace@acme.test&#34;"},
		{"no userName", url.Values{"display_name": {"Nobody"}}, http.StatusBadRequest, "user_name is required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := e.post("/admin/workspaces/acme/users", tt.form).want(tt.status).has(tt.says, "ada@acme.test")
			for _, k := range []string{"user_name", "display_name", "email"} {
				p.has(`name="` + k + `" value="` + tt.form.Get(k) + `"`)
			}
			if n := len(e.apiOK("/workspaces/acme/users/invited")["users"].([]any)); n != 2 {
				t.Errorf("%d invited users, want 2", n)
			}
			if a := e.audited("user.invite"); a["status"] != float64(tt.status) {
				t.Errorf("audit entry %v, want the refusal", a)
			}
		})
	}
	e.post("/admin/workspaces/nope/users", url.Values{"user_name": {"x"}}).want(http.StatusNotFound).has("workspace &#34;nope&#34; does not exist")
}

func TestDeleteInvitedUser(t *testing.T) {
	e := newEnv(t)
	u := newUsers(e)
	u.create("ada@acme.test", "Ada")
	e.signIn()
	e.post("/admin/workspaces/acme/users", url.Values{"user_name": {"grace@acme.test"}}).redirects("/admin/workspaces/acme/users")
	id := find(e.apiOK("/workspaces/acme/users/invited")["users"], "user_name", "grace@acme.test")["id"].(string)
	path := "/admin/workspaces/acme/users/invited/" + id + "/delete"
	e.get("/admin/workspaces/acme/users").want(http.StatusOK).has(`href="` + path + `"`)

	e.get(path).want(http.StatusOK).has("Delete invited user grace@acme.test ("+id+") of workspace acme?", "cannot be undone", `action="`+path+`"`)
	if n := len(e.apiOK("/workspaces/acme/users/invited")["users"].([]any)); n != 1 {
		t.Fatalf("%d invited users before the deletion is confirmed", n)
	}
	p := e.post(path, nil).redirects("/admin/workspaces/acme/users")
	e.follow(p).want(http.StatusOK).has("Deleted invited user " + id + ".").lacks("grace@acme.test")
	if n := len(e.apiOK("/workspaces/acme/users/invited")["users"].([]any)); n != 0 {
		t.Errorf("%d invited users after the deletion", n)
	}
	if a := e.audited("user.delete"); a["status"] != 204.0 || a["target"] != id {
		t.Errorf("audit entry %v", a)
	}
	// Again, or a provisioned user: the API's 404 on the page that asked,
	// and nothing changes.
	e.post(path, nil).want(http.StatusNotFound).has("user_not_found", ">Delete</button>")
	e.post("/admin/workspaces/acme/users/invited/"+u.ids["ada@acme.test"]+"/delete", nil).want(http.StatusNotFound).has("user_not_found")
	if s := u.state("ada@acme.test"); s != "active" {
		t.Errorf("ada is %q", s)
	}
}

// TestDeleteSuspendedUser: a suspended user has a Delete link that asks
// before the API deletes it for good; an active user is refused with the
// API's message.
func TestDeleteSuspendedUser(t *testing.T) {
	e := newEnv(t)
	u := newUsers(e)
	u.create("ada@acme.test", "Ada")
	u.create("bob@acme.test", "Bob")
	u.suspend("bob@acme.test")
	e.signIn()

	path := "/admin/workspaces/acme/users/suspended/" + u.ids["bob@acme.test"] + "/delete"
	p := e.get("/admin/workspaces/acme/users").want(http.StatusOK).has(`href="` + path + `"`)
	if n := strings.Count(p.body, "/delete\""); n != 1 {
		t.Errorf("%d delete links, want 1, for the one suspended user", n)
	}
	e.get(path).want(http.StatusOK).has("Delete suspended user bob@acme.test ("+u.ids["bob@acme.test"]+") of workspace acme for good?",
		"cannot be undone", `action="`+path+`"`)
	if s := u.state("bob@acme.test"); s != "suspended" {
		t.Fatalf("bob is %q before the deletion is confirmed", s)
	}
	p = e.post(path, nil).redirects("/admin/workspaces/acme/users")
	e.follow(p).want(http.StatusOK).has("Deleted user " + u.ids["bob@acme.test"] + " for good.").lacks("bob@acme.test")
	if s := u.state("bob@acme.test"); s != "" {
		t.Errorf("bob is %q after the deletion", s)
	}
	if a := e.audited("user.delete"); a["status"] != 204.0 || a["target"] != u.ids["bob@acme.test"] {
		t.Errorf("audit entry %v", a)
	}
	e.post("/admin/workspaces/acme/users/suspended/"+u.ids["ada@acme.test"]+"/delete", nil).want(http.StatusConflict).
		has("user_active", "deactivate it in its identity provider first", ">Delete</button>")
	if s := u.state("ada@acme.test"); s != "active" {
		t.Errorf("ada is %q", s)
	}
}
