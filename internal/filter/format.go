package filter

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scimd/scimd/internal/schema"
)

// Format prints e as a canonical filter: keywords and operators in lower
// case, single spaces, paths in the schema's spelling (extension attributes
// qualified by their URN, core and common attributes not), strings as JSON
// with only the escapes JSON requires, and only the parentheses the tree
// needs. Parse(Format(e)) yields a tree equal to e for any e that Parse
// returned.
func Format(e Expr) string {
	var b strings.Builder
	format(&b, e, false)
	return b.String()
}

func (e *Compare) String() string   { return Format(e) }
func (e *Present) String() string   { return Format(e) }
func (e *And) String() string       { return Format(e) }
func (e *Or) String() string        { return Format(e) }
func (e *Not) String() string       { return Format(e) }
func (e *ValuePath) String() string { return Format(e) }

// format writes e; inValue is set inside brackets, where paths are written
// as the bare sub-attribute name.
func format(b *strings.Builder, e Expr, inValue bool) {
	switch e := e.(type) {
	case *Compare:
		formatPath(b, e.Path, inValue)
		b.WriteByte(' ')
		b.WriteString(string(e.Op))
		b.WriteByte(' ')
		formatValue(b, e.Value)
	case *Present:
		formatPath(b, e.Path, inValue)
		b.WriteString(" pr")
	case *And:
		// and binds tighter than or, and both group to the left.
		formatOperand(b, e.Left, inValue, isOr(e.Left))
		b.WriteString(" and ")
		formatOperand(b, e.Right, inValue, isOr(e.Right) || isAnd(e.Right))
	case *Or:
		format(b, e.Left, inValue)
		b.WriteString(" or ")
		formatOperand(b, e.Right, inValue, isOr(e.Right))
	case *Not:
		b.WriteString("not ")
		formatOperand(b, e.X, inValue, true)
	case *ValuePath:
		b.WriteString(e.Path.String())
		b.WriteByte('[')
		format(b, e.Filter, true)
		b.WriteByte(']')
	}
}

func formatPath(b *strings.Builder, p schema.Path, inValue bool) {
	if inValue && p.Sub != nil {
		b.WriteString(p.Sub.Name)
		return
	}
	b.WriteString(p.String())
}

func formatOperand(b *strings.Builder, e Expr, inValue, parens bool) {
	if parens {
		b.WriteByte('(')
	}
	format(b, e, inValue)
	if parens {
		b.WriteByte(')')
	}
}

func isOr(e Expr) bool  { _, ok := e.(*Or); return ok }
func isAnd(e Expr) bool { _, ok := e.(*And); return ok }

func formatValue(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case json.Number:
		b.WriteString(string(v))
	case string:
		formatString(b, v)
	default:
		fmt.Fprint(b, v)
	}
}

// formatString writes s as a JSON string (RFC 8259 §7), escaping only the
// quote, the backslash and control characters.
func formatString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			if c < utf8.RuneSelf {
				i++
				continue
			}
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || n != 1 {
				i += n
				continue
			}
		}
		b.WriteString(s[start:i])
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			} else {
				// Invalid UTF-8, which Parse never returns.
				b.WriteString(`\ufffd`)
			}
		}
		i++
		start = i
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
