package patch

import (
	"maps"
	"slices"
	"strings"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
)

// MemberDelta describes a change to a group's members without knowing the
// current members. A store applies it in this order:
//
//  1. if Clear, remove every member;
//  2. remove the members whose value is in Remove;
//  3. insert each of Add whose value is not (or no longer) a member; a
//     member that is still present keeps its stored value.
//
// An id may be in both Remove and Add: the operations removed it and then
// added it again, possibly with another type.
type MemberDelta struct {
	Clear  bool
	Add    []map[string]any // normalized member values {value, type?, $ref?} in order, deduplicated by value
	Remove []string         // member ids
}

// Empty reports whether the delta changes nothing.
func (d MemberDelta) Empty() bool {
	return !d.Clear && len(d.Add) == 0 && len(d.Remove) == 0
}

// SplitMembers separates the operations that touch a group's "members"
// from the rest, so that adding one member to a group of 100,000 does not
// load the 100,000.
//
// If every member operation has one of the forms below, SplitMembers
// returns their combined delta, the remaining operations and ok=true:
//
//   - add, path "members", a list of members or one member;
//   - replace, path "members", a list (an empty list or null clears);
//   - remove, path "members", no value: clears;
//   - remove, path "members", a list of members: removes those (Entra ID,
//     JumpCloud);
//   - remove, path `members[value eq "id"]`, or an "or" of such clauses;
//   - add or replace without a path whose value has a "members" key: add
//     adds, replace clears and adds. The value's other keys stay in rest as
//     a path-less operation of their own.
//
// Operations are folded in order, so removing and then adding a member
// leaves it added, and adding and then removing it leaves it removed.
// Otherwise ok is false and the caller must load the members into
// doc["members"] and use Apply for all of ops. err reports what Apply would
// also reject: too many operations, an unknown op, a malformed path or a
// member without a "value".
//
// A path-less value without a "members" key, such as Okta's group rename
// {"id": ..., "displayName": ...}, does not touch the members.
func SplitMembers(rt *schema.ResourceType, ops []Operation) (delta MemberDelta, rest []Operation, ok bool, err error) {
	if err := checkCount(ops); err != nil {
		return MemberDelta{}, nil, false, err
	}
	members := rt.Schema.Attr("members")
	if members == nil || !keyed(members) {
		return MemberDelta{}, ops, true, nil
	}
	var f memberFolder
	for i, op := range ops {
		simple, err := f.fold(rt, members, op, &rest)
		if err != nil {
			return MemberDelta{}, nil, false, atOperation(err, i)
		}
		if !simple {
			return MemberDelta{}, nil, false, nil
		}
	}
	return f.delta(), rest, true, nil
}

// memberFolder accumulates a MemberDelta. Groups can be large, so adds and
// removals are indexed by member id; a removed add leaves a nil in add.
type memberFolder struct {
	clear   bool
	add     []map[string]any
	added   map[string]int // id → index in add
	remove  []string
	removed map[string]bool
}

func (f *memberFolder) delta() MemberDelta {
	d := MemberDelta{Clear: f.clear, Remove: f.remove}
	for _, m := range f.add {
		if m != nil {
			d.Add = append(d.Add, m)
		}
	}
	return d
}

