// Command sidebyside measures scimd as its users run it and prints the
// performance goals with what it measured beside each: it builds the
// scimd binary, the floor (bench/floor: net/http answering with fixed
// documents) and the load tool, starts `scimd serve` with its defaults
// (but --rate-limit 0, except for the initial sync) on SQLite and, with
// -postgres, on PostgreSQL, seeds each with the same users, and then runs
// the load tool over loopback against each target in turn, several
// rounds alternated so that the machine's drift touches every target
// alike. It prints two markdown tables: each target's throughput and p99
// per workload with scimd's throughput as a share of the floor's, and the
// goals, each with the figure measured and whether it is met.
//
//	go run ./bench/sidebyside [-postgres URL] [-quick] [-rows get,filter,...] [-users 100000] [-rounds 2] [-duration 5s]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// benchSecret is the load tool's installation secret for PostgreSQL
// (bench/load/postgres.go): the server must hash tokens with it too.
const benchSecret = "scimd load tool: benchmark secret, not for production"

// allRows are the goals' rows, as -rows names them.
var allRows = []string{"get", "filter", "list", "create", "deactivate", "add-member", "sync", "extension"}

type config struct {
	users, rounds, concurrency int
	groupMembers, addPool      int
	syncUsers, syncGroups      int
	syncMembers, syncClients   int
	duration                   time.Duration
	postgres, pgSchema, dir    string
	rows                       []string
	quick                      bool
}

func (c config) row(name string) bool { return slices.Contains(c.rows, name) }

// seeded is how many users each database needs: add-member adds users
// beyond its group's members.
func (c config) seeded() int {
	if c.row("add-member") {
		return max(c.users, c.groupMembers+c.addPool)
	}
	return c.users
}

// target is one server under test.
type target struct {
	name, url, token string
	floor            bool
	stop             func()
	db               *database // nil for the floor
}

