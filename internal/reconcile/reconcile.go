// Package reconcile keeps users' effective roles in step with their
// groups and their workspace's access policy. A Reconciler recomputes a
// user's roles whenever something that decides them changes: the user,
// or a group it is in, directly or through nested groups (the store names
// the users a group write affects, or a change of the team a group is
// linked to), and every user of a workspace when its policy changes; as a safety net, it recomputes every user's
// periodically. Each change of a user's roles becomes one
// user.roles_changed event and one audit entry.
package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// EventRolesChanged is the event of a change of a user's effective roles,
// group keys or teams.
const EventRolesChanged = eventtype.RolesChanged

// DefaultSweep is how often every user's roles are recomputed.
const DefaultSweep = 10 * time.Minute

// Config configures a Reconciler.
type Config struct {
	// Sweep is how often every user of every workspace is recomputed;
	// 0 means DefaultSweep.
	Sweep time.Duration
	// Log receives failures; default: discarded.
	Log *slog.Logger
	// Changed, if set, is called after each change of a user's roles
	// is stored, with when the change that caused it was heard of.
	Changed func(workspaceID, userID string, before, after store.UserRoles, heard time.Time)
	// Recomputed, if set, is called after each recomputation of a
	// user's roles, whether they changed or not.
	Recomputed func(workspaceID, userID string)
}

// Reconciler recomputes users' roles. Several replicas may each run one:
// the store writes each change once.
type Reconciler struct {
	store store.Store
	cfg   Config
	log   *slog.Logger

	mu         sync.Mutex
	users      map[userKey]dirty   // dirty users
	records    map[recordKey]dirty // group changes' records of users
	workspaces map[string]dirty    // dirty workspaces ("" for all)
	wake       chan struct{}
}

type (
	userKey   struct{ ws, id string }
	recordKey struct{ ws, id string }
)

// dirty says why something is to be recomputed: since when, and the
// correlation id of the latest request whose change made it so, for the
// audit entries of the changes of roles that follow.
type dirty struct {
	heard time.Time
	corr  string
}

// mark records a change heard of at now with correlation id corr.
func mark[K comparable](m map[K]dirty, k K, now time.Time, corr string) {
	d, ok := m[k]
	if !ok {
		d.heard = now
	}
	if corr != "" {
		d.corr = corr
	}
	m[k] = d
}

// pageSize is how many users of a workspace, or of a group change's
// record, are read at once.
const pageSize = 500

