package appapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
)

type eventJSON struct {
	ID       string          `json:"id"`
	Seq      int64           `json:"seq"`
	Type     string          `json:"type"`
	Occurred string          `json:"occurred"`
	Subject  string          `json:"subject"`
	Data     json.RawMessage `json:"data"`
}

type eventPage struct {
	Events []eventJSON `json:"events"`
	Next   int64       `json:"next"`
}

func (e *env) events(query string) eventPage {
	e.t.Helper()
	r := e.do("GET", "workspaces/acme/events?"+query, "")
	r.want(http.StatusOK)
	var p eventPage
	if err := json.Unmarshal(r.body, &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// last returns the seq of acme's last event.
func (e *env) last() int64 {
	e.t.Helper()
	var after int64
	for {
		p := e.events(fmt.Sprintf("after=%d&limit=1000", after))
		if len(p.Events) == 0 {
			return after
		}
		after = p.Next
	}
}

func (e *env) append(types ...string) {
	e.t.Helper()
	var evs []store.NewEvent
	for _, typ := range types {
		evs = append(evs, store.NewEvent{Type: typ, Subject: "usr_x", Data: json.RawMessage(`{"n":1}`)})
	}
	if _, err := e.st.AppendEvents(e.ctx, e.acme.ID, evs); err != nil {
		e.t.Fatal(err)
	}
}

func TestEventPaging(t *testing.T) {
	e := newEnv(t)
	start := e.last() // the events of making ada
	if start == 0 {
		t.Fatal("no events for a user created")
	}
	e.append("a.one", "a.two", "a.three", "a.four", "a.five")
	var got []string
	after := start
	for range 10 {
		p := e.events(fmt.Sprintf("after=%d&limit=2", after))
		if len(p.Events) > 2 {
			t.Fatalf("page of %d events with limit 2", len(p.Events))
		}
		if len(p.Events) == 0 {
			if p.Next != after {
				t.Errorf("empty page: next %d, want %d", p.Next, after)
			}
			break
		}
		for _, ev := range p.Events {
			if ev.Seq != after+1 {
				t.Errorf("seq %d after %d", ev.Seq, after)
			}
			if ev.ID == "" || ev.Occurred == "" || ev.Subject != "usr_x" || string(ev.Data) != `{"n":1}` {
				t.Errorf("event %+v", ev)
			}
			after = ev.Seq
			got = append(got, ev.Type)
		}
		if p.Next != after {
			t.Errorf("next %d, want %d", p.Next, after)
		}
	}
	if fmt.Sprint(got) != "[a.one a.two a.three a.four a.five]" {
		t.Errorf("events %v", got)
	}

	// Replayable: from the start again, the same events.
	p := e.events("after=0&limit=1")
	if len(p.Events) != 1 || p.Events[0].Seq != 1 || p.Next != 1 {
		t.Errorf("first page %+v", p)
	}
	// A wait that ends without events answers an empty page.
	if p := e.events(fmt.Sprintf("after=%d&wait=20ms", after)); len(p.Events) != 0 || p.Next != after {
		t.Errorf("after a wait: %+v", p)
	}
	for _, q := range []string{"after=-1", "after=x", "limit=0", "limit=1001", "wait=61s", "wait=-1s", "wait=soon"} {
		e.do("GET", "workspaces/acme/events?"+q, "").wantError(http.StatusBadRequest, "invalid_parameter")
	}
}

// watchedStore tells when the event feed is read.
type watchedStore struct {
	store.Store
	read chan int64 // after of each read
}

func (s watchedStore) Events(ctx context.Context, ws string, after int64, limit int) ([]store.Event, error) {
	evs, err := s.Store.Events(ctx, ws, after, limit)
	select {
	case s.read <- after:
	default:
	}
	return evs, err
}

// TestEventLongPoll checks that a long poll answers as soon as events
// come, whether appended directly or by provisioning, and ends when the
// Handler closes.
func TestEventLongPoll(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "scimd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := watchedStore{Store: st, read: make(chan int64, 100)}
	e := newEnvOn(t, w)
	after := e.last()

	// poll starts a long poll and returns its answer's channel, once it
	// has read the feed and found nothing.
	poll := func(after int64) <-chan eventPage {
		for len(w.read) > 0 {
			<-w.read
		}
		out := make(chan eventPage, 1)
		go func() { out <- e.events(fmt.Sprintf("after=%d&wait=60s", after)) }()
		if got := <-w.read; got != after {
			t.Fatalf("the poll read after %d, want %d", got, after)
		}
		return out
	}

	got := poll(after)
	e.append("a.woke")
	p := <-got
	if len(p.Events) != 1 || p.Events[0].Type != "a.woke" || p.Next != after+1 {
		t.Fatalf("woken poll %+v", p)
	}
	after = p.Next

	got = poll(after)
	e.user("bob@acme.test")
	if p := <-got; len(p.Events) == 0 || p.Events[0].Type != "user.created" {
		t.Fatalf("poll woken by provisioning: %+v", p)
	}

	after = e.last()
	got = poll(after)
	e.h.Close()
	if p := <-got; len(p.Events) != 0 || p.Next != after {
		t.Errorf("poll ended by Close: %+v", p)
	}
}

// TestEventLongPollOutlastsWriteTimeout checks that a long poll answers
// even when it waits longer than the server's write timeout.
func TestEventLongPollOutlastsWriteTimeout(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewUnstartedServer(e.h)
	srv.Config.WriteTimeout = 50 * time.Millisecond
	srv.Start()
	defer srv.Close()
	after := e.last()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/workspaces/acme/events?after=%d&wait=300ms", srv.URL, after), nil)
	req.Header.Set("Authorization", "Bearer "+e.app)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("long poll: %v", err)
	}
	defer resp.Body.Close()
	var p eventPage
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.StatusCode != http.StatusOK || p.Next != after {
		t.Errorf("long poll: %d, %+v, %v", resp.StatusCode, p, err)
	}
}
