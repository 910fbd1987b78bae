// Command load measures scimd over loopback HTTP: it seeds users and
// groups, then drives each selected workload with concurrent clients for a
// fixed time and prints throughput and latency percentiles as a markdown
// table.
//
// By default it starts an in-process server over a fresh SQLite database in
// a temporary directory; -db reuses a SQLite database between runs or
// names a PostgreSQL one, and -url with -token targets running servers on
// this machine, spreading requests over them. See bench/README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"time"
)

var allWorkloads = []string{"get-user", "create-user", "filter-username", "list-users", "deactivate-user", "add-member", "list-groups",
	"verify", "revoke", "queries", "filter-extension", "create-user-ext", "sync", "sync-bulk"}

// defaultWorkloads run when -workloads is not given: the syncs are left
// out, since each adds a directory of users and groups to the database,
// so are the costly queries, which take a workload each, and the
// extension's workloads, which declare it in the workspace.
var defaultWorkloads = slices.DeleteFunc(slices.Clone(allWorkloads), func(w string) bool {
	return w == "sync" || w == "sync-bulk" || w == "queries" || w == "filter-extension" || w == "create-user-ext"
})

// inProcessOnly are the workloads that need the in-process server: they
// use the application API and the store.
var inProcessOnly = []string{"verify", "revoke"}

type config struct {
	url, token, smallToken string
	db                     string
	workloads              []string
	users                  int
	groupMembers           int
	addPool                int
	sample                 int
	keys                   int
	revokes                int
	concurrency            int
	duration, warmup       time.Duration
	sync                   syncSize
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.url, "url", "", "SCIM base URL of a running server on this machine, e.g. http://127.0.0.1:8080/scim/v2, or a comma-separated list of replicas on one database, used round-robin (default: start one in process)")
	fs.StringVar(&c.token, "token", "", "bearer token for -url")
	fs.StringVar(&c.smallToken, "small-token", "", "with -url: token of a second workspace, where list-groups adds small groups for its baseline")
	fs.StringVar(&c.db, "db", "", "database of the in-process server, kept and reused between runs: a SQLite file, or a postgres:// URL on this machine (data in the schema of its search_path, default "+benchSchema+", created if missing) (default: a fresh SQLite file in a temporary directory)")
	jsonOut := fs.Bool("json", false, "print the results as JSON lines, one a workload, instead of a table")
	workloads := fs.String("workloads", strings.Join(defaultWorkloads, ","), "comma-separated workloads: "+strings.Join(allWorkloads, ", "))
	fs.IntVar(&c.users, "users", 1000000, "users to seed for get-user and filter-username (seeding tops up to this many)")
	fs.IntVar(&c.groupMembers, "group-members", 100000, "members of the large group for add-member and list-groups")
	fs.IntVar(&c.addPool, "add-pool", 200000, "distinct users available for add-member to add and for deactivate-user to deactivate; the workload stops early if they run out")
	fs.IntVar(&c.sample, "sample", 10000, "users get-user picks from at random")
	fs.IntVar(&c.keys, "keys", 10000, "seeded users given an API key for verify, which verifies them at random")
	fs.IntVar(&c.revokes, "revokes", 200, "users revoke creates, gives an API key and deactivates, one at a time")
	fs.IntVar(&c.concurrency, "concurrency", 2*runtime.GOMAXPROCS(0), "concurrent clients")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measured time per workload")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "unmeasured time before each workload")
	fs.IntVar(&c.sync.users, "sync-users", 20000, "users sync and sync-bulk provision")
	fs.IntVar(&c.sync.groups, "sync-groups", 500, "groups sync and sync-bulk provision")
	fs.IntVar(&c.sync.members, "sync-group-members", 50, "members of each group of sync and sync-bulk")
	fs.IntVar(&c.sync.batch, "sync-batch", 10, "members sync adds to a group with one PATCH")
	fs.IntVar(&c.sync.bulkOps, "bulk-operations", 100, "operations of one /Bulk request of sync-bulk")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	chosen := false
	fs.Visit(func(f *flag.Flag) { chosen = chosen || f.Name == "workloads" })
	for w := range strings.SplitSeq(*workloads, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		if !slices.Contains(allWorkloads, w) {
			return fmt.Errorf("unknown workload %q; choose from %s", w, strings.Join(allWorkloads, ", "))
		}
		if c.url != "" && slices.Contains(inProcessOnly, w) {
			if chosen {
				return fmt.Errorf("workload %s needs the in-process server; leave out -url", w)
			}
			continue
		}
		c.workloads = append(c.workloads, w)
	}
	switch {
	case len(c.workloads) == 0:
		return errors.New("no workloads selected")
	case c.users < 1 || c.groupMembers < 10 || c.addPool < 1 || c.sample < 1 || c.keys < 1 || c.revokes < 1:
		return errors.New("-users, -add-pool, -sample, -keys and -revokes must be positive and -group-members at least 10")
	case c.sync.users < 1 || c.sync.groups < 0 || c.sync.members < 0 || c.sync.members > c.sync.users || c.sync.batch < 1 || c.sync.bulkOps < 1:
		return errors.New("-sync-users, -sync-batch and -bulk-operations must be positive, -sync-groups and -sync-group-members not negative, and -sync-group-members at most -sync-users")
	case c.concurrency < 1 || c.concurrency > 256:
		return errors.New("-concurrency must be between 1 and 256")
	case c.duration <= 0 || c.duration > time.Hour || c.warmup < 0 || c.warmup > time.Minute:
		return errors.New("-duration must be positive and at most 1h, -warmup at most 1m")
	case c.url != "" && c.db != "":
		return errors.New("-url and -db exclude each other")
	case c.url != "" && c.token == "":
		return errors.New("-url needs -token")
	}

	load := loadAverage()
	t, err := newTarget(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer t.close()
	b := &bench{cfg: c, t: t, log: stderr}
	results, err := b.run(ctx)
	switch {
	case len(results) > 0 && *jsonOut:
		printJSON(stdout, results)
	case len(results) > 0:
		printResults(stdout, c, t, load, results)
	}
	if err == nil && ctx.Err() != nil {
		err = errors.New("interrupted")
	}
	return err
}

