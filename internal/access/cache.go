package access

import (
	"sync"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// cache holds what verifications read from the store: credentials by
// hash, users with their access, and workspaces. Only what exists is
// cached, so it cannot be filled by guessing; each map is bounded, and a
// full one loses an entry picked at random.
type cache struct {
	max int
	ttl time.Duration

	mu sync.RWMutex
	// gen counts invalidations. A verification installs what it read
	// from the store only if none happened since it looked in the cache,
	// since what it read may predate the change invalidated. It is also
	// the clock of workspaces' epochs.
	gen        uint64
	creds      map[string]*credEntry // by hash
	credKeys   map[string]string     // credential id → hash
	userCreds  map[userKey][]string  // user → hashes of its cached credentials
	users      map[userKey]*userEntry
	workspaces map[string]*wsEntry
}

type userKey struct{ ws, id string }

// Entries are never changed once installed, but for wsEntry.epoch, which
// is changed and read under the lock; what they hold is handed to
// verifications outside it.
type (
	credEntry struct {
		cred    store.Credential // without its hash
		fetched time.Time
	}
	userEntry struct {
		user    *User
		epoch   uint64 // its workspace's epoch when read
		fetched time.Time
	}
	wsEntry struct {
		ws store.Workspace
		// epoch changes whenever the access of any number of the
		// workspace's users may have: a user entry of another epoch is
		// stale. A new entry starts a new epoch, so that dropping a
		// workspace drops its users too.
		epoch   uint64
		fetched time.Time
	}
)

func newCache(max int, ttl time.Duration) *cache {
	if max <= 0 {
		max = DefaultMaxEntries
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	c := &cache{max: max, ttl: ttl}
	c.clear()
	return c
}

func (c *cache) clear() {
	c.creds = make(map[string]*credEntry)
	c.credKeys = make(map[string]string)
	c.userCreds = make(map[userKey][]string)
	c.users = make(map[userKey]*userEntry)
	c.workspaces = make(map[string]*wsEntry)
}

// What a pending verification read from the store.
const (
	loadCred = 1 << iota
	loadWorkspace
	loadUser
)

// pending is one verification's view of the cache: what it found there,
// then what it read from the store to add.
type pending struct {
	hash []byte
	gen  uint64 // cache.gen when it looked

	cred *store.Credential
	ws   *store.Workspace
	user *User
	load int // what of the above was read from the store
}

func (c *cache) fresh(fetched, now time.Time) bool {
	return now.Sub(fetched) < c.ttl
}

// lookup returns what the cache holds for a credential of the workspace,
// by hash: the workspace, the credential, and its user if both are found.
// The workspace is taken even when the credential is not: read again, it
// would start a new epoch and make every user of the workspace stale,
// when only this user's credentials were dropped.
func (c *cache) lookup(ws string, hash []byte, now time.Time) pending {
	p := pending{hash: hash}
	c.mu.RLock()
	defer c.mu.RUnlock()
	p.gen = c.gen
	we := c.workspaces[ws]
	if we != nil && c.fresh(we.fetched, now) {
		p.ws = &we.ws
	}
	ce := c.creds[string(hash)]
	if ce == nil || ce.cred.WorkspaceID != ws || !c.fresh(ce.fetched, now) {
		return p
	}
	p.cred = &ce.cred
	if p.ws == nil {
		return p
	}
	if ue := c.users[userKey{ws, ce.cred.UserID}]; ue != nil && ue.epoch == we.epoch && c.fresh(ue.fetched, now) {
		p.user = ue.user
	}
	return p
}

// install caches what p read from the store, unless the cache was
// invalidated since p looked in it.
func (c *cache) install(p *pending, now time.Time) {
	if p.load == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != p.gen {
		return
	}
	if p.load&loadCred != 0 {
		c.putCred(string(p.hash), *p.cred, now)
	}
	ws := p.cred.WorkspaceID
	we := c.workspaces[ws]
	if p.load&loadWorkspace != 0 {
		if we == nil && len(c.workspaces) >= c.max {
			for k := range c.workspaces {
				delete(c.workspaces, k)
				break
			}
		}
		we = &wsEntry{ws: *p.ws, epoch: c.gen, fetched: now}
		c.workspaces[ws] = we
	}
	if p.load&loadUser != 0 && we != nil {
		k := userKey{ws, p.user.ID}
		if c.users[k] == nil && len(c.users) >= c.max {
			for k := range c.users {
				delete(c.users, k)
				break
			}
		}
		c.users[k] = &userEntry{user: p.user, epoch: we.epoch, fetched: now}
	}
}

func (c *cache) putCred(key string, cred store.Credential, now time.Time) {
	if c.creds[key] != nil {
		c.dropCred(key)
	} else if len(c.creds) >= c.max {
		for k := range c.creds {
			c.dropCred(k)
			break
		}
	}
	c.creds[key] = &credEntry{cred: cred, fetched: now}
	c.credKeys[cred.ID] = key
	uk := userKey{cred.WorkspaceID, cred.UserID}
	c.userCreds[uk] = append(c.userCreds[uk], key)
}

func (c *cache) dropCred(key string) {
	e := c.creds[key]
	if e == nil {
		return
	}
	delete(c.creds, key)
	delete(c.credKeys, e.cred.ID)
	uk := userKey{e.cred.WorkspaceID, e.cred.UserID}
	keys := c.userCreds[uk]
	for i, k := range keys {
		if k == key {
			keys[i] = keys[len(keys)-1]
			keys = keys[:len(keys)-1]
			break
		}
	}
	if len(keys) == 0 {
		delete(c.userCreds, uk)
	} else {
		c.userCreds[uk] = keys
	}
}

// apply drops what a change makes stale. The store calls it right after
// its own commits, before the write returns, so that a credential
// revoked or a user deactivated in this process is refused from the very
// next verification.
func (c *cache) apply(ch store.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ch.Kind {
	case store.ChangeCredential:
		if key, ok := c.credKeys[ch.ID]; ok {
			c.dropCred(key)
		}
	case store.ChangeUser:
		// The user, and its credentials as a whole: a user deleted
		// for good takes them along without a ChangeCredential each.
		uk := userKey{ch.WorkspaceID, ch.ID}
		delete(c.users, uk)
		for _, key := range c.userCreds[uk] {
			if e := c.creds[key]; e != nil {
				delete(c.creds, key)
				delete(c.credKeys, e.cred.ID)
			}
		}
		delete(c.userCreds, uk)
	case store.ChangeGroups:
		// More of the workspace's users may have another access now
		// than a group write names one by one (those it names come as
		// ChangeUser): a new epoch makes them all stale at once.
		c.gen++
		if we := c.workspaces[ch.WorkspaceID]; we != nil {
			we.epoch = c.gen
		}
		return
	case store.ChangeWorkspace:
		// Its configuration, on which access depends, or the workspace
		// itself with its credentials; its users go with the entry.
		delete(c.workspaces, ch.WorkspaceID)
	case store.ChangeReset:
		c.clear()
	default:
		return // about something not cached here
	}
	c.gen++
}

// size returns the number of credentials and users cached (for tests).
func (c *cache) size() (creds, users int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.creds), len(c.users)
}
