package access_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

func TestVerifyValid(t *testing.T) {
	e := newEnv(t)
	ada := e.user("ada@acme.test")
	e.group("Engineering", ada)
	e.group("Admins", ada)
	key, kc := e.apiKey(ada)
	sess, sc := e.session(ada)
	if !strings.HasPrefix(key, "scimd_key_") || !strings.HasPrefix(sess, "scimd_sess_") {
		t.Fatalf("key %q, session %q", key, sess)
	}
	for _, tt := range []struct {
		secret string
		cred   store.Credential
	}{{key, kc}, {sess, sc}} {
		for range 2 { // from the store, then from the cache
			r := e.verify(tt.secret)
			if !r.Valid || r.Reason != "" {
				t.Fatalf("Verify(%s) = %+v", tt.cred.Kind, r)
			}
			if r.Credential.ID != tt.cred.ID || r.Credential.Kind != tt.cred.Kind || r.Credential.Name != tt.cred.Name ||
				!r.Credential.Expires.Equal(tt.cred.Expires) || r.Credential.Hash != nil {
				t.Errorf("credential %+v, want %+v", r.Credential, tt.cred)
			}
			if r.Workspace != "acme" || r.WorkspaceID != e.ws.ID {
				t.Errorf("workspace %q (%s)", r.Workspace, r.WorkspaceID)
			}
			u := r.User
			if u.ID != ada || u.UserName != "ada@acme.test" || u.DisplayName != "User ada@acme.test" || !u.Active {
				t.Errorf("user %+v", u)
			}
			if fmt.Sprint(u.Roles, u.Groups, u.Teams) != "[viewer] [group:admins group:engineering] [{group:admins member} {group:engineering member}]" {
				t.Errorf("access %v %v %v", u.Roles, u.Groups, u.Teams)
			}
		}
	}
	// A session lives a day by default.
	if got := sc.Expires.Sub(sc.Created); got != access.DefaultSessionTTL {
		t.Errorf("session lifetime %v", got)
	}
	if !kc.Expires.IsZero() {
		t.Errorf("API key expires %v", kc.Expires)
	}
}

