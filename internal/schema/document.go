package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Limits on a declared schema document, so that one declaration cannot
// make every request of its workspace slow.
const (
	MaxAttributes    = 200 // attributes and sub-attributes, together
	MaxNameLength    = 128
	MaxURNLength     = 256
	maxCanonical     = 100
	maxDescription   = 2000
	maxDocumentBytes = 256 << 10
)

// DocumentError lists every problem of a schema document, each naming
// where it is (attributes[2].type) and what to do about it.
type DocumentError struct {
	Problems []string
}

func (e *DocumentError) Error() string {
	return "invalid schema document: " + strings.Join(e.Problems, "; ")
}

// ParseDocument parses and validates an extension schema declared by an
// operator: an RFC 7643 §7 schema document, as /Schemas serves them. The
// characteristics left out take their RFC 7643 §2.2 defaults. It refuses
// the URNs of the schemas scimd defines itself, names that are not
// ATTRNAMEs (RFC 7643 §2.1), names used twice, complex sub-attributes
// (RFC 7643 §2.3.8) and characteristics scimd cannot honour, with a
// *DocumentError that lists them all.
func ParseDocument(data []byte) (*Schema, error) {
	if len(data) > maxDocumentBytes {
		return nil, &DocumentError{Problems: []string{fmt.Sprintf("the document has %d bytes, more than the %d allowed", len(data), maxDocumentBytes)}}
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, &DocumentError{Problems: []string{"not JSON: " + err.Error()}}
	}
	if d.More() {
		return nil, &DocumentError{Problems: []string{"more than one JSON value"}}
	}
	return DocumentFromJSON(v)
}

// DocumentFromJSON is ParseDocument for a document already decoded from
// JSON (numbers as float64 or json.Number).
func DocumentFromJSON(v any) (*Schema, error) {
	p := &docParser{}
	s := p.schema(v)
	if len(p.problems) > 0 {
		return nil, &DocumentError{Problems: p.problems}
	}
	return s, nil
}

type docParser struct {
	problems []string
	count    int
}

