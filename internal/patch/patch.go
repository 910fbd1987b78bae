// Package patch applies SCIM PATCH operations (RFC 7644 §3.5.2) to resource
// documents held in memory, and recognises the group-membership changes a
// store can apply without loading a group's members (see SplitMembers).
//
// Documents are in the canonical form produced by schema.Normalize. Beyond
// the RFC, Apply accepts what identity providers are known to send:
// capitalised op names, "True"/"False" strings for booleans, path-less
// values whose keys are dotted or URN-qualified attribute paths, a bare id
// for a complex attribute with a "value" sub-attribute, remove with a value
// list, and add or replace through a value filter that matches nothing,
// which creates the value.
package patch

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
)

// MaxOperations is the largest number of operations a PATCH request may
// carry. RFC 7644 sets no limit; this one bounds the work one request can
// cause.
const MaxOperations = 1000

// MaxWork bounds what one PATCH request may examine: each operation
// counts one, plus the values of the multi-valued attribute it targets
// and the values it brings. A filtered operation examines every value of
// its attribute, so that many operations on a resource of many values
// (1,000 operations on 10,000 roles) would otherwise cost their product.
// Requests within it take well under a second.
const MaxWork = 1_000_000

// Operation is one PATCH operation as decoded from JSON (decoder with
// UseNumber).
type Operation struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// Operation names, compared case-insensitively because Entra ID sends
// "Add", "Replace" and "Remove".
const (
	opAdd     = "add"
	opReplace = "replace"
	opRemove  = "remove"
)

// Apply applies ops in order to a deep copy of doc and returns the result.
// On error doc is untouched and no result is returned: the operations of a
// request succeed or fail together (RFC 7644 §3.5.2). Empty values are
// removed from the result (RFC 7643 §2.5); required attributes are not
// checked.
func Apply(rt *schema.ResourceType, doc map[string]any, ops []Operation) (map[string]any, error) {
	if err := checkCount(ops); err != nil {
		return nil, err
	}
	p := &patcher{rt: rt, doc: copyMap(doc), work: MaxWork}
	for i, op := range ops {
		if err := p.apply(op); err != nil {
			return nil, atOperation(err, i)
		}
	}
	pruneMap(p.doc)
	if err := rt.CheckKept(p.doc); err != nil {
		return nil, err
	}
	return p.doc, nil
}

func checkCount(ops []Operation) error {
	if len(ops) > MaxOperations {
		return scimerr.BadRequest(scimerr.InvalidValue,
			"too many operations: a PATCH request may contain at most %d, got %d", MaxOperations, len(ops))
	}
	return nil
}

// opKind returns the lower-case operation name.
func opKind(op string) (string, error) {
	k := strings.ToLower(strings.TrimSpace(op))
	switch k {
	case opAdd, opReplace, opRemove:
		return k, nil
	}
	return "", scimerr.BadRequest(scimerr.InvalidSyntax, "unknown op %q: must be add, replace or remove", op)
}

// atOperation prefixes an error's detail with the (1-based) number of the
// operation that caused it.
func atOperation(err error, i int) error {
	var e *scimerr.Error
	if !errors.As(err, &e) {
		return err
	}
	out := *e
	out.Detail = fmt.Sprintf("operation %d: %s", i+1, e.Detail)
	return &out
}

type patcher struct {
	rt   *schema.ResourceType
	doc  map[string]any
	work int // what is left of MaxWork
}

// spend takes n from what the request may still examine.
func (p *patcher) spend(n int) error {
	p.work -= n
	if p.work < 0 {
		return scimerr.BadRequest(scimerr.TooMany,
			"this PATCH examines too many values: a request may examine at most %d (each operation counts one, plus the values of the multi-valued attribute it targets and those it brings); send its operations in several requests", MaxWork)
	}
	return nil
}

