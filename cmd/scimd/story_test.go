package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/webhook"
)

// TestStory follows one workspace through a joiner, a mover and a leaver,
// as an operator, two identity providers and the application see it,
// against a real "scimd serve" on a fresh SQLite database. Each act is
// checked through the surface its party uses: SCIM, the admin API, the
// application API (/v1), webhooks and the audit log.
//
// ada is provisioned by Okta and bob by Microsoft Entra ID, in the shapes
// each sends (see internal/server/idp_test.go). Okta pushes the groups
// Platform, Admins and Contractors; Entra pushes Engineering, with
// Platform nested in it.
func TestStory(t *testing.T) {
	const secret = "the installation secret of the story, at least 32 bytes"
	db := "sqlite:" + filepath.Join(t.TempDir(), "scimd.db")

	// Act 1. An operator starts scimd for the first time: the banner
	// shows the default workspace's SCIM token. An admin token made with
	// the CLI, on the same database while the server runs, opens the
	// admin API, through which the operator maps groups to roles, limits
	// which groups count, gives the application its token and registers
	// a webhook.
	hooks := newHookReceiver(t) // the application's webhook endpoint
	srv, scimToken := serveFirstRun(t, db, secret)
	var (
		okta   caller // an identity provider, with the workspace's SCIM token
		entra  caller
		admin  caller // an operator, with an admin token
		app    caller // the application, with an app token
		hookAt int64  // the seq of the last event before the webhook
	)
	var (
		ada, bob                                   string // user ids
		engineering, platform, admins, contractors string // group ids
		adaKey, adaSession, bobKey                 issued
	)
	act := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow() // later acts build on this one
		}
	}

	act("setup", func(t *testing.T) {
		if !strings.HasPrefix(scimToken, "scim_") {
			t.Fatalf("first-run banner: SCIM token %q, want scim_…", scimToken)
		}
		okta = caller{base: srv.url, token: scimToken, header: http.Header{
			"User-Agent":   {"Okta SCIM Client 1.0.0"},
			"Accept":       {"application/scim+json"},
			"Content-Type": {"application/scim+json; charset=utf-8"},
		}}
		entra = caller{base: srv.url, token: scimToken, header: http.Header{
			"Accept":       {"application/scim+json"},
			"Content-Type": {"application/scim+json"},
		}}
		// Okta's "Test API credentials".
		if list := okta.must(t, http.StatusOK, "GET", "/Users?startIndex=1&count=2", nil); list["totalResults"] != 0.0 {
			t.Fatalf("a fresh workspace lists %v users, want 0", list["totalResults"])
		}

		adminToken := runScimd(t, secret, "admin-token", "create", "--name", "story", "--db", db)
		if !strings.HasPrefix(adminToken, "scimd_admin_") {
			t.Fatalf("scimd admin-token create printed %q last, want the token", adminToken)
		}
		root := strings.TrimSuffix(srv.url, "/scim/v2")
		jsonHeader := http.Header{"Content-Type": {"application/json"}}
		admin = caller{base: root + "/admin/v1", token: adminToken, header: jsonHeader}

		cfg := admin.must(t, http.StatusOK, "PATCH", "/workspaces/default/scim-config", map[string]any{
			"roleMappings": []any{
				map[string]any{"group": "Engineering", "role": "developer"},
				// Platform is nested in Engineering: its path.
				map[string]any{"group": "Engineering/Platform", "role": "editor"},
				map[string]any{"group": "Admins", "role": "admin"},
				// Mapped, but left out of the allowlist: grants nothing.
				map[string]any{"group": "Contractors", "role": "billing"},
			},
			"groupAllowlist": []any{"Engineering", "Platform", "Admins"},
		})
		if cfg["strictMode"] != false || cfg["deleteMode"] != "soft" || len(cfg["roleMappings"].([]any)) != 4 {
			t.Fatalf("configuration after PATCH: %v", cfg)
		}

		appToken := admin.must(t, http.StatusCreated, "POST", "/workspaces/default/app-tokens", map[string]any{"name": "story app"})["token"].(string)
		app = caller{base: root + "/v1", token: appToken, header: jsonHeader}

		hookAt = feedHead(t, app)
		wh := admin.must(t, http.StatusCreated, "POST", "/workspaces/default/webhooks", map[string]any{"url": hooks.URL})
		if err := hooks.setSecret(wh["secret"].(string)); err != nil {
			t.Fatal(err)
		}
	})

	// Act 2. Joiners: Okta creates ada after looking her up, Entra creates
	// bob, and the groups arrive with their members. The application
	// issues ada an API key and a session; verifying either tells who she
	// is: the roles of Engineering (through Platform, nested in it) and
	// of Engineering/Platform, and the keys of both groups, but nothing of
	// Contractors, which is not allowlisted.
	act("joiner", func(t *testing.T) {
		if list := okta.must(t, http.StatusOK, "GET", "/Users?filter="+url.QueryEscape(`userName eq "ada@example.com"`)+"&startIndex=1&count=100", nil); list["totalResults"] != 0.0 {
			t.Fatalf("Okta's pre-check finds %v users named ada, want 0", list["totalResults"])
		}
		u := okta.must(t, http.StatusCreated, "POST", "/Users", map[string]any{
			"schemas":     []any{userURN},
			"userName":    "ada@example.com",
			"name":        map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
			"emails":      []any{map[string]any{"primary": true, "value": "ada@example.com", "type": "work"}},
			"displayName": "Ada Lovelace",
			"locale":      "en-GB",
			"externalId":  "00u1ada0000000000001",
			"groups":      []any{},
			"password":    "1mz050nq",
			"active":      true,
		})
		ada = u["id"].(string)
		if u["active"] != true || u["password"] != nil {
			t.Errorf("created ada: active %v, password %v; want true and none", u["active"], u["password"])
		}

		u = entra.must(t, http.StatusCreated, "POST", "/Users", map[string]any{
			"schemas":     []any{userURN, enterpriseURN},
			"externalId":  "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			"userName":    "bob@example.com",
			"active":      true,
			"emails":      []any{map[string]any{"primary": true, "type": "work", "value": "bob@example.com"}},
			"meta":        map[string]any{"resourceType": "User"},
			"name":        map[string]any{"formatted": "Bob Babbage", "familyName": "Babbage", "givenName": "Bob"},
			"roles":       []any{},
			enterpriseURN: map[string]any{"department": "Engineering", "employeeNumber": "1234"},
		})
		bob = u["id"].(string)

		engineering = entra.createGroup(t, "Engineering", "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")
		platform = entra.createGroup(t, "Platform", "2f6c5bd4-7e1b-4f5e-9d0a-0c4b1f6f7a11")
		admins = okta.createGroup(t, "Admins", "")
		contractors = okta.createGroup(t, "Contractors", "")
		// Group-in-group membership (RFC 7643 §4.2) nests Platform in
		// Engineering.
		entra.must(t, http.StatusNoContent, "PATCH", "/Groups/"+engineering, patchOp(
			map[string]any{"op": "Add", "path": "members", "value": []any{
				map[string]any{"$ref": nil, "value": bob},
				map[string]any{"$ref": nil, "value": platform, "type": "Group"},
			}}))
		for _, g := range []string{platform, contractors} {
			okta.must(t, http.StatusNoContent, "PATCH", "/Groups/"+g, patchOp(
				map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": ada, "display": "ada@example.com"}}}))
		}

		adaKey = app.issue(t, ada, "api-keys", map[string]any{"name": "ada's laptop", "expires_in": "90d"})
		adaSession = app.issue(t, ada, "sessions", map[string]any{"name": "Firefox", "ttl": "12h"})
		bobKey = app.issue(t, bob, "api-keys", map[string]any{"name": "bob's ci"})

		for _, secret := range []string{adaKey.secret, adaSession.secret} {
			v := app.verify(t, secret)
			if !v.Valid || v.Workspace != "default" || v.User.ID != ada || v.User.UserName != "ada@example.com" || !v.User.Active {
				t.Fatalf("verify ada's %s: %+v; want valid, ada of default, active", kindOf(secret), v)
			}
			if want := []string{"editor", "developer"}; !slices.Equal(v.User.Roles, want) {
				t.Errorf("ada's roles: %v, want %v (Engineering/Platform and Engineering; not Contractors)", v.User.Roles, want)
			}
			if want := []string{"group:engineering", "group:engineering/platform"}; !slices.Equal(v.User.Groups, want) {
				t.Errorf("ada's groups: %v, want %v", v.User.Groups, want)
			}
			// Both synced groups she is in, directly or through nesting,
			// are her teams, with the default team role.
			if got := fmt.Sprint(v.User.Teams); got != "[{group:engineering member} {group:engineering/platform member}]" {
				t.Errorf("ada's teams: %s, want Engineering and Platform, as member", got)
			}
		}
		v := app.verify(t, bobKey.secret)
		if !v.Valid || !slices.Equal(v.User.Roles, []string{"developer"}) || !slices.Equal(v.User.Groups, []string{"group:engineering"}) {
			t.Errorf("verify bob's key: %+v; want valid, developer of group:engineering", v)
		}
	})

	// Act 3. Mover: ada leaves Platform for Admins, in the membership
	// PATCHes of Okta's group push. Her roles follow: the reconciler
	// records the change as a user.roles_changed event and an audit entry.
	act("mover", func(t *testing.T) {
		at := feedHead(t, app)
		okta.with("X-Request-Id", "okta-move-1").must(t, http.StatusNoContent, "PATCH", "/Groups/"+platform, patchOp(
			map[string]any{"op": "remove", "path": fmt.Sprintf("members[value eq %q]", ada)}))
		okta.with("X-Request-Id", "okta-move-2").must(t, http.StatusNoContent, "PATCH", "/Groups/"+admins, patchOp(
			map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": ada, "display": "ada@example.com"}}}))

		var v verification
		eventually(t, "ada's key to verify with the role admin alone", func() bool {
			v = app.verify(t, adaKey.secret)
			return v.Valid && slices.Equal(v.User.Roles, []string{"admin"})
		})
		if want := []string{"group:admins"}; !slices.Equal(v.User.Groups, want) {
			t.Errorf("ada's groups after the move: %v, want %v", v.User.Groups, want)
		}

		isAdmin := func(data map[string]any) bool {
			after, _ := data["after"].(map[string]any)
			return fmt.Sprint(after["roles"]) == "[admin]" && fmt.Sprint(after["groups"]) == "[group:admins]"
		}
		awaitEvent(t, app, at, "user.roles_changed", ada, isAdmin)
		entry := awaitAudit(t, admin, url.Values{"workspace": {"default"}, "channel": {"effect"}, "action": {"user.roles_change"}, "target": {ada}},
			func(e map[string]any) bool { return isAdmin(e["payload"].(map[string]any)) })
		if entry["actor"] != "scimd:reconciler" {
			t.Errorf("audit entry of ada's new roles: actor %v, want scimd:reconciler", entry["actor"])
		}
		// The change is traced to a request that caused it: either, as
		// the reconciler may read the users' groups once both are in.
		if c := entry["correlation_id"]; c != "okta-move-2" && c != "okta-move-1" {
			t.Errorf("audit entry of ada's new roles: correlation id %v, want that of Okta's PATCH", c)
		}
	})

	// Act 4. Strict mode: roles come from groups only. Entra assigning
	// bob the role admin directly is refused with 403 and a SCIM error
	// that names the role, the refusal is audited, and bob keeps what his
	// groups grant.
	act("strict mode", func(t *testing.T) {
		cfg := admin.must(t, http.StatusOK, "PATCH", "/workspaces/default/scim-config", map[string]any{"strictMode": true})
		if cfg["strictMode"] != true {
			t.Fatalf("strictMode after PATCH: %v", cfg["strictMode"])
		}
		res := entra.with("X-Request-Id", "entra-bob-roles-1").send(t, "PATCH", "/Users/"+bob, patchOp(
			map[string]any{"op": "Add", "path": "roles", "value": []any{
				map[string]any{"primary": "True", "type": "WindowsAzureActiveDirectoryRole", "value": "admin"}}}))
		if res.status != http.StatusForbidden || !isSCIMError(res.body, http.StatusForbidden) || !strings.Contains(fmt.Sprint(res.body["detail"]), `"admin"`) {
			t.Errorf("PATCH bob's roles to admin in strict mode: %d %v; want 403, a SCIM error naming the role", res.status, res.body)
		}
		entry := awaitAudit(t, admin, url.Values{"workspace": {"default"}, "correlation_id": {"entra-bob-roles-1"}}, nil)
		if entry["channel"] != "scim" || entry["action"] != "user.patch" || entry["target"] != bob || entry["status"] != 403.0 {
			t.Errorf("audit entry of the refused PATCH: %v; want scim user.patch of bob, status 403", entry)
		}
		if u := entra.must(t, http.StatusOK, "GET", "/Users/"+bob, nil); u["roles"] != nil {
			t.Errorf("bob after the refused PATCH has roles %v, want none", u["roles"])
		}
		if v := app.verify(t, bobKey.secret); !v.Valid || !slices.Equal(v.User.Roles, []string{"developer"}) {
			t.Errorf("bob after the refused PATCH: %+v; want valid, developer", v)
		}
	})

	// Act 5. Leaver: Okta deactivates ada. The very next verification of
	// her key and her session, without waiting for anything, is refused:
	// they were revoked in the transaction of the SCIM write. The webhook
	// hears of it, and the audit log has the request under the id Okta
	// sent.
	act("leaver", func(t *testing.T) {
		res := okta.with("X-Request-Id", "okta-deactivate-ada-1").send(t, "PATCH", "/Users/"+ada, patchOp(
			map[string]any{"op": "replace", "value": map[string]any{"active": false}}))
		if res.status != http.StatusOK || res.body["active"] != false {
			t.Fatalf("Okta's deactivation of ada: %d %v; want 200, active false", res.status, res.body)
		}
		if got := res.header.Get("X-Request-Id"); got != "okta-deactivate-ada-1" {
			t.Errorf("X-Request-Id of the answer: %q, want the one sent", got)
		}
		for _, c := range []issued{adaKey, adaSession} {
			if v := app.verify(t, c.secret); v.Valid || v.Reason != "revoked" {
				t.Errorf("verify ada's %s right after her deactivation: %+v; want valid false, reason revoked", kindOf(c.secret), v)
			}
		}
		// Okta reads the user back: an inactive user stays retrievable.
		if u := okta.must(t, http.StatusOK, "GET", "/Users/"+ada, nil); u["active"] != false {
			t.Errorf("GET ada after her deactivation: active %v, want false", u["active"])
		}

		hooks.await(t, "user.deactivated", ada)
		for _, c := range []issued{adaKey, adaSession} {
			d := hooks.await(t, c.kind+".revoked", c.id)
			if cred, _ := d.data["credential"].(map[string]any); d.data["reason"] != "user.deactivated" || cred["userId"] != ada {
				t.Errorf("%s.revoked of %s: %v; want ada's, for user.deactivated", c.kind, c.id, d.data)
			}
		}
		entry := awaitAudit(t, admin, url.Values{"workspace": {"default"}, "correlation_id": {"okta-deactivate-ada-1"}}, nil)
		diff, _ := entry["payload"].(map[string]any)["diff"].(map[string]any)
		active, _ := diff["active"].(map[string]any)
		if entry["action"] != "user.patch" || entry["target"] != ada || entry["status"] != 200.0 || active["old"] != true || active["new"] != false {
			t.Errorf("audit entry of the deactivation: %v; want user.patch of ada, 200, active true → false", entry)
		}
	})

	// Act 6. The operator reactivates ada through the admin API. That
	// restores the account, not the credentials revoked with it: her old
	// key stays refused, and she gets a new one.
	act("reactivation", func(t *testing.T) {
		u := admin.must(t, http.StatusOK, "POST", "/workspaces/default/users/"+ada+"/reactivate", nil)
		if u["state"] != "active" {
			t.Fatalf("reactivated ada: state %v, want active", u["state"])
		}
		for _, c := range []issued{adaKey, adaSession} {
			if v := app.verify(t, c.secret); v.Valid || v.Reason != "revoked" {
				t.Errorf("verify ada's old %s after her reactivation: %+v; want valid false, reason revoked", kindOf(c.secret), v)
			}
		}
		adaKey = app.issue(t, ada, "api-keys", map[string]any{"name": "ada's new laptop"})
		if v := app.verify(t, adaKey.secret); !v.Valid || v.User.ID != ada || !v.User.Active {
			t.Errorf("verify ada's new key: %+v; want valid, ada, active", v)
		}
		hooks.await(t, "user.reactivated", ada)
	})

	// Act 7. ada is deleted (DELETE, as Entra and the Keycloak plugins
	// send it; Okta only deactivates). With deleteMode soft she leaves
	// SCIM at once but is kept for the grace period; the operator purges
	// her now, and the application hears of it.
	act("deletion", func(t *testing.T) {
		entra.must(t, http.StatusNoContent, "DELETE", "/Users/"+ada, nil)
		if res := entra.send(t, "GET", "/Users/"+ada, nil); res.status != http.StatusNotFound || !isSCIMError(res.body, http.StatusNotFound) {
			t.Errorf("GET ada after DELETE: %d %v; want 404 and a SCIM error", res.status, res.body)
		}
		if v := app.verify(t, adaKey.secret); v.Valid || v.Reason != "revoked" {
			t.Errorf("verify ada's new key after her deletion: %+v; want valid false, reason revoked", v)
		}

		deleted := admin.must(t, http.StatusOK, "GET", "/workspaces/default/users/deleted", nil)["users"].([]any)
		if len(deleted) != 1 || deleted[0].(map[string]any)["id"] != ada {
			t.Fatalf("soft-deleted users: %v, want ada alone", deleted)
		}
		d := deleted[0].(map[string]any)
		when, err1 := time.Parse(time.RFC3339Nano, fmt.Sprint(d["deleted"]))
		purgeAt, err2 := time.Parse(time.RFC3339Nano, fmt.Sprint(d["purge_at"]))
		// softDeleteGraceDays is 30 by default; the two times are taken
		// apart, so allow for the time between them.
		if grace := purgeAt.Sub(when); err1 != nil || err2 != nil || d["state"] != "soft_deleted" || (grace-30*24*time.Hour).Abs() > time.Minute {
			t.Errorf("ada soft-deleted: %v; want state soft_deleted, purge_at 30 days after deleted", d)
		}

		admin.must(t, http.StatusNoContent, "POST", "/workspaces/default/users/"+ada+"/purge", nil)
		p := hooks.await(t, "user.purged", ada)
		if placeholder, _ := p.data["placeholder"].(map[string]any); placeholder["id"] != "deleted-"+ada {
			t.Errorf("user.purged: %v; want the placeholder deleted-%s", p.data, ada)
		}
		// Her credentials went with her.
		if v := app.verify(t, adaKey.secret); v.Valid || v.Reason != "unknown" {
			t.Errorf("verify ada's key after her purge: %+v; want valid false, reason unknown", v)
		}
		if deleted := admin.must(t, http.StatusOK, "GET", "/workspaces/default/users/deleted", nil)["users"].([]any); len(deleted) != 0 {
			t.Errorf("soft-deleted users after the purge: %v, want none", deleted)
		}
	})

	// Act 8. The webhook received every event written since it was
	// registered, each once, each with a valid Standard Webhooks
	// signature and the seq of the outbox, which numbers the workspace's
	// events without gaps.
	act("webhook deliveries", func(t *testing.T) {
		feed := app.must(t, http.StatusOK, "GET", "/workspaces/default/events?limit=1000", nil)["events"].([]any)
		want := map[string]feedEvent{} // by id
		for i, e := range feed {
			ev := toFeedEvent(e)
			if ev.Seq != int64(i+1) {
				t.Fatalf("event %d of the feed has seq %d: the outbox has a gap or is out of order", i+1, ev.Seq)
			}
			if ev.Seq > hookAt {
				want[ev.ID] = ev
			}
		}
		eventually(t, fmt.Sprintf("all %d events to reach the webhook", len(want)), func() bool {
			got, _ := hooks.snapshot()
			n := 0
			for _, d := range got {
				if _, ok := want[d.id]; ok {
					n++
				}
			}
			return n >= len(want)
		})
		got, problems := hooks.snapshot()
		for _, p := range problems {
			t.Errorf("webhook: %s", p)
		}
		seen := map[int64]bool{}
		for _, d := range got {
			if seen[d.seq] {
				t.Errorf("event %d (%s %s) delivered more than once", d.seq, d.typ, d.id)
			}
			seen[d.seq] = true
			e, ok := want[d.id]
			switch {
			case !ok && d.seq > hookAt:
				t.Errorf("delivered %s (seq %d, %s of %s), which is not in the feed", d.id, d.seq, d.typ, d.subject)
			case ok && (e.Seq != d.seq || e.Type != d.typ || e.Subject != d.subject):
				t.Errorf("delivered %s as seq %d, %s of %s; the feed has seq %d, %s of %s", d.id, d.seq, d.typ, d.subject, e.Seq, e.Type, e.Subject)
			}
		}
	})

	// Act 9. The workspace's audit log tells ada's whole story, whoever
	// acted: the identity providers (channel scim), scimd itself
	// (effect) and the operator (admin).
	act("audit trail", func(t *testing.T) {
		want := []string{"scim user.create", "effect user.roles_change", "scim user.patch", "admin user.reactivate", "scim user.delete", "admin user.purge"}
		q := url.Values{"workspace": {"default"}, "target": {ada}, "limit": {"1000"}}
		var got []string
		missing := func() []string {
			got = got[:0]
			for _, e := range admin.must(t, http.StatusOK, "GET", "/audit?"+q.Encode(), nil)["entries"].([]any) {
				e := e.(map[string]any)
				got = append(got, fmt.Sprint(e["channel"], " ", e["action"]))
			}
			return slices.DeleteFunc(slices.Clone(want), func(a string) bool { return slices.Contains(got, a) })
		}
		deadline := time.Now().Add(patience)
		for m := missing(); len(m) > 0; m = missing() {
			if time.Now().After(deadline) {
				t.Fatalf("audit log of workspace default about ada lacks %q; it has %q", m, got)
			}
			time.Sleep(pollInterval)
		}
	})

	// The server stops cleanly, with exit status 0; under -race, a data
	// race found in it would have made that 66.
	act("shutdown", srv.stop)
}

const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	groupURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	entraGroupURN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
	patchOpURN    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	scimErrorURN  = "urn:ietf:params:scim:api:messages:2.0:Error"
)

const (
	// firstRunTokenLine comes before the SCIM token in the first-run
	// banner of "scimd serve".
	firstRunTokenLine = "Created workspace \"default\" and its SCIM token"
	// pollInterval is how often a test asks again for what scimd does
	// in the background.
	pollInterval = 10 * time.Millisecond
	// patience bounds every wait for what scimd does in the background:
	// long enough for a busy machine, so that it only ends a failing test.
	patience = 30 * time.Second
	// storyTimeout bounds a request, and the start of the server.
	storyTimeout = 20 * time.Second
)

// serveFirstRun starts "scimd serve" on a new database and returns it
// with the SCIM token its first-run banner shows.
func serveFirstRun(t *testing.T, dbURL, secret string) (*replica, string) {
	t.Helper()
	r := &replica{stderr: new(bytes.Buffer), done: make(chan struct{})}
	r.cmd = exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--db", dbURL)
	r.cmd.Env = scimdEnv(secret)
	r.cmd.Stderr = r.stderr
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type banner struct{ url, token string }
	ready := make(chan banner, 1)
	go func() {
		var (
			b         banner
			tokenNext bool // the token is the next line with text
		)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch m := bannerRE.FindStringSubmatch(line); {
			case m != nil:
				b.url = m[1]
			case strings.HasPrefix(line, firstRunTokenLine):
				tokenNext = true
			case tokenNext && line != "":
				b.token, tokenNext = line, false
				ready <- b
			}
		}
		io.Copy(io.Discard, stdout) // a line too long for the scanner
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			r.cmd.Process.Kill()
			<-r.done
		}
		if t.Failed() {
			t.Logf("scimd serve (pid %d) stderr:\n%s", r.cmd.Process.Pid, r.stderr)
		}
	})
	select {
	case b := <-ready:
		r.url = b.url
		return r, b.token
	case <-r.done:
		t.Fatalf("scimd serve exited before serving: %v\n%s", r.err, r.stderr)
	case <-time.After(storyTimeout):
		t.Fatalf("scimd serve showed no first-run banner within %s", storyTimeout)
	}
	return nil, ""
}