func has(list []string, s string) bool { return slices.Contains(list, s) }

// printResults writes the settings and a markdown table of the results.
// load is the machine's load average before the run.
func printResults(w io.Writer, c config, t *target, load string, rs []result) {
	fmt.Fprintf(w, "\n%s, GOMAXPROCS=%d, %s, concurrency %d, %s per workload after %s warm-up",
		t.describe, runtime.GOMAXPROCS(0), runtime.Version(), c.concurrency, c.duration, c.warmup)
	if load != "" {
		fmt.Fprintf(w, ", load average %s before the run", load)
	}
	fmt.Fprintf(w, "; other processes: the share of the machine's %d CPUs that other processes used during each measurement\n\n",
		runtime.NumCPU())
	fmt.Fprintln(w, "| workload | requests | req/s | p50 | p90 | p99 | max | other processes |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rs {
		rate := "–" // latencies of single events, not a throughput
		if r.elapsed > 0 {
			rate = fmt.Sprintf("%.0f", r.rate())
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", r.label, r.requests, rate,
			ms(r.percentile(0.50)), ms(r.percentile(0.90)), ms(r.percentile(0.99)), ms(r.percentile(1)), percent(r.others))
	}
	for _, r := range rs {
		if r.errors > 0 {
			fmt.Fprintf(w, "\n%s: %d of %d requests failed; first: %s\n", r.label, r.errors, r.requests, r.firstErr)
		}
		if r.refused > 0 {
			fmt.Fprintf(w, "\n%s: %d of %d requests refused; first: %.300s\n", r.label, r.refused, r.requests, r.refusal)
		}
		if r.note != "" {
			fmt.Fprintf(w, "\n%s: %s\n", r.label, r.note)
		}
	}
}

// printJSON writes one JSON object a result, for programs such as
// bench/sidebyside that compare runs.
func printJSON(w io.Writer, rs []result) {
	enc := json.NewEncoder(w)
	for _, r := range rs {
		enc.Encode(map[string]any{
			"workload": r.label, "requests": r.requests, "errors": r.errors, "first_error": r.firstErr,
			"rate": r.rate(), "p50_ms": msf(r.percentile(0.50)), "p99_ms": msf(r.percentile(0.99)),
			"others": r.others, "elapsed_s": r.elapsed.Seconds(), "throttled": r.throttled, "refused": r.refused,
		})
	}
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadAverage returns the machine's 1-, 5- and 15-minute load averages,
// or "" where there is no /proc/loadavg: other work on the same cores
// lowers the numbers, so they are reported with it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if err != nil || len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}
