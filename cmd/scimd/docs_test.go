package main

import (
	"bufio"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// configurationDoc is the page whose "## serve" table documents every
// flag of scimd serve.
var configurationDoc = filepath.Join("..", "..", "docs", "configuration.md")

// TestConfigurationReference checks the table of serve's flags in
// docs/configuration.md against the flags themselves: a row for each
// flag, in the order of serve -h, naming its environment variable, with
// a default that starts with the flag's own, and a meaning; and no row
// for a flag serve does not have.
func TestConfigurationReference(t *testing.T) {
	t.Parallel()
	c := defaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.register(fs)
	fs.VisitAll(func(f *flag.Flag) { wrap(f) }) // as parseArgs shows them
	var flags []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f) })

	rows := readTable(t, configurationDoc, "## serve")
	var names, documented []string
	for _, f := range flags {
		names = append(names, f.Name)
	}
	for _, r := range rows {
		documented = append(documented, strings.TrimPrefix(strings.Trim(r[0], "`"), "--"))
	}
	if !slices.Equal(names, documented) {
		t.Errorf("%s: the serve table lists\n  %v\nwant a row for each flag, in this order:\n  %v", configurationDoc, documented, names)
	}
	for _, r := range rows {
		f := fs.Lookup(strings.TrimPrefix(strings.Trim(r[0], "`"), "--"))
		if f == nil {
			continue // reported above
		}
		if want := "`" + envName(f.Name) + "`"; r[1] != want {
			t.Errorf("--%s: environment %q, want %q", f.Name, r[1], want)
		}
		if f.DefValue != "" && !strings.HasPrefix(r[2], "`"+f.DefValue+"`") {
			t.Errorf("--%s: default %q, want it to start with `%s`", f.Name, r[2], f.DefValue)
		}
		if r[3] == "" {
			t.Errorf("--%s: no meaning", f.Name)
		}
	}
}

// readTable returns the rows, as cells, of the first table under heading
// on the page at path, checking its header.
func readTable(t *testing.T, path, heading string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	in, header := false, 0
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#"):
			if in && header > 0 {
				return rows
			}
			in = line == heading
		case !in:
		case !strings.HasPrefix(line, "|"):
			if header > 0 {
				return rows
			}
		default:
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			header++
			switch {
			case header == 1:
				if want := []string{"flag", "environment", "default", "meaning"}; !slices.Equal(cells, want) {
					t.Fatalf("%s: the table under %q has header %q, want %q", path, heading, cells, want)
				}
			case header > 2: // after the delimiter row
				if len(cells) != 4 {
					t.Fatalf("%s: row %q has %d cells, want 4", path, line, len(cells))
				}
				rows = append(rows, cells)
			}
		}
	}
	if header == 0 {
		t.Fatalf("%s: no table under %q", path, heading)
	}
	return rows
}