// New returns a Reconciler on st.
func New(st store.Store, cfg Config) *Reconciler {
	if cfg.Sweep <= 0 {
		cfg.Sweep = DefaultSweep
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reconciler{
		store: st, cfg: cfg, log: log,
		users:      map[userKey]dirty{},
		records:    map[recordKey]dirty{},
		workspaces: map[string]dirty{},
		wake:       make(chan struct{}, 1),
	}
}

// apply marks what a change may have changed the roles of.
func (r *Reconciler) apply(c store.Change) {
	now := time.Now()
	r.mu.Lock()
	switch c.Kind {
	case store.ChangeUser:
		mark(r.users, userKey{c.WorkspaceID, c.ID}, now, c.CorrelationID)
	case store.ChangeGroups:
		if c.ID == "" {
			mark(r.workspaces, c.WorkspaceID, now, c.CorrelationID)
			break
		}
		mark(r.records, recordKey{c.WorkspaceID, c.ID}, now, c.CorrelationID)
	case store.ChangeWorkspace:
		mark(r.workspaces, c.WorkspaceID, now, c.CorrelationID)
	case store.ChangeReset:
		r.workspaces[""] = dirty{heard: now}
	default:
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run recomputes roles as changes come, and every user's each Sweep,
// until ctx ends. Each Sweep it also prunes the records of group changes
// older than store.GroupChangesKept, which it and its like on other
// replicas have had the time to read.
func (r *Reconciler) Run(ctx context.Context) {
	unsubscribe := r.store.Subscribe(r.apply)
	defer unsubscribe()
	sweep := time.NewTicker(r.cfg.Sweep)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			if _, err := r.store.PruneGroupChanges(ctx, time.Now().Add(-store.GroupChangesKept)); err != nil && ctx.Err() == nil {
				r.log.Error("pruning records of group changes failed; will retry", "error", err)
			}
			r.apply(store.Change{Kind: store.ChangeReset})
		case <-r.wake:
		}
		r.drain(ctx)
	}
}

// drain recomputes everything marked dirty.
func (r *Reconciler) drain(ctx context.Context) {
	r.mu.Lock()
	users, records, workspaces := r.users, r.records, r.workspaces
	r.users, r.records, r.workspaces = map[userKey]dirty{}, map[recordKey]dirty{}, map[string]dirty{}
	r.mu.Unlock()

	policies := map[string]*workspacePolicy{}
	policy := func(wsID string) (*workspacePolicy, error) {
		if p, ok := policies[wsID]; ok {
			return p, nil
		}
		w, err := r.store.WorkspaceByID(ctx, wsID)
		if err != nil {
			return nil, err
		}
		c, err := w.Config.Policy().Compile()
		if err != nil {
			return nil, err
		}
		p := &workspacePolicy{ws: w, policy: c}
		policies[wsID] = p
		return p, nil
	}

	if all, ok := workspaces[""]; ok {
		list, err := r.store.Workspaces(ctx)
		if err != nil {
			r.retry(ctx, err, func() { r.apply(store.Change{Kind: store.ChangeReset}) })
			return
		}
		for _, w := range list {
			if _, ok := workspaces[w.ID]; !ok {
				workspaces[w.ID] = all
			}
		}
		delete(workspaces, "")
	}
	for wsID, d := range workspaces {
		p, err := policy(wsID)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted
		}
		if err == nil {
			err = r.workspace(ctx, p, d)
		}
		if err != nil {
			r.retry(ctx, err, func() { r.apply(store.Change{Kind: store.ChangeWorkspace, WorkspaceID: wsID, CorrelationID: d.corr}) })
		}
	}
	for k, d := range records {
		if _, ok := workspaces[k.ws]; ok {
			continue // done with its workspace
		}
		p, err := policy(k.ws)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err == nil {
			err = r.record(ctx, p, k.id, d)
		}
		if errors.Is(err, store.ErrNotFound) {
			// Pruned before it was read: who was in it is unknown.
			if err = r.workspace(ctx, p, d); err == nil {
				workspaces[k.ws] = d
			}
		}
		if err != nil {
			r.retry(ctx, err, func() {
				r.apply(store.Change{Kind: store.ChangeGroups, WorkspaceID: k.ws, ID: k.id, CorrelationID: d.corr})
			})
		}
	}
	for k, d := range users {
		if _, ok := workspaces[k.ws]; ok {
			continue // done with its workspace
		}
		p, err := policy(k.ws)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err == nil {
			var u *store.Resource
			u, err = r.store.Resource(ctx, k.ws, schema.UserType.ID, k.id, false)
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted: its roles went with it
			}
			if err == nil {
				err = r.user(ctx, p, u, d)
			}
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted while recomputed: nothing is left to do
			}
		}
		if err != nil {
			r.retry(ctx, err, func() {
				r.apply(store.Change{Kind: store.ChangeUser, WorkspaceID: k.ws, ID: k.id, CorrelationID: d.corr})
			})
		}
	}
}

// retry logs a failure and marks the work dirty again after a pause, so
// that a database outage is not hammered.
func (r *Reconciler) retry(ctx context.Context, err error, mark func()) {
	if ctx.Err() != nil {
		return
	}
	r.log.Error("recomputing roles failed; will retry", "error", err)
	time.AfterFunc(time.Second, mark)
}

type workspacePolicy struct {
	ws     store.Workspace
	policy *roles.Compiled
}

