package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// testCredentials checks users' credentials: stored for users only, with
// their creation event, found by hash within their workspace alone,
// listed in creation order without hashes, and revoked once, with an
// event and a change.
func testCredentials(t *testing.T, newStore NewStore) {
	c := newClock()
	t.Run("CreateAndRead", func(t *testing.T) { testCredentialsCreateAndRead(t, newStore(t, c.now)) })
	t.Run("CreationEvents", func(t *testing.T) { testCredentialsCreationEvents(t, newStore(t, c.now), c) })
	t.Run("ConcurrentCreation", func(t *testing.T) { testCredentialsConcurrentCreation(t, newStore(t, time.Now)) })
	t.Run("Revoke", func(t *testing.T) { testCredentialsRevoke(t, newStore(t, c.now), c) })
	t.Run("DeletedWorkspace", func(t *testing.T) { testCredentialsDeletedWorkspace(t, newStore(t, c.now)) })
}

// credentialTime is a creation time that both backends keep exactly.
var credentialTime = time.Date(2025, 1, 2, 3, 4, 5, 123456000, time.UTC)

func mustCreateCredential(t *testing.T, st store.Store, cs ...store.Credential) {
	t.Helper()
	for _, c := range cs {
		if err := st.CreateCredential(context.Background(), c); err != nil {
			t.Fatalf("create credential %s: %v", c.ID, err)
		}
	}
}

func withoutHash(c store.Credential) store.Credential {
	c.Hash = nil
	return c
}

