package schema

import (
	"strings"

	"github.com/scimd/scimd/internal/scimerr"
)

// Path is an attribute path resolved against a resource type:
// [schema URN ":"] attribute ["." sub-attribute] (RFC 7644 §3.10).
type Path struct {
	// Schema is the schema the attribute belongs to; nil for the common
	// attributes id, externalId and meta.
	Schema *Schema
	// Attr is the attribute; nil when the path names a whole extension.
	Attr *Attribute
	// Sub is the sub-attribute, or nil.
	Sub *Attribute
	// Extension reports whether Schema is an extension of the resource type,
	// so that the attribute lives under the schema URN in documents.
	Extension bool
}

// String returns the canonical form of the path: core and common attributes
// without a URN, extension attributes fully qualified.
func (p Path) String() string {
	var b strings.Builder
	if p.Extension {
		b.WriteString(p.Schema.ID)
		if p.Attr != nil {
			b.WriteByte(':')
		}
	}
	if p.Attr != nil {
		b.WriteString(p.Attr.Name)
	}
	if p.Sub != nil {
		b.WriteByte('.')
		b.WriteString(p.Sub.Name)
	}
	return b.String()
}

// Target returns the attribute the path ends at: Sub if set, else Attr.
func (p Path) Target() *Attribute {
	if p.Sub != nil {
		return p.Sub
	}
	return p.Attr
}

// SplitPath splits an attribute path into its schema URN (possibly empty),
// attribute name and sub-attribute name, without resolving them. URNs
// contain dots ("2.0") and colons, attribute names contain neither, so the
// attribute starts after the last colon.
func SplitPath(s string) (urn, name, sub string) {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		urn, s = s[:i], s[i+1:]
	}
	name, sub, _ = strings.Cut(s, ".")
	return urn, name, sub
}

// ParsePath parses and resolves an attribute path such as "userName",
// "name.givenName", "urn:ietf:params:scim:schemas:core:2.0:User:emails" or
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
// A bare extension URN resolves to a Path with a nil Attr.
func (rt *ResourceType) ParsePath(s string) (Path, error) {
	if s == "" {
		return Path{}, scimerr.BadRequest(scimerr.InvalidPath, "empty attribute path")
	}
	if len(s) > 4 && strings.EqualFold(s[:4], "urn:") {
		for _, sc := range rt.Schemas() {
			if strings.EqualFold(s, sc.ID) {
				if sc == rt.Schema {
					break
				}
				return Path{Schema: sc, Extension: true}, nil
			}
			if len(s) > len(sc.ID)+1 && strings.EqualFold(s[:len(sc.ID)], sc.ID) && s[len(sc.ID)] == ':' {
				name, sub, _ := strings.Cut(s[len(sc.ID)+1:], ".")
				return rt.Resolve(sc.ID, name, sub)
			}
		}
		if sc := rt.SchemaByURN(s); sc != nil && sc.kept {
			return Path{Schema: sc, Extension: true}, nil
		}
		if i := strings.LastIndexByte(s, ':'); rt.keeps(s[:i]) {
			name, sub, _ := strings.Cut(s[i+1:], ".")
			return rt.Resolve(s[:i], name, sub)
		}
		return Path{}, scimerr.BadRequest(scimerr.InvalidPath, "unknown schema in attribute path %q", s)
	}
	name, sub, _ := strings.Cut(s, ".")
	return rt.Resolve("", name, sub)
}

// Resolve resolves an attribute path given as its parts. urn may be empty.
func (rt *ResourceType) Resolve(urn, name, sub string) (Path, error) {
	var p Path
	if urn != "" {
		p.Schema = rt.SchemaByURN(urn)
		if p.Schema == nil {
			return Path{}, scimerr.BadRequest(scimerr.InvalidPath, "unknown schema %q", urn)
		}
		p.Extension = rt.IsExtension(p.Schema)
		p.Attr = p.Schema.Attr(name)
	} else {
		p.Schema = rt.Schema
		p.Attr = p.Schema.Attr(name)
	}
	if p.Attr == nil && !p.Extension {
		if a := find(commonAttrs, name); a != nil {
			p.Schema, p.Attr = nil, a
		}
	}
	if p.Attr == nil {
		return Path{}, scimerr.BadRequest(scimerr.InvalidPath, "unknown attribute %q", joinPath(urn, name, ""))
	}
	if sub != "" {
		if p.Attr.Type != Complex && p.Attr.Type != Any {
			return Path{}, scimerr.BadRequest(scimerr.InvalidPath, "attribute %q has no sub-attributes", p.Attr.Name)
		}
		p.Sub = p.Attr.Sub(sub)
		if p.Sub == nil {
			return Path{}, scimerr.BadRequest(scimerr.InvalidPath, "unknown attribute %q", joinPath(urn, name, sub))
		}
	}
	return p, nil
}

func joinPath(urn, name, sub string) string {
	s := name
	if urn != "" {
		s = urn + ":" + s
	}
	if sub != "" {
		s += "." + sub
	}
	return s
}

// Container returns the map that holds the path's attribute within doc: doc
// itself for core and common attributes, the extension object otherwise.
// With create set, a missing extension object is created.
func (p Path) Container(doc map[string]any, create bool) map[string]any {
	if !p.Extension {
		return doc
	}
	m, _ := doc[p.Schema.ID].(map[string]any)
	if m == nil && create {
		m = map[string]any{}
		doc[p.Schema.ID] = m
	}
	return m
}

// Get returns the value at the path's attribute in doc (ignoring Sub).
func (p Path) Get(doc map[string]any) any {
	c := p.Container(doc, false)
	if c == nil || p.Attr == nil {
		return nil
	}
	return c[p.Attr.Name]
}
