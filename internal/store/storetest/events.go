package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// testEvents checks the outbox: each workspace's events are numbered from
// 1 without gaps, a follower never sees a later event before an earlier
// one, and events come back as appended, page by page.
func testEvents(t *testing.T, newStore NewStore) {
	c := newClock()
	t.Run("Numbering", func(t *testing.T) { testEventsNumbering(t, newStore(t, c.now), c) })
	t.Run("RoundTrip", func(t *testing.T) { testEventsRoundTrip(t, newStore(t, c.now)) })
	t.Run("Paging", func(t *testing.T) { testEventsPaging(t, newStore(t, c.now)) })
	t.Run("Invalid", func(t *testing.T) { testEventsInvalid(t, newStore(t, c.now)) })
	t.Run("Concurrent", func(t *testing.T) { testEventsConcurrent(t, newStore(t, time.Now)) })
	t.Run("DeletedWorkspace", func(t *testing.T) { testEventsDeletedWorkspace(t, newStore(t, c.now)) })
}

func event(typ, subject, data string) store.NewEvent {
	return store.NewEvent{Type: typ, Subject: subject, Data: json.RawMessage(data)}
}

func mustAppendEvents(t *testing.T, st store.Store, ws string, evs ...store.NewEvent) []store.Event {
	t.Helper()
	out, err := st.AppendEvents(context.Background(), ws, evs)
	if err != nil {
		t.Fatalf("AppendEvents(%s): %v", ws, err)
	}
	if len(out) != len(evs) {
		t.Fatalf("AppendEvents(%s) of %d events returned %d", ws, len(evs), len(out))
	}
	return out
}

func mustEvents(t *testing.T, st store.Store, ws string, after int64, limit int) []store.Event {
	t.Helper()
	evs, err := st.Events(context.Background(), ws, after, limit)
	if err != nil {
		t.Fatalf("Events(%s, %d, %d): %v", ws, after, limit, err)
	}
	return evs
}

func seqs(evs []store.Event) []int64 {
	s := make([]int64, len(evs))
	for i, e := range evs {
		s[i] = e.Seq
	}
	return s
}

// sameEvent reports whether two events are the same, their data compared
// as JSON values.
func sameEvent(a, b store.Event) bool {
	return a.Seq == b.Seq && a.ID == b.ID && a.WorkspaceID == b.WorkspaceID && a.Type == b.Type &&
		a.Occurred.Equal(b.Occurred) && a.Subject == b.Subject && sameJSON(a.Data, b.Data)
}

func testEventsNumbering(t *testing.T, st store.Store, c *clock) {
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	ids := map[string]bool{}
	for _, step := range []struct {
		ws   string
		n    int
		want []int64
	}{
		{"ws_a", 2, []int64{1, 2}},
		{"ws_b", 1, []int64{1}},
		{"ws_a", 3, []int64{3, 4, 5}},
		{"ws_b", 2, []int64{2, 3}},
		{"ws_a", 1, []int64{6}},
	} {
		var in []store.NewEvent
		for i := range step.n {
			in = append(in, event("user.updated", fmt.Sprintf("usr_%d", i), fmt.Sprintf(`{"i": %d}`, i)))
		}
		got := mustAppendEvents(t, st, step.ws, in...)
		if !slices.Equal(seqs(got), step.want) {
			t.Errorf("appending %d to %s: seqs %v, want %v", step.n, step.ws, seqs(got), step.want)
		}
		for i, e := range got {
			if e.WorkspaceID != step.ws || e.Type != in[i].Type || e.Subject != in[i].Subject || !sameJSON(e.Data, in[i].Data) {
				t.Errorf("appended %+v as %+v", in[i], e)
			}
			if !e.Occurred.Equal(c.now()) {
				t.Errorf("event %d occurred %v, want the store's time %v", e.Seq, e.Occurred, c.now())
			}
			if !strings.HasPrefix(e.ID, "evt_") || ids[e.ID] {
				t.Errorf("event id %q: want a new evt_ id", e.ID)
			}
			ids[e.ID] = true
		}
	}
	if evs := mustEvents(t, st, "ws_a", 0, 100); !slices.Equal(seqs(evs), []int64{1, 2, 3, 4, 5, 6}) {
		t.Errorf("ws_a's outbox holds %v, want 1 to 6", seqs(evs))
	}
	if evs, err := st.AppendEvents(context.Background(), "ws_a", nil); err != nil || len(evs) != 0 {
		t.Errorf("appending nothing: %+v, %v", evs, err)
	}
	if got := mustAppendEvents(t, st, "ws_a", event("user.created", "", "")); got[0].Seq != 7 {
		t.Errorf("after appending nothing, the next seq is %d, want 7", got[0].Seq)
	}
}

