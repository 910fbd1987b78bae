package natsevents_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scimd/scimd/internal/natsevents"
	"github.com/scimd/scimd/internal/store"
)

// serverURL is the NATS server the tests use: SCIMD_TEST_NATS, or the
// local one. It must run with JetStream (nats-server -js); the tests fail
// without it rather than pass untested.
func serverURL() string {
	if u := os.Getenv("SCIMD_TEST_NATS"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// env is a test's view of the server: a connection of its own, and a
// stream name and subject prefix no other test uses.
type env struct {
	js     jetstream.JetStream
	opts   natsevents.Options
	prefix string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	nc, err := nats.Connect(serverURL(), nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("NATS is not reachable at %s (start nats-server -js, or set SCIMD_TEST_NATS): %v", serverURL(), err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	suffix := hex.EncodeToString(b)
	e := &env{
		js: js,
		opts: natsevents.Options{
			Stream:        "SCIMD_TEST_" + strings.ToUpper(suffix),
			SubjectPrefix: "scimdtest." + suffix,
		},
	}
	e.prefix = e.opts.SubjectPrefix
	t.Cleanup(func() {
		err := js.DeleteStream(context.Background(), e.opts.Stream)
		if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Errorf("delete stream %s: %v", e.opts.Stream, err)
		}
	})
	return e
}

func (e *env) open(t *testing.T) *natsevents.Publisher {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := natsevents.Open(ctx, serverURL(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// stored returns the number of messages in the test's stream.
func (e *env) stored(t *testing.T) uint64 {
	t.Helper()
	s, err := e.js.Stream(context.Background(), e.opts.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// received is a message as a consumer sees it.
type received struct {
	subject, msgID, body string
}

// consume reads the stream from the start with a consumer and returns
// its first n messages, or fails.
func (e *env) consume(t *testing.T, n int) []received {
	t.Helper()
	ctx := context.Background()
	c, err := e.js.OrderedConsumer(ctx, e.opts.Stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var got []received
	for len(got) < n {
		batch, err := c.Fetch(n-len(got), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		before := len(got)
		for m := range batch.Messages() {
			got = append(got, received{m.Subject(), m.Headers().Get(jetstream.MsgIDHeader), string(m.Data())})
		}
		if err := batch.Error(); err != nil {
			t.Fatal(err)
		}
		if len(got) == before {
			t.Fatalf("consumer received %d messages, want %d: %v", len(got), n, got)
		}
	}
	return got
}

var occurred = time.Date(2025, 6, 1, 14, 0, 0, 500_000_000, time.FixedZone("CEST", 2*3600))

func TestPublish(t *testing.T) {
	e := newEnv(t)
	p := e.open(t)
	ctx := context.Background()
	events := []struct {
		e    store.Event
		slug string
	}{
		{store.Event{Seq: 1, ID: "evt_1", WorkspaceID: "ws_a", Type: "user.created", Occurred: occurred, Subject: "usr_1",
			Data: json.RawMessage(`{"user":{"id":"usr_1","userName":"bjensen"}}`)}, "acme"},
		{store.Event{Seq: 1, ID: "evt_2", WorkspaceID: "ws_b", Type: "group.deleted", Occurred: occurred, Subject: "grp_1",
			Data: json.RawMessage(`{}`)}, "globex"},
		{store.Event{Seq: 2, ID: "evt_3", WorkspaceID: "ws_a", Type: "user.deactivated", Occurred: occurred.Add(time.Second), Subject: "usr_1"}, "acme"},
	}
	for _, ev := range events {
		if err := p.Publish(ctx, ev.e, ev.slug); err != nil {
			t.Fatal(err)
		}
	}
	want := []received{
		{e.prefix + ".acme.user.created", "evt_1",
			`{"id":"evt_1","type":"user.created","workspace":"acme","seq":1,"occurred":"2025-06-01T12:00:00.5Z","subject":"usr_1","data":{"user":{"id":"usr_1","userName":"bjensen"}}}`},
		{e.prefix + ".globex.group.deleted", "evt_2",
			`{"id":"evt_2","type":"group.deleted","workspace":"globex","seq":1,"occurred":"2025-06-01T12:00:00.5Z","subject":"grp_1","data":{}}`},
		// An event without data gets an empty object, as every event's
		// data is an object.
		{e.prefix + ".acme.user.deactivated", "evt_3",
			`{"id":"evt_3","type":"user.deactivated","workspace":"acme","seq":2,"occurred":"2025-06-01T12:00:01.5Z","subject":"usr_1","data":{}}`},
	}
	got := e.consume(t, len(want))
	if !slices.Equal(got, want) {
		t.Errorf("received\n%q\nwant\n%q", got, want)
	}
	var m natsevents.Message
	if err := json.Unmarshal([]byte(got[0].body), &m); err != nil {
		t.Fatal(err)
	}
	if !m.Occurred.Equal(occurred) || m.ID != "evt_1" || m.Seq != 1 {
		t.Errorf("body decodes to %+v", m)
	}
}

// TestPublishDuplicate publishes events again, as a publisher does that
// did not see an acknowledgement, from the same process and from
// another one: the stream keeps each event once, the first copy.
func TestPublishDuplicate(t *testing.T) {
	e := newEnv(t)
	p1 := e.open(t)
	p2 := e.open(t)
	ctx := context.Background()
	first := store.Event{Seq: 1, ID: "evt_1", Type: "user.created", Occurred: occurred, Subject: "usr_1", Data: json.RawMessage(`{"n":1}`)}
	again := first
	again.Data = json.RawMessage(`{"n":2}`)
	second := store.Event{Seq: 2, ID: "evt_2", Type: "user.deleted", Occurred: occurred, Subject: "usr_1"}
	for i, pub := range []struct {
		p *natsevents.Publisher
		e store.Event
	}{{p1, first}, {p1, first}, {p2, again}, {p1, second}, {p2, second}} {
		if err := pub.p.Publish(ctx, pub.e, "acme"); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	if n := e.stored(t); n != 2 {
		t.Errorf("stream holds %d messages, want 2", n)
	}
	got := e.consume(t, 2)
	if got[0].msgID != "evt_1" || got[1].msgID != "evt_2" {
		t.Errorf("received %q, want evt_1 then evt_2", got)
	}
	if !strings.Contains(got[0].body, `"data":{"n":1}`) {
		t.Errorf("stored copy of evt_1 is %s, want the first one", got[0].body)
	}
}

func TestPublishRefusesBadSubjects(t *testing.T) {
	e := newEnv(t)
	p := e.open(t)
	good := store.Event{Seq: 1, ID: "evt_1", Type: "user.created", Subject: "usr_1"}
	for _, tt := range []struct {
		name string
		id   string
		typ  string
		slug string
	}{
		{"no id", "", "user.created", "acme"},
		{"no slug", "evt_1", "user.created", ""},
		{"dot in slug", "evt_1", "user.created", "acme.corp"},
		{"wildcard slug", "evt_1", "user.created", "*"},
		{"space in slug", "evt_1", "user.created", "ac me"},
		{"no type", "evt_1", "", "acme"},
		{"empty token in type", "evt_1", "user..created", "acme"},
		{"trailing dot in type", "evt_1", "user.", "acme"},
		{"wildcard type", "evt_1", "user.>", "acme"},
		{"newline in type", "evt_1", "user.created\r\n", "acme"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := good
			ev.ID, ev.Type = tt.id, tt.typ
			if err := p.Publish(context.Background(), ev, tt.slug); err == nil {
				t.Errorf("Publish(id %q, type %q, workspace %q) = nil, want an error", tt.id, tt.typ, tt.slug)
			}
		})
	}
	if n := e.stored(t); n != 0 {
		t.Errorf("stream holds %d messages, want none", n)
	}
	if err := p.Publish(context.Background(), good, "acme"); err != nil {
		t.Errorf("Publish of a good event after refusals: %v", err)
	}
}

// TestOpenExistingStream opens a stream an operator made: Open adds its
// subjects and duplicate window and keeps the rest.
func TestOpenExistingStream(t *testing.T) {
	for _, tt := range []struct {
		name    string
		maxAge  time.Duration
		window  time.Duration
		wantDup time.Duration
	}{
		{"window set", time.Hour, 5 * time.Minute, 5 * time.Minute},
		{"default window", 0, 0, 10 * time.Minute},
		{"window longer than messages live", 3 * time.Minute, 0, 3 * time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			other := e.prefix + "-other.>"
			if _, err := e.js.CreateStream(ctx, jetstream.StreamConfig{
				Name:       e.opts.Stream,
				Subjects:   []string{other},
				Storage:    jetstream.MemoryStorage,
				MaxAge:     tt.maxAge,
				MaxMsgs:    1000,
				Duplicates: time.Minute,
			}); err != nil {
				t.Fatal(err)
			}
			e.opts.DuplicateWindow = tt.window
			p := e.open(t)
			s, err := e.js.Stream(ctx, e.opts.Stream)
			if err != nil {
				t.Fatal(err)
			}
			cfg := s.CachedInfo().Config
			if want := []string{other, e.prefix + ".>"}; !slices.Equal(cfg.Subjects, want) {
				t.Errorf("subjects %q, want %q", cfg.Subjects, want)
			}
			if cfg.Duplicates != tt.wantDup {
				t.Errorf("duplicate window %v, want %v", cfg.Duplicates, tt.wantDup)
			}
			if cfg.MaxAge != tt.maxAge || cfg.MaxMsgs != 1000 || cfg.Storage != jetstream.MemoryStorage {
				t.Errorf("operator's settings changed: max age %v, max msgs %d, storage %v", cfg.MaxAge, cfg.MaxMsgs, cfg.Storage)
			}
			if err := p.Publish(ctx, store.Event{ID: "evt_1", Type: "user.created"}, "acme"); err != nil {
				t.Fatal(err)
			}
			// Opening again changes nothing.
			e.open(t)
			if got := e.stored(t); got != 1 {
				t.Errorf("stream holds %d messages after opening again, want 1", got)
			}
		})
	}
}

func TestOpenCreatesStream(t *testing.T) {
	e := newEnv(t)
	e.open(t)
	s, err := e.js.Stream(context.Background(), e.opts.Stream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if !slices.Equal(cfg.Subjects, []string{e.prefix + ".>"}) || cfg.Storage != jetstream.FileStorage || cfg.Duplicates != 10*time.Minute {
		t.Errorf("stream made with subjects %q, storage %v, duplicate window %v; want %s.>, file, 10m", cfg.Subjects, cfg.Storage, cfg.Duplicates, e.prefix)
	}
}

func TestOpenFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tt := range []struct {
		name string
		url  string
		opts natsevents.Options
	}{
		// Nothing listens on port 1.
		{"no server", "nats://127.0.0.1:1", natsevents.Options{Stream: "SCIMD_TEST_UNUSED", SubjectPrefix: "scimdtest.unused"}},
		{"wildcard prefix", serverURL(), natsevents.Options{Stream: "SCIMD_TEST_UNUSED", SubjectPrefix: "scimdtest.>"}},
		{"empty token in prefix", serverURL(), natsevents.Options{Stream: "SCIMD_TEST_UNUSED", SubjectPrefix: "scimdtest..x"}},
		{"bad stream name", serverURL(), natsevents.Options{Stream: "SCIMD.TEST", SubjectPrefix: "scimdtest.unused"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := natsevents.Open(ctx, tt.url, tt.opts)
			if err == nil {
				p.Close()
				t.Errorf("Open = nil error, want one")
			}
		})
	}
}