// workspace recomputes every user of a workspace, a page at a time, each
// page read with its users' groups and stored roles, so that a sweep that
// finds nothing changed reads three statements a page and writes nothing.
func (r *Reconciler) workspace(ctx context.Context, p *workspacePolicy, d dirty) error {
	for cursor := ""; ; {
		page, next, err := r.store.SweepUsers(ctx, p.ws.ID, cursor, pageSize)
		if err != nil {
			return err
		}
		for i := range page {
			u := &page[i]
			if err := r.set(ctx, p, u.User, u.Groups, u, d); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// record recomputes the users a group change recorded, a page at a time.
// It fails with store.ErrNotFound if the record is gone.
func (r *Reconciler) record(ctx context.Context, p *workspacePolicy, id string, d dirty) error {
	for cursor := ""; ; {
		ids, next, err := r.store.GroupChangeUsers(ctx, p.ws.ID, id, cursor, pageSize)
		if err != nil {
			return err
		}
		for _, uid := range ids {
			u, err := r.store.Resource(ctx, p.ws.ID, schema.UserType.ID, uid, false)
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted since
			}
			if err == nil {
				err = r.user(ctx, p, u, d)
			}
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("user %s of group change %s: %w", uid, id, err)
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// Compute returns a user's effective roles, group keys and teams.
func Compute(ctx context.Context, st store.Store, policy *roles.Compiled, u *store.Resource) (roles.Access, error) {
	groups, err := st.UserGroups(ctx, u.WorkspaceID, u.ID)
	if err != nil {
		return roles.Access{}, err
	}
	return policy.Compute(provision.RoleInput(u.Doc, groups)), nil
}

// user recomputes one user and stores the result if it changed: the
// roles stored are read first, as the sweep reads them, so that a change
// of the user that leaves its roles as they were (most do) costs reads
// and no write transaction.
func (r *Reconciler) user(ctx context.Context, p *workspacePolicy, u *store.Resource, d dirty) error {
	groups, err := r.store.UserGroups(ctx, u.WorkspaceID, u.ID)
	if err != nil {
		return err
	}
	roles, had, err := r.store.UserRoles(ctx, u.WorkspaceID, u.ID)
	if err != nil {
		return err
	}
	return r.set(ctx, p, u, groups, &store.SweptUser{User: u, Groups: groups, Roles: roles, Had: had}, d)
}

// set computes a user's roles from its groups and stores them. stored, if
// not nil, holds the roles stored for the user, read with its groups: if
// they are the result, nothing is written. A change since they were read
// marks the user again, so skipping the write loses nothing.
func (r *Reconciler) set(ctx context.Context, p *workspacePolicy, u *store.Resource, groups []store.GroupNode, stored *store.SweptUser, d dirty) error {
	a := p.policy.Compute(provision.RoleInput(u.Doc, groups))
	next := store.UserRoles{Roles: a.Roles, Groups: a.Groups, Teams: make([]store.Team, len(a.Teams))}
	for i, t := range a.Teams {
		next.Teams[i] = store.Team{Key: t.Key, Role: t.Role}
	}
	if stored != nil {
		if write, _ := next.Storing(stored.Roles, stored.Had); !write {
			if r.cfg.Recomputed != nil {
				r.cfg.Recomputed(p.ws.ID, u.ID)
			}
			return nil
		}
	}
	var before store.UserRoles
	// The change's event and audit entry are stored in its transaction:
	// a change of roles is never kept without them.
	changed, err := r.store.SetUserRoles(ctx, p.ws.ID, u.ID, next, func(old store.UserRoles, h bool) store.Effects {
		before = old
		data := map[string]any{
			"user":   map[string]any{"id": u.ID, "userName": u.Doc["userName"]},
			"before": nil,
			"after":  next,
		}
		payload := map[string]any{"after": next}
		if h {
			data["before"] = old
			payload["before"] = old
		}
		ev, _ := json.Marshal(data)
		entry, _ := json.Marshal(payload)
		return store.Effects{
			Events: []store.NewEvent{{Type: EventRolesChanged, Subject: u.ID, Data: ev}},
			Audit: []store.AuditEntry{{
				WorkspaceID: p.ws.ID, Channel: "effect", Action: "user.roles_change",
				Actor: "scimd:reconciler", Target: u.ID, CorrelationID: d.corr, Payload: entry,
			}},
		}
	})
	if err != nil {
		return err
	}
	if r.cfg.Recomputed != nil {
		r.cfg.Recomputed(p.ws.ID, u.ID)
	}
	if !changed {
		return nil
	}
	if r.cfg.Changed != nil {
		r.cfg.Changed(p.ws.ID, u.ID, before, next, d.heard)
	}
	return nil
}