func testCredentialsCreateAndRead(t *testing.T, st store.Store) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"), user("ws_a", "usr_2", "bob"), group("ws_a", "grp_1", "eng"), user("ws_b", "usr_3", "cy"))
	key := store.Credential{
		ID: "cred_1", WorkspaceID: "ws_a", UserID: "usr_1", Kind: store.CredentialAPIKey, Name: "ci",
		Hash: []byte("hash-1"), Created: credentialTime, Expires: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	session := store.Credential{
		ID: "cred_2", WorkspaceID: "ws_a", UserID: "usr_1", Kind: store.CredentialSession, Name: "laptop",
		Hash: []byte("hash-2"), Created: credentialTime.Add(time.Second),
	}
	bobs := store.Credential{
		ID: "cred_3", WorkspaceID: "ws_a", UserID: "usr_2", Kind: store.CredentialSession, Name: "phone",
		Hash: []byte("hash-3"), Created: credentialTime,
	}
	// The same hash in another workspace is another credential.
	elsewhere := store.Credential{
		ID: "cred_4", WorkspaceID: "ws_b", UserID: "usr_3", Kind: store.CredentialAPIKey, Name: "ci",
		Hash: []byte("hash-1"), Created: credentialTime,
	}
	// Created out of creation order, which listing restores.
	mustCreateCredential(t, st, session, key, bobs, elsewhere)

	for _, tt := range []struct {
		ws   string
		hash string
		want store.Credential
	}{
		{"ws_a", "hash-1", key},
		{"ws_a", "hash-2", session},
		{"ws_b", "hash-1", elsewhere},
	} {
		if got, err := st.CredentialByHash(ctx, tt.ws, []byte(tt.hash)); err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("CredentialByHash(%s, %s): %+v, %v; want %+v", tt.ws, tt.hash, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		name string
		ws   string
		hash string
	}{
		{"another workspace's", "ws_b", "hash-2"},
		{"an unknown hash", "ws_a", "hash-9"},
		{"an unknown workspace", "ws_x", "hash-1"},
	} {
		if _, err := st.CredentialByHash(ctx, tt.ws, []byte(tt.hash)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CredentialByHash of %s: %v, want ErrNotFound", tt.name, err)
		}
	}

	for _, tt := range []struct {
		ws, user string
		want     []store.Credential
	}{
		{"ws_a", "usr_1", []store.Credential{withoutHash(key), withoutHash(session)}},
		{"ws_a", "usr_2", []store.Credential{withoutHash(bobs)}},
		{"ws_b", "usr_3", []store.Credential{withoutHash(elsewhere)}},
		{"ws_b", "usr_1", nil},
		{"ws_a", "usr_9", nil},
	} {
		got, err := st.Credentials(ctx, tt.ws, tt.user)
		if err != nil || len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("Credentials(%s, %s): %+v, %v; want %+v", tt.ws, tt.user, got, err, tt.want)
		}
	}

	fresh := func(f func(*store.Credential)) store.Credential {
		c := store.Credential{ID: "cred_9", WorkspaceID: "ws_a", UserID: "usr_2", Kind: store.CredentialSession, Name: "n", Hash: []byte("hash-9"), Created: credentialTime}
		f(&c)
		return c
	}
	for _, tt := range []struct {
		name string
		c    store.Credential
		want error
	}{
		{"an unknown user", fresh(func(c *store.Credential) { c.UserID = "usr_9" }), store.ErrNotFound},
		{"another workspace's user", fresh(func(c *store.Credential) { c.UserID = "usr_3" }), store.ErrNotFound},
		{"a group", fresh(func(c *store.Credential) { c.UserID = "grp_1" }), store.ErrNotFound},
		{"an unknown workspace", fresh(func(c *store.Credential) { c.WorkspaceID = "ws_x" }), store.ErrNotFound},
		{"a taken id", fresh(func(c *store.Credential) { c.ID = "cred_1" }), store.ErrAlreadyExists},
		{"a taken hash", fresh(func(c *store.Credential) { c.Hash = []byte("hash-1") }), store.ErrAlreadyExists},
	} {
		if err := st.CreateCredential(ctx, tt.c); !errors.Is(err, tt.want) {
			t.Errorf("creating a credential for %s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if err := st.CreateCredential(ctx, fresh(func(c *store.Credential) { c.Kind = "password" })); err == nil {
		t.Error("created a credential of an unknown kind")
	}
	if cs, _ := st.Credentials(ctx, "ws_a", "usr_2"); len(cs) != 1 {
		t.Errorf("refused credentials were stored: %+v", cs)
	}
}

// testCredentialsCreationEvents checks that a credential is stored with
// its creation event in one transaction: both, or neither when the
// credential is refused, and numbered without gaps.
func testCredentialsCreationEvents(t *testing.T, st store.Store, c *clock) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"), user("ws_a", "usr_2", "bob", "active", false))
	l := subscribe(t, st)
	l.waitFor(t, reset, 5*time.Second)

	expires := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	fresh := func(f func(*store.Credential)) store.Credential {
		c := store.Credential{ID: "cred_9", WorkspaceID: "ws_a", UserID: "usr_1", Kind: store.CredentialSession, Name: "n", Hash: []byte("hash-9"), Created: credentialTime}
		f(&c)
		return c
	}
	created := c.now()
	events := []store.Change{{Kind: store.ChangeEvents, WorkspaceID: "ws_a"}}
	steps := []struct {
		name        string
		c           store.Credential
		wantErr     error // nil: stored
		wantChanges []store.Change
		wantEvent   *store.Event
	}{
		{
			name: "API key", c: fresh(func(c *store.Credential) {
				c.ID, c.Kind, c.Name, c.Hash, c.Expires = "cred_1", store.CredentialAPIKey, "ci", []byte("hash-1"), expires
			}),
			wantChanges: events,
			wantEvent: &store.Event{Seq: 1, WorkspaceID: "ws_a", Type: "api_key.created", Occurred: created, Subject: "cred_1", Data: fmt.Appendf(nil,
				`{"credential": {"id": "cred_1", "kind": "api_key", "name": "ci", "userId": "usr_1", "created": %q, "expires": %q}}`,
				credentialTime.Format(time.RFC3339Nano), expires.Format(time.RFC3339Nano))},
		},
		{name: "a taken hash", c: fresh(func(c *store.Credential) { c.Hash = []byte("hash-1") }), wantErr: store.ErrAlreadyExists},
		{name: "a taken id", c: fresh(func(c *store.Credential) { c.ID = "cred_1" }), wantErr: store.ErrAlreadyExists},
		{name: "an inactive user", c: fresh(func(c *store.Credential) { c.UserID = "usr_2" }), wantErr: store.ErrUserInactive},
		{name: "an unknown user", c: fresh(func(c *store.Credential) { c.UserID = "usr_x" }), wantErr: store.ErrNotFound},
		{
			// The refusals took no number.
			name: "session", c: fresh(func(c *store.Credential) { c.ID, c.Name, c.Hash = "cred_2", "laptop", []byte("hash-2") }),
			wantChanges: events,
			wantEvent: &store.Event{Seq: 2, WorkspaceID: "ws_a", Type: "session.created", Occurred: created.Add(5 * time.Minute), Subject: "cred_2", Data: fmt.Appendf(nil,
				`{"credential": {"id": "cred_2", "kind": "session", "name": "laptop", "userId": "usr_1", "created": %q, "expires": null}}`,
				credentialTime.Format(time.RFC3339Nano))},
		},
	}
	var seen int64
	for i, s := range steps {
		c.set(created.Add(time.Duration(i) * time.Minute))
		n := len(l.changes())
		if err := st.CreateCredential(ctx, s.c); !errors.Is(err, s.wantErr) || (err != nil) != (s.wantErr != nil) {
			t.Fatalf("%s: %v, want %v", s.name, err, s.wantErr)
		}
		if got := l.changes()[n:]; !reflect.DeepEqual(got, s.wantChanges) && !(len(got) == 0 && len(s.wantChanges) == 0) {
			t.Errorf("%s: delivered %+v, want %+v", s.name, got, s.wantChanges)
		}
		stored, err := st.CredentialByHash(ctx, "ws_a", s.c.Hash)
		if got := err == nil && stored.ID == s.c.ID; got != (s.wantErr == nil) {
			t.Errorf("%s: stored %v (%+v, %v), want %v", s.name, got, stored, err, s.wantErr == nil)
		}
		evs := mustEvents(t, st, "ws_a", seen, 10)
		switch {
		case s.wantEvent == nil && len(evs) > 0:
			t.Errorf("%s: appended %+v", s.name, evs)
		case s.wantEvent != nil && len(evs) != 1:
			t.Errorf("%s: appended %d events, want 1", s.name, len(evs))
		case s.wantEvent != nil:
			want := *s.wantEvent
			want.ID = evs[0].ID
			if !sameEvent(evs[0], want) {
				t.Errorf("%s: appended %+v with data %s, want %+v with data %s", s.name, evs[0], evs[0].Data, want, want.Data)
			}
			seen = evs[0].Seq
		}
	}
}

// testCredentialsConcurrentCreation checks that credentials created at
// once, some refused, have one creation event each, numbered without
// gaps.
func testCredentialsConcurrentCreation(t *testing.T, st store.Store) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"), user("ws_a", "usr_2", "bob"))
	const workers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				c := store.Credential{ID: fmt.Sprintf("cred_%d_%d", w, i), WorkspaceID: "ws_a", UserID: fmt.Sprintf("usr_%d", 1+i%2),
					Kind: store.CredentialAPIKey, Name: "k", Hash: fmt.Appendf(nil, "hash-%d-%d", w, i), Created: credentialTime}
				if i%3 == 2 {
					c.Hash = []byte("shared") // all but the first refused
				}
				if err := st.CreateCredential(ctx, c); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
					errs <- fmt.Errorf("%s: %w", c.ID, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	stored := map[string]bool{}
	for _, u := range []string{"usr_1", "usr_2"} {
		cs, err := st.Credentials(ctx, "ws_a", u)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			stored[c.ID] = true
		}
	}
	if want := workers*(each-each/3) + 1; len(stored) != want {
		t.Errorf("%d credentials stored, want %d", len(stored), want)
	}
	evs := mustEvents(t, st, "ws_a", 0, 1000)
	for i, e := range evs {
		if e.Seq != int64(i+1) || e.Type != "api_key.created" || !stored[e.Subject] {
			t.Errorf("event %d: seq %d, %s of %s; want seq %d, the creation of a stored credential", i, e.Seq, e.Type, e.Subject, i+1)
		}
		delete(stored, e.Subject)
	}
	if len(stored) > 0 {
		t.Errorf("credentials without a creation event: %v", stored)
	}
}

