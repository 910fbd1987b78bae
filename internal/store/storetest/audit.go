package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// testAudit checks the audit log: what is stored comes back, every filter
// selects what it says, pages cover the log exactly once, and pruning
// deletes only what is older than asked.
func testAudit(t *testing.T, newStore NewStore) {
	c := newClock()
	st := newStore(t, c.now)
	t.Run("RoundTrip", func(t *testing.T) { testAuditRoundTrip(t, st, c) })
	t.Run("Filters", func(t *testing.T) { testAuditFilters(t, newStore(t, c.now)) })
	t.Run("Paging", func(t *testing.T) { testAuditPaging(t, newStore(t, c.now)) })
	t.Run("Prune", func(t *testing.T) { testAuditPrune(t, newStore(t, c.now)) })
	t.Run("Activity", func(t *testing.T) { testAuditActivity(t, newStore(t, c.now)) })
	t.Run("Concurrent", func(t *testing.T) { testAuditConcurrent(t, newStore(t, time.Now)) })
}

// testAuditConcurrent appends from several writers at once, as replicas
// do: every entry is stored once, under an id of its own.
func testAuditConcurrent(t *testing.T, st store.Store) {
	const writers, batches, size = 4, 10, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var es []store.AuditEntry
				for i := range size {
					es = append(es, store.AuditEntry{Channel: "scim", Action: "user.get", Target: fmt.Sprintf("usr_%d_%d_%d", w, b, i)})
				}
				errs <- st.AppendAudit(context.Background(), es)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ids, targets := map[int64]bool{}, map[string]bool{}
	q := store.AuditQuery{Limit: 64}
	for {
		p := mustQuery(t, st, q)
		for _, e := range p.Entries {
			ids[e.ID], targets[e.Target] = true, true
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	if n := writers * batches * size; len(ids) != n || len(targets) != n {
		t.Errorf("%d ids and %d targets, want %d of each", len(ids), len(targets), n)
	}
}

func mustAppend(t *testing.T, st store.Store, es ...store.AuditEntry) {
	t.Helper()
	if err := st.AppendAudit(context.Background(), es); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
}

func mustQuery(t *testing.T, st store.Store, q store.AuditQuery) store.AuditPage {
	t.Helper()
	p, err := st.QueryAudit(context.Background(), q)
	if err != nil {
		t.Fatalf("QueryAudit(%+v): %v", q, err)
	}
	return p
}

// sameJSON reports whether two JSON texts hold the same value: PostgreSQL
// keeps jsonb in its own layout.
func sameJSON(a, b []byte) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func testAuditRoundTrip(t *testing.T, st store.Store, c *clock) {
	ctx := context.Background()
	t0 := c.now()
	full := store.AuditEntry{
		ID:            999,                                            // ignored
		Time:          t0.Add(-time.Second + 1234567*time.Nanosecond), // older than bare
		WorkspaceID:   "ws_a",
		Channel:       "scim",
		Action:        "user.create",
		Actor:         "token:tok_1",
		Target:        "usr_1",
		CorrelationID: "req-1",
		Status:        201,
		Duration:      1500*time.Microsecond + 700*time.Nanosecond,
		Payload:       json.RawMessage(`{"method": "POST", "diff": {"userName": {"new": "alice"}}, "n": 1.5}`),
	}
	bare := store.AuditEntry{Channel: "admin", Action: "workspace.create"} // zero time: now
	mustAppend(t, st, full, bare)
	if err := st.AppendAudit(ctx, nil); err != nil {
		t.Errorf("AppendAudit of nothing: %v", err)
	}

	p := mustQuery(t, st, store.AuditQuery{})
	if len(p.Entries) != 2 || p.Next != "" {
		t.Fatalf("QueryAudit: %d entries, next %q; want 2 and none", len(p.Entries), p.Next)
	}
	got, gotBare := p.Entries[1], p.Entries[0]
	if got.ID <= 0 || gotBare.ID <= got.ID {
		t.Errorf("ids %d, %d: want positive and increasing", got.ID, gotBare.ID)
	}
	want := full
	want.ID = got.ID
	want.Time = t0.Add(-time.Second + 1234*time.Microsecond)
	want.Duration = 1500 * time.Microsecond
	if !sameJSON(got.Payload, want.Payload) {
		t.Errorf("payload %s, want %s", got.Payload, want.Payload)
	}
	got.Payload, want.Payload = nil, nil
	if !got.Time.Equal(want.Time) || got.Time.Location() != time.UTC {
		t.Errorf("time %v, want %v in UTC", got.Time, want.Time)
	}
	got.Time = want.Time
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entry\n got %+v\nwant %+v", got, want)
	}
	wantBare := store.AuditEntry{ID: gotBare.ID, Time: t0, Channel: "admin", Action: "workspace.create"}
	if !gotBare.Time.Equal(t0) {
		t.Errorf("zero time stored as %v, want the store's now %v", gotBare.Time, t0)
	}
	gotBare.Time = t0
	if !reflect.DeepEqual(gotBare, wantBare) {
		t.Errorf("bare entry\n got %+v\nwant %+v", gotBare, wantBare)
	}

	// A batch is one transaction: a bad entry stores none.
	bad := []store.AuditEntry{
		{Channel: "scim", Action: "user.delete", Target: "usr_2"},
		{Channel: "scim"},
	}
	if err := st.AppendAudit(ctx, bad); !errors.Is(err, store.ErrInvalidAudit) {
		t.Errorf("entry without action: %v, want ErrInvalidAudit", err)
	}
	for _, payload := range []string{`[1]`, `{"a":`, `"x"`} {
		err := st.AppendAudit(ctx, []store.AuditEntry{{Channel: "scim", Action: "user.delete", Payload: json.RawMessage(payload)}})
		if !errors.Is(err, store.ErrInvalidAudit) {
			t.Errorf("payload %s: %v, want ErrInvalidAudit", payload, err)
		}
	}
	if p := mustQuery(t, st, store.AuditQuery{Action: "user.delete"}); len(p.Entries) != 0 {
		t.Errorf("failed batches stored %d entries", len(p.Entries))
	}

	// NUL and invalid UTF-8, which PostgreSQL cannot store, become
	// U+FFFD everywhere.
	mustAppend(t, st, store.AuditEntry{Channel: "scim", Action: "user.get", Target: "usr_\x00x\xff",
		Payload: json.RawMessage("{\"path\":\"/Users/usr_\\u0000x\xff\",\"k\\u0000\":\"\\\\u0000\",\"n\":12345678901234567890}")})
	p = mustQuery(t, st, store.AuditQuery{Action: "user.get"})
	if len(p.Entries) != 1 {
		t.Fatalf("entry with NUL: %d entries", len(p.Entries))
	}
	if e := p.Entries[0]; e.Target != "usr_\uFFFDx\uFFFD" || !sameJSON(e.Payload, []byte(`{"path":"/Users/usr_\uFFFDx\uFFFD","k\uFFFD":"\\u0000","n":12345678901234567890}`)) {
		t.Errorf("entry with NUL stored as target %q payload %s", e.Target, e.Payload)
	}
}

func testAuditFilters(t *testing.T, st store.Store) {
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	type row struct {
		ws, channel, action, actor, target, corr string
		min                                      int
	}
	rows := []row{
		{"ws_a", "scim", "user.create", "token:tok_a", "usr_1", "c1", 0},
		{"ws_a", "scim", "user.patch", "token:tok_a", "usr_1", "c2", 1},
		{"ws_a", "scim", "group.patch", "token:tok_b", "grp_1", "c2", 2},
		{"ws_b", "scim", "user.create", "token:tok_c", "usr_2", "c3", 3},
		{"ws_b", "admin", "token.revoke", "cli", "tok_c", "", 4},
		{"", "admin", "workspace.create", "cli", "ws_b", "", 5},
		{"ws_a", "effect", "user.deactivate", "", "usr_1", "c2", 6},
		{"ws_a", "scim", "users", "token:tok_a", "", "c4", 7}, // no "." after "user"
	}
	var es []store.AuditEntry
	for _, r := range rows {
		es = append(es, store.AuditEntry{Time: base.Add(time.Duration(r.min) * time.Minute), WorkspaceID: r.ws, Channel: r.channel,
			Action: r.action, Actor: r.actor, Target: r.target, CorrelationID: r.corr})
	}
	mustAppend(t, st, es[:4]...)
	mustAppend(t, st, es[4:]...)
	all := mustQuery(t, st, store.AuditQuery{}).Entries
	if len(all) != len(rows) {
		t.Fatalf("%d entries, want %d", len(all), len(rows))
	}
	// minutes of the entries, newest first
	mins := func(p store.AuditPage) []int {
		var out []int
		for _, e := range p.Entries {
			out = append(out, int(e.Time.Sub(base)/time.Minute))
		}
		return out
	}
	for _, tt := range []struct {
		name string
		q    store.AuditQuery
		want []int
	}{
		{"all", store.AuditQuery{}, []int{7, 6, 5, 4, 3, 2, 1, 0}},
		{"workspace", store.AuditQuery{WorkspaceID: "ws_a"}, []int{7, 6, 2, 1, 0}},
		{"channel", store.AuditQuery{Channel: "admin"}, []int{5, 4}},
		{"action", store.AuditQuery{Action: "user.create"}, []int{3, 0}},
		{"action prefix", store.AuditQuery{Action: "user.*"}, []int{6, 3, 1, 0}},
		{"action star", store.AuditQuery{Action: "*"}, []int{7, 6, 5, 4, 3, 2, 1, 0}},
		{"channel and action", store.AuditQuery{Channel: "scim", Action: "user.*"}, []int{3, 1, 0}},
		{"actor", store.AuditQuery{Actor: "token:tok_a"}, []int{7, 1, 0}},
		{"target", store.AuditQuery{Target: "usr_1"}, []int{6, 1, 0}},
		{"correlation id", store.AuditQuery{CorrelationID: "c2"}, []int{6, 2, 1}},
		{"since", store.AuditQuery{Since: base.Add(5 * time.Minute)}, []int{7, 6, 5}},
		{"until", store.AuditQuery{Until: base.Add(2 * time.Minute)}, []int{1, 0}},
		{"since and until", store.AuditQuery{Since: base.Add(2 * time.Minute), Until: base.Add(4 * time.Minute)}, []int{3, 2}},
		{"after id", store.AuditQuery{AfterID: all[4].ID}, []int{7, 6, 5, 4}},
		{"workspace and target", store.AuditQuery{WorkspaceID: "ws_b", Target: "usr_1"}, nil},
		{"nothing", store.AuditQuery{CorrelationID: "nope"}, nil},
	} {
		if got := mins(mustQuery(t, st, tt.q)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: entries %v, want %v", tt.name, got, tt.want)
		}
	}
}

func testAuditPaging(t *testing.T, st store.Store) {
	ctx := context.Background()
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	// Entries share times, and are stored out of time order, so that
	// pages must order by time and then id.
	var es []store.AuditEntry
	for i := range 25 {
		ts := base.Add(time.Duration(i/3) * time.Second)
		if i%5 == 0 {
			ts = ts.Add(-time.Hour)
		}
		es = append(es, store.AuditEntry{Time: ts, Channel: "scim", Action: "user.get", Target: fmt.Sprintf("usr_%02d", i)})
	}
	mustAppend(t, st, es...)
	want := mustQuery(t, st, store.AuditQuery{Limit: 1000}).Entries
	if len(want) != len(es) {
		t.Fatalf("%d entries, want %d", len(want), len(es))
	}
	for i := 1; i < len(want); i++ {
		a, b := want[i-1], want[i]
		if a.Time.Before(b.Time) || a.Time.Equal(b.Time) && a.ID < b.ID {
			t.Fatalf("entries %d and %d out of order: %v #%d, %v #%d", i-1, i, a.Time, a.ID, b.Time, b.ID)
		}
	}
	for _, limit := range []int{1, 4, 24, 25} {
		var got []store.AuditEntry
		q := store.AuditQuery{Limit: limit}
		for range 30 {
			p := mustQuery(t, st, q)
			if len(p.Entries) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(p.Entries))
			}
			got = append(got, p.Entries...)
			if p.Next == "" {
				break
			}
			q.Cursor = p.Next
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("limit %d: pages hold %d entries, not the %d of one listing in order", limit, len(got), len(want))
		}
	}
	// A cursor goes with the filters of its query.
	p := mustQuery(t, st, store.AuditQuery{Limit: 2, Since: base})
	p2 := mustQuery(t, st, store.AuditQuery{Limit: 100, Since: base, Cursor: p.Next})
	if len(p.Entries)+len(p2.Entries) != 20 || p2.Next != "" {
		t.Errorf("since, paged: %d + %d entries (next %q), want 20", len(p.Entries), len(p2.Entries), p2.Next)
	}
	if p := mustQuery(t, st, store.AuditQuery{}); len(p.Entries) != len(es) {
		t.Errorf("default limit: %d entries", len(p.Entries))
	}
	// Not base64; a resource cursor ("s1"); "a1.0", id 0; "a1", no id.
	for _, cur := range []string{"no pe", "czE", "YTEuMA", "YTE"} {
		if _, err := st.QueryAudit(ctx, store.AuditQuery{Cursor: cur}); !errors.Is(err, store.ErrInvalidCursor) {
			t.Errorf("cursor %q: %v, want ErrInvalidCursor", cur, err)
		}
	}
	for _, limit := range []int{-1, store.MaxAuditLimit + 1} {
		if _, err := st.QueryAudit(ctx, store.AuditQuery{Limit: limit}); !errors.Is(err, store.ErrInvalidAudit) {
			t.Errorf("limit %d: %v, want ErrInvalidAudit", limit, err)
		}
	}
}

