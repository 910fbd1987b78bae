package server

import (
	"sync"
	"time"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// userCacheTTL bounds how long a rendered user is served without reading
// it again, should a change notification be lost without the store
// noticing; changes reach the cache at once otherwise. It is the types'
// (typesTTL): a user rendered with a workspace's types is not served
// once they have been read again.
const userCacheTTL = typesTTL

// maxCachedUsers bounds the users the cache holds: about a kilobyte
// each, some tens of megabytes at most. A full cache loses an entry
// picked at random.
const maxCachedUsers = 50_000

// userCache keeps users as GET /Users/{id} answers them with neither
// attributes nor excludedAttributes: the JSON body, rendered once per
// change rather than read from the store and rendered on every request,
// which is most of what such a request costs.
//
// It holds what the store's change notifications invalidate, as the
// verification cache does: a write through this process drops the users
// it changed (store.ChangeUser: the user, or a group whose members'
// groups it changed) before it returns, so that a user deactivated,
// deleted or renamed is never answered from the cache as it was once the
// write has been answered. Writes through other processes on the same
// database reach it when the store hears of them: at their commit on
// PostgreSQL (NOTIFY), within the poll interval of the changes table on
// SQLite. Until the store watches for those (its first
// store.ChangeReset), nothing is cached.
type userCache struct {
	st          store.Notifier
	now         func() time.Time
	subscribe   sync.Once
	unsubscribe func()

	mu sync.RWMutex
	// live says the store has started telling of changes made elsewhere.
	live bool
	// gen counts invalidations: a request keeps what it read from the
	// store only if none happened since it looked in the cache, since
	// what it read may predate the change.
	gen uint64
	m   map[string]map[string]*cachedUser // workspace → user id → entry
	n   int
}

// cachedUser is a user as GET answers it. Entries are never changed once
// installed.
type cachedUser struct {
	rt      *schema.ResourceType // the workspace's User type it was rendered with
	base    string               // the base URL of its locations
	version int64
	body    []byte
	fetched time.Time
}

func newUserCache(st store.Notifier, now func() time.Time) *userCache {
	return &userCache{st: st, now: now}
}

func (c *userCache) close() {
	c.subscribe.Do(func() {})
	if c.unsubscribe != nil {
		c.unsubscribe()
	}
}

// generation returns the count of invalidations so far, for put: call it
// before reading what to put from the store.
func (c *userCache) generation() uint64 {
	c.subscribe.Do(func() { c.unsubscribe = c.st.Subscribe(c.apply) })
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// lookup returns the cached user id of workspace ws if it was rendered
// with rt and base, nil otherwise.
func (c *userCache) lookup(ws, id string, rt *schema.ResourceType, base string) *cachedUser {
	c.mu.RLock()
	e := c.m[ws][id]
	c.mu.RUnlock()
	if e != nil && e.rt == rt && e.base == base && c.now().Sub(e.fetched) < userCacheTTL {
		return e
	}
	return nil
}

// put caches e as user id of workspace ws, unless the cache was
// invalidated since generation returned gen.
func (c *userCache) put(gen uint64, ws, id string, e *cachedUser) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || !c.live {
		return
	}
	users := c.m[ws]
	if users == nil {
		users = make(map[string]*cachedUser)
		c.m[ws] = users
	}
	if users[id] == nil {
		if c.n >= maxCachedUsers {
			c.evict()
		}
		c.n++
	}
	users[id] = e
}

// evict drops an entry picked at random (map order).
func (c *userCache) evict() {
	for ws, users := range c.m {
		for id := range users {
			delete(users, id)
			c.n--
			break
		}
		if len(users) == 0 {
			delete(c.m, ws)
		}
		return
	}
}

// apply drops what a change makes stale. The store calls it right after
// its own commits, before the write returns.
func (c *userCache) apply(ch store.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ch.Kind {
	case store.ChangeUser:
		// The user itself, or its groups: every write of a user, and
		// every write of a group that changes its members' groups,
		// names them.
		if users := c.m[ch.WorkspaceID]; users[ch.ID] != nil {
			delete(users, ch.ID)
			c.n--
		}
	case store.ChangeGroups, store.ChangeSchemas, store.ChangeWorkspace:
		// More of the workspace's users than are named one by one, the
		// extensions its users are rendered with, or the workspace
		// itself.
		c.n -= len(c.m[ch.WorkspaceID])
		delete(c.m, ch.WorkspaceID)
	case store.ChangeReset:
		c.m, c.n, c.live = make(map[string]map[string]*cachedUser), 0, true
	default:
		return // about something not cached here
	}
	c.gen++
}
