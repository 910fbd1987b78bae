package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
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
	t.Parallel()
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
	// The rename must come to wait for the lock of grp_c, which this
	// transaction holds; if it ends first, it did not wait.
	for waiting := false; !waiting; {
		select {
		case err := <-renamed:
			t.Fatalf("the rename ended (%v) without waiting for the write to grp_c", err)
		case <-time.After(5 * time.Millisecond):
		}
		if err := st.pool.QueryRow(ctx, `SELECT count(*) > 0 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%ORDER BY seq FOR SHARE'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
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
// packed into as few notifications as fit PostgreSQL's limit, and that a
// store that receives them publishes them as they were sent; and that
// one it cannot read in full makes it drop everything.
func TestNotificationPayloads(t *testing.T) {
	t.Parallel()
	st := openTest(t, testDB(t))
	var (
		mu  sync.Mutex
		got []store.Change
	)
	live := make(chan struct{}, 1)
	defer st.Subscribe(func(c store.Change) {
		mu.Lock()
		defer mu.Unlock()
		if c.Kind == store.ChangeReset && got == nil {
			select {
			case live <- struct{}{}:
			default:
			}
			return
		}
		got = append(got, c)
	})()
	<-live // the reset of a new listener
	take := func() []store.Change {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = []store.Change{}
		return out
	}
	take()
	for _, n := range []int{1, 2, store.MaxUserChanges, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var changes []store.Change
			for i := range n {
				changes = append(changes, store.Change{Kind: store.ChangeUser, WorkspaceID: "ws_aaaaaaaaaaaaaaaa", ID: fmt.Sprintf("usr_%016d", i)})
			}
			ps, err := payloads("another store", changes)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				if len(p) > maxPayload {
					t.Errorf("payload of %d bytes", len(p))
				}
				st.deliver(p)
			}
			if back := take(); !slices.Equal(back, changes) {
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
	// A token of the installation has no workspace: its change travels
	// with an empty one.
	ps, err := payloads("another store", []store.Change{{Kind: store.ChangeToken, ID: "tok_a"}, {Kind: store.ChangeUser, WorkspaceID: "ws_a", ID: "usr_a"}})
	if err != nil {
		t.Fatal(err)
	}
	st.deliver(ps[0])
	if back := take(); len(back) != 2 || back[0] != (store.Change{Kind: store.ChangeToken, ID: "tok_a"}) {
		t.Errorf("read back %+v", back)
	}
	// Changes keep the correlation id of the request that made them.
	correlated := []store.Change{{Kind: store.ChangeUser, WorkspaceID: "ws_a", ID: "usr_a", CorrelationID: "req-1"}}
	for _, changes := range [][]store.Change{correlated, append(correlated, store.Change{Kind: store.ChangeEvents, WorkspaceID: "ws_a"})} {
		ps, err := payloads("another store", changes)
		if err != nil {
			t.Fatal(err)
		}
		st.deliver(ps[0])
		if back := take(); !slices.Equal(back, changes) {
			t.Errorf("read back %+v, want %+v", back, changes)
		}
	}
	for _, p := range []string{
		`not JSON`,
		`{"o":"another store"}`,
		`{"o":"another store","c":[["user"]]}`,
		`{"o":"another store","c":[["user","ws_a","usr_a","req-1","more"]]}`,
		`{"o":"another store","c":[["user","ws_a","usr_a"],["","ws_a","usr_b"]]}`,
		`{"o":"another store","c":[["user","ws_a",3]]}`,
	} {
		st.deliver(p)
		if back := take(); !slices.Equal(back, []store.Change{{Kind: store.ChangeReset}}) {
			t.Errorf("payload %s: published %+v, want a reset", p, back)
		}
	}
}

// TestGroupChangesOfDeletedWorkspace checks that the records of a
// deleted workspace go with it, their users too.
func TestGroupChangesOfDeletedWorkspace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openTest(t, testDB(t))
	gone := groupChangeRecord(t, st, "ws_b")
	kept := groupChangeRecord(t, st, "ws_a")
	if err := st.DeleteWorkspace(ctx, "ws_b"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.GroupChangeUsers(ctx, "ws_b", gone, "", 10); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record of a deleted workspace: %v, want ErrNotFound", err)
	}
	var n int
	if err := st.pool.QueryRow(ctx, `SELECT count(*) FROM group_change_users u JOIN group_changes c ON c.id = u.change_id WHERE c.workspace_id = 'ws_a'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	var all int
	if err := st.pool.QueryRow(ctx, `SELECT count(*) FROM group_change_users`).Scan(&all); err != nil || all != n {
		t.Errorf("%d rows of records' users (%v), want only ws_a's %d", all, err, n)
	}
	if users, _, err := st.GroupChangeUsers(ctx, "ws_a", kept, "", 1000); err != nil || len(users) != store.MaxUserChanges+1 {
		t.Errorf("the other workspace's record: %d users, %v", len(users), err)
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
