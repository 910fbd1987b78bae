package server

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/store"
)

// Audit actions of refused requests.
const (
	// ActionUnauthorized: requests refused for their credentials (401).
	ActionUnauthorized = "request.unauthorized"
	// ActionThrottled: requests refused for their rate (429).
	ActionThrottled = "request.throttled"
)

// maxRefusalKeys bounds the refusals counted apart in one minute; beyond
// it, refusals from new addresses share one entry, whose actor is
// "address:other".
const maxRefusalKeys = 10000

// refusals counts the requests refused before they reach a handler, by
// minute, workspace, actor (the token, or the client's address when no
// token was accepted), action and status, and writes one audit entry
// for each count when its minute is over: a flood of refused requests
// becomes a few rows a minute, not a row a request.
type refusals struct {
	w   *audit.Writer
	now func() time.Time

	mu      sync.Mutex
	minute  time.Time // of the counts held
	counts  map[refusalKey]*refusalCount
	flusher *time.Timer
}

type refusalKey struct {
	workspace, actor, action string
	status                   int
}

type refusalCount struct {
	n           int
	first, last time.Time
	detail      string // of the last
}

func newRefusals(w *audit.Writer, now func() time.Time) *refusals {
	if w == nil {
		return nil
	}
	return &refusals{w: w, now: now, counts: map[refusalKey]*refusalCount{}}
}

// add counts a refused request.
func (rf *refusals) add(k refusalKey, detail string) {
	if rf == nil {
		return
	}
	now := rf.now()
	minute := now.Truncate(time.Minute)
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if !minute.Equal(rf.minute) {
		rf.flushLocked()
		rf.minute = minute
	}
	c := rf.counts[k]
	if c == nil {
		if len(rf.counts) >= maxRefusalKeys {
			k.actor = "address:other"
		}
		if c = rf.counts[k]; c == nil {
			c = &refusalCount{first: now}
			rf.counts[k] = c
		}
	}
	c.n++
	c.last, c.detail = now, detail
	if rf.flusher == nil {
		rf.flusher = time.AfterFunc(minute.Add(time.Minute).Sub(now), rf.flush)
	}
}

// flush writes the counts held.
func (rf *refusals) flush() {
	if rf == nil {
		return
	}
	rf.mu.Lock()
	defer rf.mu.Unlock()
	rf.flushLocked()
}

func (rf *refusals) flushLocked() {
	if rf.flusher != nil {
		rf.flusher.Stop()
		rf.flusher = nil
	}
	for k, c := range rf.counts {
		rf.w.Write(store.AuditEntry{
			Time:        rf.minute,
			WorkspaceID: k.workspace,
			Channel:     audit.ChannelSCIM,
			Action:      k.action,
			Actor:       k.actor,
			Status:      k.status,
		}, map[string]any{"count": c.n, "first": c.first.UTC(), "last": c.last.UTC(), "error": c.detail})
	}
	clear(rf.counts)
}

// clientAddress is the address a request came from, without its port:
// the peer's, as proxies in front of scimd are not trusted to say.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// addressActor is the actor of a request refused before a token was
// accepted: the client's address.
func addressActor(addr string) string { return "address:" + addr }
