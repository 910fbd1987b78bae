package patch

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
)

// normValues normalises the value of an add, replace or remove on a
// multi-valued attribute: a list, or a single value standing for a list of
// one. Values of a keyed attribute must have a "value".
func normValues(a *schema.Attribute, v any) ([]any, error) {
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	out := make([]any, 0, len(items))
	for _, item := range items {
		if item == nil {
			continue
		}
		if _, nested := item.([]any); nested {
			return nil, scimerr.BadRequest(scimerr.InvalidValue, "a value of %q must not be an array", a.Name)
		}
		e, err := normOne(a, item)
		if err != nil {
			return nil, err
		}
		if keyed(a) {
			m, _ := e.(map[string]any)
			if id, _ := m["value"].(string); id == "" {
				return nil, scimerr.BadRequest(scimerr.InvalidValue, "each value of %q must have a non-empty \"value\"", a.Name)
			}
		}
		if e != nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// normOne normalises one value of the multi-valued attribute a. A list of
// exactly one value is accepted for it.
func normOne(a *schema.Attribute, v any) (any, error) {
	if l, ok := v.([]any); ok {
		if len(l) != 1 {
			return nil, scimerr.BadRequest(scimerr.InvalidValue, "expected a single value of %q, got %d", a.Name, len(l))
		}
		v = l[0]
		if _, nested := v.([]any); nested {
			return nil, scimerr.BadRequest(scimerr.InvalidValue, "a value of %q must not be an array", a.Name)
		}
	}
	nv, err := schema.NormalizeValue(a, v)
	if err != nil || nv == nil {
		return nil, err
	}
	if l, ok := nv.([]any); ok && a.MultiValued {
		return l[0], nil
	}
	return nv, nil
}

// keyed reports whether values of a are identified by their "value"
// sub-attribute alone. That holds when "value" is immutable, as for group
// members: such a value names something (a member) rather than describing
// it, so two values with the same "value" are the same value.
func keyed(a *schema.Attribute) bool {
	s := a.Sub("value")
	return a.MultiValued && s != nil && s.Mutability == schema.Immutable
}

// identity returns a key that is equal for two values of a that are the
// same value: by "value" for keyed attributes, by all sub-attributes
// otherwise.
func identity(a *schema.Attribute, v any) string {
	if keyed(a) {
		if m, ok := v.(map[string]any); ok {
			if id, ok := m["value"]; ok {
				return "value:" + canonicalKey(a.Sub("value"), id)
			}
		}
	}
	return canonicalKey(a, v)
}

// addValues appends to list those of vals that it does not already hold
// (RFC 7644 §3.5.2.1: "If the target location already contains the value
// specified, no changes SHOULD be made"), and returns the new list and the
// indexes of the values in vals within it.
func addValues(a *schema.Attribute, list, vals []any) ([]any, []int) {
	index := make(map[string]int, len(list)+len(vals))
	for i, e := range list {
		k := identity(a, e)
		if _, dup := index[k]; !dup {
			index[k] = i
		}
	}
	touched := make([]int, 0, len(vals))
	for _, v := range vals {
		k := identity(a, v)
		if i, ok := index[k]; ok {
			touched = append(touched, i)
			continue
		}
		index[k] = len(list)
		touched = append(touched, len(list))
		list = append(list, v)
	}
	return list, touched
}

// canonicalKey returns a string that is equal for equal values of a:
// strings of attributes that are not caseExact compare case-insensitively
// (RFC 7643 §2.2) and numbers by value, whatever their Go type.
func canonicalKey(a *schema.Attribute, v any) string {
	if s, ok := v.(string); ok {
		// The common case, member ids: no need to go through JSON.
		return strconv.Quote(canonical(a, s).(string))
	}
	b, err := json.Marshal(canonical(a, v))
	if err != nil {
		return fmt.Sprintf("%T:%v", v, v)
	}
	return string(b)
}

func canonical(a *schema.Attribute, v any) any {
	switch x := v.(type) {
	case string:
		if a != nil && !a.CaseExact {
			return strings.ToLower(x)
		}
		return x
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return canonical(a, f)
		}
		return string(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
		return x
	case int:
		return int64(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			var sub *schema.Attribute
			if a != nil {
				sub = a.Sub(k)
			}
			out[k] = canonical(sub, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = canonical(a, e)
		}
		return out
	}
	return v
}

func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyValue(e)
		}
		return out
	}
	return v
}

// pruneMap removes null values, empty objects and empty arrays, which RFC
// 7643 §2.5 treats as unassigned, so that stored documents never hold them.
func pruneMap(m map[string]any) {
	for k, v := range m {
		if pv := prune(v); pv == nil {
			delete(m, k)
		} else {
			m[k] = pv
		}
	}
}

func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		pruneMap(x)
		if len(x) == 0 {
			return nil
		}
	case []any:
		out := x[:0]
		for _, e := range x {
			if pe := prune(e); pe != nil {
				out = append(out, pe)
			}
		}
		clear(x[len(out):])
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return v
}