func (p *docParser) fail(where, format string, args ...any) {
	if len(p.problems) == 20 {
		p.problems = append(p.problems, "(and more)")
	}
	if len(p.problems) > 20 {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if where != "" {
		msg = where + ": " + msg
	}
	p.problems = append(p.problems, msg)
}

// reservedURNs are the schemas scimd defines, which no declaration may
// replace; reservedPrefixes are namespaces of RFC 7643 and RFC 7644 other
// than extensions.
var (
	reservedURNs     = []string{UserURN, GroupURN, EnterpriseUserURN, ServiceProviderConfigURN, ResourceTypeURN, SchemaURN}
	reservedPrefixes = []string{"urn:ietf:params:scim:schemas:core:", "urn:ietf:params:scim:api:"}
)

func (p *docParser) schema(v any) *Schema {
	obj, ok := v.(map[string]any)
	if !ok {
		p.fail("", "a schema document must be a JSON object with id, name, description and attributes (RFC 7643 §7)")
		return nil
	}
	s := &Schema{}
	for k, v := range obj {
		switch k {
		case "id":
			s.ID = p.str(k, v)
		case "name":
			s.Name = p.str(k, v)
		case "description":
			s.Description = p.str(k, v)
			if len(s.Description) > maxDescription {
				p.fail(k, "longer than %d bytes", maxDescription)
			}
		case "attributes":
			s.Attributes = p.attributes(k, v, false)
		case "schemas", "meta":
			// As /Schemas serves a schema: accepted and not kept.
		default:
			p.fail(k, "unknown field; a schema has id, name, description and attributes")
		}
	}
	p.urn(s.ID)
	if _, ok := obj["attributes"]; !ok {
		p.fail("attributes", "missing: declare at least one attribute")
	}
	if s.Name == "" {
		s.Name = s.ID[strings.LastIndexByte(s.ID, ':')+1:]
	}
	return s
}

// urn checks a schema URN: "urn:" and segments separated by colons, of
// letters, digits and "-._", so that it reads unambiguously in attribute
// paths and filters (RFC 7644 §3.10).
func (p *docParser) urn(id string) {
	switch {
	case id == "":
		p.fail("id", "missing: the schema's URN, e.g. urn:ietf:params:scim:schemas:extension:acme:2.0:User")
		return
	case len(id) > MaxURNLength:
		p.fail("id", "longer than %d bytes", MaxURNLength)
		return
	case !strings.HasPrefix(strings.ToLower(id), "urn:"):
		p.fail("id", "%q is not a URN; use urn:ietf:params:scim:schemas:extension:NAME:2.0:User or a URN of your own", id)
		return
	}
	for _, r := range reservedURNs {
		if strings.EqualFold(id, r) {
			p.fail("id", "%q is defined by scimd (RFC 7643) and cannot be declared; choose a URN of your own", id)
			return
		}
	}
	for _, r := range reservedPrefixes {
		if len(id) >= len(r) && strings.EqualFold(id[:len(r)], r) {
			p.fail("id", "%q is in the namespace %s that RFC 7643 and 7644 reserve; extensions go under urn:ietf:params:scim:schemas:extension: or a URN of your own", id, r)
			return
		}
	}
	for i, seg := range strings.Split(id, ":") {
		if seg == "" {
			p.fail("id", "%q has an empty segment %d between colons", id, i+1)
			return
		}
		for _, c := range seg {
			if !isAlnum(c) && c != '-' && c != '.' && c != '_' {
				p.fail("id", "%q has %q; a URN here is made of letters, digits and -._ between colons", id, c)
				return
			}
		}
	}
	if strings.Count(id, ":") < 2 {
		p.fail("id", "%q has no namespace-specific part; e.g. urn:acme:scim:User", id)
	}
}

func isAlpha(c rune) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isAlnum(c rune) bool { return isAlpha(c) || c >= '0' && c <= '9' }

func (p *docParser) str(where string, v any) string {
	s, ok := v.(string)
	if !ok {
		p.fail(where, "must be a string, not %s", jsonKind(v))
	}
	return s
}

func (p *docParser) boolean(where string, v any) bool {
	b, ok := v.(bool)
	if !ok {
		p.fail(where, "must be true or false, not %s", jsonKind(v))
	}
	return b
}

func (p *docParser) strings(where string, v any, limit int) []string {
	list, ok := v.([]any)
	if !ok {
		p.fail(where, "must be an array of strings, not %s", jsonKind(v))
		return nil
	}
	if len(list) > limit {
		p.fail(where, "has %d values, more than the %d allowed", len(list), limit)
		return nil
	}
	var out []string // nil for none, as it reads back when served
	for i, e := range list {
		out = append(out, p.str(fmt.Sprintf("%s[%d]", where, i), e))
	}
	return out
}

// oneOf checks an enumerated characteristic.
func oneOf[T ~string](p *docParser, where string, v any, values ...T) T {
	s, ok := v.(string)
	if !ok {
		p.fail(where, "must be a string, one of %s", joinValues(values))
		return values[0]
	}
	if !slices.Contains(values, T(s)) {
		p.fail(where, "%q is not one of %s", s, joinValues(values))
		return values[0]
	}
	return T(s)
}

func joinValues[T ~string](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func (p *docParser) attributes(where string, v any, sub bool) []*Attribute {
	list, ok := v.([]any)
	if !ok {
		p.fail(where, "must be an array of attribute definitions, not %s", jsonKind(v))
		return nil
	}
	if len(list) == 0 {
		p.fail(where, "is empty: declare at least one attribute")
	}
	out := make([]*Attribute, 0, len(list))
	seen := map[string]string{}
	for i, e := range list {
		at := fmt.Sprintf("%s[%d]", where, i)
		p.count++
		if p.count == MaxAttributes+1 {
			p.fail(at, "more than %d attributes and sub-attributes in one schema", MaxAttributes)
		}
		if p.count > MaxAttributes {
			break
		}
		a := p.attribute(at, e, sub)
		if a == nil {
			continue
		}
		if a.Name != "" {
			key := strings.ToLower(a.Name)
			if prev, ok := seen[key]; ok {
				p.fail(at+".name", "%q is declared already at %s; names are compared case-insensitively (RFC 7643 §2.1)", a.Name, prev)
			}
			seen[key] = at
		}
		out = append(out, a)
	}
	return out
}

var (
	types        = []Type{String, Boolean, Decimal, Integer, DateTime, Reference, Complex, Binary}
	mutabilities = []Mutability{ReadWrite, Immutable, ReadOnly, WriteOnly}
	returneds    = []Returned{Default, Always, Never, Request}
	uniquenesses = []Uniqueness{None, Server, Global}
)

func (p *docParser) attribute(where string, v any, sub bool) *Attribute {
	obj, ok := v.(map[string]any)
	if !ok {
		p.fail(where, "must be an object with name, type and the attribute's characteristics, not %s", jsonKind(v))
		return nil
	}
	a := &Attribute{Mutability: ReadWrite, Returned: Default, Uniqueness: None}
	var subs any
	caseExactSet := false
	for k, v := range obj {
		at := where + "." + k
		switch k {
		case "name":
			a.Name = p.str(at, v)
		case "type":
			a.Type = oneOf(p, at, v, types...)
		case "multiValued":
			a.MultiValued = p.boolean(at, v)
		case "description":
			a.Description = p.str(at, v)
			if len(a.Description) > maxDescription {
				p.fail(at, "longer than %d bytes", maxDescription)
			}
		case "required":
			a.Required = p.boolean(at, v)
		case "canonicalValues":
			a.CanonicalValues = p.strings(at, v, maxCanonical)
		case "caseExact":
			a.CaseExact, caseExactSet = p.boolean(at, v), true
		case "mutability":
			a.Mutability = oneOf(p, at, v, mutabilities...)
		case "returned":
			a.Returned = oneOf(p, at, v, returneds...)
		case "uniqueness":
			a.Uniqueness = oneOf(p, at, v, uniquenesses...)
		case "referenceTypes":
			a.ReferenceTypes = p.strings(at, v, maxCanonical)
		case "subAttributes":
			subs = v
		default:
			p.fail(at, "unknown characteristic; RFC 7643 §7 defines name, type, multiValued, description, required, canonicalValues, caseExact, mutability, returned, uniqueness, referenceTypes and subAttributes")
		}
	}
	p.name(where+".name", a.Name, sub)
	if _, ok := obj["type"]; !ok {
		p.fail(where+".type", "missing: one of %s", joinValues(types))
	}
	if !caseExactSet && (a.Type == Reference || a.Type == Binary) {
		a.CaseExact = true // as for the core schemas (see attr)
	}
	switch {
	case a.Type == Complex && sub:
		p.fail(where+".type", "a sub-attribute cannot be complex (RFC 7643 §2.3.8): sub-attributes of sub-attributes are not allowed")
	case a.Type == Complex && subs == nil:
		p.fail(where+".subAttributes", "missing: a complex attribute needs its sub-attributes")
	case a.Type == Complex:
		a.SubAttributes = p.attributes(where+".subAttributes", subs, true)
	case subs != nil:
		p.fail(where+".subAttributes", "only complex attributes have sub-attributes; this one is of type %q", a.Type)
	}
	if a.Mutability == WriteOnly {
		p.fail(where+".mutability", "writeOnly is not supported: scimd stores no value it cannot return; use returned \"never\" for a value stored and never returned")
	}
	if a.Uniqueness == Global {
		p.fail(where+".uniqueness", "global is not supported: scimd can keep values unique within a workspace; use \"server\"")
	}
	if a.Uniqueness == Server && (sub || a.MultiValued || a.Type == Complex || a.Type == Boolean) {
		p.fail(where+".uniqueness", "\"server\" is supported on single-valued top-level attributes that are not complex or boolean")
	}
	if len(a.CanonicalValues) > 0 && a.Type != String && a.Type != Reference {
		p.fail(where+".canonicalValues", "only string attributes have canonical values; this one is of type %q", a.Type)
	}
	if len(a.ReferenceTypes) > 0 && a.Type != Reference {
		p.fail(where+".referenceTypes", "only reference attributes have reference types; this one is of type %q", a.Type)
	}
	return a
}

// name checks an ATTRNAME (see nameProblem).
func (p *docParser) name(where, name string, sub bool) {
	if problem := nameProblem(name, sub); problem != "" {
		p.fail(where, "%s", problem)
	}
}

// nameProblem says what is wrong with an attribute's name, or "": it
// must be an ATTRNAME (RFC 7643 §2.1), ALPHA *(nameChar), nameChar "-",
// "_", DIGIT or ALPHA; or "$ref", which RFC 7643 §2.3.7 gives to
// references within complex attributes.
func nameProblem(name string, sub bool) string {
	switch {
	case name == "":
		return "missing"
	case len(name) > MaxNameLength:
		return fmt.Sprintf("longer than %d bytes", MaxNameLength)
	case name == "$ref" && sub:
		return ""
	}
	for i, c := range name {
		if i == 0 && !isAlpha(c) {
			return fmt.Sprintf("%q must start with a letter (RFC 7643 §2.1)", name)
		}
		if !isAlnum(c) && c != '-' && c != '_' {
			return fmt.Sprintf("%q has %q; names are letters, digits, - and _ (RFC 7643 §2.1)", name, c)
		}
	}
	return ""
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// Compare says what a new declaration of an extension changes for the
// values stored under the old one, in sentences for the operator:
// attributes removed and attributes whose type or multiValued changed.
// Adding attributes changes nothing stored.
func Compare(old, new *Schema) []string {
	var notes []string
	var walk func(prefix string, old, new []*Attribute)
	walk = func(prefix string, old, new []*Attribute) {
		for _, o := range old {
			n := find(new, o.Name)
			name := prefix + o.Name
			switch {
			case n == nil:
				notes = append(notes, fmt.Sprintf("%s is no longer declared: its stored values are kept but neither returned nor filterable; declaring it again brings them back", name))
			case n.Type != o.Type || n.MultiValued != o.MultiValued:
				notes = append(notes, fmt.Sprintf("%s changes from %s to %s: stored values that are not %s are kept but neither returned nor filterable", name, shape(o), shape(n), shape(n)))
			case o.Type == Complex:
				walk(name+".", o.SubAttributes, n.SubAttributes)
			}
		}
	}
	walk("", old.Attributes, new.Attributes)
	return notes
}

func shape(a *Attribute) string {
	if a.MultiValued {
		return "multi-valued " + string(a.Type)
	}
	return string(a.Type)
}