// caller sends requests as one party: an identity provider with the
// workspace's SCIM token, an operator with an admin token, or the
// application with an app token. Paths are relative to base.
type caller struct {
	base   string
	token  string
	header http.Header // sent with every request; Content-Type only with a body
}

// reply is an answer, its body decoded if it has one.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

var storyClient = &http.Client{Timeout: storyTimeout}

// with returns the caller sending a header more.
func (c caller) with(key, value string) caller {
	c.header = c.header.Clone()
	c.header.Set(key, value)
	return c
}

func (c caller) send(t *testing.T, method, path string, body any) reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.header {
		if body != nil || k != "Content-Type" {
			req.Header[k] = v
		}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := storyClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	res := reply{status: resp.StatusCode, header: resp.Header}
	if res.raw, err = io.ReadAll(resp.Body); err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	if len(res.raw) > 0 {
		if err := json.Unmarshal(res.raw, &res.body); err != nil {
			t.Fatalf("%s %s: %d, body not a JSON object: %v\n%s", method, path, res.status, err, res.raw)
		}
	}
	return res
}

// must sends a request that must answer want, and returns the body.
func (c caller) must(t *testing.T, want int, method, path string, body any) map[string]any {
	t.Helper()
	res := c.send(t, method, path, body)
	if res.status != want {
		t.Fatalf("%s %s: %d %s; want %d", method, path, res.status, res.raw, want)
	}
	return res.body
}

