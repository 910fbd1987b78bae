package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

func mustInvitedUser(t *testing.T, st store.Store, ws, id, userName string) *store.Resource {
	t.Helper()
	r := &store.Resource{Type: "User", ID: id, WorkspaceID: ws, Doc: map[string]any{"userName": userName}}
	if err := st.CreateInvitedUser(context.Background(), r); err != nil {
		t.Fatalf("create invited user %s: %v", id, err)
	}
	return r
}

// testInvitedUserCredentials checks that invited users are read by id and
// hold credentials, which they keep when an identity provider's user
// links to them.
func testInvitedUserCredentials(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"))
	created := mustInvitedUser(t, st, "ws_a", "usr_l1", "bob")

	got, err := st.InvitedUser(ctx, "ws_a", "usr_l1")
	if err != nil || got.ID != "usr_l1" || got.Doc["userName"] != "bob" || !got.Created.Equal(created.Created) {
		t.Errorf("InvitedUser = %+v, %v; want %+v", got, err, created)
	}
	for _, tt := range []struct{ name, ws, id string }{
		{"in another workspace", "ws_b", "usr_l1"},
		{"of a SCIM user", "ws_a", "usr_1"},
		{"of nobody", "ws_a", "usr_x"},
	} {
		if _, err := st.InvitedUser(ctx, tt.ws, tt.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("InvitedUser %s: %v, want ErrNotFound", tt.name, err)
		}
	}

	key := store.Credential{ID: "cred_1", WorkspaceID: "ws_a", UserID: "usr_l1", Kind: store.CredentialAPIKey, Name: "ci", Hash: []byte("h1"), Created: credentialTime}
	mustCreateCredential(t, st, key)
	if c, err := st.CredentialByHash(ctx, "ws_a", []byte("h1")); err != nil || c.UserID != "usr_l1" {
		t.Errorf("invited user's credential: %+v, %v", c, err)
	}
	if evs := mustEvents(t, st, "ws_a", 0, 10); len(evs) != 1 || evs[0].Type != "api_key.created" || evs[0].Subject != "cred_1" {
		t.Errorf("events %+v, want the key's creation", evs)
	}
	other := store.Credential{ID: "cred_2", WorkspaceID: "ws_b", UserID: "usr_l1", Kind: store.CredentialSession, Name: "s", Hash: []byte("h2"), Created: credentialTime}
	if err := st.CreateCredential(ctx, other); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("credential of another workspace's invited user: %v, want ErrNotFound", err)
	}

	// Linked, the user keeps its id and its credentials, and caches hear
	// that the user changed.
	l := subscribe(t, st)
	l.waitFor(t, reset, 5*time.Second)
	r := user("ws_a", "usr_new", "BOB", "active", true)
	if err := st.LinkInvitedUser(ctx, r, nil); err != nil || r.ID != "usr_l1" {
		t.Fatalf("LinkInvitedUser: %+v, %v", r, err)
	}
	if l.count(store.Change{Kind: store.ChangeUser, WorkspaceID: "ws_a", ID: "usr_l1"}) != 1 {
		t.Errorf("linking published %+v, want a ChangeUser of usr_l1", l.changes())
	}
	if cs, err := st.Credentials(ctx, "ws_a", "usr_l1"); err != nil || len(cs) != 1 || cs[0].ID != "cred_1" || !cs[0].Revoked.IsZero() {
		t.Errorf("credentials of the linked user: %+v, %v", cs, err)
	}
	if _, err := st.InvitedUser(ctx, "ws_a", "usr_l1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("InvitedUser after linking: %v, want ErrNotFound", err)
	}
	mustCreateCredential(t, st, store.Credential{ID: "cred_3", WorkspaceID: "ws_a", UserID: "usr_l1", Kind: store.CredentialSession, Name: "s", Hash: []byte("h3"), Created: credentialTime})
}

