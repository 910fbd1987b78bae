package schema

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/scimerr"
)

// Normalize turns a client-supplied resource document into canonical form:
// attribute names take their schema spelling, values are checked against
// attribute types, and what a client may not or need not write is dropped.
//
// It accepts what identity providers really send where RFC 7643 leaves room:
// "True"/"False" strings for booleans, a bare value for a complex attribute
// with a "value" sub-attribute (Entra's manager), a single value for a
// multi-valued attribute, and unknown attributes or schemas, which are
// ignored. id, meta, schemas, read-only attributes and password are dropped.
// Null and empty values are dropped as unassigned (RFC 7643 §2.5).
func (rt *ResourceType) Normalize(in map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(in))
	for k, v := range in {
		if err := rt.normalizeKey(out, k, v); err != nil {
			return nil, err
		}
	}
	if err := rt.CheckKept(out); err != nil {
		return nil, err
	}
	return out, nil
}

func (rt *ResourceType) normalizeKey(out map[string]any, k string, v any) error {
	if strings.EqualFold(k, "schemas") {
		return nil
	}
	if len(k) > 4 && strings.EqualFold(k[:4], "urn:") {
		if s := rt.SchemaByURN(k); s != nil {
			obj, ok := v.(map[string]any)
			if v == nil {
				return nil
			}
			if !ok {
				return scimerr.BadRequest(scimerr.InvalidValue, "%q must be an object of that schema's attributes", k)
			}
			if s == rt.Schema {
				for kk, vv := range obj {
					if err := rt.normalizeKey(out, kk, vv); err != nil {
						return err
					}
				}
				return nil
			}
			ext, _ := out[s.ID].(map[string]any)
			if ext == nil {
				ext = map[string]any{}
			}
			for kk, vv := range obj {
				a := s.Attr(kk)
				if a == nil && s.kept {
					return scimerr.BadRequest(scimerr.InvalidValue, "attribute %q of %s: %s", kk, s.ID, nameProblem(kk, false))
				}
				if a != nil {
					if err := setNormalized(ext, a, vv); err != nil {
						return err
					}
				}
			}
			if len(ext) > 0 {
				out[s.ID] = ext
			}
			return nil
		}
		// A fully qualified attribute used as a key, as in path-less PATCH
		// values; unknown schemas (legacy SCIM 1.1, vendor extensions) are
		// ignored.
		p, err := rt.ParsePath(k)
		if err != nil || p.Attr == nil {
			return nil
		}
		if p.Sub != nil {
			v = map[string]any{p.Sub.Name: v}
		}
		c := p.Container(out, true)
		err = setNormalized(c, p.Attr, v)
		if p.Extension && len(c) == 0 {
			delete(out, p.Schema.ID) // nothing set in an extension
		}
		return err
	}
	a := rt.Schema.Attr(k)
	if a == nil && strings.EqualFold(k, externalIDAttr.Name) {
		a = externalIDAttr
	}
	if a == nil {
		return nil
	}
	return setNormalized(out, a, v)
}

func setNormalized(m map[string]any, a *Attribute, v any) error {
	if !writable(a) {
		return nil
	}
	nv, err := NormalizeValue(a, v)
	if err != nil {
		return err
	}
	if nv == nil {
		delete(m, a.Name)
		return nil
	}
	old, ok := m[a.Name].(map[string]any)
	if nm, isMap := nv.(map[string]any); ok && isMap && (a.Type == Complex && !a.MultiValued || a.Type == Any) {
		// Two keys for the same complex attribute ("name" and
		// "name.givenName"): merge them.
		for k, v := range nm {
			old[k] = v
		}
		return nil
	}
	m[a.Name] = nv
	return nil
}

// writable reports whether clients may set the attribute. password is
// write-only, but scimd discards it (see defs.go).
func writable(a *Attribute) bool {
	return a.Mutability != ReadOnly && a.Mutability != WriteOnly
}

