package schema

import (
	"errors"
	"strings"

	"github.com/scimd/scimd/internal/scimerr"
)

// Selection is the attribute selection of a request: the "attributes" and
// "excludedAttributes" parameters (RFC 7644 §3.4.2.5 and §3.9).
type Selection struct {
	include []Path
	exclude []Path
	// all selects every attribute that is ever returned, as if each
	// were asked for (see Returnable).
	all bool
}

// Returnable returns the part of a stored document that SCIM may ever
// return: every attribute but those returned "never", those returned
// "request" included, and of each extension what its declaration admits
// (see Declared). Events carry it and audit diffs compare it, so that
// neither shows what SCIM never would.
func (rt *ResourceType) Returnable(doc map[string]any) map[string]any {
	if doc == nil {
		return nil
	}
	return Selection{all: true}.Apply(rt, doc)
}

// ParseSelection parses comma-separated attribute lists, either of which may
// be empty. Unknown attributes are a 400 invalidValue.
func (rt *ResourceType) ParseSelection(attributes, excluded string) (Selection, error) {
	var sel Selection
	var err error
	if sel.include, err = rt.parseList(attributes); err != nil {
		return sel, err
	}
	sel.exclude, err = rt.parseList(excluded)
	return sel, err
}

func (rt *ResourceType) parseList(s string) ([]Path, error) {
	var ps []Path
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := rt.ParsePath(part)
		if err != nil {
			var e *scimerr.Error
			if errors.As(err, &e) {
				e.ScimType = scimerr.InvalidValue
			}
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// Default reports whether sel names no attributes, either way: a
// resource is returned with its attributes returned by default.
func (sel Selection) Default() bool { return len(sel.include) == 0 && len(sel.exclude) == 0 }

// Includes reports whether the response will contain attribute a (or any of
// its sub-attributes) of schema s, so that a store need not read what the
// response will not show.
func (sel Selection) Includes(s *Schema, a *Attribute) bool {
	return sel.keep(s, a) != dropAll
}

type decision int

const (
	keepAll decision = iota
	dropAll
	keepSome // only the sub-attributes selected
)

func (sel Selection) keep(s *Schema, a *Attribute) decision {
	switch a.Returned {
	case Never:
		return dropAll
	case Always:
		return keepAll
	}
	if sel.all {
		return keepAll
	}
	if len(sel.include) > 0 {
		d := dropAll
		for _, p := range sel.include {
			if p.Attr == nil && sameSchema(p.Schema, s) { // a whole extension
				return keepAll
			}
			if sameAttr(p.Attr, a) && sameSchema(p.Schema, s) {
				if p.Sub == nil {
					return keepAll
				}
				d = keepSome
			}
		}
		return d
	}
	if a.Returned == Request {
		return dropAll
	}
	d := keepAll
	for _, p := range sel.exclude {
		if p.Attr == nil && sameSchema(p.Schema, s) {
			return dropAll
		}
		if sameAttr(p.Attr, a) && sameSchema(p.Schema, s) {
			if p.Sub == nil {
				return dropAll
			}
			d = keepSome
		}
	}
	return d
}

// subKept reports whether sub-attribute sub of a survives a keepSome
// decision.
func (sel Selection) subKept(s *Schema, a, sub *Attribute) bool {
	if sub.Returned == Never {
		return false
	}
	if len(sel.include) > 0 {
		for _, p := range sel.include {
			if sameSchema(p.Schema, s) && sameAttr(p.Attr, a) && sameAttr(p.Sub, sub) {
				return true
			}
		}
		return false
	}
	for _, p := range sel.exclude {
		if sameSchema(p.Schema, s) && sameAttr(p.Attr, a) && sameAttr(p.Sub, sub) {
			return false
		}
	}
	return true
}

// Apply returns the part of a rendered resource document that the
// selection asks for. "schemas" is always kept.
func (sel Selection) Apply(rt *ResourceType, doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k == "schemas" {
			out[k] = v
			continue
		}
		if s := rt.SchemaByURN(k); s != nil && rt.IsExtension(s) {
			ext, _ := v.(map[string]any)
			kept := make(map[string]any, len(ext))
			for ek, ev := range ext {
				// What an extension's declaration no longer admits
				// stays stored but is not shown (see Declared).
				if a := s.Attr(ek); a != nil {
					if dv := Declared(a, ev); dv != nil {
						sel.put(kept, s, a, ek, dv)
					}
				}
			}
			if len(kept) > 0 {
				out[k] = kept
			}
			continue
		}
		s := rt.Schema
		a := s.Attr(k)
		if a == nil {
			s, a = nil, find(commonAttrs, k)
		}
		if a == nil {
			continue
		}
		sel.put(out, s, a, k, v)
	}
	return out
}

func (sel Selection) put(out map[string]any, s *Schema, a *Attribute, k string, v any) {
	switch sel.keep(s, a) {
	case keepAll:
		out[k] = v
	case keepSome:
		filter := func(m map[string]any) map[string]any {
			kept := make(map[string]any, len(m))
			for sk, sv := range m {
				if sub := a.Sub(sk); sub != nil && sel.subKept(s, a, sub) {
					kept[sk] = sv
				}
			}
			return kept
		}
		switch v := v.(type) {
		case map[string]any:
			if m := filter(v); len(m) > 0 {
				out[k] = m
			}
		case []any:
			list := make([]any, 0, len(v))
			for _, e := range v {
				if m, ok := e.(map[string]any); ok {
					if m := filter(m); len(m) > 0 {
						list = append(list, m)
					}
				}
			}
			if len(list) > 0 {
				out[k] = list
			}
		}
	}
}
