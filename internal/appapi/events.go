package appapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// Paging and waiting of the event feed.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 1000
	// MaxWait bounds how long a long poll waits for events.
	MaxWait = 60 * time.Second
)

type eventJSON struct {
	ID       string          `json:"id"`
	Seq      int64           `json:"seq"`
	Type     string          `json:"type"`
	Occurred time.Time       `json:"occurred"`
	Subject  string          `json:"subject,omitempty"`
	Data     json.RawMessage `json:"data"`
}

type eventPage struct {
	Events []eventJSON `json:"events"`
	// Next is the after of the next request: the seq of the last event
	// of the page, or the request's after if there was none.
	Next int64 `json:"next"`
}

// listEvents serves the workspace's outbox as a feed: the events after
// the seq after, at most limit of them, in order. With wait and nothing
// after after, it waits up to wait for events to come (a long poll), so
// that an application learns of changes at once without asking often;
// an empty page says none came.
//
// Events are numbered per workspace without gaps, in commit order (see
// store.Event), so a reader that keeps next and asks again sees every
// event once, across restarts.
func listEvents(h *Handler, c *call) (int, any, error) {
	q := c.r.URL.Query()
	after, err := parseInt(q.Get("after"), "after", 0, 0, 1<<62)
	if err != nil {
		return 0, nil, err
	}
	limit, err := parseInt(q.Get("limit"), "limit", DefaultEventLimit, 1, MaxEventLimit)
	if err != nil {
		return 0, nil, err
	}
	var wait time.Duration
	if s := q.Get("wait"); s != "" {
		if wait, err = parseWait(s); err != nil {
			return 0, nil, err
		}
	}
	ws := c.app.workspace.ID
	deadline := time.Now().Add(wait)
	if wait > 0 {
		// The server's write timeout is made for requests that work
		// throughout, not for one that waits: it would cut the answer
		// of a long wait. Recorders in tests cannot, and need not.
		http.NewResponseController(c.w).SetWriteDeadline(deadline.Add(h.timeout))
	}
	for {
		// Before reading: events appended after the read close it.
		woken := h.feed.wait(ws)
		ctx, cancel := context.WithTimeout(c.r.Context(), h.timeout)
		evs, err := h.store.Events(ctx, ws, after, int(limit))
		cancel()
		if err != nil {
			return 0, nil, err
		}
		left := time.Until(deadline)
		if len(evs) > 0 || left <= 0 {
			return http.StatusOK, page(evs, after), nil
		}
		timer := time.NewTimer(left)
		select {
		case <-woken:
			timer.Stop()
		case <-timer.C:
			return http.StatusOK, page(nil, after), nil
		case <-h.feed.closed:
			timer.Stop()
			return http.StatusOK, page(nil, after), nil
		case <-c.r.Context().Done():
			timer.Stop()
			return 0, nil, c.r.Context().Err()
		}
	}
}

func page(evs []store.Event, after int64) eventPage {
	p := eventPage{Events: make([]eventJSON, len(evs)), Next: after}
	for i, e := range evs {
		data := e.Data
		if len(data) == 0 {
			data = json.RawMessage("{}")
		}
		p.Events[i] = eventJSON{ID: e.ID, Seq: e.Seq, Type: e.Type, Occurred: e.Occurred.UTC(), Subject: e.Subject, Data: data}
		p.Next = e.Seq
	}
	return p
}

func parseInt(s, name string, def, lo, hi int64) (int64, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badParam("%s=%s: want a whole number from %d to %d", name, s, lo, hi)
	}
	return n, nil
}

// parseWait reads how long to wait: a duration ("30s") or a number of
// seconds ("30"), at most MaxWait.
func parseWait(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if n, nerr := strconv.Atoi(s); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil || d < 0 || d > MaxWait {
		return 0, badParam("wait=%s: want a duration from 0s to %s, such as 30s", s, MaxWait)
	}
	return d, nil
}

// feed wakes long polls when their workspace's outbox grows.
type feed struct {
	mu    sync.Mutex
	waits map[string]chan struct{} // by workspace id; closed on its next events
	// closed is closed when the Handler closes, ending every long poll.
	closed    chan struct{}
	closeOnce sync.Once
}

func newFeed() *feed {
	return &feed{waits: make(map[string]chan struct{}), closed: make(chan struct{})}
}

// wait returns a channel closed when events are next appended to the
// workspace's outbox, or when changes may have been missed.
func (f *feed) wait(ws string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := f.waits[ws]
	if ch == nil {
		ch = make(chan struct{})
		f.waits[ws] = ch
	}
	return ch
}

// apply wakes the long polls a change concerns. A reset wakes them all,
// to read again what they may have missed.
func (f *feed) apply(c store.Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch c.Kind {
	case store.ChangeEvents, store.ChangeWorkspace:
		if ch := f.waits[c.WorkspaceID]; ch != nil {
			close(ch)
			delete(f.waits, c.WorkspaceID)
		}
	case store.ChangeReset:
		for ws, ch := range f.waits {
			close(ch)
			delete(f.waits, ws)
		}
	}
}

func (f *feed) close() {
	f.closeOnce.Do(func() { close(f.closed) })
}