func testEventsRoundTrip(t *testing.T, st store.Store) {
	mustWorkspace(t, st, "ws_a", "alpha")
	in := []store.NewEvent{
		event("user.created", "usr_1", `{"user": {"id": "usr_1", "userName": "ada", "emails": ["ada@example.com"]}, "n": 1.5, "ok": true, "none": null}`),
		event("group.renamed", "grp_1", ` {"from": "Zoë ✓", "to": "日本 \"quoted\""} `),
		event("workspace.configured", "", ""),
		event("user.deleted", "usr_1", `{}`),
	}
	appended := mustAppendEvents(t, st, "ws_a", in...)
	wantData := []string{string(in[0].Data), string(in[1].Data), `{}`, `{}`}
	for i, e := range appended {
		if !sameJSON(e.Data, []byte(wantData[i])) {
			t.Errorf("event %d appended with data %s, want %s", e.Seq, e.Data, wantData[i])
		}
	}
	got := mustEvents(t, st, "ws_a", 0, 10)
	if len(got) != len(appended) {
		t.Fatalf("read %d events, want %d", len(got), len(appended))
	}
	for i := range got {
		if !sameEvent(got[i], appended[i]) {
			t.Errorf("read %+v (data %s), want %+v (data %s)", got[i], got[i].Data, appended[i], appended[i].Data)
		}
	}
}

func testEventsPaging(t *testing.T, st store.Store) {
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	for _, n := range []int{4, 1, 5} {
		evs := make([]store.NewEvent, n)
		for i := range evs {
			evs[i] = event("user.updated", "usr_1", "")
		}
		mustAppendEvents(t, st, "ws_a", evs...)
	}
	mustAppendEvents(t, st, "ws_b", event("user.created", "usr_2", ""), event("user.created", "usr_3", ""))
	for _, tt := range []struct {
		ws    string
		after int64
		limit int
		want  []int64
	}{
		{"ws_a", 0, 3, []int64{1, 2, 3}},
		{"ws_a", 3, 3, []int64{4, 5, 6}},
		{"ws_a", 8, 5, []int64{9, 10}},
		{"ws_a", 0, 100, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"ws_a", 5, 1, []int64{6}},
		{"ws_a", 10, 5, nil},
		{"ws_a", 100, 5, nil},
		{"ws_b", 0, 10, []int64{1, 2}},
		{"ws_b", 1, 10, []int64{2}},
		{"ws_x", 0, 10, nil},
	} {
		got := mustEvents(t, st, tt.ws, tt.after, tt.limit)
		if !slices.Equal(seqs(got), tt.want) {
			t.Errorf("Events(%s, after %d, limit %d): %v, want %v", tt.ws, tt.after, tt.limit, seqs(got), tt.want)
		}
		for _, e := range got {
			if e.WorkspaceID != tt.ws {
				t.Errorf("Events(%s) returned an event of %s", tt.ws, e.WorkspaceID)
			}
		}
	}
}

// testEventsInvalid checks that a batch with a bad event, or for no
// workspace, is refused whole.
func testEventsInvalid(t *testing.T, st store.Store) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	good := event("user.created", "usr_1", `{"ok": true}`)
	for _, tt := range []struct {
		name string
		bad  store.NewEvent
	}{
		{"data is an array", event("user.created", "usr_1", `[1, 2]`)},
		{"data is a string", event("user.created", "usr_1", `"text"`)},
		{"data is not JSON", event("user.created", "usr_1", `{"a":`)},
		{"no type", event("", "usr_1", `{}`)},
	} {
		if _, err := st.AppendEvents(ctx, "ws_a", []store.NewEvent{good, tt.bad}); err == nil {
			t.Errorf("%s: appended", tt.name)
		}
	}
	if _, err := st.AppendEvents(ctx, "ws_x", []store.NewEvent{good}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("appending to an unknown workspace: %v, want ErrNotFound", err)
	}
	if evs := mustEvents(t, st, "ws_a", 0, 10); len(evs) != 0 {
		t.Errorf("refused batches left %d events", len(evs))
	}
	if got := mustAppendEvents(t, st, "ws_a", good); got[0].Seq != 1 {
		t.Errorf("after refused batches the first seq is %d, want 1", got[0].Seq)
	}
}

