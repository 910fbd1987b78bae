package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Event is an event of the workspace's feed: a change provisioning or
// the application made, such as "user.deactivated" or
// "api_key.revoked". Events are numbered by Seq, per workspace, without
// gaps, in the order they were committed.
type Event struct {
	ID       string    `json:"id"`
	Seq      int64     `json:"seq"`
	Type     string    `json:"type"`
	Occurred time.Time `json:"occurred"`
	// Subject is the id of what the event is about: a user, a group, or
	// an API key or session.
	Subject string `json:"subject,omitempty"`
	// Data is the event's JSON object, which depends on its type.
	Data json.RawMessage `json:"data"`
}

// EventPage is one answer of the feed.
type EventPage struct {
	Events []Event `json:"events"`
	// Next is the after of the next request: the Seq of the page's last
	// event, or the request's after if it had none.
	Next int64 `json:"next"`
}

// Limits of one request of the feed.
const (
	MaxEventLimit = 1000
	// MaxWait is the longest a request waits for events.
	MaxWait = 60 * time.Second
)

// Events reads at most limit events (0: the server's default, 100) of
// the workspace after the seq after, in order. With wait, and no event
// after after, the server waits up to wait (at most MaxWait) for events
// to come before answering, with an empty page if none did.
func (c *Client) Events(ctx context.Context, after int64, limit int, wait time.Duration) (EventPage, error) {
	path, err := c.workspacePath("events")
	if err != nil {
		return EventPage{}, err
	}
	q := url.Values{"after": {strconv.FormatInt(after, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(min(limit, MaxEventLimit)))
	}
	if wait > 0 {
		q.Set("wait", min(wait, MaxWait).String())
	}
	var p EventPage
	err = c.do(ctx, http.MethodGet, path, q, nil, &p)
	return p, err
}

// LastSeq returns the Seq of the workspace's latest event, 0 if it has
// none: where a reader that wants only what happens from now on starts.
// It asks for a handful of one-event pages, about twice the binary
// logarithm of the number of events.
func (c *Client) LastSeq(ctx context.Context) (int64, error) {
	after := func(seq int64) (bool, error) {
		p, err := c.Events(ctx, seq, 1, 0)
		return len(p.Events) > 0, err
	}
	// Whether events follow a seq is true below the last one and false
	// from it on: find where it turns false, first doubling, then
	// halving.
	some, err := after(0)
	if err != nil || !some {
		return 0, err
	}
	lo, hi := int64(0), int64(1) // events after lo, maybe after hi
	for {
		more, err := after(hi)
		if err != nil {
			return 0, err
		}
		if !more {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		more, err := after(mid)
		if err != nil {
			return 0, err
		}
		if more {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
}

// Feed reads the workspace's events one at a time, in order, waiting
// for new ones with long polls, and remembers how far it has read.
type Feed struct {
	c      *Client
	cursor int64
	buf    []Event
	// Wait is how long each request waits for events; 0: 30 seconds.
	Wait time.Duration
	// Limit is how many events each request reads at most; 0: 100.
	Limit int
}

// Feed returns a reader of the workspace's events after the seq after:
// 0 for all of them, LastSeq's answer for those to come, or the Cursor
// of an earlier Feed, saved, to resume where it left off.
func (c *Client) Feed(after int64) *Feed {
	return &Feed{c: c, cursor: after}
}

// Cursor returns the Seq of the last event Next returned: what to save
// to resume from it with Client.Feed. Events read ahead but not yet
// returned are read again.
func (f *Feed) Cursor() int64 { return f.cursor }

// Next returns the next event, waiting for one as long as ctx allows.
// After an error, Next can be called again: it asks again from the
// cursor, and nothing is skipped.
func (f *Feed) Next(ctx context.Context) (Event, error) {
	wait := f.Wait
	if wait <= 0 {
		wait = 30 * time.Second
	}
	for len(f.buf) == 0 {
		if err := ctx.Err(); err != nil {
			return Event{}, err
		}
		p, err := f.c.Events(ctx, f.cursor, f.Limit, wait)
		if err != nil {
			return Event{}, err
		}
		f.buf = p.Events
	}
	e := f.buf[0]
	f.buf = f.buf[1:]
	f.cursor = e.Seq
	return e, nil
}

// All returns the events to come as Next returns them, until ctx ends
// or an error, which it yields last:
//
//	for e, err := range feed.All(ctx) {
//		if err != nil { ... }
//		...
//	}
func (f *Feed) All(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			e, err := f.Next(ctx)
			if err != nil {
				yield(Event{}, err)
				return
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}