func testCredentialsRevoke(t *testing.T, st store.Store, c *clock) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"))
	expires := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	key := store.Credential{ID: "cred_1", WorkspaceID: "ws_a", UserID: "usr_1", Kind: store.CredentialAPIKey, Name: "ci", Hash: []byte("hash-1"), Created: credentialTime, Expires: expires}
	session := store.Credential{ID: "cred_2", WorkspaceID: "ws_a", UserID: "usr_1", Kind: store.CredentialSession, Name: "laptop", Hash: []byte("hash-2"), Created: credentialTime}
	mustCreateCredential(t, st, key, session) // events 1 and 2
	l := subscribe(t, st)
	l.waitFor(t, reset, 5*time.Second)

	revokedAt := c.now()
	steps := []struct {
		name   string
		id     string
		reason string
		// The credential's revocation as stored afterwards.
		wantRevoked time.Time
		wantReason  string
		// Delivered to subscribers before RevokeCredential returns.
		wantChanges []store.Change
		// Appended to the outbox, with its data.
		wantEvent *store.Event
	}{
		{
			name: "session", id: "cred_2", reason: "revoked", wantRevoked: revokedAt, wantReason: "revoked",
			wantChanges: []store.Change{{Kind: store.ChangeCredential, WorkspaceID: "ws_a", ID: "cred_2"}, {Kind: store.ChangeUser, WorkspaceID: "ws_a", ID: "usr_1"}, {Kind: store.ChangeEvents, WorkspaceID: "ws_a"}},
			wantEvent: &store.Event{Seq: 3, WorkspaceID: "ws_a", Type: "session.revoked", Occurred: revokedAt, Subject: "cred_2", Data: fmt.Appendf(nil,
				`{"credential": {"id": "cred_2", "kind": "session", "name": "laptop", "userId": "usr_1", "created": %q, "expires": null}, "reason": "revoked"}`,
				credentialTime.Format(time.RFC3339Nano))},
		},
		{
			// Again, later and for another reason: nothing changes.
			name: "session again", id: "cred_2", reason: "user.deleted", wantRevoked: revokedAt, wantReason: "revoked",
		},
		{
			name: "API key", id: "cred_1", reason: "user.deactivated", wantRevoked: revokedAt.Add(time.Hour), wantReason: "user.deactivated",
			wantChanges: []store.Change{{Kind: store.ChangeCredential, WorkspaceID: "ws_a", ID: "cred_1"}, {Kind: store.ChangeUser, WorkspaceID: "ws_a", ID: "usr_1"}, {Kind: store.ChangeEvents, WorkspaceID: "ws_a"}},
			wantEvent: &store.Event{Seq: 4, WorkspaceID: "ws_a", Type: "api_key.revoked", Occurred: revokedAt.Add(time.Hour), Subject: "cred_1", Data: fmt.Appendf(nil,
				`{"credential": {"id": "cred_1", "kind": "api_key", "name": "ci", "userId": "usr_1", "created": %q, "expires": %q}, "reason": "user.deactivated"}`,
				credentialTime.Format(time.RFC3339Nano), expires.Format(time.RFC3339Nano))},
		},
	}
	seen := int64(2)
	for i, s := range steps {
		c.set(revokedAt.Add(time.Duration(i) * time.Hour / 2))
		n := len(l.changes())
		if err := st.RevokeCredential(ctx, "ws_a", s.id, s.reason); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := l.changes()[n:]; !reflect.DeepEqual(got, s.wantChanges) && !(len(got) == 0 && len(s.wantChanges) == 0) {
			t.Errorf("%s: delivered %+v, want %+v", s.name, got, s.wantChanges)
		}
		cs, err := st.Credentials(ctx, "ws_a", "usr_1")
		if err != nil {
			t.Fatal(err)
		}
		for _, cr := range cs {
			if cr.ID == s.id && (!cr.Revoked.Equal(s.wantRevoked) || cr.RevokedReason != s.wantReason) {
				t.Errorf("%s: revoked %v for %q, want %v for %q", s.name, cr.Revoked, cr.RevokedReason, s.wantRevoked, s.wantReason)
			}
		}
		evs := mustEvents(t, st, "ws_a", seen, 10)
		switch {
		case s.wantEvent == nil && len(evs) > 0:
			t.Errorf("%s: appended %+v", s.name, evs)
		case s.wantEvent != nil && len(evs) != 1:
			t.Errorf("%s: appended %d events, want 1", s.name, len(evs))
		case s.wantEvent != nil:
			want := *s.wantEvent
			want.ID = evs[0].ID
			if !sameEvent(evs[0], want) {
				t.Errorf("%s: appended %+v with data %s, want %+v with data %s", s.name, evs[0], evs[0].Data, want, want.Data)
			}
			seen = evs[0].Seq
		}
	}
	// Revocation keeps the rest of the credential.
	if got, err := st.CredentialByHash(ctx, "ws_a", []byte("hash-1")); err != nil || got.Name != "ci" || !got.Expires.Equal(expires) || string(got.Hash) != "hash-1" {
		t.Errorf("revoked API key: %+v, %v", got, err)
	}

	for _, tt := range []struct{ name, ws, id string }{
		{"an unknown credential", "ws_a", "cred_9"},
		{"another workspace's credential", "ws_b", "cred_1"},
	} {
		if err := st.RevokeCredential(ctx, tt.ws, tt.id, "revoked"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoking %s: %v, want ErrNotFound", tt.name, err)
		}
	}

	// Another store on the database, as another process or replica,
	// hears of revocations.
	r, ok := st.(Reopener)
	if !ok {
		t.Fatalf("%T does not implement storetest.Reopener", st)
	}
	other := subscribe(t, r.Reopen(t))
	other.waitFor(t, reset, 5*time.Second)
	mustCreateCredential(t, st, store.Credential{ID: "cred_3", WorkspaceID: "ws_a", UserID: "usr_1", Kind: store.CredentialSession, Name: "phone", Hash: []byte("hash-3"), Created: credentialTime})
	if err := st.RevokeCredential(ctx, "ws_a", "cred_3", "revoked"); err != nil {
		t.Fatal(err)
	}
	other.waitFor(t, store.Change{Kind: store.ChangeCredential, WorkspaceID: "ws_a", ID: "cred_3"}, 5*time.Second)
	other.waitFor(t, store.Change{Kind: store.ChangeUser, WorkspaceID: "ws_a", ID: "usr_1"}, 5*time.Second)
}

