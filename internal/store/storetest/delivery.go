package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/store"
)

// testDelivery checks webhooks, the fan-out of events to their
// deliveries, and the claims on outbox cursors and deliveries that let
// several processes share the work, each piece done by one of them.
func testDelivery(t *testing.T, newStore NewStore) {
	c := newClock()
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, newStore(t, c.now), c) })
	t.Run("FanOut", func(t *testing.T) { testFanOut(t, newStore(t, c.now)) })
	t.Run("StartConsumer", func(t *testing.T) { testStartConsumer(t, newStore(t, c.now)) })
	t.Run("CursorLease", func(t *testing.T) { c := newClock(); testCursorLease(t, newStore(t, c.now), c) })
	t.Run("Deliveries", func(t *testing.T) { c := newClock(); testDeliveries(t, newStore(t, c.now), c) })
	t.Run("TestWebhook", func(t *testing.T) { c := newClock(); testTestWebhook(t, newStore(t, c.now), c) })
	t.Run("ConcurrentFanOut", func(t *testing.T) { testConcurrentFanOut(t, newStore(t, time.Now)) })
	t.Run("ConcurrentCursorClaims", func(t *testing.T) { testConcurrentCursorClaims(t, newStore(t, time.Now)) })
	t.Run("ConcurrentDeliveryClaims", func(t *testing.T) { testConcurrentDeliveryClaims(t, newStore(t, time.Now)) })
}

func mustWebhook(t *testing.T, st store.Store, ws, id string, types ...string) store.Webhook {
	t.Helper()
	w := store.Webhook{ID: id, WorkspaceID: ws, URL: "https://example.com/" + id, Secret: "whsec_" + id, EventTypes: types, Enabled: true}
	if err := st.CreateWebhook(context.Background(), &w); err != nil {
		t.Fatalf("create webhook %s: %v", id, err)
	}
	return w
}

// fanOutAll fans out until no workspace has events left, and returns the
// events and deliveries counted.
func fanOutAll(t *testing.T, st store.Store, limit int) (events, deliveries int) {
	t.Helper()
	for range 10000 {
		res, err := st.FanOut(context.Background(), limit)
		if err != nil {
			t.Fatalf("FanOut: %v", err)
		}
		if res.WorkspaceID == "" {
			return events, deliveries
		}
		events, deliveries = events+res.Events, deliveries+res.Deliveries
	}
	t.Fatal("FanOut never ran out of events")
	return 0, 0
}

// deliveryLog returns every delivery of a webhook, newest event first.
func deliveryLog(t *testing.T, st store.Store, ws, webhook string, status store.DeliveryStatus) []store.Delivery {
	t.Helper()
	page, err := st.Deliveries(context.Background(), store.DeliveryQuery{WorkspaceID: ws, WebhookID: webhook, Status: status, Limit: 1000})
	if err != nil {
		t.Fatalf("Deliveries(%s, %s): %v", webhook, status, err)
	}
	return page.Deliveries
}

// sameDelivery reports whether two deliveries are the same, their times
// compared as instants.
func sameDelivery(a, b store.Delivery) bool {
	sameTimes := a.NextAttempt.Equal(b.NextAttempt) && a.LeaseUntil.Equal(b.LeaseUntil) &&
		a.LastAttempt.Equal(b.LastAttempt) && a.DeliveredAt.Equal(b.DeliveredAt)
	a.NextAttempt, a.LeaseUntil, a.LastAttempt, a.DeliveredAt = b.NextAttempt, b.LeaseUntil, b.LastAttempt, b.DeliveredAt
	sameLog := slices.EqualFunc(a.AttemptLog, b.AttemptLog, func(x, y store.DeliveryAttempt) bool {
		return x.At.Equal(y.At) && x.Status == y.Status && x.Error == y.Error && x.Response == y.Response
	})
	a.AttemptLog, b.AttemptLog = nil, nil
	return sameTimes && sameLog && reflect.DeepEqual(a, b)
}

func eventSeqs(ds []store.Delivery) []int64 {
	s := make([]int64, len(ds))
	for i, d := range ds {
		s[i] = d.EventSeq
	}
	return s
}