func testAuditPrune(t *testing.T, st store.Store) {
	ctx := context.Background()
	cut := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	// More old entries than a backend deletes at once (1,000 for SQLite,
	// 5,000 for PostgreSQL), so that pruning takes several batches.
	const old = 5100
	es := make([]store.AuditEntry, 0, old+2)
	for i := range old {
		es = append(es, store.AuditEntry{Time: cut.Add(-time.Duration(old-i) * time.Second), Channel: "scim", Action: "user.get"})
	}
	es = append(es,
		store.AuditEntry{Time: cut, Channel: "scim", Action: "user.create"},
		store.AuditEntry{Time: cut.Add(time.Hour), Channel: "scim", Action: "user.delete"})
	mustAppend(t, st, es...)
	n, err := st.PruneAudit(ctx, cut)
	if err != nil || n != old {
		t.Fatalf("PruneAudit: %d, %v; want %d", n, err, old)
	}
	p := mustQuery(t, st, store.AuditQuery{})
	if len(p.Entries) != 2 || p.Entries[0].Action != "user.delete" || p.Entries[1].Action != "user.create" {
		t.Errorf("after pruning: %+v", p.Entries)
	}
	if n, err := st.PruneAudit(ctx, cut); err != nil || n != 0 {
		t.Errorf("PruneAudit again: %d, %v; want 0", n, err)
	}
	// Ids are never reused, even when the newest entries were pruned:
	// a follower's last id must not hide new entries.
	last := p.Entries[0].ID
	if _, err := st.PruneAudit(ctx, cut.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, st, store.AuditEntry{Channel: "scim", Action: "user.create"})
	if p := mustQuery(t, st, store.AuditQuery{AfterID: last}); len(p.Entries) != 1 {
		t.Errorf("after pruning all: %d entries after id %d, want the new one", len(p.Entries), last)
	}
}