// createGroup creates an empty group as the identity provider does:
// Entra with its own schema URN and an externalId, Okta's group push with
// an empty members list. It returns the group's id.
func (c caller) createGroup(t *testing.T, name, externalID string) string {
	t.Helper()
	g := map[string]any{"schemas": []any{groupURN}, "displayName": name, "members": []any{}}
	if externalID != "" {
		g = map[string]any{
			"schemas":     []any{groupURN, entraGroupURN},
			"externalId":  externalID,
			"displayName": name,
			"meta":        map[string]any{"resourceType": "Group"},
		}
	}
	return c.must(t, http.StatusCreated, "POST", "/Groups", g)["id"].(string)
}

func patchOp(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []any{patchOpURN}, "Operations": ops}
}

// isSCIMError reports whether body is a SCIM error with this status
// (RFC 7644 §3.12: the status a string).
func isSCIMError(body map[string]any, status int) bool {
	schemas, _ := body["schemas"].([]any)
	return slices.Contains(schemas, any(scimErrorURN)) && body["status"] == fmt.Sprint(status)
}

// issued is a credential the application issued, with its secret.
type issued struct {
	id, kind, secret string
}

// issue issues a user an API key (what "api-keys") or a session
// ("sessions").
func (c caller) issue(t *testing.T, user, what string, body map[string]any) issued {
	t.Helper()
	res := c.must(t, http.StatusCreated, "POST", "/workspaces/default/users/"+user+"/"+what, body)
	cred := issued{id: fmt.Sprint(res["id"]), kind: fmt.Sprint(res["kind"])}
	prefix := "scimd_key_"
	cred.secret, _ = res["key"].(string)
	if what == "sessions" {
		prefix = "scimd_sess_"
		cred.secret, _ = res["token"].(string)
	}
	if !strings.HasPrefix(cred.secret, prefix) || res["user_id"] != user || res["state"] != "active" {
		t.Fatalf("issued %s: %v; want an active credential of %s, its secret %s…", what, res, user, prefix)
	}
	return cred
}