func (p *patcher) apply(op Operation) error {
	if err := p.spend(1); err != nil {
		return err
	}
	kind, err := opKind(op.Op)
	if err != nil {
		return err
	}
	if strings.TrimSpace(op.Path) == "" {
		// RFC 7644 §3.5.2.2: remove without a path fails with noTarget.
		if kind == opRemove {
			return scimerr.BadRequest(scimerr.NoTarget, "remove requires a path")
		}
		// RFC 7644 §3.5.2.1 and §3.5.2.3: without a path the target is the
		// resource itself and the value is a set of attributes.
		obj, ok := op.Value.(map[string]any)
		if !ok {
			return scimerr.BadRequest(scimerr.InvalidValue, "%s without a path requires an object value", kind)
		}
		return p.applyObject(kind, nil, obj)
	}
	path, err := ParsePath(p.rt, op.Path)
	if err != nil {
		return err
	}
	// RFC 7644 §3.5.2.1: add MUST carry a value. Replace with null is
	// accepted as unassigning the target (RFC 7643 §2.5).
	if kind == opAdd && op.Value == nil {
		return scimerr.BadRequest(scimerr.InvalidValue, "add to %q requires a value", path)
	}
	return p.applyPath(kind, path, op.Value)
}

// applyObject applies add or replace to each key of a path-less value, or
// of the value for a bare extension URN (ext set). Keys are attribute paths:
// "displayName", "name.givenName" or a URN-qualified attribute, as Entra ID
// sends them with aadOptscim062020, or an extension URN whose value holds
// that extension's attributes.
//
// Keys a client may not write are ignored rather than rejected, as
// schema.Normalize does for POST and PUT bodies, because identity providers
// echo what they read: Okta sends id with every group rename, others send
// meta, schemas, groups, password or SCIM 1.1 URNs. Keys are applied in
// sorted order so that "name" comes before "name.givenName".
func (p *patcher) applyObject(kind string, ext *schema.Schema, obj map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		if ext == nil && strings.EqualFold(k, p.rt.Schema.ID) {
			// The core schema URN as a key holds core attributes.
			if v == nil {
				continue
			}
			m, ok := v.(map[string]any)
			if !ok {
				return scimerr.BadRequest(scimerr.InvalidValue, "%q must be an object of that schema's attributes", k)
			}
			if err := p.applyObject(kind, nil, m); err != nil {
				return err
			}
			continue
		}
		name := k
		if ext != nil {
			name = ext.ID + ":" + k
		}
		path, err := ParsePath(p.rt, name)
		if err != nil {
			// A key with a value filter is clearly meant as a path, so a
			// mistake in it is reported; other unknown keys are ignored.
			// So is a key of an extension kept without a declaration,
			// which has every attribute whose name is an ATTRNAME.
			if strings.ContainsAny(k, "[]") || ext != nil && ext.Undeclared() {
				return err
			}
			continue
		}
		if t := path.Attr.Target(); t != nil && (t.Mutability == schema.ReadOnly || path.Attr.Attr.Mutability == schema.ReadOnly) {
			continue
		}
		if err := p.applyPath(kind, path, v); err != nil {
			return err
		}
	}
	return nil
}

// applyPath applies one operation at a parsed path. For add, v may be nil
// only inside a path-less value, where it adds nothing.
func (p *patcher) applyPath(kind string, path Path, v any) error {
	ap := path.Attr
	if ap.Attr == nil {
		// A bare extension URN: the extension object as a whole.
		if kind == opRemove || (kind == opReplace && v == nil) {
			delete(p.doc, ap.Schema.ID)
			return nil
		}
		if v == nil {
			return nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			return scimerr.BadRequest(scimerr.InvalidValue, "the value for %q must be an object of that extension's attributes", ap.Schema.ID)
		}
		return p.applyObject(kind, ap.Schema, m)
	}
	a, t := ap.Attr, ap.Target()
	if a.Mutability == schema.ReadOnly || t.Mutability == schema.ReadOnly {
		return scimerr.BadRequest(scimerr.Mutability, "attribute %q is read-only", path)
	}
	if a.Mutability == schema.WriteOnly || t.Mutability == schema.WriteOnly {
		// password: accepted and discarded (see schema's defs.go).
		return nil
	}
	c := ap.Container(p.doc, kind != opRemove)
	if c == nil {
		return nil // removing from an extension the resource does not have
	}
	if a.MultiValued {
		if err := p.spend(len(asList(c[a.Name])) + len(asList(v))); err != nil {
			return err
		}
	}
	switch {
	case path.Filter != nil || (a.MultiValued && ap.Sub != nil):
		return applyValues(c, kind, path, v)
	case a.MultiValued:
		return applyMulti(c, kind, a, v)
	case ap.Sub != nil:
		return applySub(c, kind, a, ap.Sub, v)
	default:
		return applySingle(c, kind, a, v)
	}
}