// testAuditInWrite checks that the audit entries a write carries in its
// Effects are stored with it, and only with it: a write that fails leaves
// no entry, and an entry the log refuses fails the write.
func testAuditInWrite(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	entry := func(action, target string) []store.AuditEntry {
		return []store.AuditEntry{{WorkspaceID: "ws_a", Channel: "scim", Action: action, Target: target, CorrelationID: "req-" + action,
			Status: 200, Payload: json.RawMessage(`{"method":"X"}`)}}
	}
	writes := []struct {
		name    string
		write   func(audit []store.AuditEntry) error
		wantErr error
		stored  bool
	}{
		{"create", func(a []store.AuditEntry) error {
			return st.CreateResource(ctx, user("ws_a", "usr_1", "ada"), store.Effects{Audit: a})
		}, nil, true},
		{"create taken", func(a []store.AuditEntry) error {
			return st.CreateResource(ctx, user("ws_a", "usr_2", "ADA"), store.Effects{Audit: a})
		}, store.ErrAlreadyExists, false},
		{"update", func(a []store.AuditEntry) error {
			_, err := st.UpdateResource(ctx, "ws_a", "User", "usr_1", false, func(r *store.Resource) (*store.Update, error) {
				return &store.Update{Doc: map[string]any{"userName": "ada", "active": false}, Effects: store.Effects{Audit: a}}, nil
			})
			return err
		}, nil, true},
		{"update refused", func(a []store.AuditEntry) error {
			_, err := st.UpdateResource(ctx, "ws_a", "User", "usr_1", false, func(r *store.Resource) (*store.Update, error) {
				return nil, store.ErrSeatLimit
			})
			return err
		}, store.ErrSeatLimit, false},
		{"update with a bad entry", func(a []store.AuditEntry) error {
			a[0].Payload = json.RawMessage(`[1]`)
			_, err := st.UpdateResource(ctx, "ws_a", "User", "usr_1", false, func(r *store.Resource) (*store.Update, error) {
				return &store.Update{Doc: map[string]any{"userName": "eve"}, Effects: store.Effects{Audit: a}}, nil
			})
			return err
		}, store.ErrInvalidAudit, false},
		{"delete", func(a []store.AuditEntry) error {
			return st.DeleteResource(ctx, "ws_a", "User", "usr_1", func(r *store.Resource) (*store.Deletion, error) {
				return &store.Deletion{Effects: store.Effects{Audit: a}}, nil
			})
		}, nil, true},
	}
	for _, w := range writes {
		action := strings.ReplaceAll(w.name, " ", "_")
		if err := w.write(entry(action, "usr_1")); !errors.Is(err, w.wantErr) || (w.wantErr == nil && err != nil) {
			t.Fatalf("%s: %v, want %v", w.name, err, w.wantErr)
		}
		p := mustQuery(t, st, store.AuditQuery{Action: action})
		if got := len(p.Entries); got != map[bool]int{true: 1}[w.stored] {
			t.Errorf("%s: %d entries, want stored %v", w.name, got, w.stored)
			continue
		}
		if w.stored {
			if e := p.Entries[0]; e.CorrelationID != "req-"+action || e.Status != 200 || e.Target != "usr_1" || string(e.Payload) != `{"method": "X"}` && string(e.Payload) != `{"method":"X"}` {
				t.Errorf("%s: entry %+v", w.name, e)
			}
		}
	}
	// The bad entry left the user as it was.
	if r, err := st.Resource(ctx, "ws_a", "User", "usr_1", false); err == nil && r.Doc["userName"] == "eve" {
		t.Error("a write whose audit entry was refused was kept")
	}
}