// kindOf names a credential by its secret, for messages.
func kindOf(secret string) string {
	if strings.HasPrefix(secret, "scimd_sess_") {
		return "session"
	}
	return "API key"
}

// verification is the answer of POST /v1/verify.
type verification struct {
	Valid     bool   `json:"valid"`
	Reason    string `json:"reason"`
	Workspace string `json:"workspace"`
	User      struct {
		ID       string   `json:"id"`
		UserName string   `json:"user_name"`
		Active   bool     `json:"active"`
		Roles    []string `json:"roles"`
		Groups   []string `json:"groups"`
		Teams    []struct {
			Key  string `json:"key"`
			Role string `json:"role"`
		} `json:"teams"`
	} `json:"user"`
}

func (c caller) verify(t *testing.T, secret string) verification {
	t.Helper()
	res := c.send(t, "POST", "/verify", map[string]any{"token": secret})
	var v verification
	if res.status != http.StatusOK {
		t.Fatalf("POST /v1/verify: %d %s", res.status, res.raw)
	}
	if err := json.Unmarshal(res.raw, &v); err != nil {
		t.Fatalf("POST /v1/verify: %v\n%s", err, res.raw)
	}
	return v
}

// feedEvent is an event of GET /v1/workspaces/{slug}/events.
type feedEvent struct {
	ID      string         `json:"id"`
	Seq     int64          `json:"seq"`
	Type    string         `json:"type"`
	Subject string         `json:"subject"`
	Data    map[string]any `json:"data"`
}

