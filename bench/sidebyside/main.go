// Command sidebyside measures scimd as its users run it: it builds the
// scimd binary, the floor (bench/floor: net/http answering with fixed
// documents) and the load tool, starts `scimd serve` with its defaults
// (but --rate-limit 0) on SQLite and, with -postgres, on PostgreSQL,
// seeds each with the same users, and then runs the load tool over
// loopback against each target in turn, several rounds alternated so that
// the machine's drift touches every target alike. It prints one markdown
// table: each target's throughput and p99 per workload, and scimd's
// throughput as a share of the floor's.
//
//	go run ./bench/sidebyside [-users 100000] [-postgres URL] [-rounds 2] [-duration 5s]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// benchSecret is the load tool's installation secret for PostgreSQL
// (bench/load/postgres.go): the server must hash tokens with it too.
const benchSecret = "scimd load tool: benchmark secret, not for production"

type config struct {
	users, rounds, concurrency int
	duration                   time.Duration
	workloads, postgres        string
	dir                        string
}

// target is one server under test.
type target struct {
	name, url, token string
	stop             func()
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
	fs := flag.NewFlagSet("sidebyside", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.IntVar(&c.users, "users", 100000, "users seeded in each database")
	fs.IntVar(&c.rounds, "rounds", 2, "rounds; each measures every target once, in turn")
	fs.IntVar(&c.concurrency, "concurrency", 8, "concurrent clients")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "measured time per workload and round")
	fs.StringVar(&c.workloads, "workloads", "get-user,filter-username,list-users,create-user", "the load tool's workloads to run")
	fs.StringVar(&c.postgres, "postgres", "", "a PostgreSQL database on this machine to measure scimd on too, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable; its data goes in the schema scimd_sidebyside")
	fs.StringVar(&c.dir, "dir", "", "directory for the binaries and the SQLite database, kept between runs (default: a temporary one, removed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.users < 100 || c.rounds < 1 || c.concurrency < 1 || c.duration <= 0 {
		return errors.New("-users must be at least 100, and -rounds, -concurrency and -duration positive")
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

	floor, err := startFloor(ctx, c)
	if err != nil {
		return err
	}
	defer floor.stop()
	targets := []*target{floor}
	dbs := []struct{ name, db string }{{"scimd SQLite", "sqlite:" + filepath.Join(c.dir, "scimd.db")}}
	if c.postgres != "" {
		db, err := withSearchPath(c.postgres, "scimd_sidebyside")
		if err != nil {
			return err
		}
		dbs = append(dbs, struct{ name, db string }{"scimd PostgreSQL", db})
	}
	for _, d := range dbs {
		t, err := startScimd(ctx, c, d.name, d.db, log)
		if err != nil {
			return err
		}
		defer t.stop()
		targets = append(targets, t)
	}

	load := loadAverage()
	results := map[string]map[string][]sample{} // target → workload → rounds
	var order []string                          // workloads, as first seen
	for round := 1; round <= c.rounds; round++ {
		for _, t := range targets {
			log("round %d of %d: %s", round, c.rounds, t.name)
			ss, err := measure(ctx, c, t)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			for _, s := range ss {
				w, _, _ := strings.Cut(s.Workload, " (")
				if !slices.Contains(order, w) {
					order = append(order, w)
				}
				if results[t.name] == nil {
					results[t.name] = map[string][]sample{}
				}
				results[t.name][w] = append(results[t.name][w], s)
			}
		}
	}
	report(stdout, c, targets, order, results, load)
	return nil
}

// command returns cmd with the repository as its directory, its output
// going to standard error unless the caller takes it.
func command(ctx context.Context, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

func startFloor(ctx context.Context, c config) (*target, error) {
	cmd := command(ctx, nil, filepath.Join(c.dir, "floor"), "-users", strconv.Itoa(c.users))
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
	return &target{name: "floor", url: strings.TrimSpace(line), token: "floor", stop: stop}, nil
}

// startScimd seeds db with the load tool, mints a token with the CLI and
// starts scimd serve on it.
func startScimd(ctx context.Context, c config, name, db string, log func(string, ...any)) (*target, error) {
	var env []string
	loadDB := strings.TrimPrefix(db, "sqlite:")
	if !strings.HasPrefix(db, "sqlite:") {
		env = []string{"SCIMD_SECRET=" + benchSecret}
	}
	log("%s: seeding %d users", name, c.users)
	seed := command(ctx, env, filepath.Join(c.dir, "load"), "-db", loadDB, "-users", strconv.Itoa(c.users),
		"-workloads", "filter-username", "-duration", "1ms", "-warmup", "0")
	seed.Stdout = io.Discard
	if err := seed.Run(); err != nil {
		return nil, fmt.Errorf("%s: seed: %w", name, err)
	}
	var tok bytes.Buffer
	mint := command(ctx, env, filepath.Join(c.dir, "scimd"), "token", "create", "--db", db, "--workspace", "bench",
		"--name", "sidebyside", "--expires", "24h")
	mint.Stdout = &tok
	if err := mint.Run(); err != nil {
		return nil, fmt.Errorf("%s: token create: %w", name, err)
	}
	lines := strings.Fields(strings.TrimSpace(tok.String()))
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s: token create printed no token", name)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	serve := command(ctx, env, filepath.Join(c.dir, "scimd"), "serve", "--db", db, "--addr", addr, "--rate-limit", "0")
	serve.Stdout, serve.Stderr = io.Discard, io.Discard // the request log is part of the cost, not the report
	if err := serve.Start(); err != nil {
		return nil, err
	}
	stop := func() { serve.Process.Signal(os.Interrupt); serve.Wait() }
	if err := waitHealthy(ctx, "http://"+addr+"/healthz"); err != nil {
		stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &target{name: name, url: "http://" + addr + "/scim/v2", token: lines[len(lines)-1], stop: stop}, nil
}

func measure(ctx context.Context, c config, t *target) ([]sample, error) {
	var out bytes.Buffer
	cmd := command(ctx, nil, filepath.Join(c.dir, "load"), "-url", t.url, "-token", t.token, "-json",
		"-workloads", c.workloads, "-users", strconv.Itoa(c.users), "-sample", "2000",
		"-concurrency", strconv.Itoa(c.concurrency), "-duration", c.duration.String())
	cmd.Stdout = &out
	cmd.Stderr = io.Discard
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	var ss []sample
	dec := json.NewDecoder(&out)
	for {
		var s sample
		if err := dec.Decode(&s); errors.Is(err, io.EOF) {
			return ss, nil
		} else if err != nil {
			return nil, err
		}
		if s.Errors > 0 {
			return nil, fmt.Errorf("%s: %d of %d requests failed; first: %s", s.Workload, s.Errors, s.Requests, s.FirstError)
		}
		ss = append(ss, s)
	}
}

func report(w io.Writer, c config, targets []*target, order []string, results map[string]map[string][]sample, load string) {
	fmt.Fprintf(w, "%s; %d CPUs, GOMAXPROCS %d, %s; load average %s before the run\n", cpuModel(), runtime.NumCPU(),
		runtime.GOMAXPROCS(0), runtime.Version(), load)
	fmt.Fprintf(w, "%d users, %d clients, %s per workload and round, %d rounds alternated; req/s as min–max over the rounds, p99 the worst round's\n\n",
		c.users, c.concurrency, c.duration, c.rounds)
	fmt.Fprint(w, "| workload |")
	for _, t := range targets {
		fmt.Fprintf(w, " %s |", t.name)
	}
	for _, t := range targets[1:] {
		fmt.Fprintf(w, " %s ÷ floor |", t.name)
	}
	fmt.Fprint(w, "\n|---|")
	fmt.Fprint(w, strings.Repeat("---:|", 2*len(targets)-1), "\n")
	for _, wl := range order {
		fmt.Fprintf(w, "| %s |", wl)
		floor := results[targets[0].name][wl]
		for _, t := range targets {
			ss := results[t.name][wl]
			if len(ss) == 0 || (t == targets[0] && wl == "create-user") {
				fmt.Fprint(w, " – |")
				continue
			}
			lo, hi, p99 := spread(ss)
			fmt.Fprintf(w, " %s/s, p99 %.2f ms |", rangeOf(lo, hi), p99)
		}
		for _, t := range targets[1:] {
			ss := results[t.name][wl]
			if len(ss) == 0 || len(floor) == 0 || wl == "create-user" {
				fmt.Fprint(w, " – |")
				continue
			}
			lo, hi, _ := spread(ss)
			flo, fhi, _ := spread(floor)
			if a, b := fmt.Sprintf("%.2f", lo/fhi), fmt.Sprintf("%.2f", hi/flo); a != b {
				fmt.Fprintf(w, " %s–%s |", a, b)
			} else {
				fmt.Fprintf(w, " %s |", a)
			}
		}
		fmt.Fprintln(w)
	}
}

func spread(ss []sample) (lo, hi, p99 float64) {
	lo = ss[0].Rate
	for _, s := range ss {
		lo, hi, p99 = min(lo, s.Rate), max(hi, s.Rate), max(p99, s.P99)
	}
	return lo, hi, p99
}

func rangeOf(lo, hi float64) string {
	if int(lo) == int(hi) {
		return strconv.Itoa(int(lo))
	}
	return fmt.Sprintf("%d–%d", int(lo), int(hi))
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHealthy(ctx context.Context, u string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer 200 within a minute", u)
}

func withSearchPath(db, schema string) (string, error) {
	u, err := url.Parse(db)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("-postgres %q: want a postgres:// URL", db)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOOS + "/" + runtime.GOARCH
}

func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
