package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// Seeded users are named userName(0), userName(1), ...; the tool counts
// them by that prefix, so that users made by create-user do not count.
const userPrefix = "bench.user."

func userName(i int) string { return userPrefix + strconv.Itoa(i) + "@example.com" }

// userDoc is a user as identity providers typically send one.
func userDoc(userName string) map[string]any {
	return map[string]any{
		"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":    userName,
		"externalId":  "ext-" + userName,
		"active":      true,
		"displayName": "Bench User " + userName,
		"name":        map[string]any{"givenName": "Bench", "familyName": "User " + userName},
		"emails": []any{
			map[string]any{"value": userName, "type": "work", "primary": true},
		},
	}
}

// seededID is the id the in-process seeder gives user i: derived from i,
// so that it need not be looked up, and random-looking, like real ids.
func seededID(i int) string {
	h := sha256.Sum256([]byte("scimd load user " + strconv.Itoa(i)))
	return id.User + id.Encoding.EncodeToString(h[:id.Size])
}

// bench holds what the workloads share.
type bench struct {
	cfg    config
	t      *target
	log    io.Writer
	seeded int  // users userName(0 .. seeded-1) exist
	known  bool // seeded users have seededID ids
}

// ensureUsers seeds users up to need, skipping those that exist. It
// resumes a little below the count found, since concurrent seeding that
// was interrupted may have left gaps there.
func (b *bench) ensureUsers(ctx context.Context, need int) error {
	have, err := b.t.api.total(ctx, "/Users", `userName sw "`+userPrefix+`"`)
	if isStatus(err, http.StatusBadRequest) {
		// Too many to count (tooMany): enough if the last one needed
		// is there, as seeding goes in order but for the last few.
		have, err = 0, nil
		if id, ferr := b.t.api.find(ctx, "/Users", `userName eq "`+userName(need-1)+`"`); ferr != nil {
			err = ferr
		} else if id != "" {
			have = need
		}
	}
	if err != nil {
		return fmt.Errorf("count seeded users: %w", err)
	}
	b.seeded = max(have, need)
	if have >= need {
		fmt.Fprintf(b.log, "found %d seeded users\n", have)
		return nil
	}
	from := max(0, have-1000)
	fmt.Fprintf(b.log, "found %d seeded users; seeding %d to %d\n", have, from, need)

	var next, done atomic.Int64
	next.Store(int64(from))
	start := time.Now()
	var create func(ctx context.Context, i int) error
	workers := b.cfg.concurrency
	if b.t.seed != nil {
		workers = b.t.seedWorkers
		create = func(ctx context.Context, i int) error {
			doc, err := schema.UserType.Normalize(userDoc(userName(i)))
			if err != nil {
				return err
			}
			// Stored as the server stores a custom attribute, so that
			// declaring extension.json makes it filterable; until then
			// the server neither returns it nor filters on it.
			doc[extensionURN] = map[string]any{"costCenter": costCenter(i)}
			r := &store.Resource{Type: schema.UserType.ID, ID: seededID(i), WorkspaceID: b.t.wsID, Doc: doc}
			if err := b.t.seed.CreateResource(ctx, r, store.Effects{}); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
				return err
			}
			return nil
		}
	} else {
		create = func(ctx context.Context, i int) error {
			err := b.t.api.call(ctx, "POST", "/Users", withCostCenter(userDoc(userName(i)), costCenter(i)), http.StatusCreated, nil)
			if isStatus(err, http.StatusConflict) {
				return nil
			}
			return err
		}
	}
	err = parallel(ctx, workers, func(ctx context.Context) error {
		for {
			i := int(next.Add(1) - 1)
			if i >= need || ctx.Err() != nil {
				return ctx.Err()
			}
			if err := create(ctx, i); err != nil {
				return fmt.Errorf("seed user %d: %w", i, err)
			}
			if n := done.Add(1); n%100000 == 0 {
				fmt.Fprintf(b.log, "seeded %d of %d users (%.0f/s)\n", from+int(n), need, float64(n)/time.Since(start).Seconds())
			}
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(b.log, "seeded %d users in %s\n", need-from, time.Since(start).Round(time.Millisecond))
	return nil
}

// checkIDs decides whether seeded users can be addressed by seededID or
// must be looked up: a database seeded over HTTP has server-made ids.
func (b *bench) checkIDs(ctx context.Context) error {
	if b.seeded == 0 {
		return nil
	}
	err := b.t.api.call(ctx, "GET", "/Users/"+seededID(0)+"?attributes=userName", nil, http.StatusOK, nil)
	switch {
	case err == nil:
		b.known = true
	case isStatus(err, http.StatusNotFound):
		fmt.Fprintln(b.log, "seeded users have other ids than this tool gives; looking them up")
	default:
		return err
	}
	return nil
}

// userIDs returns the ids of the seeded users with the given indices.
func (b *bench) userIDs(ctx context.Context, idx []int) ([]string, error) {
	ids := make([]string, len(idx))
	if b.known {
		for k, i := range idx {
			ids[k] = seededID(i)
		}
		return ids, nil
	}
	if len(idx) >= 10000 {
		fmt.Fprintf(b.log, "looking up %d user ids\n", len(idx))
	}
	var next atomic.Int64
	err := parallel(ctx, b.cfg.concurrency, func(ctx context.Context) error {
		for {
			k := int(next.Add(1) - 1)
			if k >= len(idx) || ctx.Err() != nil {
				return ctx.Err()
			}
			uid, err := b.t.api.find(ctx, "/Users", `userName eq "`+userName(idx[k])+`"`)
			if err != nil {
				return err
			}
			if uid == "" {
				return fmt.Errorf("user %s does not exist", userName(idx[k]))
			}
			ids[k] = uid
		}
	})
	return ids, err
}

// memberBatch is how many members one request adds or removes.
const memberBatch = 5000

func memberList(ids []string) []any {
	list := make([]any, len(ids))
	for i, v := range ids {
		list[i] = map[string]any{"value": v}
	}
	return list
}

func patchOp(op, path string, value any) map[string]any {
	o := map[string]any{"op": op, "value": value}
	if path != "" {
		o["path"] = path
	}
	return map[string]any{
		"schemas":    []any{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{o},
	}
}

// ensureGroup returns the id of the group with the given name, creating it
// with the members members returns if it does not exist. A group is built
// under a temporary name and renamed once complete, so an interrupted
// build is never mistaken for a complete group.
func (b *bench) ensureGroup(ctx context.Context, a *api, name string, members func() ([]string, error)) (string, error) {
	gid, err := a.find(ctx, "/Groups", `displayName eq "`+name+`"`)
	if err != nil || gid != "" {
		return gid, err
	}
	building := name + " (building)"
	old, err := a.find(ctx, "/Groups", `displayName eq "`+building+`"`)
	if err != nil {
		return "", err
	}
	if old != "" {
		if err := a.call(ctx, "DELETE", "/Groups/"+old, nil, http.StatusNoContent, nil); err != nil {
			return "", err
		}
	}
	ids, err := members()
	if err != nil {
		return "", err
	}
	if len(ids) > memberBatch {
		fmt.Fprintf(b.log, "creating group %q with %d members\n", name, len(ids))
	}
	first := ids[:min(len(ids), memberBatch)]
	var g struct {
		ID string `json:"id"`
	}
	err = a.call(ctx, "POST", "/Groups?excludedAttributes=members", map[string]any{
		"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": building,
		"members":     memberList(first),
	}, http.StatusCreated, &g)
	if err != nil {
		return "", err
	}
	for rest := ids[len(first):]; len(rest) > 0; {
		n := min(len(rest), memberBatch)
		if err := a.call(ctx, "PATCH", "/Groups/"+g.ID, patchOp("add", "members", memberList(rest[:n])), http.StatusNoContent, nil); err != nil {
			return "", err
		}
		rest = rest[n:]
	}
	if err := a.call(ctx, "PATCH", "/Groups/"+g.ID, patchOp("replace", "displayName", name), http.StatusNoContent, nil); err != nil {
		return "", err
	}
	return g.ID, nil
}

// largeGroup returns the group of cfg.groupMembers seeded users that
// add-member and list-groups use.
func (b *bench) largeGroup(ctx context.Context) (string, error) {
	n := b.cfg.groupMembers
	return b.ensureGroup(ctx, b.t.api, "bench.group."+strconv.Itoa(n), func() ([]string, error) {
		return b.userIDs(ctx, seq(0, n))
	})
}

// seq returns from, from+1, ..., to-1.
func seq(from, to int) []int {
	s := make([]int, 0, max(0, to-from))
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// parallel runs fn in n goroutines and returns the first error, on which
// it cancels the others' context.
func parallel(ctx context.Context, n int, fn func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range n {
		wg.Go(func() {
			if err := fn(ctx); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	return first
}
