package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlstore"
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
	now := sqlstore.FormatTime(time.Now())
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
	old := sqlstore.FormatTime(time.Now().Add(-2 * changesKept))
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