// testCredentialsDeletedWorkspace checks that a workspace's credentials go
// with it.
func testCredentialsDeletedWorkspace(t *testing.T, st store.Store) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"), user("ws_b", "usr_2", "bob"))
	gone := store.Credential{ID: "cred_1", WorkspaceID: "ws_a", UserID: "usr_1", Kind: store.CredentialAPIKey, Name: "ci", Hash: []byte("hash-1"), Created: credentialTime}
	kept := store.Credential{ID: "cred_2", WorkspaceID: "ws_b", UserID: "usr_2", Kind: store.CredentialAPIKey, Name: "ci", Hash: []byte("hash-1"), Created: credentialTime}
	mustCreateCredential(t, st, gone, kept)
	if err := st.DeleteWorkspace(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CredentialByHash(ctx, "ws_a", []byte("hash-1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CredentialByHash after the workspace's deletion: %v, want ErrNotFound", err)
	}
	if cs, err := st.Credentials(ctx, "ws_a", "usr_1"); err != nil || len(cs) != 0 {
		t.Errorf("Credentials after the workspace's deletion: %+v, %v", cs, err)
	}
	if got, err := st.CredentialByHash(ctx, "ws_b", []byte("hash-1")); err != nil || got.ID != "cred_2" {
		t.Errorf("the other workspace's credential: %+v, %v", got, err)
	}
	// The id is free again.
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"))
	mustCreateCredential(t, st, gone)
}