func testWebhooks(t *testing.T, st store.Store, c *clock) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustAppendEvents(t, st, "ws_a", event("user.created", "usr_1", ""), event("user.created", "usr_2", ""))

	w1 := mustWebhook(t, st, "ws_a", "wh_1", "user.created", "group.*")
	if w1.AfterSeq != 2 || !w1.Created.Equal(c.now()) {
		t.Errorf("created %+v: want AfterSeq 2, the end of the outbox, and the store's time", w1)
	}
	c.set(c.now().Add(time.Second))
	w2 := mustWebhook(t, st, "ws_a", "wh_2")
	if wb := mustWebhook(t, st, "ws_b", "wh_3"); wb.AfterSeq != 0 {
		t.Errorf("a webhook of a workspace without events has AfterSeq %d", wb.AfterSeq)
	}
	if err := st.CreateWebhook(ctx, &store.Webhook{ID: "wh_1", WorkspaceID: "ws_b", URL: "https://x", Secret: "s"}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("creating a webhook with a taken id: %v, want ErrAlreadyExists", err)
	}
	if err := st.CreateWebhook(ctx, &store.Webhook{ID: "wh_9", WorkspaceID: "ws_x", URL: "https://x", Secret: "s"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("creating a webhook in no workspace: %v, want ErrNotFound", err)
	}

	got, err := st.Webhook(ctx, "ws_a", "wh_1")
	if err != nil || !slices.Equal(got.EventTypes, w1.EventTypes) || got.URL != w1.URL || got.Secret != w1.Secret ||
		!got.Enabled || !got.Created.Equal(w1.Created) || got.AfterSeq != 2 || got.DisabledReason != "" {
		t.Errorf("Webhook: %+v, %v; want %+v", got, err, w1)
	}
	if got, err := st.Webhook(ctx, "ws_a", "wh_2"); err != nil || got.EventTypes != nil {
		t.Errorf("a webhook for every type reads as %+v, %v; want nil EventTypes", got, err)
	}
	if _, err := st.Webhook(ctx, "ws_b", "wh_1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another workspace's webhook: %v, want ErrNotFound", err)
	}
	list, err := st.Webhooks(ctx, "ws_a")
	if err != nil || len(list) != 2 || list[0].ID != w1.ID || list[1].ID != w2.ID {
		t.Errorf("Webhooks: %+v, %v; want wh_1, wh_2", list, err)
	}

	updated, err := st.UpdateWebhook(ctx, "ws_a", "wh_1", func(w *store.Webhook) error {
		w.URL, w.Secret, w.EventTypes, w.Enabled, w.DisabledReason = "https://example.com/new", "whsec_new", nil, false, "410 Gone"
		w.AfterSeq, w.Created, w.WorkspaceID = 99, time.Time{}, "ws_b" // not to be stored
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	reread, _ := st.Webhook(ctx, "ws_a", "wh_1")
	for _, w := range []store.Webhook{updated, reread} {
		if w.URL != "https://example.com/new" || w.Secret != "whsec_new" || w.EventTypes != nil || w.Enabled || w.DisabledReason != "410 Gone" ||
			w.AfterSeq != 2 || !w.Created.Equal(w1.Created) || w.WorkspaceID != "ws_a" {
			t.Errorf("updated webhook %+v", w)
		}
	}
	boom := errors.New("boom")
	if _, err := st.UpdateWebhook(ctx, "ws_a", "wh_1", func(w *store.Webhook) error { w.URL = "https://lost"; return boom }); err != boom {
		t.Errorf("UpdateWebhook whose closure fails: %v, want its error as is", err)
	}
	if w, _ := st.Webhook(ctx, "ws_a", "wh_1"); w.URL != "https://example.com/new" {
		t.Errorf("a failed update was written: %s", w.URL)
	}
	if _, err := st.UpdateWebhook(ctx, "ws_b", "wh_1", func(*store.Webhook) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating another workspace's webhook: %v, want ErrNotFound", err)
	}

	if err := st.DeleteWebhook(ctx, "ws_b", "wh_1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting another workspace's webhook: %v, want ErrNotFound", err)
	}
	if err := st.DeleteWebhook(ctx, "ws_a", "wh_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Webhook(ctx, "ws_a", "wh_1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted webhook: %v, want ErrNotFound", err)
	}
	if err := st.DeleteWebhook(ctx, "ws_a", "wh_1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting a webhook again: %v, want ErrNotFound", err)
	}
	if err := st.DeleteWorkspace(ctx, "beta"); err != nil {
		t.Fatal(err)
	}
	mustWorkspace(t, st, "ws_b", "beta")
	if list, err := st.Webhooks(ctx, "ws_b"); err != nil || len(list) != 0 {
		t.Errorf("a deleted workspace's webhooks: %+v, %v", list, err)
	}
}