// fold folds one operation into the delta, or appends it to rest if it does
// not touch members. It reports false if the operation touches members in a
// way a delta cannot express.
func (f *memberFolder) fold(rt *schema.ResourceType, members *schema.Attribute, op Operation, rest *[]Operation) (bool, error) {
	kind, err := opKind(op.Op)
	if err != nil {
		return false, err
	}
	if strings.TrimSpace(op.Path) == "" {
		obj, isObj := op.Value.(map[string]any)
		if kind == opRemove || !isObj {
			*rest = append(*rest, op) // Apply reports the error
			return true, nil
		}
		key, others, simple := splitMembersKey(rt, members, obj)
		if !simple {
			return false, nil
		}
		if key == "" {
			*rest = append(*rest, op)
			return true, nil
		}
		if err := f.set(kind, members, obj[key]); err != nil {
			return false, err
		}
		if len(others) > 0 {
			*rest = append(*rest, Operation{Op: op.Op, Value: others})
		}
		return true, nil
	}

	path, err := ParsePath(rt, op.Path)
	if err != nil {
		return false, err
	}
	if path.Attr.Attr != members {
		*rest = append(*rest, op)
		return true, nil
	}
	if path.Attr.Sub != nil {
		return false, nil
	}
	switch {
	case path.Filter != nil:
		if kind != opRemove {
			return false, nil
		}
		ids, simple := eqValueIDs(path.Filter)
		if !simple {
			return false, nil
		}
		for _, id := range ids {
			f.removeMember(id)
		}
	case kind == opRemove && op.Value == nil:
		f.clearAll()
	case kind == opRemove:
		vals, err := normValues(members, op.Value)
		if err != nil {
			return false, err
		}
		for _, v := range vals {
			f.removeMember(v.(map[string]any)["value"].(string))
		}
	default:
		if kind == opAdd && op.Value == nil {
			return false, scimerr.BadRequest(scimerr.InvalidValue, "add to %q requires a value", path)
		}
		if err := f.set(kind, members, op.Value); err != nil {
			return false, err
		}
	}
	return true, nil
}

// set folds add or replace of a members value.
func (f *memberFolder) set(kind string, members *schema.Attribute, v any) error {
	var vals []any
	if v != nil {
		var err error
		if vals, err = normValues(members, v); err != nil {
			return err
		}
	}
	if kind == opReplace {
		f.clearAll()
	}
	for _, m := range vals {
		f.addMember(m.(map[string]any))
	}
	return nil
}

func (f *memberFolder) clearAll() {
	*f = memberFolder{clear: true}
}

func (f *memberFolder) addMember(m map[string]any) {
	id := m["value"].(string)
	if _, dup := f.added[id]; dup {
		return
	}
	if f.added == nil {
		f.added = map[string]int{}
	}
	f.added[id] = len(f.add)
	f.add = append(f.add, m)
}

func (f *memberFolder) removeMember(id string) {
	if i, ok := f.added[id]; ok {
		f.add[i] = nil
		delete(f.added, id)
	}
	if f.clear || f.removed[id] {
		return
	}
	if f.removed == nil {
		f.removed = map[string]bool{}
	}
	f.removed[id] = true
	f.remove = append(f.remove, id)
}

// splitMembersKey finds the key of a path-less value that names the members
// attribute and returns it with the value's other keys. simple is false if
// members are named in a way a delta cannot express (a sub-attribute, a
// filter, twice, or inside a core schema URN object).
func splitMembersKey(rt *schema.ResourceType, members *schema.Attribute, obj map[string]any) (key string, others map[string]any, simple bool) {
	others = make(map[string]any, len(obj))
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		if strings.EqualFold(k, rt.Schema.ID) {
			if m, ok := v.(map[string]any); ok {
				if inner, _, _ := splitMembersKey(rt, members, m); inner != "" {
					return "", nil, false
				}
			}
			others[k] = v
			continue
		}
		path, err := ParsePath(rt, k)
		if err != nil || path.Attr.Attr != members {
			others[k] = v
			continue
		}
		if path.Filter != nil || path.Attr.Sub != nil || key != "" {
			return "", nil, false
		}
		key = k
	}
	return key, others, true
}

// eqValueIDs returns the ids of a filter of the form `value eq "id"` or an
// "or" of such clauses, and false for any other filter.
func eqValueIDs(f filter.Expr) ([]string, bool) {
	switch e := f.(type) {
	case *filter.Compare:
		id, ok := e.Value.(string)
		if e.Op != filter.Eq || e.Path.Sub == nil || e.Path.Sub.Name != "value" || !ok || id == "" {
			return nil, false
		}
		return []string{id}, true
	case *filter.Or:
		l, ok := eqValueIDs(e.Left)
		if !ok {
			return nil, false
		}
		r, ok := eqValueIDs(e.Right)
		if !ok {
			return nil, false
		}
		return append(l, r...), true
	}
	return nil, false
}
