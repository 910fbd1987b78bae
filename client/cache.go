package client

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"
)

// maxCached bounds the verifications a cache holds; when full it starts
// again empty, which costs a verification per credential in use.
const maxCached = 100_000

// cache remembers valid verifications by the SHA-256 of the secret, so
// that secrets are not kept, and indexes them by user and credential so
// that events can drop what they make stale.
type cache struct {
	maxAge time.Duration
	now    func() time.Time

	mu      sync.RWMutex
	gen     uint64 // counts invalidations; see put
	off     bool   // suspended: nothing is kept
	entries map[[32]byte]cached
	byUser  map[string]map[[32]byte]struct{}
	byCred  map[string][32]byte
}

type cached struct {
	v       Verification
	expires time.Time
}

func newCache(maxAge time.Duration, now func() time.Time) *cache {
	c := &cache{maxAge: maxAge, now: now}
	c.reset()
	return c
}

func (c *cache) reset() {
	c.entries = make(map[[32]byte]cached)
	c.byUser = make(map[string]map[[32]byte]struct{})
	c.byCred = make(map[string][32]byte)
}

func (c *cache) get(key [32]byte) (Verification, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	// A suspended cache is empty: no need to check off.
	if !ok || !c.now().Before(e.expires) {
		return Verification{}, false
	}
	return e.v, true
}

// generation returns the count of invalidations, to give put.
func (c *cache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put remembers a verification made when the cache was at generation
// gen, unless something was invalidated since: the verification may have
// been answered before the change that invalidated it, and remembering it
// would undo the invalidation.
func (c *cache) put(key [32]byte, v Verification, gen uint64) {
	expires := c.now().Add(c.maxAge)
	if e := v.Credential.Expires; e != nil && e.Before(expires) {
		expires = *e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.off {
		return
	}
	if len(c.entries) >= maxCached {
		c.reset()
	}
	c.entries[key] = cached{v: v, expires: expires}
	keys := c.byUser[v.User.ID]
	if keys == nil {
		keys = make(map[[32]byte]struct{})
		c.byUser[v.User.ID] = keys
	}
	keys[key] = struct{}{}
	c.byCred[v.Credential.ID] = key
}

func (c *cache) dropUsers(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range ids {
		for key := range c.byUser[id] {
			c.drop(key)
		}
	}
}

func (c *cache) dropCredential(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if key, ok := c.byCred[id]; ok {
		c.drop(key)
	}
}

// drop forgets an entry; c.mu is held.
func (c *cache) drop(key [32]byte) {
	e, ok := c.entries[key]
	if !ok {
		return
	}
	delete(c.entries, key)
	delete(c.byCred, e.v.Credential.ID)
	if keys := c.byUser[e.v.User.ID]; keys != nil {
		delete(keys, key)
		if len(keys) == 0 {
			delete(c.byUser, e.v.User.ID)
		}
	}
}

// suspend empties the cache and keeps it empty until resume.
func (c *cache) suspend() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.off = true
	c.reset()
}

func (c *cache) resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off = false
}

func (c *cache) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.reset()
}

// Invalidate makes the cache (see WithCache) forget the verifications an
// event of the workspace makes stale: those of a user whose state,
// attributes or roles changed (user.*), of a revoked API key or session,
// of the members a group gained or lost, and every one on a group's
// rename or deletion, which changes its members' groups. An application
// that receives scimd's webhooks passes their events here; Watch does it
// with the feed. Without a cache, it does nothing.
func (c *Client) Invalidate(e Event) {
	if c.cache == nil {
		return
	}
	switch t := e.Type; {
	case strings.HasPrefix(t, "user."):
		c.cache.dropUsers(e.Subject)
	case t == "api_key.revoked" || t == "session.revoked":
		c.cache.dropCredential(e.Subject)
	case t == "group.member_added" || t == "group.member_removed":
		var d struct {
			Members []string `json:"members"`
			Cleared bool     `json:"cleared"`
		}
		if json.Unmarshal(e.Data, &d) != nil || d.Cleared {
			c.cache.purge()
			return
		}
		c.cache.dropUsers(d.Members...)
	case t == "group.updated" || t == "group.deleted":
		c.cache.purge()
	}
}

// Watch follows the workspace's event feed from its end, passing each
// event to Invalidate, until ctx ends; it returns ctx's error. While it
// cannot read the feed, it logs why and tries again, and the cache is
// off: verifications go to the server rather than trust what may be
// stale. It needs WithCache and WithWorkspace.
//
// Run it in a goroutine of its own for as long as the client verifies:
//
//	go c.Watch(ctx)
func (c *Client) Watch(ctx context.Context) error {
	if c.cache == nil || c.workspace == "" {
		return errors.New("scimd client: Watch needs client.WithCache and client.WithWorkspace")
	}
	// The cache is off until the feed's end is known: what it held
	// before may predate the feed's last events.
	c.cache.suspend()
	var (
		cursor  int64
		started bool // cursor is set
		healthy bool // the last read of the feed worked; the cache is on
		backoff = time.Second
	)
	for {
		var err error
		if !started {
			cursor, err = c.LastSeq(ctx)
			started = err == nil
		}
		if started && err == nil {
			// Back from a failure, a read that does not wait says at
			// once whether the feed works again.
			wait := 30 * time.Second
			if !healthy {
				wait = 0
			}
			var p EventPage
			if p, err = c.Events(ctx, cursor, MaxEventLimit, wait); err == nil {
				for _, e := range p.Events {
					c.Invalidate(e)
				}
				if !healthy {
					c.cache.resume()
					healthy = true
				}
				cursor, backoff = p.Next, time.Second
				continue
			}
		}
		healthy = false
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.cache.suspend()
		c.log.Warn("scimd client: cannot follow the event feed; verifying without the cache until it can", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}