// testFanOut checks that each event becomes one delivery for each
// enabled webhook that wants it and was created before it, and that the
// cursor passes each event once.
func testFanOut(t *testing.T, st store.Store) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustAppendEvents(t, st, "ws_a", event("user.created", "usr_0", "")) // before every webhook
	mustWebhook(t, st, "ws_a", "wh_all")
	mustWebhook(t, st, "ws_a", "wh_users", "user.*")
	mustWebhook(t, st, "ws_a", "wh_some", "user.created", "group.deleted")
	mustWebhook(t, st, "ws_a", "wh_off")
	if _, err := st.UpdateWebhook(ctx, "ws_a", "wh_off", func(w *store.Webhook) error { w.Enabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	mustWebhook(t, st, "ws_b", "wh_b")
	evs := mustAppendEvents(t, st, "ws_a",
		event("user.created", "usr_1", ""), event("user.updated", "usr_1", ""),
		event("group.deleted", "grp_1", ""), event("group.created", "grp_2", ""))
	mustAppendEvents(t, st, "ws_b", event("user.created", "usr_9", ""))

	if events, deliveries := fanOutAll(t, st, 100); events != 6 || deliveries != 9 {
		t.Errorf("fanned out %d events into %d deliveries, want 6 into 9", events, deliveries)
	}
	for _, tt := range []struct {
		ws, webhook string
		want        []int64
	}{
		{"ws_a", "wh_all", []int64{5, 4, 3, 2}},
		{"ws_a", "wh_users", []int64{3, 2}},
		{"ws_a", "wh_some", []int64{4, 2}},
		{"ws_a", "wh_off", nil},
		{"ws_b", "wh_b", []int64{1}},
	} {
		got := deliveryLog(t, st, tt.ws, tt.webhook, "")
		if !slices.Equal(eventSeqs(got), tt.want) {
			t.Errorf("deliveries of %s are of events %v, want %v", tt.webhook, eventSeqs(got), tt.want)
		}
		for _, d := range got {
			if d.WorkspaceID != tt.ws || d.WebhookID != tt.webhook || d.Status != store.DeliveryPending || d.Attempts != 0 ||
				d.NextAttempt.IsZero() || !d.LeaseUntil.IsZero() || !d.LastAttempt.IsZero() || d.ID == "" {
				t.Errorf("new delivery %+v: want pending, due, unclaimed and never attempted", d)
			}
			if tt.ws == "ws_a" && (d.EventID != evs[d.EventSeq-2].ID || d.EventType != evs[d.EventSeq-2].Type) {
				t.Errorf("delivery of event %d names %s %s, want %s %s", d.EventSeq, d.EventID, d.EventType, evs[d.EventSeq-2].ID, evs[d.EventSeq-2].Type)
			}
		}
	}

	// Each event is passed once: only new ones are fanned out.
	if res, err := st.FanOut(ctx, 100); err != nil || res.WorkspaceID != "" {
		t.Errorf("FanOut with nothing new: %+v, %v", res, err)
	}
	mustAppendEvents(t, st, "ws_a", event("user.deleted", "usr_1", ""))
	if res, err := st.FanOut(ctx, 100); err != nil || res != (store.FanOutResult{WorkspaceID: "ws_a", Events: 1, Deliveries: 2}) {
		t.Errorf("FanOut of one more event: %+v, %v; want 1 event into 2 deliveries", res, err)
	}

	// limit bounds the events of one call.
	mustAppendEvents(t, st, "ws_b", event("a.b", "", ""), event("a.b", "", ""), event("a.b", "", ""), event("a.b", "", ""), event("a.b", "", ""))
	var got []int
	for {
		res, err := st.FanOut(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if res.WorkspaceID == "" {
			break
		}
		got = append(got, res.Events)
	}
	if !slices.Equal(got, []int{2, 2, 1}) {
		t.Errorf("5 events fanned out 2 at a time in batches of %v, want [2 2 1]", got)
	}
	if n := len(deliveryLog(t, st, "ws_b", "wh_b", store.DeliveryPending)); n != 6 {
		t.Errorf("wh_b has %d deliveries, want 6", n)
	}
}

// testStartConsumer checks that a new consumer starts at the end of the
// outboxes there are, and at the start of those that come later.
func testStartConsumer(t *testing.T, st store.Store) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustAppendEvents(t, st, "ws_a", event("user.created", "usr_1", ""), event("user.created", "usr_2", ""))
	if err := st.StartConsumer(ctx, "mail"); err != nil {
		t.Fatal(err)
	}
	claim := func(owner string) (store.OutboxCursor, bool) {
		t.Helper()
		c, ok, err := st.ClaimCursor(ctx, "mail", owner, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return c, ok
	}
	if c, ok := claim("a"); ok {
		t.Errorf("a new consumer claimed %+v: the events before it started are not its", c)
	}
	// Another consumer, never started, reads from the first event.
	if c, ok, err := st.ClaimCursor(ctx, "other", "a", time.Minute); err != nil || !ok || c.WorkspaceID != "ws_a" || c.Seq != 0 {
		t.Errorf("a consumer that was not started claimed %+v, %v, %v; want ws_a from 0", c, ok, err)
	}

	mustAppendEvents(t, st, "ws_b", event("user.created", "usr_3", ""))
	if c, ok := claim("a"); !ok || c.WorkspaceID != "ws_b" || c.Seq != 0 {
		t.Errorf("claimed %+v, %v; want ws_b from 0: it had no events when the consumer started", c, ok)
	}
	mustWorkspace(t, st, "ws_c", "gamma")
	mustAppendEvents(t, st, "ws_c", event("user.created", "usr_4", ""))
	if c, ok := claim("b"); !ok || c.WorkspaceID != "ws_c" || c.Seq != 0 {
		t.Errorf("claimed %+v, %v; want ws_c, made after the consumer started, from 0", c, ok)
	}

	// Starting again changes nothing.
	if err := st.StartConsumer(ctx, "mail"); err != nil {
		t.Fatal(err)
	}
	mustAppendEvents(t, st, "ws_a", event("user.created", "usr_5", ""))
	if c, ok := claim("c"); !ok || c.WorkspaceID != "ws_a" || c.Seq != 2 {
		t.Errorf("claimed %+v, %v; want ws_a from 2", c, ok)
	}
}

// testCursorLease checks that a claim holds until its lease runs out,
// that another claim then takes over from the progress recorded, and
// that the first can no longer write.
func testCursorLease(t *testing.T, st store.Store, c *clock) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustAppendEvents(t, st, "ws_a", event("user.created", "usr_1", ""), event("user.created", "usr_2", ""), event("user.created", "usr_3", ""))
	claim := func(owner string) (store.OutboxCursor, bool) {
		t.Helper()
		cur, ok, err := st.ClaimCursor(ctx, "nats", owner, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return cur, ok
	}
	a, ok := claim("a")
	if !ok || a.Consumer != "nats" || a.WorkspaceID != "ws_a" || a.Seq != 0 || a.Last != 3 || a.Owner != "a" || !a.LeaseUntil.Equal(c.now().Add(time.Minute)) {
		t.Fatalf("claimed %+v, %v; want nats in ws_a at 0 of 3, held by a for a minute", a, ok)
	}
	if b, ok := claim("b"); ok {
		t.Errorf("claimed %+v while a's lease holds", b)
	}
	c.set(c.now().Add(30 * time.Second))
	if err := st.AdvanceCursor(ctx, &a, 2, time.Minute); err != nil {
		t.Fatal(err)
	}
	if a.Seq != 2 || !a.LeaseUntil.Equal(c.now().Add(time.Minute)) {
		t.Errorf("advanced to %+v; want seq 2, leased a minute from now", a)
	}
	if err := st.AdvanceCursor(ctx, &a, 1, time.Minute); err == nil || errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("moving a cursor back: %v, want an error other than ErrLeaseLost", err)
	}
	c.set(c.now().Add(45 * time.Second))
	if b, ok := claim("b"); ok {
		t.Errorf("claimed %+v while a's extended lease holds", b)
	}

	// a's lease runs out; b takes over where a got to.
	c.set(c.now().Add(time.Minute))
	b, ok := claim("b")
	if !ok || b.Seq != 2 || b.Owner != "b" {
		t.Fatalf("claimed %+v, %v after a's lease ran out; want b at seq 2", b, ok)
	}
	if err := st.AdvanceCursor(ctx, &a, 3, time.Minute); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("a advancing after b took over: %v, want ErrLeaseLost", err)
	}
	if err := st.ReleaseCursor(ctx, a, 3, time.Time{}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("a releasing after b took over: %v, want ErrLeaseLost", err)
	}
	if err := st.ReleaseCursor(ctx, b, 3, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := st.ReleaseCursor(ctx, b, 3, time.Time{}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("releasing twice: %v, want ErrLeaseLost", err)
	}
	if cur, ok := claim("c"); ok {
		t.Errorf("claimed %+v with every event consumed", cur)
	}

	// A release with a retry time keeps the cursor until then.
	mustAppendEvents(t, st, "ws_a", event("user.created", "usr_4", ""))
	d, ok := claim("d")
	if !ok || d.Seq != 3 {
		t.Fatalf("claimed %+v, %v; want seq 3", d, ok)
	}
	if err := st.ReleaseCursor(ctx, d, 3, c.now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if cur, ok := claim("e"); ok {
		t.Errorf("claimed %+v before the retry time", cur)
	}
	c.set(c.now().Add(time.Hour))
	if cur, ok := claim("e"); !ok || cur.Seq != 3 {
		t.Errorf("claimed %+v, %v at the retry time; want seq 3", cur, ok)
	}
}

// testDeliveries follows deliveries through claims, attempts, the dead
// letter, redelivery and the log.
func testDeliveries(t *testing.T, st store.Store, c *clock) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustWebhook(t, st, "ws_a", "wh_1")
	mustWebhook(t, st, "ws_a", "wh_2", "user.created")
	evs := mustAppendEvents(t, st, "ws_a",
		event("user.created", "usr_1", `{"user": {"userName": "ada"}}`), event("user.updated", "usr_1", `{"n": 2}`), event("user.deleted", "usr_1", ""))
	fanOutAll(t, st, 100)

	claim := func(limit int) map[string]store.DueDelivery {
		t.Helper()
		due, err := st.ClaimDeliveries(ctx, limit, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]store.DueDelivery{}
		for _, d := range due {
			m[fmt.Sprintf("%s/%d", d.WebhookID, d.EventSeq)] = d
		}
		if len(m) != len(due) {
			t.Fatalf("one claim returned a delivery twice: %+v", due)
		}
		return m
	}
	first := claim(10)
	if len(first) != 4 {
		t.Fatalf("claimed %d deliveries, want 4", len(first))
	}
	for key, d := range first {
		e := evs[d.EventSeq-1]
		if !sameEvent(d.Event, e) || d.WorkspaceSlug != "alpha" || d.URL != "https://example.com/"+d.WebhookID || d.Secret != "whsec_"+d.WebhookID ||
			!d.LeaseUntil.Equal(c.now().Add(time.Minute)) || d.Status != store.DeliveryPending {
			t.Errorf("claimed %s as %+v (event data %s); want event %+v", key, d, d.Event.Data, e)
		}
	}
	if more := claim(10); len(more) != 0 {
		t.Errorf("claimed %d deliveries that other claims hold", len(more))
	}

	// The claims lapse and are taken over.
	c.set(c.now().Add(2 * time.Minute))
	taken := claim(10)
	if len(taken) != 4 {
		t.Fatalf("took over %d deliveries, want 4", len(taken))
	}
	at := c.now()
	if err := st.FinishDelivery(ctx, first["wh_1/1"].Delivery, store.DeliveryOutcome{At: at, Delivered: true, Status: 200}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("finishing under a lapsed claim: %v, want ErrLeaseLost", err)
	}
	retry := at.Add(10 * time.Second)
	for key, o := range map[string]store.DeliveryOutcome{
		"wh_1/1": {At: at, Status: 204, Delivered: true},
		"wh_1/2": {At: at, Status: 503, Error: "503 Service Unavailable", Retry: retry},
		"wh_1/3": {At: at, Error: "connection refused"},
		"wh_2/1": {At: at, Status: 410, Error: "410 Gone", DisableWebhook: "the endpoint answered 410 Gone"},
	} {
		if err := st.FinishDelivery(ctx, taken[key].Delivery, o); err != nil {
			t.Fatalf("finish %s: %v", key, err)
		}
	}
	if err := st.FinishDelivery(ctx, taken["wh_1/1"].Delivery, store.DeliveryOutcome{At: at, Delivered: true}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("finishing twice: %v, want ErrLeaseLost", err)
	}
	check := func(key string, want store.Delivery) {
		t.Helper()
		d, err := st.Delivery(ctx, "ws_a", taken[key].ID)
		if err != nil {
			t.Fatal(err)
		}
		want.ID, want.WebhookID, want.WorkspaceID, want.EventSeq, want.EventID, want.EventType =
			d.ID, taken[key].WebhookID, "ws_a", taken[key].EventSeq, taken[key].EventID, taken[key].EventType
		if !sameDelivery(d, want) {
			t.Errorf("%s is\n%+v, want\n%+v", key, d, want)
		}
	}
	attempt := func(at time.Time, status int, err string) []store.DeliveryAttempt {
		return []store.DeliveryAttempt{{At: at, Status: status, Error: err}}
	}
	check("wh_1/1", store.Delivery{Status: store.DeliveryDelivered, Attempts: 1, LastAttempt: at, LastStatus: 204, DeliveredAt: at,
		AttemptLog: attempt(at, 204, "")})
	check("wh_1/2", store.Delivery{Status: store.DeliveryPending, Attempts: 1, NextAttempt: retry, LastAttempt: at, LastStatus: 503, LastError: "503 Service Unavailable",
		AttemptLog: attempt(at, 503, "503 Service Unavailable")})
	check("wh_1/3", store.Delivery{Status: store.DeliveryDead, Attempts: 1, LastAttempt: at, LastError: "connection refused",
		AttemptLog: attempt(at, 0, "connection refused")})
	check("wh_2/1", store.Delivery{Status: store.DeliveryDead, Attempts: 1, LastAttempt: at, LastStatus: 410, LastError: "410 Gone",
		AttemptLog: attempt(at, 410, "410 Gone")})
	if w, _ := st.Webhook(ctx, "ws_a", "wh_2"); w.Enabled || w.DisabledReason != "the endpoint answered 410 Gone" {
		t.Errorf("webhook after a 410: %+v, want disabled with the reason", w)
	}

	// The retry is due at its time, not before.
	if due := claim(10); len(due) != 0 {
		t.Errorf("claimed %d deliveries before the retry was due", len(due))
	}
	c.set(retry)
	again := claim(10)
	if d, ok := again["wh_1/2"]; len(again) != 1 || !ok || d.Attempts != 1 {
		t.Fatalf("claimed %+v at the retry time, want wh_1/2 after 1 attempt", again)
	}
	if err := st.FinishDelivery(ctx, again["wh_1/2"].Delivery, store.DeliveryOutcome{At: retry, Status: 200, Delivered: true, Response: `{"ok":true}`}); err != nil {
		t.Fatal(err)
	}
	// Every attempt is kept, with what the endpoint answered, the last
	// one's outcome also on the delivery.
	check("wh_1/2", store.Delivery{Status: store.DeliveryDelivered, Attempts: 2, LastAttempt: retry, LastStatus: 200, DeliveredAt: retry,
		AttemptLog: append(attempt(at, 503, "503 Service Unavailable"), store.DeliveryAttempt{At: retry, Status: 200, Response: `{"ok":true}`})})

	// Redelivery makes a dead delivery due again, once its webhook is
	// enabled.
	d, err := st.Redeliver(ctx, "ws_a", taken["wh_2/1"].ID)
	if err != nil || d.Status != store.DeliveryPending || d.Attempts != 0 || !d.NextAttempt.Equal(c.now()) || d.LastStatus != 410 || len(d.AttemptLog) != 1 {
		t.Errorf("redelivered %+v, %v; want pending, due now, no attempts, the last one kept, the log too", d, err)
	}
	if due := claim(10); len(due) != 0 {
		t.Errorf("claimed %+v of a disabled webhook", due)
	}
	if _, err := st.UpdateWebhook(ctx, "ws_a", "wh_2", func(w *store.Webhook) error { w.Enabled, w.DisabledReason = true, ""; return nil }); err != nil {
		t.Fatal(err)
	}
	due := claim(10)
	if len(due) != 1 || due["wh_2/1"].ID != d.ID {
		t.Fatalf("claimed %+v after enabling the webhook, want the redelivery", due)
	}
	if err := st.FinishDelivery(ctx, due["wh_2/1"].Delivery, store.DeliveryOutcome{At: c.now(), Status: 202, Delivered: true}); err != nil {
		t.Fatal(err)
	}
	check("wh_2/1", store.Delivery{Status: store.DeliveryDelivered, Attempts: 1, LastAttempt: c.now(), LastStatus: 202, DeliveredAt: c.now(),
		AttemptLog: append(attempt(at, 410, "410 Gone"), attempt(c.now(), 202, "")...)})
	if _, err := st.Redeliver(ctx, "ws_b", d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("redelivering another workspace's delivery: %v, want ErrNotFound", err)
	}
	if _, err := st.Redeliver(ctx, "ws_a", "dlv_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("redelivering no delivery: %v, want ErrNotFound", err)
	}
	if _, err := st.Delivery(ctx, "ws_b", d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another workspace's delivery: %v, want ErrNotFound", err)
	}

	// The log, newest event first, by status and by page.
	for _, tt := range []struct {
		status store.DeliveryStatus
		want   []int64
	}{
		{"", []int64{3, 2, 1}},
		{store.DeliveryDead, []int64{3}},
		{store.DeliveryDelivered, []int64{2, 1}},
		{store.DeliveryPending, nil},
	} {
		if got := eventSeqs(deliveryLog(t, st, "ws_a", "wh_1", tt.status)); !slices.Equal(got, tt.want) {
			t.Errorf("log of wh_1 with status %q: events %v, want %v", tt.status, got, tt.want)
		}
	}
	q := store.DeliveryQuery{WorkspaceID: "ws_a", WebhookID: "wh_1", Limit: 2}
	p1, err := st.Deliveries(ctx, q)
	if err != nil || !slices.Equal(eventSeqs(p1.Deliveries), []int64{3, 2}) || p1.NextCursor == "" {
		t.Fatalf("first page %+v, %v", p1, err)
	}
	if l3, l2 := p1.Deliveries[0].AttemptLog, p1.Deliveries[1].AttemptLog; len(l3) != 1 || l3[0].Error != "connection refused" || len(l2) != 2 || l2[1].Status != 200 {
		t.Errorf("attempts in the log: %+v and %+v", l3, l2)
	}
	q.Cursor = p1.NextCursor
	if p2, err := st.Deliveries(ctx, q); err != nil || !slices.Equal(eventSeqs(p2.Deliveries), []int64{1}) || p2.NextCursor != "" {
		t.Errorf("second page %+v, %v", p2, err)
	}
	q.Cursor = "x"
	if _, err := st.Deliveries(ctx, q); !errors.Is(err, store.ErrInvalidCursor) {
		t.Errorf("a cursor the store did not issue: %v, want ErrInvalidCursor", err)
	}
	if got := deliveryLog(t, st, "ws_b", "wh_1", ""); len(got) != 0 {
		t.Errorf("another workspace lists %d deliveries of wh_1", len(got))
	}

	// Deliveries go with their webhook.
	if err := st.DeleteWebhook(ctx, "ws_a", "wh_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Delivery(ctx, "ws_a", taken["wh_1/1"].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted webhook's delivery: %v, want ErrNotFound", err)
	}
}

