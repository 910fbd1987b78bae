package schema

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Infer proposes a declaration for urn, an extension kept without one,
// from objects, what resources keep under it: an RFC 7643 §7 schema
// document that ParseDocument takes. Each attribute is multiValued if
// a value of it is an array, complex with the sub-attributes seen if a
// value is an object, and otherwise of the type its values share:
// boolean, integer (numbers without a fraction), decimal, dateTime
// (RFC 3339 text) or string, which also stands where values of several
// types were seen, as its description says. Attributes are in name
// order, at most MaxAttributes with their sub-attributes.
func Infer(urn string, objects []map[string]any) *Schema {
	s := &Schema{ID: urn, Name: extensionName(urn),
		Description: fmt.Sprintf("Proposed by scimd from the values of %d resources.", len(objects))}
	seen, names := byName(objects)
	n := 0
	for _, key := range slices.Sorted(maps.Keys(seen)) {
		name := names[key]
		if nameProblem(name, false) != "" || n >= MaxAttributes {
			continue
		}
		a := inferAttr(name, seen[key], false)
		n += 1 + len(a.SubAttributes)
		if n > MaxAttributes {
			a.SubAttributes = a.SubAttributes[:len(a.SubAttributes)-(n-MaxAttributes)]
			n = MaxAttributes
		}
		s.Attributes = append(s.Attributes, a)
	}
	return s
}

// extensionName is the name of the schema urn names: its last segment
// that is neither the resource type nor a version
// (urn:…:extension:acme:2.0:User is acme's).
func extensionName(urn string) string {
	segs := strings.Split(urn, ":")
	for i := len(segs) - 2; i > 0; i-- {
		if s := segs[i]; s != "" && !isDigit(rune(s[0])) {
			return s
		}
	}
	return urn
}

func isDigit(c rune) bool { return c >= '0' && c <= '9' }

func inferAttr(name string, values []any, sub bool) *Attribute {
	a := &Attribute{Name: name, Mutability: ReadWrite, Returned: Default, Uniqueness: None}
	var singles []any
	for _, v := range values {
		if list, ok := v.([]any); ok && !sub {
			a.MultiValued = true
			singles = append(singles, list...)
			continue
		}
		singles = append(singles, v)
	}
	var objects []map[string]any
	var simple []any
	for _, v := range singles {
		if m, ok := v.(map[string]any); ok && !sub {
			objects = append(objects, m)
			continue
		}
		simple = append(simple, v)
	}
	if len(objects) > 0 {
		a.Type = Complex
		members, names := byName(objects)
		for _, k := range slices.Sorted(maps.Keys(members)) {
			if nameProblem(names[k], true) == "" {
				a.SubAttributes = append(a.SubAttributes, inferAttr(names[k], members[k], true))
			}
		}
		if len(simple) > 0 {
			a.Description = fmt.Sprintf("%d values seen were not objects: they are neither returned nor filterable once this is declared.", len(simple))
		}
		return a
	}
	kinds := map[Type]bool{}
	for _, v := range simple {
		kinds[simpleType(v)] = true
	}
	switch {
	case len(kinds) == 0:
		a.Type = String
	case len(kinds) == 1:
		for t := range kinds {
			a.Type = t
		}
	case len(kinds) == 2 && kinds[Integer] && kinds[Decimal]:
		a.Type = Decimal
	case len(kinds) == 2 && kinds[String] && kinds[DateTime]:
		a.Type = String
	default:
		a.Type = String
		names := make([]string, 0, len(kinds))
		for t := range kinds {
			names = append(names, string(t))
		}
		slices.Sort(names)
		a.Description = fmt.Sprintf("Values of several types were seen (%s): those not strings are neither returned nor filterable once this is declared.", strings.Join(names, ", "))
	}
	if a.Type == Reference || a.Type == Binary {
		a.CaseExact = true
	}
	return a
}

// simpleType is the type of a simple value, as kept.
func simpleType(v any) Type {
	switch x := v.(type) {
	case bool:
		return Boolean
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return Integer
		}
		return Decimal
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return Integer
		}
		return Decimal
	case int, int64:
		return Integer
	case string:
		if _, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return DateTime
		}
	}
	return String
}

// byName gathers the values of the members of objects by name, compared
// without case as a declaration's are (RFC 7643 §2.1), though kept
// names are as sent: names maps each folded name to its first spelling
// in sorted order.
func byName(objects []map[string]any) (values map[string][]any, names map[string]string) {
	values, names = map[string][]any{}, map[string]string{}
	for _, o := range objects {
		for _, k := range slices.Sorted(maps.Keys(o)) {
			key := strings.ToLower(k)
			if prev, ok := names[key]; !ok || k < prev {
				names[key] = k
			}
			values[key] = append(values[key], o[k])
		}
	}
	return values, names
}