// sample is one workload's result in one round, as bench/load -json
// prints it.
type sample struct {
	Workload   string  `json:"workload"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error"`
	Rate       float64 `json:"rate"`
	P99        float64 `json:"p99_ms"`
	Elapsed    float64 `json:"elapsed_s"`
	Throttled  int     `json:"throttled"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sidebyside:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if c.dir == "" {
		dir, err := os.MkdirTemp("", "scimd-sidebyside-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.dir = dir
	}
	log := func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }

	for _, cmd := range []string{"scimd", "floor", "load"} {
		pkg := "./bench/" + cmd
		if cmd == "scimd" {
			pkg = "./cmd/scimd"
		}
		log("building %s", pkg)
		if err := command(ctx, nil, "go", "build", "-o", filepath.Join(c.dir, cmd), pkg).Run(); err != nil {
			return fmt.Errorf("build %s: %w", pkg, err)
		}
	}

	loadBefore := loadAverage()
	started := time.Now()
	floor, err := startFloor(ctx, c)
	if err != nil {
		return err
	}
	defer floor.stop()
	targets := []*target{floor}
	dbs := []*database{{name: "scimd SQLite", url: "sqlite:" + filepath.Join(c.dir, "scimd.db")}}
	if c.postgres != "" {
		u, err := withSearchPath(c.postgres, c.pgSchema)
		if err != nil {
			return err
		}
		dbs = append(dbs, &database{name: "scimd PostgreSQL", url: u, env: []string{"SCIMD_SECRET=" + benchSecret}})
	}
	for _, d := range dbs {
		if err := d.prepare(ctx, c, log); err != nil {
			return err
		}
		t, err := d.serve(ctx, c, true)
		if err != nil {
			return err
		}
		defer func() { t.stop() }()
		targets = append(targets, t)
	}

	res := results{}
	err = res.run(ctx, c, targets, log)
	m := machine{cpu: cpuModel(), loadBefore: loadBefore, loadAfter: loadAverage(), took: time.Since(started)}
	res.sideBySide(stdout, c, targets, m)
	fmt.Fprintln(stdout)
	res.goals(stdout, c, targets)
	return err
}

// run measures every target in rounds, then what has rounds of its own.
func (res *results) run(ctx context.Context, c config, targets []*target, log func(string, ...any)) error {
	for round := 1; round <= c.rounds; round++ {
		for _, t := range targets {
			log("round %d of %d: %s", round, c.rounds, t.name)
			if err := res.measure(ctx, c, t, c.concurrency, "", throughputWorkloads(c, t)...); err != nil {
				return err
			}
			if err := res.measure(ctx, c, t, 1, oneClient, latencyWorkloads(c, t)...); err != nil {
				return err
			}
		}
	}
	if c.row("extension") {
		if err := res.extension(ctx, c, targets[1:], log); err != nil {
			return err
		}
	}
	if c.row("sync") {
		for _, t := range targets[1:] {
			// The sync runs with the rate limit a user has by default.
			t.stop()
			st, err := t.db.serve(ctx, c, false)
			if err != nil {
				return err
			}
			log("initial sync: %s, default rate limit", t.name)
			err = res.measure(ctx, c, st, c.syncClients, "", "sync")
			st.stop()
			if err != nil {
				return err
			}
			t.stop = func() {}
		}
	}
	return nil
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs, c, rows := flagSet(stderr)
	if err := fs.Parse(args); err != nil {
		return *c, err
	}
	return c.finish(fs, *rows)
}

// flagSet returns the command's flags, the config they set, and the
// value of -rows.
func flagSet(stderr io.Writer) (*flag.FlagSet, *config, *string) {
	fs := flag.NewFlagSet("sidebyside", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := new(config)
	fs.IntVar(&c.users, "users", 100000, "users seeded in each database (more if add-member needs them)")
	fs.IntVar(&c.rounds, "rounds", 2, "rounds; each measures every target once, in turn")
	fs.IntVar(&c.concurrency, "concurrency", 8, "concurrent clients of the throughput workloads")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "measured time per workload and round")
	fs.IntVar(&c.groupMembers, "group-members", 100000, "members of the group add-member adds to")
	fs.IntVar(&c.addPool, "add-pool", 20000, "users add-member may add and deactivate-user may deactivate in one measurement")
	fs.IntVar(&c.syncUsers, "sync-users", 20000, "users of the initial sync")
	fs.IntVar(&c.syncGroups, "sync-groups", 500, "groups of the initial sync")
	fs.IntVar(&c.syncMembers, "sync-group-members", 50, "members of each group of the initial sync")
	fs.IntVar(&c.syncClients, "sync-clients", 4, "clients of the initial sync")
	rows := fs.String("rows", strings.Join(allRows, ","), "goal rows to measure: "+strings.Join(allRows, ", "))
	fs.BoolVar(&c.quick, "quick", false, "a quick run at a smaller scale (flags given explicitly win): -users 20000 -group-members 10000 -add-pool 10000 -rounds 1 -duration 3s -sync-users 2000 -sync-groups 50")
	fs.StringVar(&c.postgres, "postgres", "", "a PostgreSQL database on this machine to measure scimd on too, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable; its data goes in the schema -postgres-schema, kept between runs")
	fs.StringVar(&c.pgSchema, "postgres-schema", "scimd_sidebyside", "the schema of -postgres the data goes in")
	fs.StringVar(&c.dir, "dir", "", "directory for the binaries and the SQLite database, kept between runs (default: a temporary one, removed)")
	return fs, c, rows
}

// finish applies -quick and -rows to c and checks it.
func (c *config) finish(fs *flag.FlagSet, rows string) (config, error) {
	if fs.NArg() > 0 {
		return *c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]string{"users": "20000", "group-members": "10000", "add-pool": "10000", "rounds": "1",
			"duration": "3s", "sync-users": "2000", "sync-groups": "50"} {
			if !set[name] {
				fs.Set(name, v)
			}
		}
	}
	for r := range strings.SplitSeq(rows, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		if !slices.Contains(allRows, r) {
			return *c, fmt.Errorf("-rows: unknown row %q; choose from %s", r, strings.Join(allRows, ", "))
		}
		c.rows = append(c.rows, r)
	}
	switch {
	case len(c.rows) == 0:
		return *c, errors.New("-rows: no row selected")
	case c.users < 100 || c.rounds < 1 || c.concurrency < 1 || c.duration <= 0:
		return *c, errors.New("-users must be at least 100, and -rounds, -concurrency and -duration positive")
	case c.groupMembers < 10 || c.addPool < 1:
		return *c, errors.New("-group-members must be at least 10 and -add-pool positive")
	case c.syncUsers < 1 || c.syncGroups < 0 || c.syncMembers < 0 || c.syncMembers > c.syncUsers || c.syncClients < 1:
		return *c, errors.New("-sync-users and -sync-clients must be positive, -sync-groups and -sync-group-members not negative, and -sync-group-members at most -sync-users")
	}
	return *c, nil
}

// oneClient marks the workloads measured with one client, for latency.
const oneClient = ", 1 client"

// throughputWorkloads are the load tool's workloads measured with
// -concurrency clients on t: the floor answers only reads.
func throughputWorkloads(c config, t *target) []string {
	var ws []string
	for _, w := range []struct{ row, workload string }{
		{"get", "get-user"}, {"filter", "filter-username"}, {"list", "list-users"},
		{"create", "create-user"}, {"extension", "create-user"}, {"deactivate", "deactivate-user"},
	} {
		if c.row(w.row) && !slices.Contains(ws, w.workload) && (!t.floor || !isWrite(w.workload)) {
			ws = append(ws, w.workload)
		}
	}
	return ws
}

// latencyWorkloads are those measured with one client, whose p99 has a
// goal.
func latencyWorkloads(c config, t *target) []string {
	var ws []string
	if c.row("filter") {
		ws = append(ws, "filter-username")
	}
	if c.row("add-member") && !t.floor {
		ws = append(ws, "add-member")
	}
	return ws
}

func isWrite(workload string) bool {
	switch workload {
	case "get-user", "filter-username", "list-users", "filter-extension":
		return false
	}
	return true
}