// reopen returns a second store on st's database, as another replica.
func reopen(t *testing.T, st store.Store) store.Store {
	t.Helper()
	r, ok := st.(Reopener)
	if !ok {
		t.Fatalf("%T does not implement storetest.Reopener", st)
	}
	return r.Reopen(t)
}

// testConcurrentFanOut fans out from two stores, several goroutines
// each, while writers append: every event is passed once, and every
// delivery made once.
func testConcurrentFanOut(t *testing.T, a store.Store) {
	ctx := context.Background()
	b := reopen(t, a)
	const workspaces, writers, batches, size = 6, 3, 10, 3
	for i := range workspaces {
		mustWorkspace(t, a, fmt.Sprintf("ws_%d", i), fmt.Sprintf("w%d", i))
		mustWebhook(t, a, fmt.Sprintf("ws_%d", i), fmt.Sprintf("wh_%d", i))
	}
	var (
		writing           sync.WaitGroup
		done              = make(chan struct{})
		mu                sync.Mutex
		events, delivered int
	)
	for w := range writers {
		writing.Go(func() {
			for n := range batches {
				evs := make([]store.NewEvent, size)
				for i := range evs {
					evs[i] = event("user.updated", fmt.Sprintf("usr_%d_%d_%d", w, n, i), "")
				}
				if _, err := a.AppendEvents(ctx, fmt.Sprintf("ws_%d", (w+n)%workspaces), evs); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var fanning sync.WaitGroup
	for i := range 6 {
		st := []store.Store{a, b}[i%2]
		fanning.Go(func() {
			for {
				res, err := st.FanOut(ctx, 4)
				if err != nil {
					t.Error(err)
					return
				}
				if res.WorkspaceID == "" {
					select {
					case <-done:
						return
					case <-time.After(time.Millisecond):
						continue
					}
				}
				mu.Lock()
				events, delivered = events+res.Events, delivered+res.Deliveries
				mu.Unlock()
			}
		})
	}
	writing.Wait()
	close(done)
	fanning.Wait()
	if t.Failed() {
		return
	}
	e, d := fanOutAll(t, a, 100)
	events, delivered = events+e, delivered+d
	const total = writers * batches * size
	if events != total || delivered != total {
		t.Errorf("%d events passed and %d deliveries made, want %d of each", events, delivered, total)
	}
	var n int
	for i := range workspaces {
		log := deliveryLog(t, a, fmt.Sprintf("ws_%d", i), fmt.Sprintf("wh_%d", i), "")
		for j, d := range log {
			if d.EventSeq != int64(len(log)-j) {
				t.Errorf("ws_%d: deliveries are of events %v, want each event once", i, eventSeqs(log))
				break
			}
		}
		n += len(log)
	}
	if n != total {
		t.Errorf("the logs hold %d deliveries, want %d", n, total)
	}
}

// testConcurrentCursorClaims claims cursors from two stores, several
// goroutines each: each cursor is claimed once while its lease holds.
func testConcurrentCursorClaims(t *testing.T, a store.Store) {
	ctx := context.Background()
	b := reopen(t, a)
	const workspaces = 20
	for i := range workspaces {
		ws := fmt.Sprintf("ws_%02d", i)
		mustWorkspace(t, a, ws, fmt.Sprintf("w%d", i))
		mustAppendEvents(t, a, ws, event("user.created", "usr_1", ""))
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		claimed = map[string][]string{}
	)
	for i := range 8 {
		st := []store.Store{a, b}[i%2]
		owner := fmt.Sprintf("owner_%d", i)
		wg.Go(func() {
			for {
				c, ok, err := st.ClaimCursor(ctx, "nats", owner, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				claimed[c.WorkspaceID] = append(claimed[c.WorkspaceID], owner)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != workspaces {
		t.Errorf("%d of %d cursors claimed", len(claimed), workspaces)
	}
	for ws, owners := range claimed {
		if len(owners) != 1 {
			t.Errorf("the cursor of %s was claimed by %v at once", ws, owners)
		}
	}
}

// testConcurrentDeliveryClaims claims deliveries from two stores, several
// goroutines each: each delivery is claimed once while its lease holds.
func testConcurrentDeliveryClaims(t *testing.T, a store.Store) {
	ctx := context.Background()
	b := reopen(t, a)
	mustWorkspace(t, a, "ws_a", "alpha")
	mustWebhook(t, a, "ws_a", "wh_1")
	mustWebhook(t, a, "ws_a", "wh_2")
	const n = 40
	evs := make([]store.NewEvent, n)
	for i := range evs {
		evs[i] = event("user.created", fmt.Sprintf("usr_%d", i), "")
	}
	mustAppendEvents(t, a, "ws_a", evs...)
	fanOutAll(t, a, 100)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		claimed = map[string]int{}
		claims  []store.DueDelivery
	)
	for i := range 6 {
		st := []store.Store{a, b}[i%2]
		wg.Go(func() {
			for {
				due, err := st.ClaimDeliveries(ctx, 3, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(due) == 0 {
					return
				}
				mu.Lock()
				for _, d := range due {
					claimed[d.ID]++
				}
				claims = append(claims, due...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != 2*n {
		t.Errorf("%d of %d deliveries claimed", len(claimed), 2*n)
	}
	for id, times := range claimed {
		if times != 1 {
			t.Errorf("delivery %s claimed %d times at once", id, times)
		}
	}
	for i, d := range claims {
		st := []store.Store{a, b}[i%2]
		if err := st.FinishDelivery(ctx, d.Delivery, store.DeliveryOutcome{At: time.Now(), Status: 200, Delivered: true}); err != nil {
			t.Fatal(err)
		}
	}
	for _, wh := range []string{"wh_1", "wh_2"} {
		if got := deliveryLog(t, a, "ws_a", wh, store.DeliveryDelivered); len(got) != n {
			t.Errorf("%s: %d deliveries delivered, want %d", wh, len(got), n)
		}
	}
}

// testTestWebhook checks that a test event goes to the webhook it is
// sent to and no other, through the outbox and the claims as any event.
func testTestWebhook(t *testing.T, st store.Store, c *clock) {
	ctx := context.Background()
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	mustWebhook(t, st, "ws_a", "wh_1")
	mustWebhook(t, st, "ws_a", "wh_2")
	mustWebhook(t, st, "ws_a", "wh_3", "webhook.*")
	mustAppendEvents(t, st, "ws_a", event("user.created", "usr_1", ""))
	test := event(eventtype.WebhookTest, "wh_1", `{"webhook": {"id": "wh_1"}}`)

	d, err := st.TestWebhook(ctx, "ws_a", "wh_1", test)
	if err != nil {
		t.Fatal(err)
	}
	if d.WebhookID != "wh_1" || d.EventSeq != 2 || d.EventType != eventtype.WebhookTest || d.Status != store.DeliveryPending ||
		!d.NextAttempt.Equal(c.now()) || d.Attempts != 0 || d.ID == "" || d.EventID == "" {
		t.Errorf("test delivery %+v: want a pending delivery of event 2, due now", d)
	}
	evs := mustEvents(t, st, "ws_a", 1, 10)
	if len(evs) != 1 || evs[0].ID != d.EventID || evs[0].Type != eventtype.WebhookTest || evs[0].Subject != "wh_1" {
		t.Fatalf("outbox after the test: %+v, want the test event as its 2nd", evs)
	}
	// The fan-out passes over it: wh_2 wants every type, wh_3 the
	// noun's, and neither gets it; wh_1 has it once.
	fanOutAll(t, st, 100)
	for wh, want := range map[string][]int64{"wh_1": {2, 1}, "wh_2": {1}, "wh_3": nil} {
		if got := eventSeqs(deliveryLog(t, st, "ws_a", wh, "")); !slices.Equal(got, want) {
			t.Errorf("deliveries of %s are of events %v, want %v", wh, got, want)
		}
	}
	due, err := st.ClaimDeliveries(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(due, func(dd store.DueDelivery) bool { return dd.ID == d.ID })
	if i < 0 || due[i].Event.ID != d.EventID || string(due[i].Event.Data) != `{"webhook": {"id": "wh_1"}}` && string(due[i].Event.Data) != `{"webhook":{"id":"wh_1"}}` {
		t.Errorf("claimed %+v: want the test delivery with its event", due)
	}

	for _, tt := range []struct{ ws, wh string }{{"ws_a", "wh_none"}, {"ws_b", "wh_1"}} {
		if _, err := st.TestWebhook(ctx, tt.ws, tt.wh, test); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TestWebhook(%s, %s): %v, want ErrNotFound", tt.ws, tt.wh, err)
		}
	}
	if got := mustEvents(t, st, "ws_b", 0, 10); len(got) != 0 {
		t.Errorf("a refused test appended %+v", got)
	}
	if _, err := st.TestWebhook(ctx, "ws_a", "wh_1", event("user.created", "usr_1", "")); err == nil {
		t.Error("TestWebhook with a user.created event: no error")
	}
}
