package delivery_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scimd/scimd/internal/mail"
	"github.com/scimd/scimd/internal/natsevents"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/webhook"
)

// TestWebhooksDeliverEachEventOnce sends the events of two workspaces to
// three webhooks: each gets each event it wants once, signed with its own
// secret, with the event's id as webhook-id and the Standard Webhooks
// payload.
func TestWebhooksDeliverEachEventOnce(t *testing.T) {
	st := openSQLite(t)
	rc := newReceiver(t)
	acme, beta := mustWorkspace(t, st, "acme"), mustWorkspace(t, st, "beta")
	all := rc.hook(t, st, acme, "/all")
	users := rc.hook(t, st, acme, "/users", "user.*")
	other := rc.hook(t, st, beta, "/beta")
	stop := run(t, testConfig(), st, nil, nil)

	var acmeEvents, betaEvents []store.Event
	for i := range 20 {
		typ := []string{"user.created", "group.created", "user.deactivated"}[i%3]
		acmeEvents = append(acmeEvents, mustAppend(t, st, acme, event(typ, fmt.Sprintf("usr_%d", i)))...)
		if i%4 == 0 {
			betaEvents = append(betaEvents, mustAppend(t, st, beta, event("user.created", fmt.Sprintf("usr_b%d", i)))...)
		}
	}
	want := map[string][]store.Event{"/all": acmeEvents, "/beta": betaEvents}
	for _, e := range acmeEvents {
		if strings.HasPrefix(e.Type, "user.") {
			want["/users"] = append(want["/users"], e)
		}
	}
	total := len(want["/all"]) + len(want["/users"]) + len(want["/beta"])
	waitFor(t, "every delivery", func() bool { return len(rc.got()) >= total })
	stop()

	counts := rc.count()
	if got := len(rc.got()); got != total {
		t.Errorf("the receiver got %d requests, want %d", got, total)
	}
	for path, evs := range want {
		slug := map[string]string{"/all": "acme", "/users": "acme", "/beta": "beta"}[path]
		for _, e := range evs {
			if n := counts[path+" "+e.ID]; n != 1 {
				t.Errorf("%s got event %s (%s) %d times, want once", path, e.ID, e.Type, n)
			}
			payload, err := webhook.Payload(e, slug)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range rc.got() {
				if h.path != path || h.id != e.ID {
					continue
				}
				if h.verified != nil {
					t.Errorf("%s: event %s does not verify: %v", path, e.ID, h.verified)
				}
				if string(h.body) != string(payload) {
					t.Errorf("%s: event %s sent as %s, want %s", path, e.ID, h.body, payload)
				}
			}
		}
	}
	for _, w := range []store.Webhook{all, users, other} {
		for _, d := range deliveries(t, st, w) {
			if d.Status != store.DeliveryDelivered || d.Attempts != 1 || d.LastStatus != http.StatusNoContent || d.DeliveredAt.IsZero() {
				t.Errorf("delivery %+v: want delivered at the first attempt", d)
			}
		}
	}
}