// testDeleteInvitedUser checks that an invited user is deleted with the
// effects asked for, in one transaction.
func testDeleteInvitedUser(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustCreate(t, st, user("ws_a", "usr_1", "ada"))
	mustInvitedUser(t, st, "ws_a", "usr_l1", "bob")
	mustCreateCredential(t, st,
		store.Credential{ID: "cred_k", WorkspaceID: "ws_a", UserID: "usr_l1", Kind: store.CredentialAPIKey, Name: "k", Hash: []byte("k"), Created: credentialTime},
		store.Credential{ID: "cred_s", WorkspaceID: "ws_a", UserID: "usr_l1", Kind: store.CredentialSession, Name: "s", Hash: []byte("s"), Created: credentialTime})
	deletion := func(events ...store.NewEvent) func(*store.Resource) store.Effects {
		return func(r *store.Resource) store.Effects {
			if r.ID != "usr_l1" || r.Doc["userName"] != "bob" {
				t.Errorf("effects asked for %+v", r)
			}
			return store.Effects{Events: events, Revoke: &store.Revocation{UserID: r.ID, APIKeys: true, Reason: "user.deleted"}}
		}
	}

	// A write that fails (an event without a type) changes nothing.
	if err := st.DeleteInvitedUser(ctx, "ws_a", "usr_l1", deletion(store.NewEvent{})); err == nil {
		t.Fatal("deleted with a bad event")
	}
	if _, err := st.InvitedUser(ctx, "ws_a", "usr_l1"); err != nil {
		t.Errorf("invited user after a failed deletion: %v", err)
	}
	if cs, _ := st.Credentials(ctx, "ws_a", "usr_l1"); len(cs) != 2 || !cs[0].Revoked.IsZero() || !cs[1].Revoked.IsZero() {
		t.Errorf("credentials after a failed deletion: %+v", cs)
	}

	l := subscribe(t, st)
	l.waitFor(t, reset, 5*time.Second)
	if err := st.DeleteInvitedUser(ctx, "ws_a", "usr_l1", deletion(event("user.deleted", "usr_l1", `{}`))); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []store.Change{
		{Kind: store.ChangeUser, WorkspaceID: "ws_a", ID: "usr_l1"},
		{Kind: store.ChangeCredential, WorkspaceID: "ws_a", ID: "cred_k"},
		{Kind: store.ChangeCredential, WorkspaceID: "ws_a", ID: "cred_s"},
		{Kind: store.ChangeEvents, WorkspaceID: "ws_a"},
	} {
		if l.count(ch) == 0 {
			t.Errorf("no %+v published; got %+v", ch, l.changes())
		}
	}
	if _, err := st.InvitedUser(ctx, "ws_a", "usr_l1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("InvitedUser after deletion: %v, want ErrNotFound", err)
	}
	if list, err := st.InvitedUsers(ctx, "ws_a"); err != nil || len(list) != 0 {
		t.Errorf("InvitedUsers after deletion: %+v, %v", list, err)
	}
	cs, err := st.Credentials(ctx, "ws_a", "usr_l1")
	if err != nil || len(cs) != 2 {
		t.Fatalf("credentials after deletion: %+v, %v", cs, err)
	}
	for _, c := range cs {
		if c.Revoked.IsZero() || c.RevokedReason != "user.deleted" {
			t.Errorf("credential %s after deletion: revoked %v for %q", c.ID, c.Revoked, c.RevokedReason)
		}
	}
	types := eventTypes(t, st, "ws_a")
	slices.Sort(types[2:])
	if want := []string{"api_key.created", "session.created", "api_key.revoked", "session.revoked", "user.deleted"}; !slices.Equal(types, want) {
		t.Errorf("events %v, want %v", types, want)
	}

	// The user is gone: no credential for it, its userName is free.
	err = st.CreateCredential(ctx, store.Credential{ID: "cred_9", WorkspaceID: "ws_a", UserID: "usr_l1", Kind: store.CredentialSession, Name: "s", Hash: []byte("h9"), Created: credentialTime})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("credential of a deleted invited user: %v, want ErrNotFound", err)
	}
	mustCreate(t, st, user("ws_a", "usr_2", "Bob"))
	for _, id := range []string{"usr_l1", "usr_1", "usr_x"} {
		if err := st.DeleteInvitedUser(ctx, "ws_a", id, nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteInvitedUser(%s): %v, want ErrNotFound", id, err)
		}
	}
	if _, err := st.Resource(ctx, "ws_a", "User", "usr_1", false); err != nil {
		t.Errorf("SCIM user after DeleteInvitedUser of its id: %v", err)
	}
}