// clears reports whether the operation unassigns its target: remove, or
// replace with null (RFC 7643 §2.5: null and unassigned are equivalent).
func clears(kind string, v any) bool {
	return kind == opRemove || (kind == opReplace && v == nil)
}

// applySingle handles a single-valued attribute without a sub-attribute.
func applySingle(c map[string]any, kind string, a *schema.Attribute, v any) error {
	old := c[a.Name]
	if clears(kind, v) {
		if err := checkImmutable(a.Name, a, old, nil); err != nil {
			return err
		}
		delete(c, a.Name)
		return nil
	}
	nv, err := schema.NormalizeValue(a, v)
	if err != nil || nv == nil {
		return err
	}
	if a.Type == schema.Complex {
		// Add sets single-valued attributes (RFC 7644 §3.5.2.1); for a
		// complex attribute both add and replace set the given
		// sub-attributes and leave the others unchanged (§3.5.2.3).
		if om, ok := old.(map[string]any); ok {
			return mergeInto(a, om, nv.(map[string]any))
		}
		c[a.Name] = nv
		return nil
	}
	if err := checkImmutable(a.Name, a, old, nv); err != nil {
		return err
	}
	c[a.Name] = nv
	return nil
}

// applySub handles a sub-attribute of a single-valued complex attribute.
func applySub(c map[string]any, kind string, a, sub *schema.Attribute, v any) error {
	om, _ := c[a.Name].(map[string]any)
	name := a.Name + "." + sub.Name
	if clears(kind, v) {
		if om == nil {
			return nil
		}
		if err := checkImmutable(name, sub, om[sub.Name], nil); err != nil {
			return err
		}
		delete(om, sub.Name)
		return nil
	}
	nv, err := schema.NormalizeValue(sub, v)
	if err != nil || nv == nil {
		return err
	}
	if om == nil {
		om = map[string]any{}
		c[a.Name] = om
	}
	if err := checkImmutable(name, sub, om[sub.Name], nv); err != nil {
		return err
	}
	om[sub.Name] = nv
	return nil
}

// applyMulti handles a multi-valued attribute as a whole.
func applyMulti(c map[string]any, kind string, a *schema.Attribute, v any) error {
	old := c[a.Name]
	if clears(kind, v) {
		if v != nil {
			return removeListed(c, a, v)
		}
		if err := checkImmutable(a.Name, a, old, nil); err != nil {
			return err
		}
		delete(c, a.Name)
		return nil
	}
	vals, err := normValues(a, v)
	if err != nil {
		return err
	}
	var list []any
	if kind == opAdd {
		// RFC 7644 §3.5.2.1: add appends to a multi-valued attribute, and a
		// value already present is not added again.
		list = asList(old)
	}
	// RFC 7644 §3.5.2.3: replace without a filter replaces all values.
	list, touched := addValues(a, list, vals)
	if err := checkImmutable(a.Name, a, old, list); err != nil {
		return err
	}
	c[a.Name] = list
	return fixPrimary(a, list, touched)
}