func toFeedEvent(v any) feedEvent {
	b, _ := json.Marshal(v)
	var e feedEvent
	json.Unmarshal(b, &e)
	return e
}

// feedHead returns the seq of the workspace's last event.
func feedHead(t *testing.T, app caller) int64 {
	t.Helper()
	var after int64
	for {
		page := app.must(t, http.StatusOK, "GET", fmt.Sprintf("/workspaces/default/events?after=%d&limit=1000", after), nil)
		if len(page["events"].([]any)) == 0 {
			return after
		}
		after = int64(page["next"].(float64))
	}
}

// awaitEvent long-polls the feed from after until an event of type typ
// about subject, whose data satisfy match, arrives.
func awaitEvent(t *testing.T, app caller, after int64, typ, subject string, match func(data map[string]any) bool) feedEvent {
	t.Helper()
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		page := app.must(t, http.StatusOK, "GET", fmt.Sprintf("/workspaces/default/events?after=%d&limit=1000&wait=1s", after), nil)
		for _, v := range page["events"].([]any) {
			if e := toFeedEvent(v); e.Type == typ && e.Subject == subject && match(e.Data) {
				return e
			}
		}
		after = int64(page["next"].(float64))
	}
	t.Fatalf("no %s event about %s in the feed within 5s", typ, subject)
	return feedEvent{}
}

