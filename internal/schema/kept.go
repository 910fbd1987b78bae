package schema

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/scimd/scimd/internal/scimerr"
)

// Any is the type of the attributes of an extension that a workspace
// keeps without declaring it (see ResourceType.KeepUndeclared): a JSON
// value as sent. No declaration has it.
const Any Type = "any"

// Bounds on what one resource keeps under extensions not declared, so
// that a client cannot store unbounded data through them.
const (
	// MaxKeptExtensions is the most URNs not declared one resource
	// keeps attributes under.
	MaxKeptExtensions = 10
	// MaxKeptBytes bounds the JSON of those URNs' objects, together.
	MaxKeptBytes = 16 << 10
)

// An extension a resource type keeps without a declaration is a URN as
// a declaration's id is (letters, digits and -._ between colons, outside
// the namespaces RFC 7643 and 7644 reserve, not one of scimd's schemas),
// whose last segment names the resource type, as RFC 7643's extension
// URNs and identity providers' custom ones do
// (urn:ietf:params:scim:schemas:extension:acme:2.0:User for Users,
// …:Group for Groups). The suffix is what makes an attribute path under
// it unambiguous: in urn:…:acme:2.0:User:costCenter the URN ends before
// the last colon. Other URNs, such as SCIM 1.1's, stay ignored.
//
// Its attributes are named as ATTRNAMEs (RFC 7643 §2.1), and their
// values are what a declaration could describe: a string, number or
// boolean, an object of those (a complex value), or an array of either
// (a multi-valued one). Names are matched exactly as sent: without a
// declaration there is no spelling to fold them to.

// keeps reports whether rt keeps attributes under urn, which is none of
// its schemas.
func (rt *ResourceType) keeps(urn string) bool {
	if !rt.KeepUndeclared || len(urn) <= len(rt.ID)+1 {
		return false
	}
	tail := urn[len(urn)-len(rt.ID)-1:]
	if tail[0] != ':' || !strings.EqualFold(tail[1:], rt.ID) {
		return false
	}
	p := &docParser{}
	p.urn(urn)
	return len(p.problems) == 0
}

// keptSchema is the schema of an extension rt keeps without a
// declaration: any attribute, of type Any.
func keptSchema(urn string) *Schema {
	return &Schema{ID: urn, kept: true}
}

// Undeclared reports whether s stands for an extension its resource type
// keeps without a declaration.
func (s *Schema) Undeclared() bool { return s.kept }

// keptAttr is the attribute name of a kept extension, or of a value of
// one: nil if name is not an ATTRNAME.
func keptAttr(name string, sub bool) *Attribute {
	if nameProblem(name, sub) != "" {
		return nil
	}
	return &Attribute{Name: name, Type: Any, Mutability: ReadWrite, Returned: Default, Uniqueness: None}
}

// sameSchema and sameAttr report whether two resolved schemas or
// attributes are the same: those of kept extensions are made for each
// path, and are the same when named the same.
func sameSchema(x, y *Schema) bool {
	return x == y || x != nil && y != nil && x.kept && y.kept && x.ID == y.ID
}

func sameAttr(x, y *Attribute) bool {
	return x == y || x != nil && y != nil && x.Type == Any && y.Type == Any && x.Name == y.Name
}

// KeptURNs returns the keys of doc under which rt keeps an extension it
// has not declared, sorted.
func (rt *ResourceType) KeptURNs(doc map[string]any) []string {
	if !rt.KeepUndeclared {
		return nil
	}
	var out []string
	for k, v := range doc {
		if _, ok := v.(map[string]any); ok && len(k) > 4 && strings.EqualFold(k[:4], "urn:") {
			if s := rt.SchemaByURN(k); s != nil && s.kept {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// CheckKept returns a 400 if doc keeps more under extensions not
// declared than MaxKeptExtensions and MaxKeptBytes allow.
func (rt *ResourceType) CheckKept(doc map[string]any) error {
	urns := rt.KeptURNs(doc)
	if len(urns) > MaxKeptExtensions {
		return scimerr.BadRequest(scimerr.InvalidValue,
			"a resource may keep attributes under at most %d extensions not declared, not %d; declare them (scimd schema set)", MaxKeptExtensions, len(urns))
	}
	n := 0
	for _, k := range urns {
		b, err := json.Marshal(doc[k])
		if err != nil {
			return scimerr.BadRequest(scimerr.InvalidValue, "the attributes under %s cannot be kept: %v", k, err)
		}
		n += len(b)
	}
	if n > MaxKeptBytes {
		return scimerr.BadRequest(scimerr.InvalidValue,
			"the attributes under extensions not declared (%s) take %d bytes as JSON, more than the %d a resource may keep; declare the extension (scimd schema set) or send less",
			strings.Join(urns, ", "), n, MaxKeptBytes)
	}
	return nil
}

// keptValue checks a value of an attribute named name of a kept
// extension and returns it without the null and empty values in it
// (RFC 7643 §2.5), nil if nothing is left: a simple value, an object of
// simple values, or an array of either. inArray and inObject say where v
// is.
func keptValue(name string, v any, inArray, inObject bool) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if strings.IndexByte(x, 0) >= 0 {
			return nil, scimerr.BadRequest(scimerr.InvalidValue, "attribute %q must be text without NUL characters", name)
		}
		if x == "" {
			return nil, nil
		}
		return x, nil
	case bool, json.Number, float64, int64, int:
		return x, nil
	case map[string]any:
		if inObject {
			return nil, scimerr.BadRequest(scimerr.InvalidValue,
				"attribute %q of an extension not declared holds an object within an object; SCIM attributes nest one level (RFC 7643 §2.3.8)", name)
		}
		out := make(map[string]any, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if p := nameProblem(k, true); p != "" {
				return nil, scimerr.BadRequest(scimerr.InvalidValue, "attribute %q: %s", name+"."+k, p)
			}
			sv, err := keptValue(name+"."+k, x[k], false, true)
			if err != nil {
				return nil, err
			}
			if sv != nil {
				out[k] = sv
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	case []any:
		if inArray || inObject {
			return nil, scimerr.BadRequest(scimerr.InvalidValue,
				"attribute %q of an extension not declared holds an array within an array or object; SCIM attributes nest one level (RFC 7643 §2.3.8)", name)
		}
		out := make([]any, 0, len(x))
		for _, e := range x {
			ev, err := keptValue(name, e, true, false)
			if err != nil {
				return nil, err
			}
			if ev != nil {
				out = append(out, ev)
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	return nil, scimerr.BadRequest(scimerr.InvalidValue, "attribute %q must be a JSON value", name)
}