// removeListed removes the given values from a multi-valued attribute, as
// Entra ID and JumpCloud remove members: {"op":"remove","path":"members",
// "value":[{"value":"id"}]}. RFC 7644 §3.5.2.2 does not define a value for
// remove; removing everything instead would empty the group. Complex
// values are matched on their "value" sub-attribute.
func removeListed(c map[string]any, a *schema.Attribute, v any) error {
	vals, err := normValues(a, v)
	if err != nil {
		return err
	}
	valueAttr := a.Sub("value")
	key := func(e any) (string, bool) {
		if valueAttr == nil {
			return canonicalKey(a, e), true
		}
		m, _ := e.(map[string]any)
		id, ok := m["value"]
		if !ok {
			return "", false
		}
		return canonicalKey(valueAttr, id), true
	}
	drop := make(map[string]bool, len(vals))
	for _, e := range vals {
		k, ok := key(e)
		if !ok {
			return scimerr.BadRequest(scimerr.InvalidValue, "each value to remove from %q must have a \"value\"", a.Name)
		}
		drop[k] = true
	}
	old := asList(c[a.Name])
	list := make([]any, 0, len(old))
	for _, e := range old {
		if k, ok := key(e); ok && drop[k] {
			continue
		}
		list = append(list, e)
	}
	c[a.Name] = list
	return nil
}

// applyValues handles a value-filtered path ("emails[type eq \"work\"]",
// "emails[type eq \"work\"].value") and a sub-attribute of a multi-valued
// attribute without a filter ("emails.value"), which selects every value.
func applyValues(c map[string]any, kind string, path Path, v any) error {
	a, sub := path.Attr.Attr, path.Attr.Sub
	list := asList(c[a.Name])
	var matched []int
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && (path.Filter == nil || filter.MatchValue(path.Filter, m)) {
			matched = append(matched, i)
		}
	}
	name := a.Name
	if sub != nil {
		name += "." + sub.Name
	}

	if clears(kind, v) {
		// RFC 7644 §3.5.2.2: remove the matching values, or the
		// sub-attribute of each. Nothing matching is not an error, so that
		// a repeated removal succeeds.
		if sub == nil {
			kept := make([]any, 0, len(list)-len(matched))
			for i, e := range list {
				if len(matched) > 0 && matched[0] == i {
					matched = matched[1:]
					continue
				}
				kept = append(kept, e)
			}
			c[a.Name] = kept
			return nil
		}
		for _, i := range matched {
			m := list[i].(map[string]any)
			if err := checkImmutable(name, sub, m[sub.Name], nil); err != nil {
				return err
			}
			delete(m, sub.Name)
		}
		return nil
	}

	var nv any
	var err error
	if sub != nil {
		nv, err = schema.NormalizeValue(sub, v)
	} else {
		nv, err = normOne(a, v)
	}
	if err != nil || nv == nil {
		return err
	}

	if len(matched) == 0 {
		// RFC 7644 §3.5.2.3 answers noTarget here, but Entra ID expects
		// "Replace emails[type eq \"work\"].value" to create the work email
		// of a user who has none. The new value is built from the filter's
		// eq clauses, so it is only possible for an and of eq comparisons.
		elem, ok := valueFromFilter(a, path.Filter)
		if !ok {
			return scimerr.BadRequest(scimerr.NoTarget, "no value of %q matches %q", a.Name, path)
		}
		if sub != nil {
			elem[sub.Name] = nv
		} else {
			maps.Copy(elem, nv.(map[string]any))
		}
		if err := checkNewValue(a, list, elem); err != nil {
			return err
		}
		list = append(list, elem)
		c[a.Name] = list
		return fixPrimary(a, list, []int{len(list) - 1})
	}

	for _, i := range matched {
		m := list[i].(map[string]any)
		switch {
		case sub != nil:
			if err := checkImmutable(name, sub, m[sub.Name], nv); err != nil {
				return err
			}
			m[sub.Name] = nv
		case kind == opAdd:
			if err := mergeInto(a, m, copyMap(nv.(map[string]any))); err != nil {
				return err
			}
		default:
			// RFC 7644 §3.5.2.3: all matching values are replaced.
			nm := copyMap(nv.(map[string]any))
			for _, s := range a.SubAttributes {
				if err := checkImmutable(a.Name+"."+s.Name, s, m[s.Name], nm[s.Name]); err != nil {
					return err
				}
			}
			list[i] = nm
		}
	}
	return fixPrimary(a, list, matched)
}

