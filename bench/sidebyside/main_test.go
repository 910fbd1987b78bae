package main

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"
)

// TestREADMEFlags checks that bench/README.md's table of sidebyside's
// flags names every flag.
func TestREADMEFlags(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	_, section, _ := strings.Cut(readme, "## The binary, side by side with a floor")
	section, _, _ = strings.Cut(section, "\n## ")
	fs, _, _ := flagSet(io.Discard)
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(section, "`-"+f.Name) {
			t.Errorf("bench/README.md's side-by-side section does not describe -%s", f.Name)
		}
	})
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args  []string
		check func(c config) bool
		err   string
	}{
		{args: nil, check: func(c config) bool { return c.users == 100000 && len(c.rows) == len(allRows) && c.seeded() == 120000 }},
		{args: []string{"-quick"}, check: func(c config) bool { return c.users == 20000 && c.rounds == 1 && c.syncUsers == 2000 }},
		{args: []string{"-quick", "-users", "50000"}, check: func(c config) bool { return c.users == 50000 && c.rounds == 1 }},
		{args: []string{"-rows", "get, list"}, check: func(c config) bool { return len(c.rows) == 2 && c.row("list") && c.seeded() == 100000 }},
		{args: []string{"-rows", "gte"}, err: `unknown row "gte"`},
		{args: []string{"-rows", ","}, err: "no row selected"},
		{args: []string{"-sync-group-members", "30000"}, err: "-sync-group-members at most -sync-users"},
		{args: []string{"extra"}, err: "unexpected arguments"},
	} {
		c, err := parseFlags(tc.args, io.Discard)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case tc.err == "" && !tc.check(c):
			t.Errorf("%q: config %+v", tc.args, c)
		}
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ got, want string }{
		{thousands(0), "0"},
		{thousands(999), "999"},
		{thousands(1000), "1,000"},
		{thousands(1234567), "1,234,567"},
		{thousands(-20000), "-20,000"},
		{rangeOf(1200.4, 1200.9, 0), "1,200"},
		{rangeOf(1200, 3500, 0), "1,200–3,500"},
		{rangeOf(0.214, 0.216, 2), "0.21–0.22"},
		{rangeOf(0.601, 0.604, 2), "0.60"},
		{met(true, true), "yes"},
		{met(false, true), "in some rounds"},
		{met(false, false), "no"},
		{here(100000, 100000, "members"), ""},
		{here(1000000, 120000, "users"), "; here 120,000 users"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestGoals checks the goals table's verdicts from samples: a ratio to
// the floor in the same round, a rate, a p99 and the sync's time.
func TestGoals(t *testing.T) {
	t.Parallel()
	floor := &target{name: "floor", floor: true}
	lite := &target{name: "scimd SQLite"}
	pg := &target{name: "scimd PostgreSQL"}
	r := results{m: map[string]map[string][]sample{
		"floor": {"get-user": {{Rate: 10000}, {Rate: 5000}}},
		"scimd SQLite": {
			"get-user":                    {{Rate: 7000}, {Rate: 3500}},
			"create-user":                 {{Rate: 3600, P99: 9}, {Rate: 3400, P99: 12}},
			"add-member" + oneClient:      {{Rate: 300, P99: 4.2}, {Rate: 280, P99: 4.9}},
			"sync":                        {{Elapsed: 14.2, Throttled: 3}},
			"filter-username" + oneClient: {{Rate: 900, P99: 2.5}},
		},
		"scimd PostgreSQL": {
			"get-user":    {{Rate: 5000}, {Rate: 3500}},
			"create-user": {{Rate: 1600, P99: 20}, {Rate: 1700, P99: 15}},
			"sync":        {{Elapsed: 31, Throttled: 0}},
		},
	}}
	c, err := parseFlags([]string{"-rows", "get,create,add-member,sync,filter"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	r.goals(&out, c, []*target{floor, lite, pg})
	// A smaller sync is held to the goal scaled by its users.
	small, err := parseFlags([]string{"-rows", "sync", "-sync-users", "2000", "-sync-groups", "50"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var scaled strings.Builder
	r.goals(&scaled, small, []*target{floor, lite, pg})
	if want := "< 1.5 s SQLite, < 3.0 s PostgreSQL) | 14.2 s, 3 requests answered 429 | no | 31.0 s, 0 requests answered 429 | no |"; !strings.Contains(scaled.String(), want) {
		t.Errorf("goals at a smaller scale lack %q:\n%s", want, scaled.String())
	}
	for _, want := range []string{
		"| GET /Users/{id} ≥ 0.60 × floor, reads audited (8 clients) | 0.70 × (3,500–7,000/s) | yes | 0.50–0.70 × (3,500–5,000/s) | in some rounds |",
		"| create ≥ 3,500/s SQLite, ≥ 1,500/s PostgreSQL (8 clients) | 3,400–3,600/s, p99 12.00 ms | in some rounds | 1,600–1,700/s, p99 20.00 ms | yes |",
		"| add one member to a 100,000-member group p99 < 5 ms (1 client) | p99 4.20–4.90 ms (280–300/s) | yes | not measured | – |",
		"| 14.2 s, 3 requests answered 429 | yes | 31.0 s, 0 requests answered 429 | no |",
		"(1 client; here 120,000 users) | p99 2.50 ms (900/s) | no | not measured | – |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("goals lack %q:\n%s", want, out.String())
		}
	}
}
