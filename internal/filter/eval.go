package filter

import (
	"cmp"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/schema"
)

// Match reports whether a resource document satisfies e.
func Match(e Expr, doc map[string]any) bool {
	return eval(e, doc, false)
}

// MatchValue reports whether one value (element) of a multi-valued complex
// attribute satisfies e, where e came from ParseValueFilter (or is the
// Filter of a ValuePath): paths are read from value by their sub-attribute.
func MatchValue(e Expr, value map[string]any) bool {
	return eval(e, value, true)
}

// eval evaluates e against m, a document or, with elem set, one element of
// a multi-valued attribute.
func eval(e Expr, m map[string]any, elem bool) bool {
	switch e := e.(type) {
	case *And:
		return eval(e.Left, m, elem) && eval(e.Right, m, elem)
	case *Or:
		return eval(e.Left, m, elem) || eval(e.Right, m, elem)
	case *Not:
		return !eval(e.X, m, elem)
	case *Present:
		return anyValue(e.Path, m, elem, func(any) bool { return true })
	case *Compare:
		return evalCompare(e, m, elem)
	case *ValuePath:
		if elem {
			return false // value paths do not nest
		}
		return eachValue(e.Path.Get(m), func(v any) bool {
			vm, ok := v.(map[string]any)
			return ok && eval(e.Filter, vm, true)
		})
	}
	return false
}

func evalCompare(c *Compare, m map[string]any, elem bool) bool {
	if c.Value == nil {
		// eq null is "not pr" and ne null is "pr": null is how JSON
		// spells an unassigned attribute (RFC 7643 §2.5).
		has := anyValue(c.Path, m, elem, func(any) bool { return true })
		switch c.Op {
		case Eq:
			return !has
		case Ne:
			return has
		}
		return false
	}
	a := c.Path.Target()
	if a == nil {
		return false
	}
	if c.Op == Ne {
		// ne is not (eq): true when no value equals, including when there
		// is no value at all.
		return !anyValue(c.Path, m, elem, func(v any) bool { return test(a, Eq, v, c.Value) })
	}
	return anyValue(c.Path, m, elem, func(v any) bool { return test(a, c.Op, v, c.Value) })
}

// anyValue reports whether f is true of any value at p in m. Values of
// multi-valued attributes are taken one by one, and a sub-attribute of a
// multi-valued attribute has the values of that sub-attribute in every
// element (RFC 7644 §3.4.2.2: "the filter matches if any of the values of
// the specified attribute match"). Empty values are skipped: see eachValue.
func anyValue(p schema.Path, m map[string]any, elem bool, f func(any) bool) bool {
	if !elem && p.Target().Type == schema.Any {
		// An attribute of an extension kept without a declaration has
		// one value, as sent: an array is not taken apart.
		v := p.Get(m)
		if p.Sub != nil {
			vm, _ := v.(map[string]any)
			v = vm[p.Sub.Name]
		}
		return !isEmpty(v) && f(v)
	}
	if elem {
		if p.Sub == nil {
			return false
		}
		return eachValue(m[p.Sub.Name], f)
	}
	v := p.Get(m)
	if p.Sub == nil {
		return eachValue(v, f)
	}
	return eachValue(v, func(x any) bool {
		xm, ok := x.(map[string]any)
		return ok && eachValue(xm[p.Sub.Name], f)
	})
}

// eachValue reports whether f is true of v, or of any element of v if v is
// an array, skipping empty values: null, "", [] and {} mean "unassigned"
// (RFC 7643 §2.5), so they neither match nor count as present.
func eachValue(v any, f func(any) bool) bool {
	if list, ok := v.([]any); ok {
		for _, x := range list {
			if !isEmpty(x) && f(x) {
				return true
			}
		}
		return false
	}
	return !isEmpty(v) && f(v)
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// test reports whether value v of attribute a satisfies `v op lit`. Values
// of the wrong type for a never match.
func test(a *schema.Attribute, op Op, v, lit any) bool {
	switch a.Type {
	case schema.String, schema.Reference, schema.Binary:
		s, ok1 := v.(string)
		l, ok2 := lit.(string)
		if !ok1 || !ok2 {
			return false
		}
		if !a.CaseExact {
			// strings.ToLower on both sides, not EqualFold, so that a SQL
			// store can reproduce it exactly with a lower-case function.
			s, l = strings.ToLower(s), strings.ToLower(l)
		}
		switch op {
		case Co:
			return strings.Contains(s, l)
		case Sw:
			return strings.HasPrefix(s, l)
		case Ew:
			return strings.HasSuffix(s, l)
		}
		return ordered(op, strings.Compare(s, l))
	case schema.Boolean:
		b, ok1 := v.(bool)
		l, ok2 := lit.(bool)
		return ok1 && ok2 && op == Eq && b == l
	case schema.Integer, schema.Decimal:
		x, ok1 := toNumber(v)
		y, ok2 := toNumber(lit)
		return ok1 && ok2 && ordered(op, x.compare(y))
	case schema.DateTime:
		x, ok1 := toTime(v)
		y, ok2 := toTime(lit)
		return ok1 && ok2 && ordered(op, x.Compare(y))
	case schema.Any:
		// eq only (see Parse), on a value of the literal's JSON type.
		if op != Eq {
			return false
		}
		switch l := lit.(type) {
		case string:
			s, ok := v.(string)
			// As for strings above: what a SQL store's lower-case
			// function reproduces.
			s, l = strings.ToLower(s), strings.ToLower(l)
			return ok && s == l
		case bool:
			b, ok := v.(bool)
			return ok && b == l
		case json.Number:
			if _, isText := v.(string); isText {
				return false
			}
			x, ok1 := toNumber(v)
			y, ok2 := toNumber(l)
			return ok1 && ok2 && x.compare(y) == 0
		}
	}
	return false
}

// ordered applies an equality or ordering operator to the result of a
// three-way comparison.
func ordered(op Op, c int) bool {
	switch op {
	case Eq:
		return c == 0
	case Gt:
		return c > 0
	case Ge:
		return c >= 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	}
	return false
}

func toTime(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// number is a numeric value: exact when both sides of a comparison are
// integers, float64 otherwise.
type number struct {
	i     int64
	f     float64
	isInt bool
}

func (x number) float() float64 {
	if x.isInt {
		return float64(x.i)
	}
	return x.f
}

func (x number) compare(y number) int {
	if x.isInt && y.isInt {
		return cmp.Compare(x.i, y.i)
	}
	return cmp.Compare(x.float(), y.float())
}

func toNumber(v any) (number, bool) {
	switch n := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return number{i: i, isInt: true}, true
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return number{}, false
		}
		return number{f: f}, true
	case float64:
		return number{f: n}, !math.IsNaN(n)
	case float32:
		return number{f: float64(n)}, !math.IsNaN(float64(n))
	case int:
		return number{i: int64(n), isInt: true}, true
	case int64:
		return number{i: n, isInt: true}, true
	case int32:
		return number{i: int64(n), isInt: true}, true
	case uint32:
		return number{i: int64(n), isInt: true}, true
	case uint64:
		if n > math.MaxInt64 {
			return number{f: float64(n)}, true
		}
		return number{i: int64(n), isInt: true}, true
	}
	return number{}, false
}
