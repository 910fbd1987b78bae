package filter

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
)

// Limits that keep parsing, evaluation and the queries compiled from a
// filter bounded whatever a client sends.
const (
	// MaxLength is the longest filter accepted, in bytes.
	MaxLength = 10000
	// MaxDepth is the deepest nesting accepted of parentheses, "not (" and
	// value-path brackets.
	MaxDepth = 50
	// MaxTerms is the most comparisons one filter may hold. and/or chains
	// nest as deep as they are long, in SQL as in the tree, and SQL
	// engines bound expression depth (SQLite at 1000).
	MaxTerms = 200
)

// checkTerms refuses a filter with more than MaxTerms comparisons.
func checkTerms(e Expr, err error) (Expr, error) {
	if err != nil {
		return nil, err
	}
	n := 0
	var count func(Expr)
	count = func(e Expr) {
		switch e := e.(type) {
		case *And:
			count(e.Left)
			count(e.Right)
		case *Or:
			count(e.Left)
			count(e.Right)
		case *Not:
			count(e.X)
		case *ValuePath:
			count(e.Filter)
		default:
			n++
		}
	}
	count(e)
	if n > MaxTerms {
		return nil, scimerr.BadRequest(scimerr.InvalidFilter, "filter has %d comparisons; the limit is %d", n, MaxTerms)
	}
	return e, nil
}

// Parse parses a filter and resolves its attribute paths against rt.
// Every error is a 400 invalidFilter *scimerr.Error.
func Parse(rt *schema.ResourceType, s string) (Expr, error) {
	p, err := newParser(rt, s)
	if err != nil {
		return nil, err
	}
	return checkTerms(p.parse())
}

// ParseValueFilter parses the text between the brackets of a value path
// (e.g. `type eq "work" and value co "@x.com"` for attr = emails); paths
// inside resolve to sub-attributes of attr (schema.Path with Attr=attr.Attr,
// Sub=the sub attribute). attr must name a multi-valued complex attribute
// without a sub-attribute. Every error is a 400 invalidFilter
// *scimerr.Error.
//
// Format prints the result with full paths ("emails.type eq ..."); to print
// it as a value path, format &ValuePath{Path: attr, Filter: e}.
func ParseValueFilter(rt *schema.ResourceType, attr schema.Path, s string) (Expr, error) {
	if !isMultiComplex(attr) {
		return nil, scimerr.BadRequest(scimerr.InvalidFilter,
			"a value filter applies to a multi-valued complex attribute, and %q is not one", attr.String())
	}
	p, err := newParser(rt, s)
	if err != nil {
		return nil, err
	}
	p.vattr = &attr
	p.depth = 1 // as inside the brackets of attr[...]
	return checkTerms(p.parse())
}

type parser struct {
	rt    *schema.ResourceType
	src   string
	toks  []token
	i     int
	depth int
	// vattr is the multi-valued attribute whose sub-attributes paths name,
	// inside brackets or in a value filter; nil at the top level.
	vattr *schema.Path
}

func newParser(rt *schema.ResourceType, s string) (*parser, error) {
	if len(s) > MaxLength {
		return nil, scimerr.BadRequest(scimerr.InvalidFilter,
			"filter is %d bytes long; the limit is %d", len(s), MaxLength)
	}
	if !utf8.ValidString(s) {
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return nil, errAt(i, "invalid UTF-8")
			}
			i += n
		}
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	return &parser{rt: rt, src: s, toks: toks}, nil
}

// errAt returns an invalidFilter error whose detail ends with the 1-based
// byte position the problem was found at.
func errAt(pos int, format string, args ...any) error {
	return scimerr.BadRequest(scimerr.InvalidFilter, "%s at position %d", fmt.Sprintf(format, args...), pos+1)
}

func (p *parser) peek() token { return p.toks[p.i] }

// peekAt returns the token n places after the next one (tEOF past the end).
func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// isKeyword reports whether t is the (case-insensitive) keyword kw.
func isKeyword(t token, kw string) bool {
	return t.kind == tWord && strings.EqualFold(t.text, kw)
}

// describe names a token for an error message.
func (p *parser) describe(t token) string {
	if t.kind == tEOF {
		return "end of filter"
	}
	s := p.src[t.pos:t.end]
	if len(s) > 40 {
		n := 40
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "..."
	}
	if t.kind == tString {
		return "string " + s
	}
	return strconv.Quote(s)
}

