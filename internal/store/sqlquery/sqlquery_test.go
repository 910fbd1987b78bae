package sqlquery

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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
func (numbered) JSONType(doc string, keys []string) string {
	return "json_type(" + doc + ", '$." + strings.Join(keys, ".") + "')"
}

func TestFilterNumbersArgumentsAfterN(t *testing.T) {
	e, err := filter.Parse(schema.UserType, `userName eq "A" or title sw "b" or emails[type eq "work"]`)
	if err != nil {
		t.Fatal(err)
	}
	sql, args, err := Filter(numbered{}, schema.UserType, "ws_a", e, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(args) != 4 || args[0] != "a" || args[1] != "b" || args[2] != "ws_a" || args[3] != "work" {
		t.Errorf("args %v, want folded [a b ws_a work]", args)
	}
	for _, p := range []string{"r.name_key = $3", "prefix(fold(r.doc.title), $4)", "e.workspace_id = $5", "e.type_key = $6"} {
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

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		prefix, end string
		ok          bool
	}{
		{"a", "b", true},
		{"ab", "ac", true},
		{"a%", "a&", true},
		{"é", "ê", true},
		{"\uD7FF", "\uE000", true},
		{"a\U0010FFFF", "b", true},
		{"a\U0010FFFF\U0010FFFF", "b", true},
		{"\U0010FFFF", "", false},
	}
	for _, tt := range tests {
		end, ok := prefixEnd(tt.prefix)
		if end != tt.end || ok != tt.ok {
			t.Errorf("prefixEnd(%+q) = %+q, %v; want %+q, %v", tt.prefix, end, ok, tt.end, tt.ok)
		}
	}
}

func FuzzPrefixEnd(f *testing.F) {
	for _, s := range []string{"a", "z\U0010FFFF", "\uD7FF", "émile"} {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, prefix, rest string) {
		if !utf8.ValidString(prefix) || !utf8.ValidString(rest) || prefix == "" {
			return
		}
		end, ok := prefixEnd(prefix)
		s := prefix + rest
		// Every string with the prefix is in [prefix, end); strings
		// compare by bytes, which in UTF-8 is by code point.
		if s < prefix || ok && s >= end {
			t.Errorf("%+q is outside [%+q, %+q)", s, prefix, end)
		}
		if ok && (!utf8.ValidString(end) || strings.HasPrefix(end, prefix)) {
			t.Errorf("prefixEnd(%+q) = %+q", prefix, end)
		}
	})
}

// TestIndexedAttributes checks which declared attributes get an index:
// simple, single-valued, not binary, the first MaxIndexed in the order
// declared, and the unique ones beyond.
func TestIndexedAttributes(t *testing.T) {
	t.Parallel()
	s := &schema.Schema{ID: "urn:acme:scim:User"}
	var want []string
	for i := range MaxIndexed + 3 {
		name := fmt.Sprintf("a%d", i)
		s.Attributes = append(s.Attributes, &schema.Attribute{Name: name, Type: schema.String, Uniqueness: schema.None})
		if i < MaxIndexed {
			want = append(want, name)
		}
	}
	s.Attributes = append(s.Attributes,
		&schema.Attribute{Name: "unique", Type: schema.Integer, Uniqueness: schema.Server},
		&schema.Attribute{Name: "multi", Type: schema.String, MultiValued: true, Uniqueness: schema.None},
		&schema.Attribute{Name: "complex", Type: schema.Complex, Uniqueness: schema.None},
		&schema.Attribute{Name: "binary", Type: schema.Binary, Uniqueness: schema.None})
	want = append(want, "unique")
	var got []string
	for _, a := range IndexedAttributes(s) {
		got = append(got, a.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("IndexedAttributes = %v, want %v", got, want)
	}
}
