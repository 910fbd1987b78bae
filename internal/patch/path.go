package patch

import (
	"errors"
	"net/http"
	"strings"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
)

// Path is the target of a PATCH operation (RFC 7644 §3.5.2):
//
//	PATH = attrPath / valuePath [subAttr]
//
// that is "name.givenName", "emails[type eq \"work\"]" or
// "emails[type eq \"work\"].value", each optionally qualified with a schema
// URN, or a bare extension schema URN.
type Path struct {
	// Attr is the attribute the path names. Attr.Sub is set both for an
	// attrPath with a sub-attribute ("name.givenName") and for the subAttr
	// that follows a value filter ("emails[type eq \"work\"].value").
	// Attr.Attr is nil when the path is a bare extension schema URN.
	Attr schema.Path
	// Filter selects values of the multi-valued complex attribute
	// Attr.Attr; nil when the path has no value filter.
	Filter filter.Expr

	filterText string
}

// String returns the path in canonical form, with the value filter as the
// client wrote it.
func (p Path) String() string {
	if p.Filter == nil {
		return p.Attr.String()
	}
	base := p.Attr
	base.Sub = nil
	s := base.String() + "[" + p.filterText + "]"
	if p.Attr.Sub != nil {
		s += "." + p.Attr.Sub.Name
	}
	return s
}

// ParsePath parses and resolves a PATCH path against rt. Unknown attributes,
// malformed brackets and value filters on anything but a multi-valued
// complex attribute are 400 invalidPath (RFC 7644 §3.12).
func ParsePath(rt *schema.ResourceType, s string) (Path, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Path{}, scimerr.BadRequest(scimerr.InvalidPath, "empty path")
	}
	open := strings.IndexAny(s, "[]\"")
	if open < 0 {
		ap, err := rt.ParsePath(s)
		if err != nil {
			return Path{}, err
		}
		return Path{Attr: ap}, nil
	}
	if s[open] != '[' {
		return Path{}, scimerr.BadRequest(scimerr.InvalidPath, "unexpected %q in path %q", s[open], s)
	}
	closing := closingBracket(s, open+1)
	if closing < 0 {
		return Path{}, scimerr.BadRequest(scimerr.InvalidPath, "unterminated value filter in path %q", s)
	}
	attrText, filterText, rest := s[:open], s[open+1:closing], s[closing+1:]

	ap, err := rt.ParsePath(attrText)
	if err != nil {
		return Path{}, err
	}
	// valuePath = attrPath "[" valFilter "]" selects values of a
	// multi-valued complex attribute; a sub-attribute may only follow the
	// closing bracket.
	if ap.Attr == nil || ap.Sub != nil || !ap.Attr.MultiValued || ap.Attr.Type != schema.Complex {
		return Path{}, scimerr.BadRequest(scimerr.InvalidPath,
			"a value filter in path %q must follow a multi-valued complex attribute", s)
	}
	expr, err := filter.ParseValueFilter(rt, ap, filterText)
	if err != nil {
		return Path{}, filterError(err, s)
	}
	if expr == nil {
		return Path{}, scimerr.BadRequest(scimerr.InvalidPath, "empty value filter in path %q", s)
	}
	if rest != "" {
		name, ok := strings.CutPrefix(rest, ".")
		if !ok || name == "" {
			return Path{}, scimerr.BadRequest(scimerr.InvalidPath, "unexpected %q after the value filter in path %q", rest, s)
		}
		ap.Sub = ap.Attr.Sub(name)
		if ap.Sub == nil {
			return Path{}, scimerr.BadRequest(scimerr.InvalidPath, "unknown sub-attribute %q in path %q", name, s)
		}
	}
	return Path{Attr: ap, Filter: expr, filterText: filterText}, nil
}

// closingBracket returns the index of the "]" that ends a value filter
// starting at s[from:], skipping brackets inside quoted strings (with JSON
// backslash escapes, RFC 7644 §3.4.2.2), or -1.
func closingBracket(s string, from int) int {
	inString := false
	for i := from; i < len(s); i++ {
		switch c := s[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && c == ']':
			return i
		}
	}
	return -1
}

// filterError reports a malformed value filter as invalidPath: in PATCH the
// filter is part of the path (RFC 7644 §3.5.2), and invalidFilter is for
// the filter query parameter.
func filterError(err error, path string) error {
	var e *scimerr.Error
	if errors.As(err, &e) && e.Status == http.StatusBadRequest {
		if e.ScimType == scimerr.InvalidPath {
			return e
		}
		out := scimerr.BadRequest(scimerr.InvalidPath, "invalid value filter in path %q: %s", path, e.Detail)
		out.Err = e.Err
		return out
	}
	out := scimerr.BadRequest(scimerr.InvalidPath, "invalid value filter in path %q", path)
	out.Err = err
	return out
}