func (p *parser) unexpected(t token, want string) error {
	return errAt(t.pos, "expected %s but found %s", want, p.describe(t))
}

func (p *parser) parse() (Expr, error) {
	if p.peek().kind == tEOF {
		return nil, scimerr.BadRequest(scimerr.InvalidFilter, "empty filter")
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	switch t := p.peek(); t.kind {
	case tEOF:
		return e, nil
	case tRParen:
		return nil, errAt(t.pos, "unbalanced \")\": no \"(\" to close")
	case tRBrack:
		return nil, errAt(t.pos, "unbalanced \"]\": no \"[\" to close")
	default:
		return nil, p.unexpected(t, "\"and\", \"or\" or end of filter")
	}
}

// parseOr parses `and-expr *(or and-expr)`. The logical operators bind
// not > and > or (RFC 7644 §3.4.2.2) and group to the left.
func (p *parser) parseOr() (Expr, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for isKeyword(p.peek(), "or") {
		p.next()
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = &Or{Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) parseAnd() (Expr, error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for isKeyword(p.peek(), "and") {
		p.next()
		right, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		left = &And{Left: left, Right: right}
	}
	return left, nil
}

// parseUnary parses `"(" filter ")"`, `not "(" filter ")"`, an attribute
// expression or a value path.
func (p *parser) parseUnary() (Expr, error) {
	const want = "an attribute path, \"(\" or \"not\""
	t := p.peek()
	switch {
	case t.kind == tLParen:
		p.next()
		return p.parseGroup(t)
	case isKeyword(t, "not") && p.peekAt(1).kind == tLParen:
		p.next()
		x, err := p.parseGroup(p.next())
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case isKeyword(t, "and") || isKeyword(t, "or"):
		return nil, p.unexpected(t, want)
	case t.kind == tWord:
		return p.parseAttrExp()
	}
	return nil, p.unexpected(t, want)
}

// parseGroup parses the filter after the "(" open, and the ")".
func (p *parser) parseGroup(open token) (Expr, error) {
	if err := p.enter(open); err != nil {
		return nil, err
	}
	x, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if err := p.close(open, tRParen, ")"); err != nil {
		return nil, err
	}
	return x, nil
}

func (p *parser) enter(open token) error {
	p.depth++
	if p.depth > MaxDepth {
		return errAt(open.pos, "filter nests deeper than %d levels", MaxDepth)
	}
	return nil
}

// close consumes the token of kind closing open, or explains its absence.
func (p *parser) close(open token, kind tokKind, closer string) error {
	t := p.peek()
	if t.kind == kind {
		p.next()
		p.depth--
		return nil
	}
	if t.kind == tEOF {
		return errAt(open.pos, "unbalanced %q: no %q closes it", open.text, closer)
	}
	return p.unexpected(t, fmt.Sprintf("%q, \"and\" or \"or\"", closer))
}

// parseAttrExp parses `attrPath pr`, `attrPath compareOp compValue` or a
// value path `attrPath "[" valFilter "]"`.
func (p *parser) parseAttrExp() (Expr, error) {
	t := p.next()
	path, err := p.resolve(t)
	if err != nil {
		return nil, err
	}
	if p.peek().kind == tLBrack {
		return p.parseValuePath(path)
	}
	return p.parseCondition(t, path)
}

// resolve resolves the attribute path in word t: a sub-attribute name inside
// brackets, else [URN ":"] attribute ["." sub-attribute].
func (p *parser) resolve(t token) (schema.Path, error) {
	if strings.EqualFold(t.text, "not") {
		// Not an attribute of any SCIM schema; the client left out the
		// parentheses that the grammar requires.
		return schema.Path{}, errAt(p.peek().pos, "expected \"(\" after \"not\"")
	}
	if p.vattr != nil {
		if !isName(t.text) {
			return schema.Path{}, errAt(t.pos,
				"%q is not a sub-attribute name; inside brackets, paths name sub-attributes of %q", t.text, p.vattr.String())
		}
		sub := p.vattr.Attr.Sub(t.text)
		if sub == nil {
			return schema.Path{}, errAt(t.pos, "unknown sub-attribute %q of %q", t.text, p.vattr.String())
		}
		path := *p.vattr
		path.Sub = sub
		return path, nil
	}
	if !isPathSyntax(t.text) {
		return schema.Path{}, errAt(t.pos, "invalid attribute path %q", t.text)
	}
	path, err := p.rt.ParsePath(t.text)
	if err != nil {
		// The schema reports invalidPath; in a filter it is invalidFilter
		// (RFC 7644 §3.4.2.2).
		return schema.Path{}, errAt(t.pos, "%s", scimerr.From(err).Detail)
	}
	if path.Attr == nil {
		return schema.Path{}, errAt(t.pos, "%q names a schema, not an attribute", t.text)
	}
	return path, nil
}

// isPathSyntax reports whether s has the form [URN ":"] ATTRNAME
// ["." ATTRNAME]. The attribute starts after the URN's last colon.
func isPathSyntax(s string) bool {
	rest := s
	if len(s) > 4 && strings.EqualFold(s[:4], "urn:") {
		rest = s[strings.LastIndexByte(s, ':')+1:]
	} else if strings.IndexByte(s, ':') >= 0 {
		return false
	}
	name, sub, dot := strings.Cut(rest, ".")
	return isName(name) && (!dot || isName(sub))
}

func isMultiComplex(p schema.Path) bool {
	return p.Attr != nil && p.Sub == nil && p.Attr.Type == schema.Complex && p.Attr.MultiValued
}

// parseValuePath parses `"[" valFilter "]"` after path, and the lenient
// `"." subAttr compareOp compValue` (or pr) that some clients append.
func (p *parser) parseValuePath(path schema.Path) (Expr, error) {
	open := p.next()
	if p.vattr != nil {
		return nil, errAt(open.pos, "nested brackets are not allowed inside the value filter of %q", p.vattr.String())
	}
	if !isMultiComplex(path) {
		return nil, errAt(open.pos,
			"brackets must follow a multi-valued complex attribute, and %q is not one", path.String())
	}
	if err := p.enter(open); err != nil {
		return nil, err
	}
	p.vattr = &path
	inner, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	end := p.peek().end
	if err := p.close(open, tRBrack, "]"); err != nil {
		return nil, err
	}
	p.vattr = nil
	vp := &ValuePath{Path: path, Filter: inner}

	// emails[type eq "work"].value eq "x" is not in the grammar, but
	// clients send it (it is the PATCH path syntax of RFC 7644 §3.5.2).
	// It means the same as emails[type eq "work" and value eq "x"].
	t := p.peek()
	if t.kind != tSub || t.pos != end {
		return vp, nil
	}
	p.next()
	sub := path.Attr.Sub(t.text)
	if !isName(t.text) || sub == nil {
		return nil, errAt(t.pos, "unknown sub-attribute %q of %q", t.text, path.String())
	}
	if _, ok := inner.(*Or); ok && p.depth+2 > MaxDepth {
		// Formatting adds parentheses around the "or" inside the brackets.
		return nil, errAt(open.pos, "filter nests deeper than %d levels", MaxDepth)
	}
	sp := path
	sp.Sub = sub
	cond, err := p.parseCondition(t, sp)
	if err != nil {
		return nil, err
	}
	vp.Filter = &And{Left: inner, Right: cond}
	return vp, nil
}

// parseCondition parses `pr` or `compareOp compValue` after the attribute
// path in token at, which resolved to path.
func (p *parser) parseCondition(at token, path schema.Path) (Expr, error) {
	name := p.src[at.pos:at.end]
	opTok := p.peek()
	if opTok.kind != tWord {
		return nil, p.unexpected(opTok, fmt.Sprintf("an operator after %q", name))
	}
	p.next()
	if strings.EqualFold(opTok.text, "pr") {
		if t := p.peek(); isValue(t) {
			return nil, errAt(t.pos, "%q takes no value but found %s", opTok.text, p.describe(t))
		}
		return &Present{Path: path}, nil
	}
	op, ok := parseOp(opTok.text)
	if !ok {
		return nil, errAt(opTok.pos,
			"unknown operator %q after %q; expected eq, ne, co, sw, ew, gt, ge, lt, le or pr", opTok.text, name)
	}
	valTok := p.next()
	var value any
	switch {
	case valTok.kind == tString:
		value = valTok.text
	case valTok.kind == tNumber:
		value = json.Number(valTok.text)
	case isKeyword(valTok, "true"):
		value = true
	case isKeyword(valTok, "false"):
		value = false
	case isKeyword(valTok, "null"):
		value = nil
	case valTok.kind == tWord:
		return nil, errAt(valTok.pos,
			"expected a value after %q but found %s; strings must be in double quotes", opTok.text, p.describe(valTok))
	default:
		return nil, p.unexpected(valTok, fmt.Sprintf("a value (string, number, true, false or null) after %q", opTok.text))
	}
	return p.compare(at, path, op, opTok, value, valTok)
}

func isValue(t token) bool {
	return t.kind == tString || t.kind == tNumber ||
		isKeyword(t, "true") || isKeyword(t, "false") || isKeyword(t, "null")
}

func parseOp(s string) (Op, bool) {
	for _, op := range []Op{Eq, Ne, Co, Sw, Ew, Gt, Ge, Lt, Le} {
		if strings.EqualFold(s, string(op)) {
			return op, true
		}
	}
	return "", false
}

// compare checks that op and value suit the attribute's type and returns
// the comparison. A complex attribute stands for its "value" sub-attribute
// (RFC 7644 §3.4.2.2 filters `emails co "example.com"`).
func (p *parser) compare(at token, path schema.Path, op Op, opTok token, value any, valTok token) (Expr, error) {
	a := path.Target()
	if a.Type == schema.Complex && path.Sub == nil {
		v := a.Sub("value")
		if v == nil {
			return nil, errAt(at.pos,
				"%q is a complex attribute without a \"value\" sub-attribute; compare one of its sub-attributes", path.String())
		}
		path.Sub, a = v, v
	}
	name := path.String()
	if value == nil {
		if op != Eq && op != Ne {
			return nil, errAt(valTok.pos, "null can only be compared with eq or ne")
		}
		return &Compare{Path: path, Op: op, Value: nil}, nil
	}
	ordering := op == Gt || op == Ge || op == Lt || op == Le
	substring := op == Co || op == Sw || op == Ew
	switch a.Type {
	case schema.String, schema.Reference, schema.Binary:
		if _, ok := value.(string); !ok {
			return nil, errAt(valTok.pos, "%q is a %s attribute; compare it with a string in double quotes", name, a.Type)
		}
		if a.Type == schema.Binary && ordering {
			return nil, errAt(opTok.pos, "%s does not apply to binary attribute %q", op, name)
		}
	case schema.Boolean:
		// Identity providers send "True" for booleans; accept the strings
		// that schema.Normalize accepts in documents.
		if s, ok := value.(string); ok {
			switch strings.ToLower(s) {
			case "true":
				value = true
			case "false":
				value = false
			}
		}
		if _, ok := value.(bool); !ok {
			return nil, errAt(valTok.pos, "%q is a boolean attribute; compare it with true or false", name)
		}
		if op != Eq && op != Ne {
			return nil, errAt(opTok.pos, "%s does not apply to boolean attribute %q; use eq, ne or pr", op, name)
		}
	case schema.Integer, schema.Decimal:
		if _, ok := value.(json.Number); !ok {
			return nil, errAt(valTok.pos, "%q is a number attribute; compare it with a number", name)
		}
		if substring {
			return nil, errAt(opTok.pos, "%s does not apply to number attribute %q", op, name)
		}
	case schema.DateTime:
		s, ok := value.(string)
		if !ok {
			return nil, errAt(valTok.pos,
				"%q is a dateTime attribute; compare it with a string such as \"2024-01-02T03:04:05Z\"", name)
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return nil, errAt(valTok.pos,
				"%s is not an RFC 3339 dateTime such as \"2024-01-02T03:04:05Z\"", p.src[valTok.pos:valTok.end])
		}
		if substring {
			return nil, errAt(opTok.pos, "%s does not apply to dateTime attribute %q", op, name)
		}
	case schema.Any:
		// Kept as sent, without a declaration to say how to compare:
		// a value equals a literal of its own JSON type.
		switch value.(type) {
		case string, bool, json.Number:
		default:
			return nil, errAt(valTok.pos, "compare %q with a string, number or boolean", name)
		}
		if op != Eq && op != Ne {
			return nil, errAt(opTok.pos,
				"%s does not apply to %q, an attribute of an extension that is not declared: use eq, ne or pr, or declare the extension (scimd schema set)", op, name)
		}
	default:
		return nil, errAt(at.pos, "attribute %q cannot be compared", name)
	}
	return &Compare{Path: path, Op: op, Value: value}, nil
}