// testEventsConcurrent appends from many writers at once, as replicas do,
// while a follower reads the outbox: every event gets a seq of its own,
// without gaps, each batch's seqs are consecutive, and the follower, which
// pages on from the last seq it read, never finds a gap: a later event is
// never visible before an earlier one.
func testEventsConcurrent(t *testing.T, st store.Store) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	const writers, batches, size = 8, 10, 3
	done := make(chan struct{})
	var (
		follower sync.WaitGroup
		followed int64
	)
	follower.Go(func() {
		var after int64
		for {
			var finished bool
			select {
			case <-done:
				finished = true // every append has committed: read to the end
			default:
			}
			evs, err := st.Events(ctx, "ws_a", after, 7)
			if err != nil {
				t.Error(err)
				return
			}
			for _, e := range evs {
				if e.Seq != after+1 {
					t.Errorf("following the outbox from seq %d, the next event read is %d", after, e.Seq)
					return
				}
				after = e.Seq
			}
			if finished && len(evs) == 0 {
				followed = after
				return
			}
		}
	})
	var wg sync.WaitGroup
	for w := range writers {
		ws := []string{"ws_a", "ws_b"}[w%2]
		wg.Go(func() {
			for b := range batches {
				var in []store.NewEvent
				for i := range size {
					in = append(in, event("user.updated", fmt.Sprintf("usr_%d_%d_%d", w, b, i), ""))
				}
				out, err := st.AppendEvents(ctx, ws, in)
				if err != nil {
					t.Error(err)
					return
				}
				for i := 1; i < len(out); i++ {
					if out[i].Seq != out[i-1].Seq+1 {
						t.Errorf("one batch got seqs %v, want consecutive ones", seqs(out))
						break
					}
				}
			}
		})
	}
	wg.Wait()
	close(done)
	follower.Wait()
	if t.Failed() {
		return
	}
	perWorkspace := int64(writers / 2 * batches * size)
	if followed != perWorkspace {
		t.Errorf("the follower read up to seq %d, want %d", followed, perWorkspace)
	}
	for _, ws := range []string{"ws_a", "ws_b"} {
		var (
			all   []store.Event
			after int64
		)
		for {
			evs := mustEvents(t, st, ws, after, 50)
			if len(evs) == 0 {
				break
			}
			all = append(all, evs...)
			after = evs[len(evs)-1].Seq
		}
		ids := map[string]bool{}
		subjects := map[string]bool{}
		for i, e := range all {
			if e.Seq != int64(i+1) {
				t.Fatalf("%s: event %d has seq %d; seqs must run from 1 without gaps", ws, i, e.Seq)
			}
			ids[e.ID], subjects[e.Subject] = true, true
		}
		if int64(len(all)) != perWorkspace || int64(len(ids)) != perWorkspace || int64(len(subjects)) != perWorkspace {
			t.Errorf("%s: %d events, %d ids, %d subjects; want %d of each", ws, len(all), len(ids), len(subjects), perWorkspace)
		}
	}
}

// testEventsDeletedWorkspace checks that a workspace's outbox, numbering
// included, goes with it.
func testEventsDeletedWorkspace(t *testing.T, st store.Store) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustAppendEvents(t, st, "ws_a", event("user.created", "usr_1", ""), event("user.created", "usr_2", ""))
	mustAppendEvents(t, st, "ws_b", event("user.created", "usr_3", ""))
	if err := st.DeleteWorkspace(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	if evs := mustEvents(t, st, "ws_a", 0, 10); len(evs) != 0 {
		t.Errorf("a deleted workspace's outbox holds %d events", len(evs))
	}
	// A workspace made again under the same id starts afresh.
	mustWorkspace(t, st, "ws_a", "alpha")
	if got := mustAppendEvents(t, st, "ws_a", event("user.created", "usr_1", "")); got[0].Seq != 1 {
		t.Errorf("the first event of a workspace made again has seq %d, want 1", got[0].Seq)
	}
	// The other workspace keeps its outbox and its numbering.
	if evs := mustEvents(t, st, "ws_b", 0, 10); !slices.Equal(seqs(evs), []int64{1}) {
		t.Errorf("the other workspace's outbox holds %v, want [1]", seqs(evs))
	}
	if got := mustAppendEvents(t, st, "ws_b", event("user.created", "usr_4", "")); got[0].Seq != 2 {
		t.Errorf("the other workspace's next seq is %d, want 2", got[0].Seq)
	}
}
