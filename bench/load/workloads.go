package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// request is one request of a workload and what it must answer.
type request struct {
	method, path string
	body         []byte
	want         int
	check        func(body []byte) error // optional
	// refusable accepts a 400 in place of want: the server may refuse
	// a query too costly to answer, which the result counts.
	refusable bool
}

// client sends a request and reads the response into buf, which it
// returns with the status; *api is one.
type client interface {
	do(ctx context.Context, method, path string, body []byte, buf *bytes.Buffer) (int, error)
}

// workload makes the requests of one measurement.
type workload struct {
	label string
	api   client
	// next returns a request, or false when the workload has run out of
	// work. It is called concurrently.
	next func(r *rand.Rand) (request, bool)
	// after, if not nil, runs after the measurement; it may undo what the
	// workload did and return a note for the report.
	after func(ctx context.Context) (string, error)
}

// result is the outcome of one measurement.
type result struct {
	label    string
	requests int
	errors   int
	firstErr string
	elapsed  time.Duration
	lat      []time.Duration // sorted
	note     string
	// others is the share of the machine's CPUs that other processes
	// used during the measurement; -1: unknown.
	others float64
	// throttled is how many of the requests were answered 429.
	throttled int
	// refused is how many refusable requests were answered 400, and
	// refusal the first such answer.
	refused int
	refusal string
}

func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// percentile returns the nearest-rank percentile p (0 < p <= 1).
func (r result) percentile(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	k := int(p*float64(len(r.lat))+0.999999) - 1
	return r.lat[min(max(k, 0), len(r.lat)-1)]
}

// run seeds what the selected workloads need and measures each in turn.
func (b *bench) run(ctx context.Context) ([]result, error) {
	c := b.cfg
	need := 0
	if has(c.workloads, "get-user") || has(c.workloads, "filter-username") || has(c.workloads, "list-users") || has(c.workloads, "queries") ||
		has(c.workloads, "deactivate-user") || has(c.workloads, "filter-extension") {
		need = c.users
	}
	if has(c.workloads, "add-member") {
		need = max(need, c.groupMembers+c.addPool)
	}
	if has(c.workloads, "list-groups") {
		need = max(need, c.groupMembers)
	}
	if has(c.workloads, "verify") {
		need = max(need, c.keys)
	}
	if need > 0 {
		if err := b.ensureUsers(ctx, need); err != nil {
			return nil, err
		}
		if err := b.checkIDs(ctx); err != nil {
			return nil, err
		}
	}
	var results []result
	for _, name := range c.workloads {
		var ws []workload
		var err error
		switch name {
		case "get-user":
			ws, err = b.getUser(ctx)
		case "create-user":
			ws = b.createUser()
		case "filter-username":
			ws = b.filterUserName()
		case "list-users":
			ws = b.listUsers()
		case "deactivate-user":
			ws, err = b.deactivateUser(ctx)
		case "filter-extension":
			if err = b.declareExtension(ctx); err == nil {
				ws, err = b.filterExtension(ctx)
			}
		case "create-user-ext":
			if err = b.declareExtension(ctx); err == nil {
				ws = b.createUserExtension()
			}
		case "queries":
			ws = b.queries()
		case "add-member":
			ws, err = b.addMember(ctx)
		case "list-groups":
			ws, err = b.listGroups(ctx)
		case "verify":
			ws, err = b.verify(ctx)
		case "revoke":
			// Not requests at a rate but the latencies of single
			// deactivations, each measured on its own.
			rs, err := b.revoke(ctx)
			results = append(results, rs...)
			if err != nil {
				return results, fmt.Errorf("%s: %w", name, err)
			}
			continue
		case "sync", "sync-bulk":
			// A fixed amount of work, timed from start to end.
			r, err := b.initialSync(ctx, name == "sync-bulk")
			results = append(results, r)
			if err != nil {
				return results, fmt.Errorf("%s: %w", name, err)
			}
			fmt.Fprintf(b.log, "%s: %s\n", r.label, r.note)
			continue
		}
		if err == nil && b.t.analyze != nil {
			start := time.Now()
			err = b.t.analyze(ctx)
			fmt.Fprintf(b.log, "analyzed the tables in %s\n", time.Since(start).Round(time.Millisecond))
		}
		if err != nil {
			return results, fmt.Errorf("%s: %w", name, err)
		}
		for _, w := range ws {
			if ctx.Err() != nil {
				return results, ctx.Err()
			}
			r, err := b.measure(ctx, w)
			if err != nil {
				return results, fmt.Errorf("%s: %w", w.label, err)
			}
			fmt.Fprintf(b.log, "%s: %d requests, %.0f/s, p50 %s, p99 %s\n", r.label, r.requests, r.rate(), ms(r.percentile(0.5)), ms(r.percentile(0.99)))
			results = append(results, r)
		}
	}
	return results, nil
}

