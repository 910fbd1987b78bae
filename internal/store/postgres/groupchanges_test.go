package postgres

import (
	"context"
	"encoding/json"
	"errors"
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

// TestGroupChangesPruned checks that a group change's record goes, with
// its users, once it is older than store.GroupChangesKept, and that so do
// the users of records gone before it with their workspace.
func TestGroupChangesPruned(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, testDB(t))
	gone := groupChangeRecord(t, st, "ws_b")
	old := groupChangeRecord(t, st, "ws_a")
	if err := st.DeleteWorkspace(ctx, "ws_b"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.pool.Exec(ctx, `UPDATE group_changes SET at = $1`, time.Now().Add(-store.GroupChangesKept-time.Minute)); err != nil {
		t.Fatal(err)
	}
	kept := groupChangeRecord(t, st, "ws_a")
	if _, _, err := st.GroupChangeUsers(ctx, "ws_a", old, "", 10); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record older than kept: %v, want ErrNotFound", err)
	}
	if _, _, err := st.GroupChangeUsers(ctx, "ws_b", gone, "", 10); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record of a deleted workspace: %v, want ErrNotFound", err)
	}
	if users, _, err := st.GroupChangeUsers(ctx, "ws_a", kept, "", 1000); err != nil || len(users) != store.MaxUserChanges+1 {
		t.Errorf("the new record: %d users, %v", len(users), err)
	}
	var n int
	if err := st.pool.QueryRow(ctx, `SELECT count(*) FROM group_change_users`).Scan(&n); err != nil || n != store.MaxUserChanges+1 {
		t.Errorf("%d rows of records' users (%v), want only the new record's %d", n, err, store.MaxUserChanges+1)
	}
}

// groupChangeRecord renames a group of workspace ws of more users than a
// change names, made on first use, and returns the id of the record of
// the change.
func groupChangeRecord(t *testing.T, st *Store, ws string) string {
	t.Helper()
	ctx := context.Background()
	g := "grp_" + ws
	if _, err := st.WorkspaceByID(ctx, ws); errors.Is(err, store.ErrNotFound) {
		if err := st.CreateWorkspace(ctx, store.Workspace{ID: ws, Slug: ws, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
		r := &store.Resource{Type: "Group", ID: g, WorkspaceID: ws, Doc: map[string]any{"displayName": "g"}}
		for i := range store.MaxUserChanges + 1 {
			u := &store.Resource{Type: "User", ID: fmt.Sprintf("usr_%s_%d", ws, i), WorkspaceID: ws, Doc: map[string]any{"userName": fmt.Sprint(i)}}
			if err := st.CreateResource(ctx, u, store.Effects{}); err != nil {
				t.Fatal(err)
			}
			r.Members = append(r.Members, store.Member{Value: u.ID})
		}
		if err := st.CreateResource(ctx, r, store.Effects{}); err != nil {
			t.Fatal(err)
		}
	}
	var got []store.Change
	defer st.Subscribe(func(c store.Change) {
		if c.Kind == store.ChangeGroups {
			got = append(got, c)
		}
	})()
	if _, err := st.UpdateResource(ctx, ws, "Group", g, false, func(r *store.Resource) (*store.Update, error) {
		return &store.Update{Doc: map[string]any{"displayName": r.Doc["displayName"].(string) + "+"}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("renaming a large group published %+v, want one ChangeGroups", got)
	}
	return got[0].ID
}
