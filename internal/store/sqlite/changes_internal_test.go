package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

func openInternal(t *testing.T, path string) *Store {
	t.Helper()
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestPollerFindsGaps checks that a store whose poller finds that rows it
// had not read were pruned tells its subscribers to drop everything, and
// that pruning keeps recent rows and the latest.
func TestPollerFindsGaps(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "scimd.db")
	a, b := openInternal(t, path), openInternal(t, path)
	var (
		mu  sync.Mutex
		got []store.Change
	)
	defer b.Subscribe(func(c store.Change) {
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
	})()
	resets := func() (n int, other []store.Change) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range got {
			if c.Kind == store.ChangeReset {
				n++
			} else {
				other = append(other, c)
			}
		}
		return n, other
	}
	waitResets := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if got, _ := resets(); got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("fewer than %d resets: %+v", n, got)
			}
		}
	}
	waitResets(1)

	// Three changes, of which the first two are gone before b reads them.
	now := formatTime(time.Now())
	if err := a.rawTx(ctx, func(tx *sql.Tx) error {
		for _, id := range []string{"tok_1", "tok_2", "tok_3"} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO changes (at, origin, kind, workspace_id, object_id) VALUES (?, 'elsewhere', 'token', 'ws_a', ?)`, now, id); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM changes WHERE object_id IN ('tok_1', 'tok_2')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	waitResets(2)
	if _, other := resets(); len(other) != 0 {
		t.Errorf("changes delivered beside the reset: %+v", other)
	}

	// Old rows go when the next change is recorded, but for the latest.
	old := formatTime(time.Now().Add(-2 * changesKept))
	if _, err := a.w.ExecContext(ctx, `UPDATE changes SET at = ?`, old); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateWorkspace(ctx, store.Workspace{ID: "ws_a", Slug: "alpha", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateToken(ctx, store.Token{ID: "tok_9", Kind: store.TokenAdmin, Name: "t", Hash: []byte("h"), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeToken(ctx, "tok_9", time.Now()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := a.w.QueryRowContext(ctx, `SELECT count(*) FROM changes`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d rows after pruning (%v), want only the new one", n, err)
	}
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, other := resets(); len(other) == 1 && other[0] == (store.Change{Kind: store.ChangeToken, ID: "tok_9"}) {
			break
		}
		if time.Now().After(deadline) {
			_, other := resets()
			t.Fatalf("the revocation did not reach the other store: %+v", other)
		}
	}

	// Recent rows stay, and so do the old rows after them: only the old
	// rows before the first recent one go.
	if err := a.rawTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE changes SET at = ?`, old); err != nil {
			return err
		}
		for _, at := range []string{old, old, now, old} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO changes (at, origin, kind, workspace_id, object_id) VALUES (?, 'elsewhere', 'x', '', '')`, at); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeToken(ctx, "tok_9", time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	var ats []string
	rows, err := a.w.QueryContext(ctx, `SELECT at FROM changes ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var at string
		rows.Scan(&at)
		ats = append(ats, at)
	}
	rows.Close()
	if len(ats) != 3 || ats[0] != now || ats[1] != old || ats[2] < now {
		t.Errorf("rows after pruning at %v, want the recent one, the old one after it and the new one", ats)
	}
}

// TestGroupChangesPruned checks that a group change's record goes, with
// its users, once it is older than store.GroupChangesKept.
func TestGroupChangesPruned(t *testing.T) {
	ctx := context.Background()
	st := openInternal(t, filepath.Join(t.TempDir(), "scimd.db"))
	old := groupChangeRecord(t, st)
	if _, err := st.w.ExecContext(ctx, `UPDATE group_changes SET at = ?`, formatTime(time.Now().Add(-store.GroupChangesKept-time.Minute))); err != nil {
		t.Fatal(err)
	}
	kept := groupChangeRecord(t, st)
	if _, _, err := st.GroupChangeUsers(ctx, "ws_a", old, "", 10); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record older than kept: %v, want ErrNotFound", err)
	}
	if users, _, err := st.GroupChangeUsers(ctx, "ws_a", kept, "", 1000); err != nil || len(users) != store.MaxUserChanges+1 {
		t.Errorf("the new record: %d users, %v", len(users), err)
	}
	var n int
	if err := st.w.QueryRowContext(ctx, `SELECT count(*) FROM group_change_users`).Scan(&n); err != nil || n != store.MaxUserChanges+1 {
		t.Errorf("%d rows of records' users (%v), want only the new record's %d", n, err, store.MaxUserChanges+1)
	}
}

// groupChangeRecord renames a group of more users than a change names,
// made on first use, and returns the id of the record of the change.
func groupChangeRecord(t *testing.T, st *Store) string {
	t.Helper()
	ctx := context.Background()
	if _, err := st.WorkspaceByID(ctx, "ws_a"); errors.Is(err, store.ErrNotFound) {
		if err := st.CreateWorkspace(ctx, store.Workspace{ID: "ws_a", Slug: "alpha", Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
		g := &store.Resource{Type: "Group", ID: "grp_1", WorkspaceID: "ws_a", Doc: map[string]any{"displayName": "g"}}
		for i := range store.MaxUserChanges + 1 {
			u := &store.Resource{Type: "User", ID: fmt.Sprintf("usr_%d", i), WorkspaceID: "ws_a", Doc: map[string]any{"userName": fmt.Sprint(i)}}
			if err := st.CreateResource(ctx, u, store.Effects{}); err != nil {
				t.Fatal(err)
			}
			g.Members = append(g.Members, store.Member{Value: u.ID})
		}
		if err := st.CreateResource(ctx, g, store.Effects{}); err != nil {
			t.Fatal(err)
		}
	}
	var got []store.Change
	defer st.Subscribe(func(c store.Change) {
		if c.Kind == store.ChangeGroups {
			got = append(got, c)
		}
	})()
	if _, err := st.UpdateResource(ctx, "ws_a", "Group", "grp_1", false, func(r *store.Resource) (*store.Update, error) {
		return &store.Update{Doc: map[string]any{"displayName": r.Doc["displayName"].(string) + "+"}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("renaming a large group published %+v, want one ChangeGroups", got)
	}
	return got[0].ID
}
