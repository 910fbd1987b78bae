package client_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/scimd/scimd/client"
)

func TestFeed(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // token.created twice (SCIM, app), user.created ada
	c := e.newClient()
	bob := e.srv.CreateUser(e.ws, "bob@acme.test")
	e.srv.SetActive(e.ws, bob, false)

	last, err := c.LastSeq(e.ctx)
	if err != nil || last != 5 {
		t.Fatalf("LastSeq = %d, %v; want 5", last, err)
	}
	f := c.Feed(2)
	f.Limit = 2 // two pages
	var got []string
	for range 3 {
		ev, err := f.Next(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Type+" "+ev.Subject)
		if f.Cursor() != ev.Seq || ev.ID == "" || ev.Occurred.IsZero() || len(ev.Data) == 0 {
			t.Errorf("event %+v, cursor %d", ev, f.Cursor())
		}
	}
	want := []string{"user.created " + e.ada, "user.created " + bob, "user.deactivated " + bob}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("events %q, want %q", got, want)
	}

	// A saved cursor resumes after the last event returned.
	saved := f.Cursor()
	go func() {
		time.Sleep(50 * time.Millisecond)
		e.srv.SetActive(e.ws, bob, true)
	}()
	// Next waits, in a long poll, for the event to come.
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	resumed := c.Feed(saved)
	for ev, err := range resumed.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Seq != 6 || ev.Type != "user.reactivated" || ev.Subject != bob {
			t.Errorf("after resuming: %+v", ev)
		}
		break
	}
	if resumed.Cursor() != 6 {
		t.Errorf("cursor %d after the sixth event", resumed.Cursor())
	}

	// A page that waits and gets nothing is empty, with next as after.
	p, err := c.Events(e.ctx, 6, 0, 10*time.Millisecond)
	if err != nil || len(p.Events) != 0 || p.Next != 6 {
		t.Errorf("waited page %+v, %v", p, err)
	}
	// Next returns when its context ends.
	ctx, cancel = context.WithTimeout(e.ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := resumed.Next(ctx); err == nil {
		t.Error("Next returned no error when its context ended")
	}
	if resumed.Cursor() != 6 {
		t.Errorf("cursor %d after an error", resumed.Cursor())
	}
}

func TestLastSeq(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newClient()
	// With 3 to 20 events (the workspace's tokens' two, ada's), LastSeq
	// finds the last however it falls among its probes.
	for n := int64(3); n <= 20; n++ {
		if n > 3 {
			e.srv.CreateUser(e.ws, fmt.Sprintf("user%d@acme.test", n))
		}
		if got, err := c.LastSeq(e.ctx); err != nil || got != n {
			t.Errorf("LastSeq with %d events = %d, %v", n, got, err)
		}
	}
	empty := e.srv.NewWorkspace("empty")
	c, err := client.New(e.srv.URL, empty.AppToken, client.WithWorkspace("empty"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.LastSeq(e.ctx); err != nil || got != 2 {
		t.Errorf("LastSeq with its tokens' two events = %d, %v", got, err)
	}
}