// measure runs a workload for the warm-up, unrecorded, then for the
// duration, and finally its after step.
func (b *bench) measure(ctx context.Context, w workload) (result, error) {
	fmt.Fprintf(b.log, "running %s\n", w.label)
	if b.cfg.warmup > 0 {
		b.drive(ctx, w, b.cfg.warmup)
	}
	cpu := sampleCPU()
	r := b.drive(ctx, w, b.cfg.duration)
	r.others = othersCPU(cpu, sampleCPU(), r.elapsed)
	if w.after != nil {
		// Undo even when interrupted, so a reused database stays as seeded.
		note, err := w.after(context.WithoutCancel(ctx))
		if err != nil {
			return r, err
		}
		r.note = note
	}
	return r, nil
}

// drive sends the workload's requests from cfg.concurrency clients, each
// waiting for its response before the next request, for d or until the
// workload runs out of work.
func (b *bench) drive(ctx context.Context, w workload, d time.Duration) result {
	type worker struct {
		lat      []time.Duration
		errors   int
		firstErr string
		refused  int
		refusal  string
	}
	workers := make([]worker, b.cfg.concurrency)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i := range workers {
		wk := &workers[i]
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(start.UnixNano()), uint64(i)))
			var buf bytes.Buffer
			for time.Now().Before(deadline) && ctx.Err() == nil {
				req, ok := w.next(rng)
				if !ok {
					return
				}
				t0 := time.Now()
				status, err := w.api.do(ctx, req.method, req.path, req.body, &buf)
				lat := time.Since(t0)
				if ctx.Err() != nil {
					return // interrupted: not a server failure
				}
				wk.lat = append(wk.lat, lat)
				switch {
				case err == nil && req.refusable && status == http.StatusBadRequest:
					if wk.refused == 0 {
						wk.refusal = buf.String()
					}
					wk.refused++
				case err == nil && status != req.want:
					err = fmt.Errorf("%s %s: status %d, want %d: %.300s", req.method, req.path, status, req.want, buf.String())
				case err == nil && req.check != nil:
					if err = req.check(buf.Bytes()); err != nil {
						err = fmt.Errorf("%s %s: %w", req.method, req.path, err)
					}
				}
				if err != nil {
					if wk.errors == 0 {
						wk.firstErr = err.Error()
					}
					wk.errors++
				}
			}
		})
	}
	wg.Wait()
	r := result{label: w.label, elapsed: time.Since(start)}
	for _, wk := range workers {
		r.lat = append(r.lat, wk.lat...)
		if r.errors == 0 {
			r.firstErr = wk.firstErr
		}
		r.errors += wk.errors
		if r.refused == 0 {
			r.refusal = wk.refusal
		}
		r.refused += wk.refused
	}
	slices.Sort(r.lat)
	r.requests = len(r.lat)
	return r
}

// hasTotal checks a ListResponse's totalResults without decoding it all.
func hasTotal(n int) func([]byte) error {
	want := []byte(`"totalResults":` + strconv.Itoa(n))
	return func(body []byte) error {
		_, rest, ok := bytes.Cut(body, want)
		if !ok || (len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9') {
			return fmt.Errorf("want totalResults %d: %.300s", n, body)
		}
		return nil
	}
}