// TestVerifyRefuses checks each reason for refusing a credential, each
// time right after the change that causes it, with the credential
// verified (and cached) before.
func TestVerifyRefuses(t *testing.T) {
	deactivate := []patch.Operation{{Op: "replace", Path: "active", Value: false}}
	for _, tt := range []struct {
		name    string
		session bool
		setup   func(e *env) // before the credential is issued
		change  func(e *env, userID string, c store.Credential)
		reason  string
	}{
		{name: "revoked by the application", reason: access.ReasonRevoked,
			change: func(e *env, u string, c store.Credential) {
				if _, err := e.iss.Revoke(e.ctx, e.ws.ID, u, c.Kind, c.ID); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "session revoked by the application", session: true, reason: access.ReasonRevoked,
			change: func(e *env, u string, c store.Credential) {
				if _, err := e.iss.Revoke(e.ctx, e.ws.ID, u, c.Kind, c.ID); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "user deactivated by the identity provider", reason: access.ReasonRevoked,
			change: func(e *env, u string, _ store.Credential) { e.patch(schema.UserType, u, deactivate...) }},
		{name: "session of a user deactivated", session: true, reason: access.ReasonRevoked,
			change: func(e *env, u string, _ store.Credential) { e.patch(schema.UserType, u, deactivate...) }},
		{name: "user deactivated, keys kept", reason: access.ReasonUserInactive,
			setup:  func(e *env) { e.configure(func(c *store.WorkspaceConfig) { c.RevokeKeysOnDeactivate = false }) },
			change: func(e *env, u string, _ store.Credential) { e.patch(schema.UserType, u, deactivate...) }},
		{name: "user made inactive by a bare store update", reason: access.ReasonUserInactive,
			change: func(e *env, u string, _ store.Credential) {
				_, err := e.st.UpdateResource(e.ctx, e.ws.ID, schema.UserType.ID, u, false, func(r *store.Resource) (*store.Update, error) {
					doc := map[string]any{}
					for k, v := range r.Doc {
						doc[k] = v
					}
					doc["active"] = false
					return &store.Update{Doc: doc}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}},
		{name: "user soft-deleted", reason: access.ReasonRevoked,
			change: func(e *env, u string, _ store.Credential) {
				if _, err := e.prov.Delete(e.ctx, e.workspace("acme"), schema.UserType, u, ""); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "user soft-deleted, keys kept", reason: access.ReasonUserDeleted,
			setup: func(e *env) { e.configure(func(c *store.WorkspaceConfig) { c.RevokeKeysOnDeactivate = false }) },
			change: func(e *env, u string, _ store.Credential) {
				if _, err := e.prov.Delete(e.ctx, e.workspace("acme"), schema.UserType, u, ""); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "user purged after a soft delete, keys kept", reason: access.ReasonUnknown,
			setup: func(e *env) { e.configure(func(c *store.WorkspaceConfig) { c.RevokeKeysOnDeactivate = false }) },
			change: func(e *env, u string, _ store.Credential) {
				if _, err := e.prov.Delete(e.ctx, e.workspace("acme"), schema.UserType, u, ""); err != nil {
					t.Fatal(err)
				}
				if _, err := e.prov.Purge(e.ctx, e.workspace("acme"), u); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "user deleted for good", reason: access.ReasonUnknown,
			setup: func(e *env) { e.configure(func(c *store.WorkspaceConfig) { c.DeleteMode = store.DeleteHard }) },
			change: func(e *env, u string, _ store.Credential) {
				if _, err := e.prov.Delete(e.ctx, e.workspace("acme"), schema.UserType, u, ""); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "workspace deleted", reason: access.ReasonUnknown,
			change: func(e *env, _ string, _ store.Credential) {
				if err := e.st.DeleteWorkspace(e.ctx, "acme"); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "session expired", session: true, reason: access.ReasonExpired,
			change: func(e *env, _ string, _ store.Credential) { e.advance(access.DefaultSessionTTL) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			u := e.user("ada@acme.test")
			issue := e.apiKey
			if tt.session {
				issue = e.session
			}
			secret, c := issue(u)
			e.wantValid(secret)
			e.wantValid(secret)
			tt.change(e, u, c)
			r := e.wantReason(secret, tt.reason)
			if tt.reason == access.ReasonUserInactive && (r.User == nil || r.User.Active) {
				t.Errorf("inactive user %+v", r.User)
			}
			e.wantReason(secret, tt.reason) // and again, from the cache or not
		})
	}
}

func TestVerifyExpiredAPIKey(t *testing.T) {
	e := newEnv(t)
	u := e.user("ada@acme.test")
	exp := e.clock().Add(time.Hour).Truncate(time.Second)
	secret, c, err := e.iss.IssueAPIKey(e.ctx, e.ws.ID, u, "ci", exp)
	if err != nil || !c.Expires.Equal(exp) {
		t.Fatalf("IssueAPIKey = %+v, %v", c, err)
	}
	e.wantValid(secret)
	e.set(exp.Add(-time.Nanosecond))
	e.wantValid(secret)
	e.set(exp)
	e.wantReason(secret, access.ReasonExpired)
}

func TestVerifyUnknown(t *testing.T) {
	e := newEnv(t)
	u := e.user("ada@acme.test")
	key, _ := e.apiKey(u)
	other, err := e.ten.CreateWorkspace(e.ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	scim, _, err := e.ten.CreateToken(e.ctx, "acme", "okta", 0)
	if err != nil {
		t.Fatal(err)
	}
	app, _, err := e.iss.CreateAppToken(e.ctx, e.ws.ID, "app", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	never, _, _ := e.hasher.MintKind(token.APIKey, e.ws.ID)
	elsewhere, _, _ := e.hasher.MintKind(token.Session, other.ID)
	// The key with the kind of a session: same workspace and random
	// part, another prefix, so another hash.
	asSession := token.SessionPrefix + strings.TrimPrefix(key, token.APIKeyPrefix)
	for name, secret := range map[string]string{
		"empty":                    "",
		"garbage":                  "hunter2",
		"truncated":                key[:len(key)-2],
		"never issued":             never,
		"another workspace's":      elsewhere,
		"a SCIM token":             scim,
		"an app token":             app,
		"an admin token":           func() string { s, _ := e.hasher.MintAdmin(); return s }(),
		"an API key as a session":  asSession,
		"an API key, upper case":   strings.ToUpper(key),
		"an API key with a suffix": key + "x",
	} {
		r := e.verify(secret)
		if r.Valid || r.Reason != access.ReasonUnknown || r.User != nil || r.Credential.ID != "" {
			t.Errorf("%s: %+v", name, r)
		}
	}
	e.wantValid(key)

	// VerifyIn admits the workspace's credentials only.
	if r, err := e.v.VerifyIn(e.ctx, other.ID, key); err != nil || r.Valid || r.Reason != access.ReasonUnknown {
		t.Errorf("VerifyIn(other workspace) = %+v, %v", r, err)
	}
	if r, err := e.v.VerifyIn(e.ctx, e.ws.ID, key); err != nil || !r.Valid {
		t.Errorf("VerifyIn(its workspace) = %+v, %v", r, err)
	}
}

// TestAccessFollowsChanges checks that what a verification says of a
// user's access follows the changes that decide it, at once.
func TestAccessFollowsChanges(t *testing.T) {
	e := newEnv(t)
	ada := e.user("ada@acme.test")
	eng := e.group("Engineering", ada)
	parent := e.group("R&D")
	key, _ := e.apiKey(ada)
	want := func(roles, groups, teams string) {
		t.Helper()
		u := e.wantValid(key)
		if got := fmt.Sprint(u.Roles, u.Groups, u.Teams); got != roles+" "+groups+" "+teams {
			t.Errorf("access %s, want %s %s %s", got, roles, groups, teams)
		}
	}
	want("[viewer]", "[group:engineering]", "[{group:engineering member}]")

	// A group joined: the user's own change.
	ops := func(op string, id string) []patch.Operation {
		return []patch.Operation{{Op: op, Path: "members", Value: []any{map[string]any{"value": id}}}}
	}
	other := e.group("Support")
	e.patch(schema.GroupType, other, ops("add", ada)...)
	want("[viewer]", "[group:engineering group:support]", "[{group:engineering member} {group:support member}]")
	e.patch(schema.GroupType, other, ops("remove", ada)...)
	want("[viewer]", "[group:engineering]", "[{group:engineering member}]")

	// A group nested, renamed or deleted: a change to the users under it.
	e.patch(schema.GroupType, parent, ops("add", eng)...)
	want("[viewer]", "[group:r&d group:r&d/engineering]", "[{group:r&d member} {group:r&d/engineering member}]")
	e.patch(schema.GroupType, eng, patch.Operation{Op: "replace", Path: "displayName", Value: "Platform"})
	want("[viewer]", "[group:r&d group:r&d/platform]", "[{group:r&d member} {group:r&d/platform member}]")
	if _, err := e.prov.Delete(e.ctx, e.workspace("acme"), schema.GroupType, parent, ""); err != nil {
		t.Fatal(err)
	}
	want("[viewer]", "[group:platform]", "[{group:platform member}]")

	// The workspace's configuration.
	e.configure(func(c *store.WorkspaceConfig) { c.DefaultRole = "editor"; c.DefaultTeam = "core" })
	want("[editor]", "[group:platform]", "[{group:platform member} {core member}]")
	e.configure(func(c *store.WorkspaceConfig) {
		c.RoleMappings = []roles.Mapping{{Group: "plat*", Role: "developer"}, {Group: "Admins", Role: "admin"}}
	})
	want("[developer]", "[group:platform]", "[{group:platform member} {core member}]")

	// The user's own attributes.
	e.patch(schema.UserType, ada, patch.Operation{Op: "replace", Path: "displayName", Value: "Ada L."})
	if u := e.wantValid(key); u.DisplayName != "Ada L." {
		t.Errorf("displayName %q", u.DisplayName)
	}
}

// TestGroupChangeKeepsOthersCached checks that a change to a group makes
// verifications read again only the users under it, unless they are more
// than a change names one by one, when every user of the workspace is
// read again.
func TestGroupChangeKeepsOthersCached(t *testing.T) {
	var (
		mu    sync.Mutex
		loads = map[string]int{}
	)
	e := newEnv(t, func(c *access.Config) {
		c.Access = func(ctx context.Context, ws *store.Workspace, u *store.Resource, groups []store.GroupNode) (access.Access, error) {
			mu.Lock()
			loads[u.ID]++
			mu.Unlock()
			return access.DefaultAccess(ctx, ws, u, groups)
		}
	})
	loaded := func(user string) int {
		mu.Lock()
		defer mu.Unlock()
		return loads[user]
	}
	ada, bob := e.user("ada@acme.test"), e.user("bob@acme.test")
	eng := e.group("Engineering", ada)
	e.group("Support", bob)
	adaKey, _ := e.apiKey(ada)
	bobKey, _ := e.apiKey(bob)
	e.wantValid(adaKey)
	e.wantValid(bobKey)

	// A user changed is read again, and no other.
	e.patch(schema.UserType, ada, patch.Operation{Op: "replace", Path: "displayName", Value: "Ada L."})
	if e.wantValid(adaKey); loaded(ada) != 2 {
		t.Errorf("a changed user read %d times, want twice", loaded(ada))
	}
	if e.wantValid(bobKey); loaded(bob) != 1 {
		t.Errorf("after another user's change, a user read %d times, want once", loaded(bob))
	}

	e.patch(schema.GroupType, eng, patch.Operation{Op: "replace", Path: "displayName", Value: "Platform"})
	if u := e.wantValid(adaKey); fmt.Sprint(u.Groups) != "[group:platform]" || loaded(ada) != 3 {
		t.Errorf("member of the renamed group: groups %v, read %d times; want [group:platform], read 3 times", u.Groups, loaded(ada))
	}
	if e.wantValid(bobKey); loaded(bob) != 1 {
		t.Errorf("a user of another group read %d times, want once", loaded(bob))
	}

	var many []string
	for i := range store.MaxUserChanges + 1 {
		many = append(many, e.user(fmt.Sprintf("user%d@acme.test", i)))
	}
	staff := e.group("Staff", many...)
	e.wantValid(bobKey)
	n := loaded(bob)
	e.patch(schema.GroupType, staff, patch.Operation{Op: "replace", Path: "displayName", Value: "Crew"})
	if e.wantValid(bobKey); loaded(bob) != n+1 {
		t.Errorf("after a change to %d users, a user of another group read %d more times, want once", len(many), loaded(bob)-n)
	}
}

func TestAccessFunc(t *testing.T) {
	var calls int
	fail := false
	e := newEnv(t, func(c *access.Config) {
		c.Access = func(ctx context.Context, ws *store.Workspace, u *store.Resource, groups []store.GroupNode) (access.Access, error) {
			calls++
			if fail {
				return access.Access{}, errors.New("policy broken")
			}
			var gs []string
			for _, g := range groups {
				gs = append(gs, g.ID)
			}
			return access.Access{Roles: []string{"admin:" + ws.Slug}, Groups: gs, Teams: map[string]int{"n": len(groups)}}, nil
		}
	})
	ada := e.user("ada@acme.test")
	g := e.group("Admins", ada)
	key, _ := e.apiKey(ada)
	for range 3 {
		u := e.wantValid(key)
		if fmt.Sprint(u.Roles, u.Groups, u.Teams) != fmt.Sprintf("[admin:acme] [%s] map[n:1]", g) {
			t.Errorf("access %v %v %v", u.Roles, u.Groups, u.Teams)
		}
	}
	if calls != 1 {
		t.Errorf("AccessFunc called %d times for 3 verifications of one user", calls)
	}
	// A failing AccessFunc fails verification rather than admitting
	// the user without its access.
	fail = true
	e.patch(schema.UserType, ada, patch.Operation{Op: "replace", Path: "displayName", Value: "Ada"})
	if r, err := e.v.Verify(e.ctx, key); err == nil || r.Valid {
		t.Errorf("Verify with a failing AccessFunc = %+v, %v", r, err)
	}
}

// deafStore hides the store's notifications, as if every one were lost.
type deafStore struct{ store.Store }

func (deafStore) Subscribe(func(store.Change)) func() { return func() {} }

// TestTTL checks that the cache asks the store again after the TTL, so
// that a lost notification leaves it wrong for that long at most.
func TestTTL(t *testing.T) {
	e := newEnv(t, func(c *access.Config) {
		c.Store = deafStore{c.Store}
		c.TTL = time.Minute
	})
	ada := e.user("ada@acme.test")
	key, c := e.apiKey(ada)
	e.wantValid(key)
	if _, err := e.iss.Revoke(e.ctx, e.ws.ID, ada, c.Kind, c.ID); err != nil {
		t.Fatal(err)
	}
	e.wantValid(key) // unheard of
	e.advance(time.Minute)
	e.wantReason(key, access.ReasonRevoked)
}

// TestInvalidationRace checks that a verification that read the store
// before a change does not cache what it read after the change is
// published: verifications run all along while a user is deactivated
// and reactivated, and each verification after a change returns must
// see it.
func TestInvalidationRace(t *testing.T) {
	e := newEnv(t)
	e.configure(func(c *store.WorkspaceConfig) { c.RevokeKeysOnDeactivate = false })
	ada := e.user("ada@acme.test")
	key, _ := e.apiKey(ada)
	stop := make(chan struct{})
	done := make(chan error)
	for range 4 {
		go func() {
			for {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				if _, err := e.v.Verify(e.ctx, key); err != nil {
					done <- err
					return
				}
			}
		}()
	}
	setActive := func(active bool) {
		_, err := e.st.UpdateResource(e.ctx, e.ws.ID, schema.UserType.ID, ada, false, func(r *store.Resource) (*store.Update, error) {
			doc := map[string]any{}
			for k, v := range r.Doc {
				doc[k] = v
			}
			doc["active"] = active
			return &store.Update{Doc: doc}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 200 {
		active := i%2 == 1
		setActive(active)
		r := e.verify(key)
		if r.Valid != active {
			t.Fatalf("round %d: user active %v, verification %+v", i, active, r)
		}
	}
	close(stop)
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestIssueErrors(t *testing.T) {
	e := newEnv(t)
	ada := e.user("ada@acme.test")
	bob := e.user("bob@acme.test")
	e.patch(schema.UserType, bob, patch.Operation{Op: "replace", Path: "active", Value: false})
	past := e.clock().Add(-time.Second)
	for _, tt := range []struct {
		name string
		err  error
		do   func() error
	}{
		{"API key without a name", access.ErrInvalid, func() error {
			_, _, err := e.iss.IssueAPIKey(e.ctx, e.ws.ID, ada, " ", time.Time{})
			return err
		}},
		{"API key with a long name", access.ErrInvalid, func() error {
			_, _, err := e.iss.IssueAPIKey(e.ctx, e.ws.ID, ada, strings.Repeat("k", 101), time.Time{})
			return err
		}},
		{"API key with a control character", access.ErrInvalid, func() error {
			_, _, err := e.iss.IssueAPIKey(e.ctx, e.ws.ID, ada, "ci\n", time.Time{})
			return err
		}},
		{"API key expired already", access.ErrInvalid, func() error {
			_, _, err := e.iss.IssueAPIKey(e.ctx, e.ws.ID, ada, "ci", past)
			return err
		}},
		{"API key of nobody", access.ErrUserNotFound, func() error {
			_, _, err := e.iss.IssueAPIKey(e.ctx, e.ws.ID, "usr_nobody", "ci", time.Time{})
			return err
		}},
		{"API key of an inactive user", access.ErrUserInactive, func() error {
			_, _, err := e.iss.IssueAPIKey(e.ctx, e.ws.ID, bob, "ci", time.Time{})
			return err
		}},
		{"session too long", access.ErrInvalid, func() error {
			_, _, err := e.iss.IssueSession(e.ctx, e.ws.ID, ada, "", access.MaxSessionTTL+time.Second)
			return err
		}},
		{"session of negative length", access.ErrInvalid, func() error {
			_, _, err := e.iss.IssueSession(e.ctx, e.ws.ID, ada, "", -time.Hour)
			return err
		}},
		{"session of an inactive user", access.ErrUserInactive, func() error {
			_, _, err := e.iss.IssueSession(e.ctx, e.ws.ID, bob, "", 0)
			return err
		}},
		{"listing for nobody", access.ErrUserNotFound, func() error {
			_, err := e.iss.Credentials(e.ctx, e.ws.ID, "usr_nobody", store.CredentialAPIKey)
			return err
		}},
		{"revoking nothing", access.ErrCredentialNotFound, func() error {
			_, err := e.iss.Revoke(e.ctx, e.ws.ID, ada, store.CredentialAPIKey, "cred_nope")
			return err
		}},
		{"app token without a name", access.ErrInvalid, func() error {
			_, _, err := e.iss.CreateAppToken(e.ctx, e.ws.ID, "", time.Time{})
			return err
		}},
		{"app token expired already", access.ErrInvalid, func() error {
			_, _, err := e.iss.CreateAppToken(e.ctx, e.ws.ID, "app", past)
			return err
		}},
	} {
		if err := tt.do(); !errors.Is(err, tt.err) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		}
	}
	if cs, _ := e.st.Credentials(e.ctx, e.ws.ID, ada); len(cs) != 0 {
		t.Errorf("refused issues stored %d credentials", len(cs))
	}
	if !errors.Is(access.ErrUserNotFound, store.ErrNotFound) || !errors.Is(access.ErrCredentialNotFound, store.ErrNotFound) {
		t.Error("not-found errors are not store.ErrNotFound")
	}
}

func TestCredentialsAndRevoke(t *testing.T) {
	e := newEnv(t)
	ada := e.user("ada@acme.test")
	bob := e.user("bob@acme.test")
	// A second apart, so that creation order is plain.
	_, k1 := e.apiKey(ada)
	e.advance(time.Second)
	_, s1 := e.session(ada)
	e.advance(time.Second)
	_, k2 := e.apiKey(ada)
	e.advance(time.Second)
	_, bk := e.apiKey(bob)

	ids := func(kind string) []string {
		t.Helper()
		cs, err := e.iss.Credentials(e.ctx, e.ws.ID, ada, kind)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			if c.Hash != nil {
				t.Error("a listing holds a hash")
			}
			out = append(out, c.ID)
		}
		return out
	}
	if got := ids(store.CredentialAPIKey); !slices.Equal(got, []string{k1.ID, k2.ID}) {
		t.Errorf("API keys %v", got)
	}
	if got := ids(store.CredentialSession); !slices.Equal(got, []string{s1.ID}) {
		t.Errorf("sessions %v", got)
	}

	// Revoking needs the right user and kind.
	for _, tt := range []struct{ user, kind, id string }{
		{bob, store.CredentialAPIKey, k1.ID},
		{ada, store.CredentialSession, k1.ID},
		{ada, store.CredentialAPIKey, bk.ID},
	} {
		if _, err := e.iss.Revoke(e.ctx, e.ws.ID, tt.user, tt.kind, tt.id); !errors.Is(err, access.ErrCredentialNotFound) {
			t.Errorf("Revoke(%s, %s, %s): %v", tt.user, tt.kind, tt.id, err)
		}
	}
	r, err := e.iss.Revoke(e.ctx, e.ws.ID, ada, store.CredentialAPIKey, k1.ID)
	if err != nil || r.Revoked.IsZero() || r.RevokedReason != access.ReasonRevokedByApp {
		t.Fatalf("Revoke = %+v, %v", r, err)
	}
	e.advance(time.Hour)
	again, err := e.iss.Revoke(e.ctx, e.ws.ID, ada, store.CredentialAPIKey, k1.ID)
	if err != nil || !again.Revoked.Equal(r.Revoked) {
		t.Errorf("revoking again: %+v, %v", again, err)
	}

	// Issuing and revoking are events.
	evs, err := e.st.Events(e.ctx, e.ws.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if strings.HasPrefix(ev.Type, "api_key.") || strings.HasPrefix(ev.Type, "session.") {
			got = append(got, ev.Type+" "+ev.Subject)
		}
	}
	want := []string{"api_key.created " + k1.ID, "session.created " + s1.ID, "api_key.created " + k2.ID,
		"api_key.created " + bk.ID, "api_key.revoked " + k1.ID}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestAppTokens checks the life of app tokens, and that the token
// machinery of the store serves them like other tokens.
func TestAppTokens(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	other, err := e.ten.CreateWorkspace(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	_, scim, err := e.ten.CreateToken(ctx, "acme", "okta", 0)
	if err != nil {
		t.Fatal(err)
	}
	exp := e.clock().Add(time.Hour).UTC().Truncate(time.Second)
	secret, app, err := e.iss.CreateAppToken(ctx, e.ws.ID, "backend", exp)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, token.AppPrefix) || app.Kind != store.TokenApp || app.Hash != nil || !app.Expires.Equal(exp) {
		t.Fatalf("created %q, %+v", secret, app)
	}
	got, err := e.st.TokenByHash(ctx, e.ws.ID, e.hasher.HashKind(token.App, e.ws.ID, secret))
	if err != nil || got.ID != app.ID || got.Kind != store.TokenApp || !got.Expires.Equal(exp) {
		t.Fatalf("TokenByHash = %+v, %v", got, err)
	}
	if _, err := e.st.TokenByHash(ctx, e.ws.ID, e.hasher.Hash(e.ws.ID, secret)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an app token found by its hash as a SCIM token: %v", err)
	}
	if err := e.st.SetTokenExpiry(ctx, app.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}

	list, err := e.iss.AppTokens(ctx, e.ws.ID)
	if err != nil || len(list) != 1 || list[0].ID != app.ID || !list[0].Expires.IsZero() || list[0].Hash != nil {
		t.Fatalf("AppTokens = %+v, %v", list, err)
	}
	if list, _ := e.iss.AppTokens(ctx, other.ID); len(list) != 0 {
		t.Errorf("other workspace's app tokens %+v", list)
	}

	for _, tt := range []struct{ ws, id string }{{e.ws.ID, scim.ID}, {other.ID, app.ID}, {e.ws.ID, "tok_nope"}} {
		if _, err := e.iss.RevokeAppToken(ctx, tt.ws, tt.id); !errors.Is(err, access.ErrTokenNotFound) {
			t.Errorf("RevokeAppToken(%s, %s): %v", tt.ws, tt.id, err)
		}
	}
	if tk, _ := e.st.TokenByID(ctx, scim.ID); !tk.Revoked.IsZero() {
		t.Error("a SCIM token was revoked as an app token")
	}
	r, err := e.iss.RevokeAppToken(ctx, e.ws.ID, app.ID)
	if err != nil || r.Revoked.IsZero() {
		t.Fatalf("RevokeAppToken = %+v, %v", r, err)
	}
}
