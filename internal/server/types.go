package server

import (
	"context"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// types are a workspace's resource types: scimd's User and Group,
// extended with the schemas the workspace declared.
type types struct {
	user, group *schema.ResourceType
}

// baseTypes are those of a workspace that declared no extension, and
// of requests without a workspace.
var baseTypes = types{user: schema.UserType, group: schema.GroupType}

// of returns the workspace's version of rt, one of scimd's types.
func (t types) of(rt *schema.ResourceType) *schema.ResourceType {
	if rt.ID == schema.GroupType.ID {
		return t.group
	}
	return t.user
}

// keeping returns t keeping the attributes of extensions the workspace
// has not declared (its setting undeclaredExtensions "keep").
func (t types) keeping() types {
	return types{user: t.user.Keeping(), group: t.group.Keeping()}
}

func (t types) all() []*schema.ResourceType { return []*schema.ResourceType{t.user, t.group} }

// schemas are the schemas /Schemas serves: the resource types', then
// the discovery resources'.
func (t types) schemas() []*schema.Schema {
	out := t.user.Schemas()
	out = append(out, t.group.Schemas()...)
	for _, s := range schema.AllSchemas {
		if t.user.SchemaByURN(s.ID) == nil && t.group.SchemaByURN(s.ID) == nil {
			out = append(out, s)
		}
	}
	return out
}

// typesTTL bounds how long a workspace's types are used without reading
// its declarations again, should a change notification be lost without
// the store noticing; changes reach the cache at once otherwise.
const typesTTL = 10 * time.Second

// typeCache keeps each workspace's types, built once per change of its
// declarations rather than on every request. It drops a workspace's on
// store.ChangeSchemas and store.ChangeWorkspace, in this process and from
// others, and all on store.ChangeReset.
type typeCache struct {
	st          store.Store
	now         func() time.Time
	subscribe   sync.Once
	unsubscribe func()

	mu  sync.Mutex
	m   map[string]typeEntry
	gen uint64 // counts invalidations; see get
}

type typeEntry struct {
	types   types
	fetched time.Time
}

func newTypeCache(st store.Store, now func() time.Time) *typeCache {
	return &typeCache{st: st, now: now}
}

func (c *typeCache) close() {
	c.subscribe.Do(func() {})
	if c.unsubscribe != nil {
		c.unsubscribe()
	}
}

// get returns the types of workspace ws.
func (c *typeCache) get(ctx context.Context, ws string) (types, error) {
	c.subscribe.Do(func() { c.unsubscribe = c.st.Subscribe(c.apply) })
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[ws]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < typesTTL {
		return e.types, nil
	}
	es, err := c.st.SchemaExtensions(ctx, ws)
	if err != nil {
		return types{}, err
	}
	t := buildTypes(es)
	c.mu.Lock()
	defer c.mu.Unlock()
	// What was read may predate an invalidation since: then it is used
	// for this request, and not kept.
	if c.gen == gen {
		if c.m == nil || len(c.m) >= maxCachedTypes {
			c.m = make(map[string]typeEntry)
		}
		c.m[ws] = typeEntry{types: t, fetched: now}
	}
	return t, nil
}

// maxCachedTypes bounds the cache: one entry a workspace in use.
const maxCachedTypes = 10000

func (c *typeCache) apply(ch store.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ch.Kind {
	case store.ChangeSchemas, store.ChangeWorkspace:
		delete(c.m, ch.WorkspaceID)
	case store.ChangeReset:
		c.m = nil
	default:
		return
	}
	c.gen++
}

// buildTypes extends scimd's types with the declarations es.
func buildTypes(es []store.SchemaExtension) types {
	user, group := store.ResourceTypes(es)
	return types{user: user, group: group}
}
