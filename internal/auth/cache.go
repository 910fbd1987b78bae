package auth

import (
	"sync"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// cacheTTL is how long a token found in the store is trusted without
// asking the store again. Revocations, expiry changes and workspace
// changes reach the cache at once through the store's notifications (see
// apply); the TTL only bounds how long a notification lost without the
// store noticing could leave it wrong.
const cacheTTL = 10 * time.Second

// maxCached bounds the cache; only tokens that exist are cached, so it
// cannot be filled by guessing.
const maxCached = 10000

// cache remembers recently used tokens by hash, with their workspaces,
// saving the store reads of every request: identity providers send
// requests by the hundred a second, applications verify by the thousand.
type cache struct {
	mu sync.RWMutex
	m  map[string]*entry
	// gen counts invalidations. A lookup caches what it read only if
	// none happened since it began, since what it read may predate it.
	gen uint64
}

type entry struct {
	id      *Identity
	fetched time.Time
}

// get returns the identity cached under key if it is of workspace ws and
// fresh at now, with the generation to give put after a miss.
func (c *cache) get(key, ws string, now time.Time) (*Identity, uint64, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	gen := c.gen
	c.mu.RUnlock()
	if ok && now.Sub(e.fetched) < cacheTTL && e.id.Token.WorkspaceID == ws {
		return e.id, gen, true
	}
	return nil, gen, false
}

// put caches id, read at now, under key unless the cache was invalidated
// since generation gen.
func (c *cache) put(key string, id *Identity, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[string]*entry)
	}
	c.m[key] = &entry{id: id, fetched: now}
}

// apply drops what a change makes stale. The store calls it right after
// its own commits, so that a token revoked in this process is refused from
// the very next request.
func (c *cache) apply(ch store.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ch.Kind {
	case store.ChangeToken:
		for k, e := range c.m {
			if e.id.Token.ID == ch.ID {
				delete(c.m, k)
			}
		}
	case store.ChangeWorkspace:
		for k, e := range c.m {
			if e.id.Token.WorkspaceID == ch.WorkspaceID {
				delete(c.m, k)
			}
		}
	case store.ChangeReset:
		c.m = nil
	default:
		return // about something not cached here
	}
	c.gen++
}
