package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// database is one database scimd is measured on.
type database struct {
	name string
	url  string   // as scimd's --db takes it
	env  []string // of every scimd and load tool process on it
	// token is the bearer token of the workspace bench.
	token string
}

// extensionDoc is the load tool's extension schema, which its seeded
// users carry values of.
const extensionDoc = "bench/load/extension.json"

// prepare seeds the database with the load tool, which also makes the
// workspace bench, and mints a token for it with the CLI.
func (d *database) prepare(ctx context.Context, c config, log func(string, ...any)) error {
	log("%s: seeding %d users", d.name, c.seeded())
	seed := command(ctx, d.env, filepath.Join(c.dir, "load"), "-db", strings.TrimPrefix(d.url, "sqlite:"),
		"-users", strconv.Itoa(c.seeded()), "-workloads", "filter-username", "-duration", "1ms", "-warmup", "0")
	seed.Stdout = io.Discard
	if err := seed.Run(); err != nil {
		return fmt.Errorf("%s: seed: %w", d.name, err)
	}
	out, err := d.scimd(ctx, c, "token", "create", "--workspace", "bench", "--name", "sidebyside", "--expires", "24h")
	if err != nil {
		return err
	}
	f := strings.Fields(out)
	if len(f) == 0 {
		return fmt.Errorf("%s: token create printed no token", d.name)
	}
	d.token = f[len(f)-1]
	return nil
}

// scimd runs a scimd command on the database and returns its output.
func (d *database) scimd(ctx context.Context, c config, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := command(ctx, d.env, filepath.Join(c.dir, "scimd"), append(args, "--db", d.url)...)
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: scimd %s: %w", d.name, strings.Join(args[:2], " "), err)
	}
	return out.String(), nil
}

// serve starts scimd serve on the database with its defaults, but
// without a rate limit if unlimited.
func (d *database) serve(ctx context.Context, c config, unlimited bool) (*target, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--db", d.url, "--addr", addr}
	if unlimited {
		args = append(args, "--rate-limit", "0")
	}
	serve := command(ctx, d.env, filepath.Join(c.dir, "scimd"), args...)
	// The request log is part of the cost, not the report: to /dev/null.
	serve.Stdout, serve.Stderr = nil, nil
	if err := serve.Start(); err != nil {
		return nil, err
	}
	stop := func() { serve.Process.Signal(os.Interrupt); serve.Wait() }
	if err := waitHealthy(ctx, "http://"+addr+"/healthz"); err != nil {
		stop()
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	return &target{name: d.name, url: "http://" + addr + "/scim/v2", token: d.token, stop: stop, db: d}, nil
}

func startFloor(ctx context.Context, c config) (*target, error) {
	cmd := command(ctx, nil, filepath.Join(c.dir, "floor"), "-users", strconv.Itoa(c.seeded()))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return nil, fmt.Errorf("floor: %w", err)
	}
	return &target{name: "floor", url: strings.TrimSpace(line), token: "floor", floor: true, stop: stop}, nil
}

// results are the samples of each target, by workload (with oneClient
// appended for one-client measurements), one a round.
type results struct {
	m     map[string]map[string][]sample
	order []string // workloads, as first measured
}

func (r *results) get(t *target, workload string) []sample { return r.m[t.name][workload] }

// measure runs the load tool's workloads against t with clients clients
// and keeps their samples under their names and suffix.
func (r *results) measure(ctx context.Context, c config, t *target, clients int, suffix string, workloads ...string) error {
	if len(workloads) == 0 {
		return nil
	}
	var out bytes.Buffer
	cmd := command(ctx, nil, filepath.Join(c.dir, "load"), "-url", t.url, "-token", t.token, "-json",
		"-workloads", strings.Join(workloads, ","), "-users", strconv.Itoa(c.seeded()), "-sample", "2000",
		"-group-members", strconv.Itoa(c.groupMembers), "-add-pool", strconv.Itoa(c.addPool),
		"-sync-users", strconv.Itoa(c.syncUsers), "-sync-groups", strconv.Itoa(c.syncGroups),
		"-sync-group-members", strconv.Itoa(c.syncMembers),
		"-concurrency", strconv.Itoa(clients), "-duration", c.duration.String())
	cmd.Stdout = &out
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: load %s: %w\n%s", t.name, strings.Join(workloads, ","), err, tail(errOut.String(), 2000))
	}
	dec := json.NewDecoder(&out)
	for {
		var s sample
		if err := dec.Decode(&s); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		if s.Errors > 0 {
			return fmt.Errorf("%s: %s: %d of %d requests failed; first: %s", t.name, s.Workload, s.Errors, s.Requests, s.FirstError)
		}
		w, _, _ := strings.Cut(s.Workload, " (")
		w += suffix
		if r.m == nil {
			r.m = map[string]map[string][]sample{}
		}
		if r.m[t.name] == nil {
			r.m[t.name] = map[string][]sample{}
		}
		r.m[t.name][w] = append(r.m[t.name][w], s)
		if !slices.Contains(r.order, w) {
			r.order = append(r.order, w)
		}
	}
}

// extension declares the load tool's extension schema on each database
// with scimd schema set, while its server runs, measures an eq filter on
// its attribute (one client) and creates carrying it, in rounds, and
// deletes the declaration again, so that the database stays as seeded.
func (r *results) extension(ctx context.Context, c config, targets []*target, log func(string, ...any)) error {
	for _, t := range targets {
		log("%s: scimd schema set %s", t.name, extensionDoc)
		if _, err := t.db.scimd(ctx, c, "schema", "set", "--workspace", "bench", "--resource-type", "User", extensionDoc); err != nil {
			return err
		}
		defer t.db.scimd(context.WithoutCancel(ctx), c, "schema", "delete", "--workspace", "bench", "urn:ietf:params:scim:schemas:extension:bench:2.0:User")
	}
	for round := 1; round <= c.rounds; round++ {
		for _, t := range targets {
			log("extension, round %d of %d: %s", round, c.rounds, t.name)
			if err := r.measure(ctx, c, t, 1, oneClient, "filter-extension"); err != nil {
				return err
			}
			if err := r.measure(ctx, c, t, c.concurrency, "", "create-user-ext"); err != nil {
				return err
			}
		}
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