func (b *bench) getUser(ctx context.Context) ([]workload, error) {
	idx := make([]int, min(b.cfg.sample, b.cfg.users))
	for k := range idx {
		idx[k] = rand.IntN(b.cfg.users)
	}
	ids, err := b.userIDs(ctx, idx)
	if err != nil {
		return nil, err
	}
	return []workload{{
		label: fmt.Sprintf("get-user (%d users)", b.cfg.users),
		api:   b.t.api,
		next: func(r *rand.Rand) (request, bool) {
			return request{method: "GET", path: "/Users/" + ids[r.IntN(len(ids))], want: http.StatusOK}, true
		},
	}}, nil
}

func (b *bench) createUser() []workload {
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var n atomic.Int64
	return []workload{{
		label: "create-user",
		api:   b.t.api,
		next: func(*rand.Rand) (request, bool) {
			body, err := json.Marshal(userDoc("bench.new." + run + "." + strconv.FormatInt(n.Add(1), 10) + "@example.com"))
			return request{method: "POST", path: "/Users", body: body, want: http.StatusCreated}, err == nil
		},
	}}
}

func (b *bench) filterUserName() []workload {
	users := b.cfg.users
	one := hasTotal(1)
	return []workload{{
		label: fmt.Sprintf("filter-username (%d users)", users),
		api:   b.t.api,
		next: func(r *rand.Rand) (request, bool) {
			f := `userName eq "` + userName(r.IntN(users)) + `"`
			return request{method: "GET", path: "/Users?filter=" + url.QueryEscape(f), want: http.StatusOK, check: one}, true
		},
	}}
}

// listUsers asks for pages of 100 users, as an identity provider or the
// console lists them: the first page, whatever the workspace's size.
func (b *bench) listUsers() []workload {
	return []workload{{
		label: fmt.Sprintf("list-users (100 of %d)", b.cfg.users),
		api:   b.t.api,
		next: func(*rand.Rand) (request, bool) {
			return request{method: "GET", path: "/Users?count=100", want: http.StatusOK}, true
		},
	}}
}

// queries makes the listings an identity provider or the console asks
// for that cost the most in a large workspace, each measured on its own.
// The server may refuse one (400) rather than answer it: the result
// counts those, and says why from the first.
func (b *bench) queries() []workload {
	n := b.cfg.users
	list := func(label string, path func(r *rand.Rand) string) workload {
		return workload{
			label: fmt.Sprintf("%s (%d users)", label, n),
			api:   b.t.api,
			next: func(r *rand.Rand) (request, bool) {
				return request{method: "GET", path: "/Users?" + path(r), want: http.StatusOK, refusable: true}, true
			},
		}
	}
	fixed := func(q string) func(*rand.Rand) string { return func(*rand.Rand) string { return q } }
	filter := func(f func(r *rand.Rand) string) func(*rand.Rand) string {
		return func(r *rand.Rand) string { return "count=100&filter=" + url.QueryEscape(f(r)) }
	}
	// A prefix of about ten users: a user's number and the ten after it
	// with one more digit.
	narrow := func(r *rand.Rand) string {
		return strings.TrimSuffix(userName(n/10+r.IntN(n-n/10)), "@example.com")
	}
	deep := max(n-n/10, 1) // startIndex nine tenths in, as in the issue
	return []workload{
		list("list 100", fixed("count=100")),
		list("sortBy=userName", fixed("count=100&sortBy=userName")),
		list("sortBy=userName descending", fixed("count=100&sortBy=userName&sortOrder=descending")),
		list("sortBy=displayName", fixed("count=100&sortBy=displayName")),
		list(fmt.Sprintf("startIndex=%d", deep), fixed(fmt.Sprintf("count=100&startIndex=%d", deep))),
		list("userName eq", filter(func(r *rand.Rand) string { return `userName eq "` + userName(r.IntN(n)) + `"` })),
		list("externalId eq", filter(func(r *rand.Rand) string { return `externalId eq "ext-` + userName(r.IntN(n)) + `"` })),
		list("emails eq", filter(func(r *rand.Rand) string {
			return `emails[type eq "work"].value eq "` + userName(r.IntN(n)) + `"`
		})),
		list("userName sw (about 11)", filter(func(r *rand.Rand) string { return `userName sw "` + narrow(r) + `"` })),
		list("userName sw (a ninth)", filter(func(*rand.Rand) string { return `userName sw "` + userPrefix + `1"` })),
		list("userName sw, sortBy=userName", func(r *rand.Rand) string {
			return "sortBy=userName&" + filter(func(*rand.Rand) string { return `userName sw "` + narrow(r) + `"` })(r)
		}),
		list("emails co", filter(func(r *rand.Rand) string { return `emails co "user.` + strconv.Itoa(r.IntN(n)) + `@"` })),
		list("displayName co", filter(func(r *rand.Rand) string { return `displayName co "user.` + strconv.Itoa(r.IntN(n)) + `@"` })),
	}
}

