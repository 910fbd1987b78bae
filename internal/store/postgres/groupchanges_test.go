package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// TestGroupChangeWaitsForSubgroupWrites holds a write to a group nested
// in another open, as a concurrent member write would be, while the
// parent is renamed. The rename must count the user that write adds,
// which it can only see once that write commits: otherwise, under READ
// COMMITTED, the rename would not name the user, and the user's own
// recomputation, made before the rename committed, would keep the old
// name.
func TestGroupChangeWaitsForSubgroupWrites(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, testDB(t))
	if err := st.CreateWorkspace(ctx, store.Workspace{ID: "ws_a", Slug: "alpha", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*store.Resource{
		{Type: "User", ID: "usr_x", WorkspaceID: "ws_a", Doc: map[string]any{"userName": "x"}},
		{Type: "Group", ID: "grp_c", WorkspaceID: "ws_a", Doc: map[string]any{"displayName": "Child"}},
		{Type: "Group", ID: "grp_p", WorkspaceID: "ws_a", Doc: map[string]any{"displayName": "Parent"}, Members: []store.Member{{Value: "grp_c"}}},
	} {
		if err := st.CreateResource(ctx, r, store.Effects{}); err != nil {
			t.Fatal(err)
		}
	}

	tx, err := st.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// What updateResource does to add usr_x to grp_c, uncommitted.
	if _, err := tx.Exec(ctx, `SELECT 1 FROM resources WHERE id = 'grp_c' FOR NO KEY UPDATE`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO members (group_seq, member_seq)
		SELECT c.seq, u.seq FROM resources c, resources u WHERE c.id = 'grp_c' AND u.id = 'usr_x'`); err != nil {
		t.Fatal(err)
	}

	var got []store.Change
	unsubscribe := st.Subscribe(func(c store.Change) {
		if c.Kind == store.ChangeUser {
			got = append(got, c)
		}
	})
	defer unsubscribe()
	renamed := make(chan error, 1)
	go func() {
		_, err := st.UpdateResource(ctx, "ws_a", "Group", "grp_p", false, func(r *store.Resource) (*store.Update, error) {
			return &store.Update{Doc: map[string]any{"displayName": "Parent 2"}}, nil
		})
		renamed <- err
	}()
	// Time for the rename to read the members of grp_c, if it did not
	// wait for them.
	time.Sleep(200 * time.Millisecond)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-renamed; err != nil {
		t.Fatal(err)
	}
	want := []store.Change{{Kind: store.ChangeUser, WorkspaceID: "ws_a", ID: "usr_x"}}
	if !slices.Equal(got, want) {
		t.Errorf("the rename published %+v, want %+v", got, want)
	}
}

// TestNotificationPayloads checks that the changes of one transaction are
// packed into as few notifications as fit PostgreSQL's limit, and read
// back as they were.
func TestNotificationPayloads(t *testing.T) {
	for _, n := range []int{1, 2, store.MaxUserChanges, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var changes []store.Change
			for i := range n {
				changes = append(changes, store.Change{Kind: store.ChangeUser, WorkspaceID: "ws_aaaaaaaaaaaaaaaa", ID: fmt.Sprintf("usr_%016d", i)})
			}
			ps, err := payloads("origin", changes)
			if err != nil {
				t.Fatal(err)
			}
			var back []store.Change
			for _, p := range ps {
				if len(p) > maxPayload {
					t.Errorf("payload of %d bytes", len(p))
				}
				var m notification
				if err := json.Unmarshal([]byte(p), &m); err != nil || m.Origin != "origin" {
					t.Fatalf("payload %s: %+v, %v", p, m, err)
				}
				if m.Kind != "" {
					back = append(back, store.Change{Kind: m.Kind, WorkspaceID: m.WorkspaceID, ID: m.ID})
				}
				for _, c := range m.Changes {
					back = append(back, store.Change{Kind: store.ChangeKind(c[0]), WorkspaceID: c[1], ID: c[2]})
				}
			}
			if !slices.Equal(back, changes) {
				t.Errorf("read back %d changes from %d payloads, want the %d sent", len(back), len(ps), n)
			}
			// As full as they can be: one more change would not fit.
			item := len(`["user","ws_aaaaaaaaaaaaaaaa","usr_0000000000000000"],`)
			if min := (n*item + maxPayload - 1) / maxPayload; len(ps) > min+1 {
				t.Errorf("%d changes in %d payloads, want about %d", n, len(ps), min)
			}
			if n == 1 && strings.Contains(ps[0], `"c"`) {
				t.Errorf("a single change in the payload of several: %s", ps[0])
			}
			if n == store.MaxUserChanges && len(ps) != 1 {
				t.Errorf("a group write's %d user changes took %d notifications, want one", n, len(ps))
			}
		})
	}
}
