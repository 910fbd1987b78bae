package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/scimd/scimd/internal/access"
)

// validPrefix starts the answer to a valid credential (see package
// appapi: the verification's response is made by hand, in this order).
var validPrefix = []byte(`{"valid":true`)

func isValid(body []byte) error {
	if !bytes.HasPrefix(body, validPrefix) {
		return fmt.Errorf("not valid: %.300s", body)
	}
	return nil
}

// verifyBody is the request body that verifies secret.
func verifyBody(secret string) []byte { return []byte(`{"token":"` + secret + `"}`) }

// verify gives each of the first cfg.keys seeded users an API key and
// verifies random ones with POST /v1/verify, twice: with Go's HTTP client,
// like the other workloads, and with a raw HTTP/1.1 client. Both keep
// their connections alive. Each key is verified once before measuring, so
// that the verifier's cache holds them all, as it does on a server in
// steady use: the measurement is of verification from memory.
func (b *bench) verify(ctx context.Context) ([]workload, error) {
	n := b.cfg.keys
	ids, err := b.userIDs(ctx, seq(0, n))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b.log, "issuing %d API keys\n", n)
	start := time.Now()
	// Through the seeding store: on PostgreSQL its pool is bigger and
	// commits asynchronously.
	iss := access.NewIssuer(access.Config{Store: b.t.seed, Hasher: b.t.hasher})
	expires := start.Add(24 * time.Hour) // the keys are not needed after the run
	bodies := make([][]byte, n)
	var next atomic.Int64
	err = parallel(ctx, b.t.seedWorkers, func(ctx context.Context) error {
		for k := int(next.Add(1) - 1); k < n && ctx.Err() == nil; k = int(next.Add(1) - 1) {
			secret, _, err := iss.IssueAPIKey(ctx, b.t.wsID, ids[k], "load", expires)
			if err != nil {
				return fmt.Errorf("issue an API key to %s: %w", ids[k], err)
			}
			bodies[k] = verifyBody(secret)
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b.log, "issued %d API keys in %s; verifying each once\n", n, time.Since(start).Round(time.Millisecond))
	next.Store(0)
	err = parallel(ctx, b.cfg.concurrency, func(ctx context.Context) error {
		var buf bytes.Buffer
		for k := int(next.Add(1) - 1); k < n && ctx.Err() == nil; k = int(next.Add(1) - 1) {
			status, err := b.t.app.do(ctx, "POST", "/verify", bodies[k], &buf)
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("status %d: %.300s", status, buf.Bytes())
			}
			if err == nil {
				err = isValid(buf.Bytes())
			}
			if err != nil {
				return fmt.Errorf("verify the key of %s: %w", ids[k], err)
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}

	raw, err := newRawClient(b.t.app.bases[0], b.t.app.auth, "application/json", b.cfg.concurrency)
	if err != nil {
		return nil, err
	}
	// Stated with the numbers: on one machine the clients take CPU from
	// the server, Go's client about as much as the server's handler.
	note := fmt.Sprintf("both verify rows: the load generator runs in the server's process, on the same %d cores "+
		"(GOMAXPROCS); Go's HTTP client costs about as much CPU as the server's work, the raw client (HTTP/1.1, "+
		"requests written whole, responses barely parsed) less, so its row is nearer what the server alone can do",
		runtime.GOMAXPROCS(0))
	next1 := func(r *rand.Rand) (request, bool) {
		return request{method: "POST", path: "/verify", body: bodies[r.IntN(n)], want: http.StatusOK, check: isValid}, true
	}
	return []workload{
		{label: fmt.Sprintf("verify (%d API keys, Go HTTP client)", n), api: b.t.app, next: next1,
			after: func(context.Context) (string, error) { return note, nil }},
		{label: fmt.Sprintf("verify (%d API keys, raw HTTP/1.1 client)", n), api: raw, next: next1,
			after: func(context.Context) (string, error) {
				raw.close()
				return "", nil
			}},
	}, nil
}