// testInvitedUserSeats checks that invited users take seats, and that a
// user linked to one does not take another.
func testInvitedUserSeats(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	two := 2
	if _, err := st.UpdateWorkspace(ctx, "alpha", func(w *store.Workspace) error {
		w.Config.SeatLimit = &two
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	invite := func(id, name string) error {
		return st.CreateInvitedUser(ctx, &store.Resource{Type: "User", ID: id, WorkspaceID: "ws_a", Doc: map[string]any{"userName": name}})
	}
	setActive := func(id string, active bool) error {
		_, err := st.UpdateResource(ctx, "ws_a", "User", id, false, func(r *store.Resource) (*store.Update, error) {
			return &store.Update{Doc: map[string]any{"userName": r.Doc["userName"], "active": active}}, nil
		})
		return err
	}
	mustCreate(t, st, user("ws_a", "usr_1", "ada"), user("ws_a", "usr_2", "cy", "active", false))
	mustInvitedUser(t, st, "ws_a", "usr_l1", "bob")
	for _, tt := range []struct {
		name string
		do   func() error
		want error
	}{
		{"an invited user beyond the limit", func() error { return invite("usr_l2", "dee") }, store.ErrSeatLimit},
		{"an active SCIM user beyond the limit", func() error { return st.CreateResource(ctx, user("ws_a", "usr_3", "eve"), store.Effects{}) }, store.ErrSeatLimit},
		{"a reactivation beyond the limit", func() error { return setActive("usr_2", true) }, store.ErrSeatLimit},
		{"an inactive SCIM user", func() error {
			return st.CreateResource(ctx, user("ws_a", "usr_4", "fay", "active", false), store.Effects{})
		}, nil},
		// The invited user's seat becomes the linked user's.
		{"linking", func() error { return st.LinkInvitedUser(ctx, user("ws_a", "usr_5", "bob", "active", true), nil) }, nil},
		{"an invited user after linking", func() error { return invite("usr_l3", "gus") }, store.ErrSeatLimit},
		{"a deactivation", func() error { return setActive("usr_1", false) }, nil},
		{"an invited user in the freed seat", func() error { return invite("usr_l4", "hal") }, nil},
	} {
		if err := tt.do(); !errors.Is(err, tt.want) || (err != nil) != (tt.want != nil) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	list, err := st.InvitedUsers(ctx, "ws_a")
	if err != nil || len(list) != 1 || list[0].ID != "usr_l4" {
		t.Errorf("invited users %+v, %v; want usr_l4 alone", list, err)
	}
	// Deleting an invited user frees its seat.
	if err := st.DeleteInvitedUser(ctx, "ws_a", "usr_l4", nil); err != nil {
		t.Fatal(err)
	}
	if err := setActive("usr_2", true); err != nil {
		t.Errorf("reactivation into the seat of a deleted invited user: %v", err)
	}

	// Seats taken at once by invited and SCIM users are counted together.
	if _, err := st.UpdateWorkspace(ctx, "alpha", func(w *store.Workspace) error {
		five := 5
		w.Config.SeatLimit = &five
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		won int
	)
	for i := range 8 {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				err = invite(fmt.Sprintf("usr_c%d", i), fmt.Sprintf("c%d", i))
			} else {
				err = st.CreateResource(ctx, user("ws_a", fmt.Sprintf("usr_c%d", i), fmt.Sprintf("c%d", i)), store.Effects{})
			}
			if err != nil && !errors.Is(err, store.ErrSeatLimit) {
				t.Errorf("concurrent create %d: %v", i, err)
			}
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != 3 {
		t.Errorf("%d of 8 concurrent creates took the 3 free seats", won)
	}
}

// testInvitedUserCredentialRaces issues credentials to invited users while
// another store, on the same database, links or deletes them: a link
// never refuses the credential (the user goes on, under the same id), and
// no credential outlives its user's deletion unrevoked.
func testInvitedUserCredentialRaces(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	a := newStore(t, time.Now)
	r, ok := a.(Reopener)
	if !ok {
		t.Fatalf("%T does not implement storetest.Reopener", a)
	}
	b := r.Reopen(t)
	mustWorkspace(t, a, "ws_a", "alpha")
	revoke := func(r *store.Resource) store.Effects {
		return store.Effects{Revoke: &store.Revocation{UserID: r.ID, APIKeys: true, Reason: "user.deleted"}}
	}
	const rounds = 60
	refused := 0
	for i := range rounds {
		id, name := fmt.Sprintf("usr_l%02d", i), fmt.Sprintf("u%02d", i)
		mustInvitedUser(t, a, "ws_a", id, name)
		del := i%2 == 1
		var cerr, lerr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			cerr = b.CreateCredential(ctx, store.Credential{ID: "cred_" + id, WorkspaceID: "ws_a", UserID: id,
				Kind: store.CredentialAPIKey, Name: "k", Hash: []byte("h" + id), Created: credentialTime})
		})
		wg.Go(func() {
			<-start
			if del {
				lerr = a.DeleteInvitedUser(ctx, "ws_a", id, revoke)
			} else {
				lerr = a.LinkInvitedUser(ctx, user("ws_a", "usr_new", name, "active", true), nil)
			}
		})
		close(start)
		wg.Wait()
		if lerr != nil {
			t.Fatalf("round %d: link or delete: %v", i, lerr)
		}
		cs, err := a.Credentials(ctx, "ws_a", id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case errors.Is(cerr, store.ErrNotFound) && del:
			refused++ // deleted first
			if len(cs) != 0 {
				t.Errorf("round %d: a refused credential was stored: %+v", i, cs)
			}
		case cerr != nil:
			t.Errorf("round %d (deleted %v): credential: %v", i, del, cerr)
		case len(cs) != 1:
			t.Errorf("round %d: credentials %+v, want the one issued", i, cs)
		case del && cs[0].Revoked.IsZero():
			t.Errorf("round %d: the credential escaped the user's deletion: %+v", i, cs[0])
		case !del && !cs[0].Revoked.IsZero():
			t.Errorf("round %d: the credential was revoked by a link: %+v", i, cs[0])
		}
	}
	t.Logf("%d of %d credentials came after their user's deletion and were refused", refused, rounds/2)
}

// testLinkByEmail checks that LinkInvitedUser finds the invited user by
// userName, else by primary email, compared case-insensitively.
func testLinkByEmail(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	invite := func(ws, id, userName, email string, primary bool) {
		t.Helper()
		r := &store.Resource{Type: "User", ID: id, WorkspaceID: ws, Doc: map[string]any{"userName": userName,
			"emails": []any{map[string]any{"value": email, "primary": primary}}}}
		if err := st.CreateInvitedUser(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	invite("ws_a", "usr_l1", "bob", "Bob@Example.com", true)
	invite("ws_a", "usr_l2", "cy", "cy@example.com", false)
	invite("ws_a", "usr_l3", "dee", "shared@example.com", true)
	invite("ws_b", "usr_l4", "eve", "eve@example.com", true)
	emails := func(vs ...any) []any {
		var out []any
		for i := 0; i+1 < len(vs); i += 2 {
			out = append(out, map[string]any{"value": vs[i], "primary": vs[i+1]})
		}
		return out
	}
	for _, tt := range []struct {
		name, userName string
		emails         []any
		want           string // "" for ErrNotFound
	}{
		{"by primary email", "robert", emails("other@example.com", false, "BOB@example.COM", true), "usr_l1"},
		{"by the only email", "cyril", emails("cy@example.com", nil), ""},
		{"by userName before email", "DEE", emails("eve@example.com", true), "usr_l3"},
		{"another workspace's", "evelyn", emails("eve@example.com", true), ""},
		{"no email", "nobody", nil, ""},
	} {
		r := user("ws_a", "usr_new", tt.userName)
		if tt.emails != nil {
			r.Doc["emails"] = tt.emails
		}
		err := st.LinkInvitedUser(ctx, r, nil)
		switch {
		case tt.want == "" && !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s: LinkInvitedUser = %v, want ErrNotFound", tt.name, err)
		case tt.want != "" && (err != nil || r.ID != tt.want):
			t.Errorf("%s: LinkInvitedUser = %v, linked to %s; want %s", tt.name, err, r.ID, tt.want)
		case tt.want != "":
			if got, err := st.Resource(ctx, "ws_a", "User", tt.want, false); err != nil || got.Doc["userName"] != tt.userName {
				t.Errorf("%s: linked user %+v, %v", tt.name, got, err)
			}
			if _, err := st.InvitedUser(ctx, "ws_a", tt.want); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: the invited user is still there: %v", tt.name, err)
			}
		}
	}
}
