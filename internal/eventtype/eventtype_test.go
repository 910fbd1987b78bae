package eventtype_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/eventtype"
)

// moduleRoot is the repository, seen from this package.
var moduleRoot = filepath.Join("..", "..")

// eventConstRE is the name of a constant of an event type outside this
// package: EventUserCreated.
var eventConstRE = regexp.MustCompile(`^Event[A-Z]`)

// catalogueDir holds the catalogue, every string constant of which is an
// event type.
var catalogueDir = filepath.Join(moduleRoot, "internal", "eventtype")

// eventNameRE is what an event type is: noun.verb.
var eventNameRE = regexp.MustCompile(`^[a-z][a-z_]*\.[a-z][a-z_]*$`)

// TestEventTypeConstants: every constant named Event… in the module's
// code, and every constant of the catalogue's package, whose value is
// written as a string is an event type of the
// catalogue, so that no type is made that the catalogue does not list;
// every type of the catalogue is noun.verb, once, and has a doc, a
// subject and data.
func TestEventTypeConstants(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	err := filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != moduleRoot && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !(eventConstRE.MatchString(name.Name) || filepath.Dir(path) == catalogueDir) || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					if _, ok := eventtype.Lookup(v); !ok {
						t.Errorf("%s: %s = %q is not in the catalogue of event types (internal/eventtype/eventtype.go)", fset.Position(name.Pos()), name.Name, v)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	seen := map[string]bool{}
	for _, et := range eventtype.Types() {
		if !eventNameRE.MatchString(et.Name) || seen[et.Name] {
			t.Errorf("event type %q: want noun.verb, once", et.Name)
		}
		seen[et.Name] = true
		if et.Doc == "" || et.Subject == "" || len(et.Data) == 0 {
			t.Errorf("event type %s: no doc, subject or data", et.Name)
		}
	}
}

// eventsDoc is the page that documents the events.
var eventsDoc = filepath.Join(moduleRoot, "docs", "events.md")

// eventSpanRE finds code spans that name an event type of one of the
// catalogue's nouns.
var eventSpanRE = regexp.MustCompile("`((?:user|group|api_key|session|token)\\.[a-z_]+)`")

// TestEventsDocumented: docs/events.md names every type of the
// catalogue and no other, and its "## Types" table is the catalogue's,
// row for row; on a difference the test prints the table to paste.
func TestEventsDocumented(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(eventsDoc)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	types := eventtype.Types()
	for _, m := range eventSpanRE.FindAllStringSubmatch(page, -1) {
		if _, ok := eventtype.Lookup(m[1]); !ok {
			t.Errorf("%s names the event type %s, which is not in the catalogue", eventsDoc, m[1])
		}
	}
	for _, et := range types {
		if !strings.Contains(page, "`"+et.Name+"`") {
			t.Errorf("%s does not name the event type %s", eventsDoc, et.Name)
		}
	}

	var want strings.Builder
	want.WriteString("| type | subject | when | data |\n| --- | --- | --- | --- |\n")
	for _, et := range types {
		var data []string
		for _, f := range et.Data {
			s := "`" + f.Name + "`"
			if f.Optional {
				s += " (some)"
			}
			data = append(data, s+": "+f.Doc)
		}
		want.WriteString("| `" + et.Name + "` | " + et.Subject + " | " + et.Doc + " | " + strings.Join(data, "; ") + " |\n")
	}
	_, section, ok := strings.Cut(page, "\n## Types\n")
	if !ok {
		t.Fatalf("%s has no \"## Types\" section; add one with this table:\n\n%s", eventsDoc, want.String())
	}
	var table []string
	for line := range strings.Lines(section) {
		if strings.HasPrefix(line, "## ") {
			break
		}
		if strings.HasPrefix(line, "|") {
			table = append(table, line)
		}
	}
	if got := strings.Join(table, ""); got != want.String() {
		gotRows, wantRows := table, slices.Collect(strings.Lines(want.String()))
		for i := range max(len(gotRows), len(wantRows)) {
			if i >= len(gotRows) || i >= len(wantRows) || gotRows[i] != wantRows[i] {
				t.Errorf("%s: the table under \"## Types\" differs from the catalogue from row %d on; make it:\n\n%s", eventsDoc, i+1, want.String())
				break
			}
		}
	}
}