// TestWebhookRetries has the endpoint fail twice before it accepts the
// event: each attempt is the same message, signed anew.
func TestWebhookRetries(t *testing.T) {
	st := openSQLite(t)
	rc := newReceiver(t)
	rc.answer = func(h hit, attempt int) int {
		if attempt < 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	ws := mustWorkspace(t, st, "acme")
	w := rc.hook(t, st, ws, "/hook")
	cfg := testConfig()
	cfg.Schedule = webhook.Schedule{0, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}
	run(t, cfg, st, nil, nil)
	e := mustAppend(t, st, ws, event("user.created", "usr_1"))[0]

	waitFor(t, "the delivery", func() bool {
		ds := deliveries(t, st, w)
		return len(ds) == 1 && ds[0].Status == store.DeliveryDelivered
	})
	d := deliveries(t, st, w)[0]
	if d.Attempts != 3 || d.LastStatus != http.StatusOK || d.EventID != e.ID {
		t.Errorf("delivery %+v: want delivered at the third attempt", d)
	}
	hits := rc.got()
	if len(hits) != 3 {
		t.Fatalf("%d requests, want 3", len(hits))
	}
	for _, h := range hits {
		if h.id != e.ID || h.verified != nil || string(h.body) != string(hits[0].body) {
			t.Errorf("attempt %+v: want the same verified message each time", h)
		}
	}
}

// TestWebhookDeadLetter has the endpoint fail every attempt: the delivery
// is dead after the last one the schedule allows, and a redelivery sends
// it again.
func TestWebhookDeadLetter(t *testing.T) {
	st := openSQLite(t)
	rc := newReceiver(t)
	var (
		mu sync.Mutex
		up bool
	)
	rc.answer = func(hit, int) int {
		mu.Lock()
		defer mu.Unlock()
		if up {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	}
	ws := mustWorkspace(t, st, "acme")
	w := rc.hook(t, st, ws, "/hook")
	run(t, testConfig(), st, nil, nil) // three attempts
	mustAppend(t, st, ws, event("user.created", "usr_1"))

	waitFor(t, "the dead letter", func() bool {
		ds := deliveries(t, st, w)
		return len(ds) == 1 && ds[0].Status == store.DeliveryDead
	})
	d := deliveries(t, st, w)[0]
	if d.Attempts != 3 || d.LastStatus != http.StatusInternalServerError || !strings.Contains(d.LastError, "refused attempt 3") || !d.NextAttempt.IsZero() {
		t.Errorf("dead delivery %+v: want 3 attempts, the last status and the body of the answer", d)
	}
	if n := len(rc.got()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}

	mu.Lock()
	up = true
	mu.Unlock()
	if _, err := st.Redeliver(context.Background(), ws, d.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the redelivery", func() bool { return deliveries(t, st, w)[0].Status == store.DeliveryDelivered })
	if d := deliveries(t, st, w)[0]; d.Attempts != 1 || d.LastStatus != http.StatusOK {
		t.Errorf("redelivered %+v: want delivered at its first attempt", d)
	}
	if n := len(rc.got()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}

// TestWebhookGone disables a webhook whose endpoint answers 410: no more
// is sent to it, while other webhooks go on.
func TestWebhookGone(t *testing.T) {
	st := openSQLite(t)
	rc := newReceiver(t)
	rc.answer = func(h hit, _ int) int {
		if h.path == "/gone" {
			return http.StatusGone
		}
		return http.StatusOK
	}
	ws := mustWorkspace(t, st, "acme")
	gone := rc.hook(t, st, ws, "/gone")
	live := rc.hook(t, st, ws, "/live")
	run(t, testConfig(), st, nil, nil)
	mustAppend(t, st, ws, event("user.created", "usr_1"))
	waitFor(t, "the webhook to be disabled", func() bool {
		w, err := st.Webhook(context.Background(), ws, gone.ID)
		return err == nil && !w.Enabled
	})
	if w, _ := st.Webhook(context.Background(), ws, gone.ID); !strings.Contains(w.DisabledReason, "410") {
		t.Errorf("disabled with reason %q, want one that says 410", w.DisabledReason)
	}
	if d := deliveries(t, st, gone); len(d) != 1 || d[0].Status != store.DeliveryDead || d[0].Attempts != 1 {
		t.Errorf("deliveries to the gone endpoint %+v, want one, dead after one attempt", d)
	}
	later := mustAppend(t, st, ws, event("user.deactivated", "usr_1"))[0]
	waitFor(t, "the next event at the live endpoint", func() bool { return rc.count()["/live "+later.ID] == 1 })
	// The dispatcher records a delivery once the endpoint has answered.
	waitFor(t, "both deliveries to the live endpoint recorded as delivered", func() bool {
		ds := deliveries(t, st, live)
		return len(ds) == 2 && ds[0].Status == store.DeliveryDelivered && ds[1].Status == store.DeliveryDelivered
	})
	if ds := deliveries(t, st, gone); len(ds) != 1 {
		t.Errorf("%d deliveries to the disabled webhook, want the first only", len(ds))
	}
}

// TestStopFinishesSends stops the dispatcher while a send is under way:
// Run returns once the endpoint has answered and the delivery is
// recorded, so that it is not sent again.
func TestStopFinishesSends(t *testing.T) {
	st := openSQLite(t)
	rc := newReceiver(t)
	arrived, release := make(chan struct{}), make(chan struct{})
	rc.arrived = func(hit) {
		close(arrived)
		<-release
	}
	ws := mustWorkspace(t, st, "acme")
	w := rc.hook(t, st, ws, "/slow")
	stop := run(t, testConfig(), st, nil, nil)
	mustAppend(t, st, ws, event("user.created", "usr_1"))
	select {
	case <-arrived:
	case <-time.After(patience):
		t.Fatal("the webhook never arrived")
	}
	stopped := make(chan struct{})
	go func() {
		stop()
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("Run returned with a send under way")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-stopped
	if d := deliveries(t, st, w); len(d) != 1 || d[0].Status != store.DeliveryDelivered {
		t.Errorf("after stopping: %+v, want the delivery recorded as delivered", d)
	}
}

// TestPostgresReplicas runs two dispatchers on two stores on one
// PostgreSQL database, as two replicas, while both append events, and
// stops one halfway: every event reaches every webhook once.
func TestPostgresReplicas(t *testing.T) {
	url := postgresURL(t)
	a, b := openPostgres(t, url), openPostgres(t, url)
	rc := newReceiver(t)
	const workspaces, perWriter = 3, 250
	var (
		ids   []string
		hooks []store.Webhook
	)
	for i := range workspaces {
		ws := mustWorkspace(t, a, fmt.Sprintf("ws%d", i))
		ids = append(ids, ws)
		hooks = append(hooks, rc.hook(t, a, ws, fmt.Sprintf("/ws%d/a", i)), rc.hook(t, a, ws, fmt.Sprintf("/ws%d/b", i)))
	}
	cfg := testConfig()
	stopA := run(t, cfg, a, nil, nil)
	run(t, cfg, b, nil, nil)

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		appended []store.Event
	)
	for _, st := range []store.Store{a, b} {
		wg.Go(func() {
			for i := range perWriter {
				e := mustAppend(t, st, ids[i%workspaces], event("user.updated", fmt.Sprintf("usr_%d", i)))
				mu.Lock()
				appended = append(appended, e...)
				mu.Unlock()
			}
		})
	}
	waitFor(t, "half the deliveries", func() bool { return len(rc.got()) >= perWriter*2 })
	stopA()
	wg.Wait()
	total := 2 * len(appended)
	waitFor(t, "every delivery recorded", func() bool {
		n := 0
		for _, w := range hooks {
			for _, d := range deliveries(t, a, w) {
				if d.Status == store.DeliveryDelivered {
					n++
				}
			}
		}
		return n == total
	})

	counts := rc.count()
	for _, e := range appended {
		i := slices.Index(ids, e.WorkspaceID)
		for _, path := range []string{fmt.Sprintf("/ws%d/a", i), fmt.Sprintf("/ws%d/b", i)} {
			if n := counts[path+" "+e.ID]; n != 1 {
				t.Errorf("%s got event %s %d times, want once", path, e.ID, n)
			}
		}
	}
	for _, h := range rc.got() {
		if h.verified != nil {
			t.Errorf("%s %s: %v", h.path, h.id, h.verified)
		}
	}
	if n := len(rc.got()); n != total {
		t.Errorf("%d requests for %d deliveries", n, total)
	}
	for _, w := range hooks {
		for _, d := range deliveries(t, a, w) {
			if d.Status != store.DeliveryDelivered || d.Attempts != 1 {
				t.Errorf("delivery %+v: want delivered at the first attempt", d)
			}
		}
	}
}

// natsURL is the NATS server of the tests: SCIMD_TEST_NATS, or the local
// one, with JetStream.
func natsURL() string {
	if u := os.Getenv("SCIMD_TEST_NATS"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// TestNATS publishes the events of two workspaces from two dispatchers
// on one store: the stream holds each event once.
func TestNATS(t *testing.T) {
	ctx := context.Background()
	nc, err := nats.Connect(natsURL(), nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("NATS is not reachable at %s (start nats-server -js, or set SCIMD_TEST_NATS): %v", natsURL(), err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	suffix := hex.EncodeToString(b)
	opts := natsevents.Options{Stream: "SCIMD_TEST_" + strings.ToUpper(suffix), SubjectPrefix: "scimdtest." + suffix}
	pub, err := natsevents.Open(ctx, natsURL(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pub.Close)
	t.Cleanup(func() { js.DeleteStream(context.Background(), opts.Stream) })

	st := openSQLite(t)
	acme := mustWorkspace(t, st, "acme")
	beta := mustWorkspace(t, st, "beta")
	run(t, testConfig(), st, pub, nil)
	run(t, testConfig(), st, pub, nil)
	var appended []store.Event
	for i := range 30 {
		ws := []string{acme, beta}[i%2]
		appended = append(appended, mustAppend(t, st, ws, event("user.created", fmt.Sprintf("usr_%d", i)), event("user.deactivated", fmt.Sprintf("usr_%d", i)))...)
	}
	s, err := js.Stream(ctx, opts.Stream)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every event in the stream", func() bool {
		info, err := s.Info(ctx)
		return err == nil && info.State.Msgs >= uint64(len(appended))
	})
	info, _ := s.Info(ctx)
	if info.State.Msgs != uint64(len(appended)) {
		t.Errorf("the stream holds %d messages, want %d", info.State.Msgs, len(appended))
	}
	seen := map[string]int{}
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		msg, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		var m natsevents.Message
		if err := json.Unmarshal(msg.Data, &m); err != nil {
			t.Fatal(err)
		}
		seen[m.ID]++
		if want := opts.SubjectPrefix + "." + m.Workspace + "." + m.Type; msg.Subject != want {
			t.Errorf("event %s published to %s, want %s", m.ID, msg.Subject, want)
		}
	}
	for _, e := range appended {
		if seen[e.ID] != 1 {
			t.Errorf("event %s is in the stream %d times, want once", e.ID, seen[e.ID])
		}
	}
}

// TestWelcomeMail sends one welcome mail per user created with an email
// address: not for other events, not for users without an address, and
// not again after the server refused one for good.
func TestWelcomeMail(t *testing.T) {
	srv := startSMTP(t)
	mailer := mail.NewMailer(mail.Config{Addr: srv.addr, From: "scimd <noreply@example.com>"})
	st := openSQLite(t)
	ws := mustWorkspace(t, st, "acme")
	stop := run(t, testConfig(), st, nil, mailer)
	created := func(id, userName, email string) store.NewEvent {
		u := map[string]any{"userName": userName}
		if email != "" {
			u["emails"] = []any{map[string]any{"value": email, "primary": true}}
		}
		data, _ := json.Marshal(map[string]any{"user": u})
		return store.NewEvent{Type: mail.EventUserCreated, Subject: id, Data: data}
	}
	mustAppend(t, st, ws,
		created("usr_1", "ada", "ada@example.com"),
		event("user.deactivated", "usr_1"),
		created("usr_2", "bob", ""),
		created("usr_3", "eve", "refused@example.com"),
		created("usr_4", "cy", "cy@example.com"))
	last := mustAppend(t, st, ws, created("usr_5", "dee", "dee@example.com"))[0]
	waitFor(t, "the last mail", func() bool {
		msgs := srv.messages()
		return len(msgs) > 0 && msgs[len(msgs)-1].to == "dee@example.com"
	})
	// The mail goes out in the order of the events: nothing more is to
	// come.
	stop()
	var to []string
	for _, m := range srv.messages() {
		to = append(to, m.to)
		if !strings.Contains(m.data, "Subject: Welcome") {
			t.Errorf("mail to %s: %q", m.to, m.data)
		}
	}
	if want := []string{"ada@example.com", "cy@example.com", "dee@example.com"}; !slices.Equal(to, want) {
		t.Errorf("mail went to %v, want %v", to, want)
	}
	if !strings.Contains(srv.messages()[2].data, "welcome."+last.ID) {
		t.Errorf("the mail of event %s does not name it in its Message-ID: %q", last.ID, srv.messages()[2].data)
	}
}