// testAuditActivity sums up a workspace's requests by actor over a
// period: counts, errors and each actor's latest entry, leaving out other
// workspaces, channels and what came before.
func testAuditActivity(t *testing.T, st store.Store) {
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	type row struct {
		ws, channel, actor, action string
		status, min                int
		ua                         string
	}
	var es []store.AuditEntry
	for _, r := range []row{
		{"ws_a", "scim", "token:tok_a", "user.create", 201, -90, "Okta SCIM Client 1.0.0"}, // before the period
		{"ws_a", "scim", "token:tok_a", "user.create", 201, 0, "Okta SCIM Client 1.0.0"},
		{"ws_a", "scim", "token:tok_a", "user.patch", 404, 5, "Okta SCIM Client 1.0.0"},
		{"ws_a", "scim", "token:tok_a", "user.list", 200, 9, "Okta SCIM Client 1.1.0"},
		{"ws_a", "scim", "token:tok_b", "group.patch", 500, 7, "Azure AD SCIM"},
		{"ws_a", "scim", "token:tok_b", "group.patch", 204, 7, "Azure AD SCIM 2"}, // same time: the later id is the last
		{"ws_a", "admin", "cli:ops", "token.create", 201, 8, ""},                  // another channel
		{"ws_b", "scim", "token:tok_c", "user.create", 201, 3, "OneLogin"},        // another workspace
		{"ws_a", "scim", "", "request", 401, 4, ""},                               // no actor
	} {
		e := store.AuditEntry{Time: base.Add(time.Duration(r.min) * time.Minute), WorkspaceID: r.ws, Channel: r.channel,
			Actor: r.actor, Action: r.action, Status: r.status}
		if r.ua != "" {
			e.Payload = json.RawMessage(`{"headers": {"User-Agent": "` + r.ua + `"}}`)
		}
		es = append(es, e)
	}
	mustAppend(t, st, es...)

	got, err := st.AuditActivity(context.Background(), "ws_a", "scim", base.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		actor, lastAction, ua string
		n, errors, lastStatus int
		lastMin               int
	}
	var sums []summary
	for _, a := range got {
		var p struct {
			Headers map[string]string `json:"headers"`
		}
		json.Unmarshal(a.Last.Payload, &p)
		sums = append(sums, summary{a.Actor, a.Last.Action, p.Headers["User-Agent"], a.Entries, a.Errors, a.Last.Status, int(a.Last.Time.Sub(base) / time.Minute)})
	}
	want := []summary{
		{"token:tok_a", "user.list", "Okta SCIM Client 1.1.0", 3, 1, 200, 9},
		{"token:tok_b", "group.patch", "Azure AD SCIM 2", 2, 1, 204, 7},
	}
	if !reflect.DeepEqual(sums, want) {
		t.Errorf("activity\n got %+v\nwant %+v", sums, want)
	}
	if got, err := st.AuditActivity(context.Background(), "ws_a", "scim", base.Add(time.Hour)); err != nil || len(got) != 0 {
		t.Errorf("activity of a period with nothing: %+v, %v", got, err)
	}
}
