package reconcile_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/pgtest"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/reconcile"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/sqlite"
)

// deletingStore deletes the user named victim when its groups are read
// to recompute its roles, as an identity provider's DELETE that comes in
// the middle of a recomputation would.
type deletingStore struct {
	store.Store
	victim  string // userName
	once    sync.Once
	deleted chan struct{}
}

func (s *deletingStore) UserGroups(ctx context.Context, ws, userID string) ([]store.GroupNode, error) {
	if u, err := s.Store.Resource(ctx, ws, schema.UserType.ID, userID, false); err == nil && u.Doc["userName"] == s.victim {
		s.once.Do(func() {
			if err := s.Store.DeleteResource(ctx, ws, schema.UserType.ID, userID, nil); err != nil {
				panic(err)
			}
			close(s.deleted)
		})
	}
	return s.Store.UserGroups(ctx, ws, userID)
}

// syncBuffer is a log destination safe for the reconciler's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestUserDeletedWhileRecomputed: a user deleted while its roles are
// being recomputed is done with, not a failure to log and retry.
func TestUserDeletedWhileRecomputed(t *testing.T) {
	for _, backend := range []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"sqlite", func(t *testing.T) store.Store {
			st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
			if err != nil {
				t.Fatal(err)
			}
			return st
		}},
		{"postgres", func(t *testing.T) store.Store {
			st, err := postgres.Open(context.Background(), pgtest.URL(t))
			if err != nil {
				t.Fatal(err)
			}
			return st
		}},
	} {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			real := backend.open(t)
			ws := store.Workspace{ID: "ws_aaaaaaaaaaaaaaaa", Slug: "acme", Created: time.Now(), Config: store.DefaultWorkspaceConfig()}
			if err := real.CreateWorkspace(ctx, ws); err != nil {
				t.Fatal(err)
			}
			svc := provision.New(real)
			create := func(userName string) string {
				r, err := svc.Create(ctx, &ws, schema.UserType, map[string]any{"userName": userName})
				if err != nil {
					t.Fatal(err)
				}
				return r.Resource.ID
			}
			st := &deletingStore{Store: real, victim: "ada", deleted: make(chan struct{})}
			var log syncBuffer
			r := reconcile.New(st, reconcile.Config{Log: slog.New(slog.NewTextHandler(&log, nil))})
			done := make(chan struct{})
			go func() { r.Run(ctx); close(done) }()
			t.Cleanup(func() { cancel(); <-done; real.Close() })
			waitRoles := func(id string) {
				t.Helper()
				for deadline := time.Now().Add(patience); ; time.Sleep(5 * time.Millisecond) {
					if _, ok, err := real.UserRoles(ctx, ws.ID, id); err == nil && ok {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("user %s was never recomputed", id)
					}
				}
			}
			// Once the first round, which goes through every user, is
			// over, a new user is recomputed for its own change.
			waitRoles(create("sam"))
			create("ada")
			select {
			case <-st.deleted:
			case <-time.After(patience):
				t.Fatal("the user was never recomputed")
			}
			// A user created after the deletion is recomputed in a later
			// round than the deleted one.
			waitRoles(create("bob"))
			if s := log.String(); s != "" {
				t.Errorf("the reconciler logged:\n%s", s)
			}
		})
	}
}
