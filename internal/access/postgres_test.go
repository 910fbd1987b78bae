package access_test

import (
	"context"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/pgtest"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/postgres"
)

// pgTestDB returns the URL of an empty schema of the test database.
func pgTestDB(t *testing.T) string { return pgtest.URL(t) }

// TestRefusedOnAnotherReplica checks that what one replica changes, a
// Verifier on another replica of the same PostgreSQL database refuses
// within a second: a revocation, a deactivation, a deletion.
func TestRefusedOnAnotherReplica(t *testing.T) {
	dbURL := pgTestDB(t)
	open := func() store.Store {
		st, err := postgres.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a := newEnvOn(t, open()) // provisions, issues and revokes
	b := access.NewVerifier(access.Config{Store: open(), Hasher: a.hasher, Clock: a.clock})
	t.Cleanup(b.Close)

	for _, tt := range []struct {
		name   string
		change func(userID string, c store.Credential)
		reason string
	}{
		{"revoked", func(u string, c store.Credential) {
			if _, err := a.iss.Revoke(a.ctx, a.ws.ID, u, c.Kind, c.ID); err != nil {
				t.Fatal(err)
			}
		}, access.ReasonRevoked},
		{"user deactivated", func(u string, _ store.Credential) {
			a.patch(schema.UserType, u, patch.Operation{Op: "replace", Path: "active", Value: false})
		}, access.ReasonRevoked},
		{"user deleted", func(u string, _ store.Credential) {
			if _, err := a.prov.Delete(a.ctx, a.workspace("acme"), schema.UserType, u, ""); err != nil {
				t.Fatal(err)
			}
		}, access.ReasonRevoked},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := a.user(tt.name + "@acme.test")
			secret, c := a.apiKey(u)
			for range 2 { // read, then cached
				if r, err := b.Verify(a.ctx, secret); err != nil || !r.Valid {
					t.Fatalf("before: %+v, %v", r, err)
				}
			}
			tt.change(u, c)
			start := time.Now()
			for {
				r, err := b.Verify(a.ctx, secret)
				if err != nil {
					t.Fatal(err)
				}
				if !r.Valid {
					if r.Reason != tt.reason {
						t.Errorf("reason %q, want %q", r.Reason, tt.reason)
					}
					break
				}
				if time.Since(start) > time.Second {
					t.Fatal("the other replica still admits the credential a second after the change")
				}
				time.Sleep(2 * time.Millisecond)
			}
			t.Logf("refused %v after the change", time.Since(start).Round(time.Millisecond))
		})
	}
}
