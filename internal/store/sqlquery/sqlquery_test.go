package sqlquery

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// numbered is a Dialect with numbered placeholders; the rest is never
// executed.
type numbered struct{}

func (numbered) Placeholder(n int) string { return "$" + strconv.Itoa(n) }
func (numbered) Bool(b bool) string       { return strconv.FormatBool(b) }
func (numbered) BoolArg(b bool) any       { return b }
func (numbered) TimeArg(t time.Time) any  { return t }
func (numbered) JSONValue(doc string, keys []string, _ schema.Type) string {
	return doc + "." + strings.Join(keys, ".")
}
func (numbered) JSONElements(doc string, keys []string) string {
	return "elements(" + doc + "." + strings.Join(keys, ".") + ") AS e"
}
func (numbered) Fold(expr string) string               { return "fold(" + expr + ")" }
func (numbered) Text(expr string) string               { return expr }
func (numbered) Contains(s, arg string) string         { return "contains(" + s + ", " + arg + ")" }
func (numbered) HasPrefix(s, arg string, n int) string { return "prefix(" + s + ", " + arg + ")" }
func (numbered) HasSuffix(s, arg string, n int) string { return "suffix(" + s + ", " + arg + ")" }
func (numbered) DescNullsLast(expr string) string      { return expr + " DESC" }

func TestFilterNumbersArgumentsAfterN(t *testing.T) {
	e, err := filter.Parse(schema.UserType, `userName eq "A" or title sw "b" or emails[type eq "work"]`)
	if err != nil {
		t.Fatal(err)
	}
	sql, args, err := Filter(numbered{}, schema.UserType, e, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(args) != 3 || args[0] != "a" || args[1] != "b" || args[2] != "work" {
		t.Errorf("args %v, want folded [a b work]", args)
	}
	for _, p := range []string{"r.name_key = $3", "prefix(fold(r.doc.title), $4)", "e.type_key = $5"} {
		if !strings.Contains(sql, p) {
			t.Errorf("%s\nlacks %q", sql, p)
		}
	}
}

func TestCursor(t *testing.T) {
	for _, seq := range []int64{1, 42, 1 << 40} {
		got, err := DecodeCursor(EncodeCursor(seq))
		if err != nil || got != seq {
			t.Errorf("round trip of %d: %d, %v", seq, got, err)
		}
	}
	if n, err := DecodeCursor(""); n != 0 || err != nil {
		t.Errorf(`DecodeCursor(""): %d, %v`, n, err)
	}
	for _, c := range []string{"x", EncodeCursor(0), EncodeCursor(-5), "!!"} {
		if _, err := DecodeCursor(c); !errors.Is(err, store.ErrInvalidCursor) {
			t.Errorf("DecodeCursor(%q): %v, want ErrInvalidCursor", c, err)
		}
	}
}