// awaitAudit polls the audit log, which SCIM requests write in the
// background, until an entry matching query and match (nil: any) is in
// it, and returns the newest.
func awaitAudit(t *testing.T, admin caller, query url.Values, match func(entry map[string]any) bool) map[string]any {
	t.Helper()
	var found map[string]any
	eventually(t, "an audit entry of "+query.Encode(), func() bool {
		for _, e := range admin.must(t, http.StatusOK, "GET", "/audit?"+query.Encode(), nil)["entries"].([]any) {
			if e := e.(map[string]any); match == nil || match(e) {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

// eventually calls cond until it holds, and fails the test if it does
// not within patience.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", patience, what)
		}
		time.Sleep(pollInterval)
	}
}

// hookReceiver is the application's webhook endpoint. It verifies every
// delivery's signature, as a receiver must, and records what came.
type hookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	secret   []byte
	got      []delivered // in the order received
	problems []string
}

type delivered struct {
	id, typ, subject string
	seq              int64
	data             map[string]any
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) setSecret(s string) error {
	b, err := webhook.ParseSecret(s)
	h.mu.Lock()
	h.secret = b
	h.mu.Unlock()
	return err
}

func (h *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	id := r.Header.Get(webhook.HeaderID)
	if err == nil {
		err = webhook.Verify(h.secret, r.Header, body, time.Now())
	}
	var p struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err == nil {
		err = json.Unmarshal(body, &p)
	}
	if err == nil && p.Data["eventId"] != id {
		err = fmt.Errorf("data.eventId %v differs from %s %s", p.Data["eventId"], webhook.HeaderID, id)
	}
	if err != nil {
		h.problems = append(h.problems, fmt.Sprintf("delivery %s: %v", id, err))
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	seq, _ := p.Data["seq"].(float64)
	subject, _ := p.Data["subject"].(string)
	h.got = append(h.got, delivered{id: id, typ: p.Type, subject: subject, seq: int64(seq), data: p.Data})
	w.WriteHeader(http.StatusNoContent)
}

// snapshot returns what was received so far, and what was wrong.
func (h *hookReceiver) snapshot() ([]delivered, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got), slices.Clone(h.problems)
}

// await waits for a delivery of type typ about subject.
func (h *hookReceiver) await(t *testing.T, typ, subject string) delivered {
	t.Helper()
	var found delivered
	eventually(t, typ+" about "+subject+" to reach the webhook", func() bool {
		got, _ := h.snapshot()
		i := slices.IndexFunc(got, func(d delivered) bool { return d.typ == typ && d.subject == subject })
		if i >= 0 {
			found = got[i]
		}
		return i >= 0
	})
	return found
}