// addMember adds one user at a time to the large group; afterwards it
// removes the users it added, so the group keeps its size across runs.
// The users come from the seeded users beyond the group's, starting at a
// random one, so that users an interrupted run failed to remove are
// unlikely to come up again.
func (b *bench) addMember(ctx context.Context) ([]workload, error) {
	g := b.cfg.groupMembers
	gid, err := b.largeGroup(ctx)
	if err != nil {
		return nil, err
	}
	span := b.seeded - g
	idx := make([]int, min(b.cfg.addPool, span))
	off := rand.IntN(span)
	for k := range idx {
		idx[k] = g + (off+k)%span
	}
	pool, err := b.userIDs(ctx, idx)
	if err != nil {
		return nil, err
	}
	var used atomic.Int64
	return []workload{{
		label: fmt.Sprintf("add-member (group of %d)", g),
		api:   b.t.api,
		next: func(*rand.Rand) (request, bool) {
			k := int(used.Add(1) - 1)
			if k >= len(pool) {
				return request{}, false
			}
			body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],` +
				`"Operations":[{"op":"add","path":"members","value":[{"value":"` + pool[k] + `"}]}]}`
			return request{method: "PATCH", path: "/Groups/" + gid, body: []byte(body), want: http.StatusNoContent}, true
		},
		after: func(ctx context.Context) (string, error) {
			added := pool[:min(int(used.Load()), len(pool))]
			fmt.Fprintf(b.log, "removing the %d members added\n", len(added))
			for len(added) > 0 {
				n := min(len(added), memberBatch)
				err := b.t.api.call(ctx, "PATCH", "/Groups/"+gid, patchOp("remove", "members", memberList(added[:n])), http.StatusNoContent, nil)
				if err != nil {
					return "", err
				}
				added = added[n:]
			}
			if int(used.Load()) > len(pool) {
				return fmt.Sprintf("ran out of users to add after %d; raise -add-pool for a full run", len(pool)), nil
			}
			return "", nil
		},
	}}, nil
}

// listSizes are the sizes of the groups list-groups adds besides the large
// group, so the workspace has groups of very different sizes.
var listSizes = []int{10, 100, 1000, 10000}

// listGroups lists the groups of the main workspace, which has groups of
// very different sizes, then of a workspace with as many groups of 10
// members. Without members in the response the two should take the same
// time.
func (b *bench) listGroups(ctx context.Context) ([]workload, error) {
	a := b.t.api
	largest := b.cfg.groupMembers
	if _, err := b.largeGroup(ctx); err != nil {
		return nil, err
	}
	for _, n := range listSizes {
		if n >= largest {
			continue
		}
		_, err := b.ensureGroup(ctx, a, "bench.list."+strconv.Itoa(n), func() ([]string, error) {
			return b.userIDs(ctx, seq(0, n))
		})
		if err != nil {
			return nil, err
		}
	}
	groups, err := a.total(ctx, "/Groups", "")
	if err != nil {
		return nil, err
	}
	list := func(label string, a *api, groups int) workload {
		check := hasTotal(groups)
		return workload{
			label: label,
			api:   a,
			next: func(*rand.Rand) (request, bool) {
				return request{method: "GET", path: "/Groups?excludedAttributes=members&count=100", want: http.StatusOK,
					check: func(body []byte) error {
						if bytes.Contains(body, []byte(`"members"`)) {
							return fmt.Errorf("members in the response")
						}
						return check(body)
					}}, true
			},
		}
	}
	ws := []workload{list(fmt.Sprintf("list-groups (%d groups, largest %d members)", groups, largest), a, groups)}
	if b.t.small == nil {
		fmt.Fprintln(b.log, "list-groups: no -small-token, so no baseline with small groups only")
		return ws, nil
	}
	small, err := b.smallGroups(ctx, groups)
	if err != nil {
		return nil, err
	}
	return append(ws, list(fmt.Sprintf("list-groups (%d groups, all 10 members)", small), b.t.small, small)), nil
}

// smallGroups gives the small workspace at least n groups of 10 members
// and returns how many groups it has.
func (b *bench) smallGroups(ctx context.Context, n int) (int, error) {
	a := b.t.small
	var ids []string
	for i := range 10 {
		name := "bench.small.user." + strconv.Itoa(i) + "@example.com"
		uid, err := a.find(ctx, "/Users", `userName eq "`+name+`"`)
		if err == nil && uid == "" {
			var u struct {
				ID string `json:"id"`
			}
			err = a.call(ctx, "POST", "/Users", userDoc(name), http.StatusCreated, &u)
			uid = u.ID
		}
		if err != nil {
			return 0, err
		}
		ids = append(ids, uid)
	}
	for i := range n {
		_, err := b.ensureGroup(ctx, a, "bench.small."+strconv.Itoa(i), func() ([]string, error) { return ids, nil })
		if err != nil {
			return 0, err
		}
	}
	return a.total(ctx, "/Groups", "")
}

// deactivateUser deactivates one active seeded user a request, as Okta
// sends it (PATCH replace with {"active": false}); afterwards it
// reactivates them, so the database stays as seeded. The users are a run
// of seeded ones from a random start, so that users an interrupted run
// left inactive are unlikely to come up again.
func (b *bench) deactivateUser(ctx context.Context) ([]workload, error) {
	n := b.seeded
	idx := make([]int, min(b.cfg.addPool, n))
	off := rand.IntN(n)
	for k := range idx {
		idx[k] = (off + k) % n
	}
	pool, err := b.userIDs(ctx, idx)
	if err != nil {
		return nil, err
	}
	active := func(v bool) []byte {
		return []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],` +
			`"Operations":[{"op":"replace","value":{"active":` + strconv.FormatBool(v) + `}}]}`)
	}
	deactivate, reactivate := active(false), active(true)
	var used atomic.Int64
	return []workload{{
		label: fmt.Sprintf("deactivate-user (%d users)", n),
		api:   b.t.api,
		next: func(*rand.Rand) (request, bool) {
			k := int(used.Add(1) - 1)
			if k >= len(pool) {
				return request{}, false
			}
			return request{method: "PATCH", path: "/Users/" + pool[k], body: deactivate, want: http.StatusOK}, true
		},
		after: func(ctx context.Context) (string, error) {
			done := pool[:min(int(used.Load()), len(pool))]
			fmt.Fprintf(b.log, "reactivating the %d users deactivated\n", len(done))
			var next atomic.Int64
			err := parallel(ctx, b.cfg.concurrency, func(ctx context.Context) error {
				for {
					k := int(next.Add(1) - 1)
					if k >= len(done) {
						return nil
					}
					var buf bytes.Buffer
					status, err := b.t.api.do(ctx, "PATCH", "/Users/"+done[k], reactivate, &buf)
					if err == nil && status != http.StatusOK {
						err = fmt.Errorf("reactivate %s: status %d: %.300s", done[k], status, buf.String())
					}
					if err != nil {
						return err
					}
				}
			})
			if err != nil {
				return "", err
			}
			if int(used.Load()) > len(pool) {
				return fmt.Sprintf("ran out of users to deactivate after %d; raise -add-pool for a full run", len(pool)), nil
			}
			return "", nil
		},
	}}, nil
}
