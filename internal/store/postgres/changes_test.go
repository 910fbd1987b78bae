package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// TestListenReconnects ends the listening connection's backend, as a
// database restart or a network fault would: the store must connect again,
// tell its subscribers to drop what they hold, and hear changes again.
func TestListenReconnects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := testDB(t)
	a, b := openTest(t, dbURL), openTest(t, dbURL)
	// Checked often, so that the checks of a silent connection run too.
	a.listenIdle = 50 * time.Millisecond

	var (
		mu     sync.Mutex
		got    []store.Change
		notify = make(chan struct{}, 1)
	)
	defer a.Subscribe(func(c store.Change) {
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
		select {
		case notify <- struct{}{}:
		default:
		}
	})()
	count := func(c store.Change) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, g := range got {
			if g == c {
				n++
			}
		}
		return n
	}
	waitFor := func(c store.Change, n int, within time.Duration) {
		t.Helper()
		deadline := time.After(within)
		for count(c) < n {
			select {
			case <-notify:
			case <-deadline:
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("not %d× %+v within %v; got %+v", n, c, within, got)
			}
		}
	}
	reset := store.Change{Kind: store.ChangeReset}
	waitFor(reset, 1, 5*time.Second)
	time.Sleep(300 * time.Millisecond) // a few checks of the idle connection
	if n := count(reset); n != 1 {
		t.Fatalf("%d resets while the connection was fine, want 1", n)
	}

	pid := a.listenPID.Load()
	var ended bool
	if err := b.pool.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, int32(pid)).Scan(&ended); err != nil || !ended {
		t.Fatalf("terminating the listening backend %d: %v, %v", pid, ended, err)
	}
	waitFor(reset, 2, 5*time.Second)
	if a.listenPID.Load() == pid {
		t.Error("listening on the same backend after it was terminated")
	}

	// Changes reach the store again.
	if err := b.CreateWorkspace(ctx, store.Workspace{ID: "ws_a", Slug: "alpha", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateToken(ctx, store.Token{ID: "tok_1", WorkspaceID: "ws_a", Name: "t", Hash: []byte("h"), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := b.RevokeToken(ctx, "tok_1", time.Now()); err != nil {
		t.Fatal(err)
	}
	waitFor(store.Change{Kind: store.ChangeToken, WorkspaceID: "ws_a", ID: "tok_1"}, 1, time.Second)
}

func TestChannelName(t *testing.T) {
	if got := channelName("public"); got != "scimd_changes:public" {
		t.Errorf("channelName(public) = %q", got)
	}
	long := channelName("a_schema_name_long_enough_to_need_hashing_into_the_channel_name")
	if len(long) > 63 || long == channelName("a_schema_name_long_enough_to_need_hashing_into_the_channel_nam") {
		t.Errorf("long schema names: %q", long)
	}
}