// NormalizeValue checks and canonicalises one value of attribute a. It
// returns nil for a null or empty value.
func NormalizeValue(a *Attribute, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if a.MultiValued {
		list, ok := v.([]any)
		if !ok {
			list = []any{v}
		}
		out := make([]any, 0, len(list))
		primaries := 0
		for _, e := range list {
			ne, err := normalizeSingle(a, e)
			if err != nil {
				return nil, err
			}
			if ne == nil {
				continue
			}
			if m, ok := ne.(map[string]any); ok && m["primary"] == true {
				primaries++
			}
			out = append(out, ne)
		}
		if primaries > 1 {
			return nil, scimerr.BadRequest(scimerr.InvalidValue, "at most one value of %q may be primary", a.Name)
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	return normalizeSingle(a, v)
}

func normalizeSingle(a *Attribute, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if a.Type != Complex {
		return coerce(a, v)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		// A bare value for a complex attribute: Entra sends manager as an
		// id, some clients send emails as plain strings.
		if _, isList := v.([]any); !isList && a.Sub("value") != nil {
			obj = map[string]any{"value": v}
		} else {
			return nil, scimerr.BadRequest(scimerr.InvalidValue, "attribute %q must be an object", a.Name)
		}
	}
	out := make(map[string]any, len(obj))
	for k, sv := range obj {
		sa := a.Sub(k)
		if sa == nil || !writable(sa) {
			continue
		}
		nv, err := coerce(sa, sv)
		if err != nil {
			return nil, err
		}
		if nv != nil {
			out[sa.Name] = nv
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// coerce checks a simple (non-complex) value against the attribute's type.
func coerce(a *Attribute, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func(want string) error {
		return scimerr.BadRequest(scimerr.InvalidValue, "attribute %q must be %s", a.Name, want)
	}
	switch a.Type {
	case String, Reference:
		s, ok := v.(string)
		if !ok {
			return nil, bad("a string")
		}
		if strings.IndexByte(s, 0) >= 0 {
			return nil, bad("text without NUL characters")
		}
		if s == "" && a.Type == Reference {
			return nil, nil
		}
		return s, nil
	case Boolean:
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			switch strings.ToLower(b) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
		return nil, bad("a boolean")
	case Integer:
		switch n := v.(type) {
		case json.Number:
			i, err := n.Int64()
			if err != nil {
				return nil, bad("an integer")
			}
			return i, nil
		case float64:
			if n != math.Trunc(n) {
				return nil, bad("an integer")
			}
			return int64(n), nil
		case int64:
			return n, nil
		case int:
			return int64(n), nil
		}
		return nil, bad("an integer")
	case Decimal:
		switch n := v.(type) {
		case json.Number:
			f, err := n.Float64()
			if err != nil {
				return nil, bad("a number")
			}
			return f, nil
		case float64:
			return n, nil
		case int64:
			return float64(n), nil
		}
		return nil, bad("a number")
	case DateTime:
		s, ok := v.(string)
		if !ok {
			return nil, bad("a dateTime string")
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return nil, bad("an xsd:dateTime such as 2008-01-23T04:56:22Z")
		}
		return s, nil
	case Binary:
		s, ok := v.(string)
		if !ok {
			return nil, bad("a base64 string")
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			if _, err := base64.RawStdEncoding.DecodeString(s); err != nil {
				return nil, bad("base64-encoded")
			}
		}
		return s, nil
	case Any:
		return keptValue(a.Name, v, false, false)
	}
	return nil, bad("a simple value")
}

// CheckRequired returns an error if a required attribute is missing from a
// normalised document, or a required extension (RFC 7643 §6
// schemaExtensions[].required). The required attributes of an extension
// that is not required are required when it is present.
func (rt *ResourceType) CheckRequired(doc map[string]any) error {
	return rt.CheckRequiredChange(nil, doc)
}

// CheckRequiredChange is CheckRequired for a document changed from
// before (nil for a new one): a required extension that before lacked
// may stay missing, so that a resource stored before its extension was
// required can still be changed by requests, such as PATCHes, that do
// not send it; and an extension the change left as it was is not
// checked at all, for the same reason when one of its attributes became
// required.
func (rt *ResourceType) CheckRequiredChange(before, doc map[string]any) error {
	for _, s := range rt.Schemas() {
		c := doc
		if rt.IsExtension(s) {
			var ok bool
			if c, ok = doc[s.ID].(map[string]any); !ok {
				if rt.extensionRequired(s) && (before == nil || before[s.ID] != nil) {
					return scimerr.BadRequest(scimerr.InvalidValue, "the extension %s is required", s.ID)
				}
				continue
			}
			// An extension a PATCH left as it was is not checked: it
			// may predate a required attribute declared since, and an
			// identity provider's unrelated update must still apply.
			if before != nil && reflect.DeepEqual(before[s.ID], doc[s.ID]) {
				continue
			}
		}
		for _, a := range s.Attributes {
			if err := checkRequiredSubs(a, c[a.Name]); err != nil {
				return err
			}
			if !a.Required {
				continue
			}
			if v, ok := c[a.Name]; !ok || v == "" {
				if rt.IsExtension(s) {
					return scimerr.BadRequest(scimerr.InvalidValue, "required attribute %q of %s is missing", a.Name, s.ID)
				}
				return scimerr.BadRequest(scimerr.InvalidValue, "required attribute %q is missing", a.Name)
			}
		}
	}
	return nil
}

// checkRequiredSubs returns an error if a value of the complex attribute
// a lacks a required sub-attribute.
func checkRequiredSubs(a *Attribute, v any) error {
	if a.Type != Complex || v == nil {
		return nil
	}
	values, ok := v.([]any)
	if !ok {
		values = []any{v}
	}
	for _, sub := range a.SubAttributes {
		if !sub.Required {
			continue
		}
		for _, e := range values {
			if m, ok := e.(map[string]any); ok {
				if sv, ok := m[sub.Name]; !ok || sv == "" {
					return scimerr.BadRequest(scimerr.InvalidValue, "required sub-attribute %q of %q is missing", sub.Name, a.Name)
				}
			}
		}
	}
	return nil
}

func (rt *ResourceType) extensionRequired(s *Schema) bool {
	for _, e := range rt.Extensions {
		if e.Schema == s {
			return e.Required
		}
	}
	return false
}