// valueFromFilter builds a value of a that the filter matches from the
// filter's eq clauses, or reports that it cannot.
func valueFromFilter(a *schema.Attribute, f filter.Expr) (map[string]any, bool) {
	m := map[string]any{}
	if f == nil {
		return m, true
	}
	if !eqClauses(a, f, m) || !filter.MatchValue(f, m) {
		return nil, false
	}
	return m, true
}

func eqClauses(a *schema.Attribute, f filter.Expr, m map[string]any) bool {
	switch e := f.(type) {
	case *filter.And:
		return eqClauses(a, e.Left, m) && eqClauses(a, e.Right, m)
	case *filter.Compare:
		s := e.Path.Sub
		if e.Op != filter.Eq || s == nil || a.Sub(s.Name) != s ||
			s.Mutability == schema.ReadOnly || s.Mutability == schema.WriteOnly {
			return false
		}
		v, err := schema.NormalizeValue(s, e.Value)
		if err != nil || v == nil {
			return false
		}
		m[s.Name] = v
		return true
	}
	return false
}

// checkNewValue checks a value about to be appended to a through a value
// filter. Values keyed by an immutable "value" (group members) need one,
// and must not repeat an existing one: that would change the existing
// value's immutable sub-attributes.
func checkNewValue(a *schema.Attribute, list []any, elem map[string]any) error {
	if !keyed(a) {
		return nil
	}
	if id, _ := elem["value"].(string); id == "" {
		return scimerr.BadRequest(scimerr.InvalidValue, "each value of %q must have a non-empty \"value\"", a.Name)
	}
	k := identity(a, elem)
	for _, e := range list {
		if identity(a, e) == k {
			return scimerr.BadRequest(scimerr.Mutability, "%q already has a value %q; its sub-attributes are immutable", a.Name, elem["value"])
		}
	}
	return nil
}

// mergeInto sets the sub-attributes in src on dst.
func mergeInto(a *schema.Attribute, dst, src map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(src)) {
		if err := checkImmutable(a.Name+"."+k, a.Sub(k), dst[k], src[k]); err != nil {
			return err
		}
		dst[k] = src[k]
	}
	return nil
}

// checkImmutable refuses to change or remove an immutable attribute's value
// once set (RFC 7643 §7: immutable attributes "SHALL NOT be updated").
// Setting a value that was unassigned, or the same value again, is allowed.
func checkImmutable(name string, a *schema.Attribute, old, nv any) error {
	if a == nil || a.Mutability != schema.Immutable || old == nil {
		return nil
	}
	if nv != nil && canonicalKey(a, old) == canonicalKey(a, nv) {
		return nil
	}
	return scimerr.BadRequest(scimerr.Mutability, "attribute %q is immutable", name)
}

// fixPrimary enforces that at most one value of a has primary=true (RFC
// 7643 §2.4): when the values an operation wrote include a primary one, the
// others stop being primary.
func fixPrimary(a *schema.Attribute, list []any, touched []int) error {
	if a.Type != schema.Complex || a.Sub("primary") == nil {
		return nil
	}
	winner := -1
	for _, i := range touched {
		if m, ok := list[i].(map[string]any); ok && m["primary"] == true && i != winner {
			if winner >= 0 {
				return scimerr.BadRequest(scimerr.InvalidValue, "at most one value of %q may be primary", a.Name)
			}
			winner = i
		}
	}
	if winner < 0 {
		return nil
	}
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && i != winner && m["primary"] == true {
			m["primary"] = false
		}
	}
	return nil
}
