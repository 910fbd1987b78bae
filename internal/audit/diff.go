package audit

import (
	"encoding/json"
	"reflect"
	"strings"
)

// Change is how one attribute changed. A single value shows as Old and
// New, either left out when the attribute was or is not set; a
// multi-valued attribute shows the values Added and Removed, so that one
// new email does not repeat the others.
type Change struct {
	Old     any   `json:"old,omitempty"`
	New     any   `json:"new,omitempty"`
	Added   []any `json:"added,omitempty"`
	Removed []any `json:"removed,omitempty"`
	// Omitted counts the values left out of Added and Removed beyond
	// MaxListed.
	Omitted int `json:"omitted,omitempty"`
}

// Changes are the changes of a write by attribute path, in SCIM's
// notation: "active", "name.givenName",
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
type Changes map[string]Change

// MaxListed bounds the values Added and Removed list for one attribute,
// so that replacing a large group's members keeps the entry small.
const MaxListed = 100

// secretAttributes are the attributes whose values are never recorded,
// compared case-insensitively, bare or qualified by a schema URN.
var secretAttributes = []string{"password"}

func secret(key string) bool {
	if i := strings.LastIndexByte(key, ':'); i >= 0 {
		key = key[i+1:]
	}
	for _, s := range secretAttributes {
		if strings.EqualFold(key, s) {
			return true
		}
	}
	return false
}

// Diff returns how the SCIM document after differs from before: nil
// before for a creation, nil after for a deletion. Complex attributes are
// compared by sub-attribute, extensions by attribute, multi-valued
// attributes by value. Secret attributes (password) are left out, at any
// depth. Both documents must be JSON values as encoding/json decodes
// them, such as store.Resource.Doc; Diff does not change them and the
// result shares none of their maps.
func Diff(before, after map[string]any) Changes {
	c := Changes{}
	c.object("", before, after)
	if len(c) == 0 {
		return nil
	}
	return c
}

func isURN(s string) bool { return len(s) > 4 && strings.EqualFold(s[:4], "urn:") }

// object records the changes between two objects whose attribute paths
// start with prefix: "" at the top, "name." in a complex attribute,
// "urn:…:User:" in an extension.
func (c Changes) object(prefix string, before, after map[string]any) {
	for k, old := range before {
		if !secret(k) {
			c.value(prefix, k, old, after[k])
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok && !secret(k) {
			c.value(prefix, k, nil, v)
		}
	}
}

func (c Changes) value(prefix, k string, old, v any) {
	if equal(old, v) {
		return // most attributes, for a start
	}
	path := prefix + k
	om, oldObj := old.(map[string]any)
	nm, newObj := v.(map[string]any)
	_, oldList := old.([]any)
	_, newList := v.([]any)
	switch {
	case (oldObj || old == nil) && (newObj || v == nil):
		sep := "."
		if prefix == "" && isURN(k) {
			sep = ":"
		}
		c.object(path+sep, om, nm)
	case (oldList || old == nil) && (newList || v == nil):
		c.list(path, old, v)
	default:
		c[path] = Change{Old: scrub(old), New: scrub(v)}
	}
}

// list records the values added to and removed from a multi-valued
// attribute, as multisets: a value listed twice and now once was removed
// once.
func (c Changes) list(path string, old, v any) {
	ol, _ := old.([]any)
	nl, _ := v.([]any)
	count := make(map[string]int, len(ol))
	keys := make([]string, len(ol))
	for i, x := range ol {
		keys[i] = key(x)
		count[keys[i]]++
	}
	var ch Change
	for _, x := range nl {
		k := key(x)
		if count[k] > 0 {
			count[k]--
			continue
		}
		ch.add(&ch.Added, x)
	}
	for i, x := range ol {
		if count[keys[i]] > 0 {
			count[keys[i]]--
			ch.add(&ch.Removed, x)
		}
	}
	if ch.Added != nil || ch.Removed != nil || ch.Omitted > 0 {
		c[path] = ch
	}
}

func (ch *Change) add(list *[]any, x any) {
	if len(*list) >= MaxListed {
		ch.Omitted++
		return
	}
	*list = append(*list, scrub(x))
}

// equal reports whether two JSON values are equal: reflect.DeepEqual
// for the types encoding/json decodes to, without its allocations.
func equal(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case string:
		b, ok := b.(string)
		return ok && a == b
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	case float64:
		b, ok := b.(float64)
		return ok && a == b
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, x := range a {
			y, ok := b[k]
			if !ok || !equal(x, y) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equal(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// key identifies a JSON value by its encoding, which sorts object
// members.
func key(x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		return "\x00" + reflect.TypeOf(x).String()
	}
	return string(b)
}

// scrub returns a deep copy of x without secret attributes: the diff
// may be marshaled after the documents have changed.
func scrub(x any) any {
	switch x := x.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, v := range x {
			if !secret(k) {
				out[k] = scrub(v)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, v := range x {
			out[i] = scrub(v)
		}
		return out
	}
	return x
}

// WithMembers records a change of a group's members under "members": the
// ids added and removed. Members are not part of a stored document, so
// Diff does not see them; store.MemberChange and MemberDelta give them.
func (c Changes) WithMembers(added, removed []string) Changes {
	if len(added) == 0 && len(removed) == 0 {
		return c
	}
	if c == nil {
		c = Changes{}
	}
	var ch Change
	for _, id := range added {
		ch.add(&ch.Added, id)
	}
	for _, id := range removed {
		ch.add(&ch.Removed, id)
	}
	c["members"] = ch
	return c
}

// MemberDelta returns the ids in after and not in before, and those in
// before and not in after.
func MemberDelta(before, after []string) (added, removed []string) {
	in := make(map[string]bool, len(before))
	for _, id := range before {
		in[id] = true
	}
	now := make(map[string]bool, len(after))
	for _, id := range after {
		now[id] = true
		if !in[id] {
			added = append(added, id)
		}
	}
	for _, id := range before {
		if !now[id] {
			removed = append(removed, id)
		}
	}
	return added, removed
}
