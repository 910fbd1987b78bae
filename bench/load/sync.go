package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// syncSize is the directory an initial sync provisions.
type syncSize struct {
	users   int // users, each looked up by userName and then created
	groups  int // groups, each created and then given its members
	members int // members of each group
	batch   int // members added by one PATCH
	bulkOps int // operations of one /Bulk request, for sync-bulk
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// initialSync provisions a directory as an identity provider does on its
// first sync, with cfg.concurrency clients, and returns its measurement.
//
// Okta and Entra send each user as GET /Users?filter=userName eq "…",
// which finds nothing, then POST /Users; once the users exist, each group
// as POST /Groups without members, then PATCHes adding its members a
// batch at a time. With bulk, the users go in POST operations of /Bulk
// requests, then the groups with their members.
//
// A 429 is retried after its Retry-After, as identity providers do, and
// counted; any other unexpected answer stops the sync.
func (b *bench) initialSync(ctx context.Context, bulk bool) (result, error) {
	s := b.cfg.sync
	label := fmt.Sprintf("sync (%d users, %d groups of %d", s.users, s.groups, s.members)
	if bulk {
		label = fmt.Sprintf("sync-bulk (%d users, %d groups of %d, %d operations a request", s.users, s.groups, s.members, s.bulkOps)
	} else {
		label += fmt.Sprintf(", %d a PATCH", s.batch)
	}
	label += ")"
	fmt.Fprintf(b.log, "running %s\n", label)

	// Names unique to the run, so that a reused database takes another.
	run := "sync." + strconv.FormatInt(time.Now().UnixNano(), 36) + "."
	name := func(i int) string { return run + strconv.Itoa(i) + "@example.com" }
	group := func(g int) string { return run + "group." + strconv.Itoa(g) }
	members := func(ids []string, g int) []string {
		m := make([]string, s.members)
		for k := range m {
			m[k] = ids[(g*s.members+k)%len(ids)]
		}
		return m
	}

	clients := make([]syncClient, b.cfg.concurrency)
	for i := range clients {
		clients[i].api = b.t.api
	}
	cpu := sampleCPU()
	start := time.Now()
	ids := make([]string, s.users)
	var err error
	if bulk {
		err = runJobs(ctx, clients, ceilDiv(s.users, s.bulkOps), func(ctx context.Context, c *syncClient, j int) error {
			from, to := j*s.bulkOps, min((j+1)*s.bulkOps, s.users)
			ops := make([]bulkOp, 0, to-from)
			for i := from; i < to; i++ {
				ops = append(ops, bulkOp{Method: "POST", Path: "/Users", BulkID: strconv.Itoa(i), Data: userDoc(name(i))})
			}
			return c.bulk(ctx, ops, func(op bulkOp, id string) {
				i, _ := strconv.Atoi(op.BulkID)
				ids[i] = id
			})
		})
	} else {
		err = runJobs(ctx, clients, s.users, func(ctx context.Context, c *syncClient, i int) error {
			f := "/Users?filter=" + url.QueryEscape(`userName eq "`+name(i)+`"`)
			if _, err := c.send(ctx, "GET", f, nil, hasTotal(0), http.StatusOK); err != nil {
				return err
			}
			var err error
			ids[i], err = c.create(ctx, "/Users", userDoc(name(i)))
			return err
		})
	}
	usersDone := time.Since(start)
	if err == nil && bulk {
		err = runJobs(ctx, clients, ceilDiv(s.groups, s.bulkOps), func(ctx context.Context, c *syncClient, j int) error {
			from, to := j*s.bulkOps, min((j+1)*s.bulkOps, s.groups)
			ops := make([]bulkOp, 0, to-from)
			for g := from; g < to; g++ {
				doc := groupDoc(group(g))
				doc["members"] = memberList(members(ids, g))
				ops = append(ops, bulkOp{Method: "POST", Path: "/Groups", BulkID: strconv.Itoa(g), Data: doc})
			}
			return c.bulk(ctx, ops, nil)
		})
	} else if err == nil {
		err = runJobs(ctx, clients, s.groups, func(ctx context.Context, c *syncClient, g int) error {
			gid, err := c.create(ctx, "/Groups", groupDoc(group(g)))
			if err != nil {
				return err
			}
			for batch := range slices.Chunk(members(ids, g), s.batch) {
				body, err := json.Marshal(patchOp("add", "members", memberList(batch)))
				if err != nil {
					return err
				}
				if _, err := c.send(ctx, "PATCH", "/Groups/"+gid, body, nil, http.StatusNoContent, http.StatusOK); err != nil {
					return err
				}
			}
			return nil
		})
	}
	r := result{label: label, elapsed: time.Since(start)}
	r.others = othersCPU(cpu, sampleCPU(), r.elapsed)
	for _, c := range clients {
		r.lat = append(r.lat, c.lat...)
		r.throttled += c.throttled
	}
	slices.Sort(r.lat)
	r.requests = len(r.lat) + r.throttled
	r.note = fmt.Sprintf("%d requests in %s (users %s, groups %s), %d of them answered 429 and sent again after Retry-After",
		r.requests, r.elapsed.Round(10*time.Millisecond), usersDone.Round(10*time.Millisecond),
		(r.elapsed - usersDone).Round(10*time.Millisecond), r.throttled)
	if err != nil {
		r.errors, r.firstErr = 1, err.Error()
	}
	return r, err
}

// groupDoc is a group as identity providers create one: without members.
func groupDoc(name string) map[string]any {
	return map[string]any{
		"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": name,
		"externalId":  "ext-" + name,
	}
}

// runJobs runs jobs 0 … n-1 on the clients, each client one job at a
// time, and returns the first error, on which the others stop.
func runJobs(ctx context.Context, clients []syncClient, n int, job func(context.Context, *syncClient, int) error) error {
	var next atomic.Int64
	var k atomic.Int64
	return parallel(ctx, len(clients), func(ctx context.Context) error {
		c := &clients[k.Add(1)-1]
		for ctx.Err() == nil {
			j := int(next.Add(1) - 1)
			if j >= n {
				return nil
			}
			if err := job(ctx, c, j); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
}

// syncClient is one client of a sync: it sends one request at a time and
// records the latencies of the answers other than 429.
type syncClient struct {
	api       *api
	buf       bytes.Buffer
	lat       []time.Duration
	throttled int
}

// send sends a request until it is answered other than 429, waiting as
// long as each 429's Retry-After says, and returns the response body,
// valid until the next request. The answer's status must be one of want,
// and check, if not nil, must accept its body.
func (c *syncClient) send(ctx context.Context, method, path string, body []byte, check func([]byte) error, want ...int) ([]byte, error) {
	for {
		t0 := time.Now()
		status, header, err := c.api.exchange(ctx, method, path, body, &c.buf)
		if err != nil {
			return nil, err
		}
		if status == http.StatusTooManyRequests {
			c.throttled++
			wait := time.Second
			if secs, err := strconv.Atoi(header.Get("Retry-After")); err == nil && secs >= 0 {
				wait = time.Duration(secs) * time.Second
			}
			select {
			case <-time.After(wait):
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		c.lat = append(c.lat, time.Since(t0))
		if !slices.Contains(want, status) {
			return nil, fmt.Errorf("%s %s: status %d, want %v: %.300s", method, path, status, want, c.buf.String())
		}
		if check != nil {
			if err := check(c.buf.Bytes()); err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
		}
		return c.buf.Bytes(), nil
	}
}

// create POSTs a resource and returns its id.
func (c *syncClient) create(ctx context.Context, endpoint string, doc any) (string, error) {
	body, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	resp, err := c.send(ctx, "POST", endpoint, body, nil, http.StatusCreated)
	if err != nil {
		return "", err
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp, &created); err != nil || created.ID == "" {
		return "", fmt.Errorf("POST %s: no id in %.300s", endpoint, resp)
	}
	return created.ID, nil
}

// bulkOp is an operation of a /Bulk request, and of its response.
type bulkOp struct {
	Method   string `json:"method"`
	Path     string `json:"path,omitempty"`
	BulkID   string `json:"bulkId,omitempty"`
	Data     any    `json:"data,omitempty"`
	Location string `json:"location,omitempty"`
	Status   string `json:"status,omitempty"`
}

// bulk sends POST operations in one /Bulk request; every one must answer
// 201. created, if not nil, is given each operation of the response
// with the id of what it created.
func (c *syncClient) bulk(ctx context.Context, ops []bulkOp, created func(bulkOp, string)) error {
	body, err := json.Marshal(map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
		"Operations": ops,
	})
	if err != nil {
		return err
	}
	resp, err := c.send(ctx, "POST", "/Bulk", body, nil, http.StatusOK)
	if err != nil {
		return err
	}
	var out struct {
		Operations []bulkOp `json:"Operations"`
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		return fmt.Errorf("POST /Bulk: %w", err)
	}
	if len(out.Operations) != len(ops) {
		return fmt.Errorf("POST /Bulk: %d operations answered of %d", len(out.Operations), len(ops))
	}
	for _, op := range out.Operations {
		if op.Status != "201" {
			return fmt.Errorf("POST /Bulk: operation %s answered %s: %.300s", op.BulkID, op.Status, resp)
		}
		if created != nil {
			created(op, path.Base(op.Location))
		}
	}
	return nil
}
