package tenant_test

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
)

// settingsDoc is the page whose "Settings" table documents every
// workspace setting.
var settingsDoc = filepath.Join("..", "..", "docs", "workspaces.md")

// settingRow is one row of the settings table, as written.
type settingRow struct {
	key, def, meaning string
}

// readSettingsTable returns the rows of the first table under the
// "## Settings" heading of the page at path.
func readSettingsTable(t *testing.T, path string) []settingRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		rows             []settingRow
		inSection, table bool
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			if inSection {
				break
			}
			inSection = line == "## Settings"
			continue
		}
		if !inSection {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if table {
				break
			}
			continue
		}
		cells := splitRow(line)
		if !table {
			table = true
			if want := []string{"setting", "default", "meaning"}; !slices.Equal(cells, want) {
				t.Fatalf("%s: the settings table's header is %q, want %q", path, cells, want)
			}
			continue
		}
		if strings.Trim(strings.Join(cells, ""), "- ") == "" {
			continue // the delimiter row
		}
		if len(cells) != 3 {
			t.Fatalf("%s: settings table row %q has %d cells, want 3", path, line, len(cells))
		}
		rows = append(rows, settingRow{key: plain(cells[0]), def: cells[1], meaning: plain(cells[2])})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no table under a \"## Settings\" heading", path)
	}
	return rows
}

// splitRow returns the trimmed cells of a markdown table row.
func splitRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	cells := strings.Split(line, "|")
	for i, c := range cells {
		cells[i] = strings.TrimSpace(c)
	}
	return cells
}

// plain is a cell's text without code spans' backquotes.
func plain(cell string) string { return strings.ReplaceAll(cell, "`", "") }

// documentedDefault reads the default column: its first code span, or
// its first word when it has none ("none", "none (all)"). `""` is the
// empty value.
func documentedDefault(cell string) string {
	if _, rest, ok := strings.Cut(cell, "`"); ok {
		if span, _, ok := strings.Cut(rest, "`"); ok {
			if span == `""` {
				return ""
			}
			return span
		}
	}
	word, _, _ := strings.Cut(cell, " ")
	return word
}

// defaultValue is a setting's default in the form scimd workspace set
// takes. Empty roles mean the default ranks, which the table spells out.
func defaultValue(key string) string {
	c := store.DefaultWorkspaceConfig()
	if key == "roles" && len(c.Roles) == 0 {
		c.Roles = roles.DefaultRoles()
	}
	return tenant.ConfigValue(c, key)
}

// TestSettingsTable: the settings table of docs/workspaces.md lists every
// workspace setting, in the order of tenant.ConfigKeys, with its default
// and a meaning that starts with the setting's own doc (the text that
// scimd workspace show -h and the console print), and nothing else. A new
// setting, or a changed default or doc, fails here until the table says
// it.
func TestSettingsTable(t *testing.T) {
	t.Parallel()
	rows := readSettingsTable(t, settingsDoc)
	keys := tenant.ConfigKeys()
	var documented []string
	for _, r := range rows {
		documented = append(documented, r.key)
		if !slices.Contains(keys, r.key) {
			t.Errorf("%s documents %q, which is not a workspace setting (the settings are %s)", settingsDoc, r.key, strings.Join(keys, ", "))
			continue
		}
		if doc := tenant.ConfigDoc(r.key); !strings.HasPrefix(r.meaning, doc) {
			t.Errorf("%s: the meaning of %s must start with its doc, %q; it is %q", settingsDoc, r.key, doc, r.meaning)
		}
		want := defaultValue(r.key)
		got := documentedDefault(r.def)
		if want == "" && got == "none" {
			got = ""
		}
		if got != want {
			t.Errorf("%s: the default of %s is written %q, but it is %q", settingsDoc, r.key, r.def, want)
		}
	}
	for _, k := range keys {
		if !slices.Contains(documented, k) {
			t.Errorf("%s: the settings table lacks %s; add the row | `%s` | `%s` | %s |", settingsDoc, k, k, defaultValue(k), tenant.ConfigDoc(k))
		}
	}
	if !t.Failed() && !slices.Equal(documented, keys) {
		t.Errorf("%s: the settings table's order is %s; list them as tenant.ConfigKeys does: %s", settingsDoc, strings.Join(documented, ", "), strings.Join(keys, ", "))
	}
}
