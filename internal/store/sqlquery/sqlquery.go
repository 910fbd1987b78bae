// Package sqlquery compiles SCIM filters (RFC 7644 §3.4.2.2) and sort
// orders (RFC 7644 §3.4.2.3) to SQL for scimd's SQL stores. The SQL it
// writes is the same for every database but for what a Dialect supplies:
// placeholders, JSON access, case folding and text comparison.
//
// The stores share one table layout, which the SQL written here assumes:
//
//	resources (seq, id, workspace_id, type, name, name_key, display_name,
//	           external_id, active, version, created, last_modified, doc)
//	members   (group_seq, member_seq)
//	emails    (resource_seq, workspace_id, value_key, type_key)
//
// name is a User's userName or a Group's displayName and name_key that
// folded with Fold; doc holds the resource's attributes as JSON; emails
// holds each User email's value and type, folded.
package sqlquery

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// Dialect is what differs between databases in the SQL the compiler
// writes. Expressions passed to and returned by its methods are SQL text.
type Dialect interface {
	// Placeholder is the marker of the nth argument, counting from 1.
	Placeholder(n int) string
	// Bool is a condition that always holds (true) or never does.
	Bool(b bool) string
	// BoolArg is the argument compared with a boolean value.
	BoolArg(b bool) any
	// TimeArg is the argument compared with a meta.created or
	// meta.lastModified column.
	TimeArg(t time.Time) any
	// JSONValue reads the member at keys (object member names, outermost
	// first; none for doc itself) of the JSON expression doc, as an SQL
	// value of typ: a number for Integer and Decimal, a boolean for
	// Boolean, else text, where an object or array reads as its JSON
	// text. It is NULL when a member is missing or JSON null.
	JSONValue(doc string, keys []string, typ schema.Type) string
	// JSONType is the JSON type of the member at keys of doc, NULL when
	// it is missing: SQLite's json_type names ('text', 'integer',
	// 'real', 'true', 'false', 'object', 'array', 'null') or
	// PostgreSQL's jsonb_typeof ones ('string', 'number', 'boolean',
	// 'object', 'array', 'null').
	JSONType(doc string, keys []string) string
	// JSONElements is a FROM item, aliased e, with one row for each
	// element of the array at keys in doc, the element as JSON in column
	// e.value; none when the member is missing.
	JSONElements(doc string, keys []string) string
	// Fold folds text to lower case as strings.ToLower does.
	Fold(expr string) string
	// Text makes comparing and sorting text go by code point, as
	// strings.Compare does on UTF-8.
	Text(expr string) string
	// Contains, HasPrefix and HasSuffix are conditions on the text s and
	// the argument marker arg, n code points long.
	Contains(s, arg string) string
	HasPrefix(s, arg string, n int) string
	HasSuffix(s, arg string, n int) string
	// DescNullsLast orders by expr, descending, with NULL last.
	DescNullsLast(expr string) string
}

// Fold is the Go side of Dialect.Fold, for keys computed on write. The
// filter evaluator folds with strings.ToLower too, so that SQL and
// in-memory filtering agree beyond ASCII.
func Fold(s string) string { return strings.ToLower(s) }

// Filter compiles e, for resources of type rt in workspace ws, to a
// condition on the resources row aliased "r". Its arguments are numbered
// after the n that precede it in the statement.
func Filter(d Dialect, rt *schema.ResourceType, ws string, e filter.Expr, n int) (string, []any, error) {
	c := &compiler{d: d, rt: rt, ws: ws, base: n}
	if err := c.expr(e); err != nil {
		return "", nil, err
	}
	return c.b.String(), c.args, nil
}

// column is how an attribute is read in SQL.
type column struct {
	expr   string      // the value
	folded string      // the value folded to lower case, if it has its own (indexed) form
	typ    schema.Type // how to compare it
	time   bool        // a time column, compared with TimeArg
}

// textual reports whether col is compared as text.
func (col column) textual() bool {
	switch col.typ {
	case schema.String, schema.Reference, schema.Binary:
		return true
	case schema.DateTime:
		return !col.time
	}
	return false
}

// source is a multi-valued attribute as rows: from names tables, one of
// them aliased "e" for the element; corr, if not empty, correlates them
// with the resource row "r"; sub maps sub-attribute names to columns of e.
type source struct {
	from   string
	corr   string
	sub    func(name string) (column, bool)
	emails bool // the emails table, which has no "primary"
	// in, if not empty, is the column of from's rows that holds the
	// resource's seq, for a condition that reads the rows first: SQLite
	// runs a correlated EXISTS once a resource, reading every one,
	// where "r.seq IN (...)" reads an index of the rows once.
	in string
}

// exists writes the start of a condition that some row of src meets, up
// to where the condition on an element goes.
func (c *compiler) exists(src source) {
	switch {
	case src.emails:
		// A user's emails are its workspace's: emails_value.
		c.b.WriteString("r.seq IN (SELECT " + src.in + " FROM " + src.from + " WHERE e.workspace_id = " + c.arg(c.ws) + " AND ")
		return
	case src.in != "":
		c.b.WriteString("r.seq IN (SELECT " + src.in + " FROM " + src.from + " WHERE ")
		return
	}
	c.b.WriteString("EXISTS (SELECT 1 FROM " + src.from + " WHERE ")
	if src.corr != "" {
		c.b.WriteString(src.corr + " AND ")
	}
}

// compiler turns a filter into an SQL condition on the resources table
// aliased "r". Every condition it emits is two-valued (never NULL), so that
// NOT means what the filter language means.
type compiler struct {
	d    Dialect
	rt   *schema.ResourceType
	ws   string // the workspace of the resources
	b    strings.Builder
	base int // arguments before the first of args
	args []any
	// elem, when set, is the source whose element the value-path filter
	// being compiled is about.
	elem *source
}

func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return c.d.Placeholder(c.base + len(c.args))
}

func (c *compiler) expr(e filter.Expr) error {
	switch e := e.(type) {
	case *filter.And:
		return c.binary("AND", e.Left, e.Right)
	case *filter.Or:
		return c.binary("OR", e.Left, e.Right)
	case *filter.Not:
		c.b.WriteString("(NOT ")
		if err := c.expr(e.X); err != nil {
			return err
		}
		c.b.WriteString(")")
		return nil
	case *filter.Present:
		if c.elem == nil && e.Path.Target().Type == schema.Any {
			c.kept(e.Path, nil)
			return nil
		}
		return c.attr(e.Path, func(col column) { c.present(col) })
	case *filter.Compare:
		switch {
		case e.Value == nil && e.Op == filter.Ne: // ne null: present
			return c.expr(&filter.Present{Path: e.Path})
		case e.Value == nil: // eq null: absent
			return c.expr(&filter.Not{X: &filter.Present{Path: e.Path}})
		case e.Op == filter.Ne: // no value equals
			return c.expr(&filter.Not{X: &filter.Compare{Path: e.Path, Op: filter.Eq, Value: e.Value}})
		}
		if c.elem == nil && e.Path.Target().Type == schema.Any {
			c.kept(e.Path, e.Value)
			return nil
		}
		if c.elem == nil && indexedExtension(c.rt, e) {
			// The index is partial to the workspace and type, which
			// the statement compares with arguments: PostgreSQL's
			// generic plan of a prepared statement, made without
			// them, could not use it, and would read every resource.
			// The same condition with the values written in can.
			c.b.WriteString("(r.workspace_id = " + Quote(c.ws) + " AND r.type = " + Quote(c.rt.ID) + " AND ")
			err := c.attr(e.Path, func(col column) { c.compare(col, e.Op, e.Value, e.Path.Target()) })
			c.b.WriteString(")")
			return err
		}
		return c.attr(e.Path, func(col column) { c.compare(col, e.Op, e.Value, e.Path.Target()) })
	case *filter.ValuePath:
		src := c.source(e.Path, e.Filter)
		c.exists(src)
		outer := c.elem
		c.elem = &src
		err := c.expr(e.Filter)
		c.elem = outer
		c.b.WriteString(")")
		return err
	}
	return fmt.Errorf("unknown filter node %T", e)
}

func (c *compiler) binary(op string, l, r filter.Expr) error {
	c.b.WriteString("(")
	if err := c.expr(l); err != nil {
		return err
	}
	c.b.WriteString(" " + op + " ")
	if err := c.expr(r); err != nil {
		return err
	}
	c.b.WriteString(")")
	return nil
}

// attr emits cond for the attribute at p: directly for a single-valued
// attribute, inside EXISTS over its values for a multi-valued one.
func (c *compiler) attr(p schema.Path, cond func(column)) error {
	if c.elem != nil {
		// Inside a value path: p names a sub-attribute of the element.
		col, ok := c.elem.sub(p.Target().Name)
		if !ok {
			c.b.WriteString(c.d.Bool(false))
			return nil
		}
		cond(col)
		return nil
	}
	if p.Attr.MultiValued {
		src := c.source(p, nil)
		c.exists(src)
		switch {
		case p.Sub == nil && p.Attr.Type == schema.Complex:
			// Only pr gets here (the parser points comparisons at
			// .value): any value at all.
			c.b.WriteString(c.d.Bool(true))
		case p.Sub == nil:
			col, _ := src.sub("value")
			cond(col)
		default:
			col, ok := src.sub(p.Sub.Name)
			if ok {
				cond(col)
			} else {
				c.b.WriteString(c.d.Bool(false))
			}
		}
		c.b.WriteString(")")
		return nil
	}
	cond(c.column(p))
	return nil
}

// column returns how a single-valued attribute is read.
func (c *compiler) column(p schema.Path) column {
	if p.Schema == nil { // common attributes
		switch p.Attr.Name {
		case "id":
			return column{expr: "r.id", typ: schema.String}
		case "externalId":
			return column{expr: "r.external_id", typ: schema.String}
		case "meta":
			if p.Sub == nil {
				return column{expr: "r.created", typ: schema.DateTime, time: true}
			}
			switch p.Sub.Name {
			case "created":
				return column{expr: "r.created", typ: schema.DateTime, time: true}
			case "lastModified":
				return column{expr: "r.last_modified", typ: schema.DateTime, time: true}
			case "resourceType":
				return column{expr: "r.type", typ: schema.String}
			case "version":
				return column{expr: `('W/"' || r.version || '"')`, typ: schema.String}
			}
			return column{expr: "NULL", typ: schema.String}
		}
	}
	if !p.Extension && p.Sub == nil {
		switch {
		case c.rt.ID == schema.UserType.ID && p.Attr.Name == "userName",
			c.rt.ID == schema.GroupType.ID && p.Attr.Name == "displayName":
			return column{expr: "r.name", folded: "r.name_key", typ: schema.String}
		case c.rt.ID == schema.UserType.ID && p.Attr.Name == "active":
			return column{expr: "r.active", typ: schema.Boolean}
		}
	}
	typ := p.Target().Type
	return column{expr: c.d.JSONValue("r.doc", docKeys(p), typ), typ: typ}
}

// Key is the expression, over a resources row's doc, of the value of the
// simple single-valued attribute p as eq compares it:
// folded unless caseExact, text compared as Text has it. An index on it
// is one the planners use for eq (the filter writes the
// same expression, over r.doc), and a unique one keeps the attribute's
// values unique.
func Key(d Dialect, p schema.Path) string {
	typ := p.Target().Type
	col := column{expr: d.JSONValue("doc", docKeys(p), typ), typ: typ}
	expr := col.expr
	switch typ {
	case schema.Boolean, schema.Integer, schema.Decimal, schema.DateTime:
	default:
		if !p.Target().CaseExact {
			expr = d.Fold(expr)
		}
	}
	if col.textual() {
		expr = d.Text(expr)
	}
	return expr
}

// MaxIndexed bounds the attributes of an extension declaration that
// get an index for filters (IndexedAttributes), so that a document
// declaring many does not make as many indexes, each of which every
// write of the workspace's resources updates.
const MaxIndexed = 32

// IndexedAttributes returns the attributes of the declared extension
// schema s whose values an index finds (see Key): the simple
// single-valued ones other than binary, the first MaxIndexed of them in
// the order declared, and every one declared unique, whose unique index
// serves.
func IndexedAttributes(s *schema.Schema) []*schema.Attribute {
	var out []*schema.Attribute
	n := 0
	for _, a := range s.Attributes {
		if a.MultiValued || a.Type == schema.Complex || a.Type == schema.Binary {
			continue
		}
		if a.Uniqueness == schema.None {
			if n == MaxIndexed {
				continue
			}
			n++
		}
		out = append(out, a)
	}
	return out
}

// docKeys is where p is kept in a resource's document: extension
// attributes under their schema URN.
func docKeys(p schema.Path) []string {
	var keys []string
	if p.Extension {
		keys = append(keys, p.Schema.ID)
	}
	keys = append(keys, p.Attr.Name)
	if p.Sub != nil {
		keys = append(keys, p.Sub.Name)
	}
	return keys
}

// source returns the values of the multi-valued attribute p.Attr as rows.
// inner is the filter that will be applied to each (nil for a comparison
// on p.Sub): emails are read from their indexed table when it has every
// sub-attribute the filter names.
func (c *compiler) source(p schema.Path, inner filter.Expr) source {
	switch {
	case c.rt.ID == schema.GroupType.ID && p.Attr.Name == "members":
		return source{
			from: "members m JOIN resources e ON e.seq = m.member_seq",
			corr: "m.group_seq = r.seq",
			in:   "m.group_seq",
			sub:  memberColumn,
		}
	case c.rt.ID == schema.UserType.ID && p.Attr.Name == "groups":
		// The user's groups, direct and through nested groups (as
		// rendered); UNION ends cycles.
		return source{
			from: `(WITH RECURSIVE up(g, d) AS (
					SELECT group_seq, 1 FROM members WHERE member_seq = r.seq
					UNION SELECT m.group_seq, 0 FROM up JOIN members m ON m.member_seq = up.g)
				SELECT g, max(d) AS direct FROM up GROUP BY g) AS x
				JOIN resources e ON e.seq = x.g`,
			sub: func(name string) (column, bool) {
				if name == "type" {
					return column{expr: "CASE WHEN x.direct = 1 THEN 'direct' ELSE 'indirect' END", typ: schema.String}, true
				}
				return memberColumn(name)
			},
		}
	case c.rt.ID == schema.UserType.ID && p.Attr.Name == "emails" && !p.Extension && emailTableCovers(p, inner):
		return source{
			from:   "emails e",
			corr:   "e.resource_seq = r.seq",
			emails: true,
			in:     "e.resource_seq",
			sub: func(name string) (column, bool) {
				switch name {
				case "value":
					return column{expr: "e.value_key", folded: "e.value_key", typ: schema.String}, true
				case "type":
					return column{expr: "e.type_key", folded: "e.type_key", typ: schema.String}, true
				}
				return column{}, false
			},
		}
	}
	return c.jsonSource(p)
}

// jsonSource reads the values of p.Attr from the document.
func (c *compiler) jsonSource(p schema.Path) source {
	keys := docKeys(schema.Path{Schema: p.Schema, Attr: p.Attr, Extension: p.Extension})
	return source{
		from: c.d.JSONElements("r.doc", keys),
		sub: func(name string) (column, bool) {
			if p.Attr.Type != schema.Complex {
				return column{expr: c.d.JSONValue("e.value", nil, p.Attr.Type), typ: p.Attr.Type}, name == "value"
			}
			sa := p.Attr.Sub(name)
			if sa == nil {
				return column{}, false
			}
			return column{expr: c.d.JSONValue("e.value", []string{sa.Name}, sa.Type), typ: sa.Type}, true
		},
	}
}

// emailTableCovers reports whether a filter on emails names only the
// sub-attributes kept in the emails table.
func emailTableCovers(p schema.Path, inner filter.Expr) bool {
	if inner == nil {
		return p.Sub == nil || p.Sub.Name == "value" || p.Sub.Name == "type"
	}
	ok := true
	var walk func(filter.Expr)
	walk = func(e filter.Expr) {
		switch e := e.(type) {
		case *filter.And:
			walk(e.Left)
			walk(e.Right)
		case *filter.Or:
			walk(e.Left)
			walk(e.Right)
		case *filter.Not:
			walk(e.X)
		case *filter.Compare:
			n := e.Path.Target().Name
			ok = ok && (n == "value" || n == "type")
		case *filter.Present:
			n := e.Path.Target().Name
			ok = ok && (n == "value" || n == "type")
		default:
			ok = false
		}
	}
	walk(inner)
	return ok
}

func memberColumn(name string) (column, bool) {
	switch name {
	case "value":
		return column{expr: "e.id", typ: schema.String}, true
	case "display":
		return column{expr: "COALESCE(e.display_name, e.name)", typ: schema.String}, true
	case "type":
		return column{expr: "e.type", typ: schema.String}, true
	}
	return column{}, false
}

// Quote returns s as an SQL string literal.
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// present is pr: a value that is not null and not empty; "", {} and []
// count as absent, as RFC 7643 §2.5 has it for null and [].
func (c *compiler) present(col column) {
	c.b.WriteString("(" + col.expr + " IS NOT NULL")
	switch {
	case col.time:
		// A time column always holds a time.
	case col.typ == schema.String, col.typ == schema.Reference, col.typ == schema.Binary, col.typ == schema.DateTime:
		c.b.WriteString(" AND " + col.expr + " <> ''")
	case col.typ == schema.Complex:
		c.b.WriteString(" AND " + col.expr + " NOT IN ('{}', '[]')")
	}
	c.b.WriteString(")")
}

// compare emits a comparison other than ne and null, which expr rewrites.
// An absent or empty value compares false.
func (c *compiler) compare(col column, op filter.Op, v any, a *schema.Attribute) {
	expr := col.expr
	var val any
	keyed := false // expr is col.folded, which has an index
	switch col.typ {
	case schema.Boolean:
		b, _ := v.(bool)
		if s, ok := v.(string); ok {
			b = strings.EqualFold(s, "true")
		}
		val = c.d.BoolArg(b)
	case schema.Integer, schema.Decimal:
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				val = i
			} else if f, err := n.Float64(); err == nil {
				val = f
			}
		}
	case schema.DateTime:
		s, _ := v.(string)
		val = s
		if col.time {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				val = c.d.TimeArg(t)
			}
		}
	default:
		s, _ := v.(string)
		if !a.CaseExact {
			s = Fold(s)
			if col.folded != "" {
				expr, keyed = col.folded, true
			} else {
				expr = c.d.Fold(expr)
			}
		}
		val = s
	}
	if col.textual() {
		expr = c.d.Text(expr)
	}
	c.b.WriteString("(")
	if keyed {
		// The folded form is present where the value is (folding
		// keeps text non-empty), and testing it keeps the condition
		// on the index alone: counting what it selects reads no row.
		c.present(column{expr: col.folded, typ: col.typ})
	} else {
		c.present(col)
	}
	c.b.WriteString(" AND ")
	switch op {
	case filter.Eq:
		c.b.WriteString(expr + " = " + c.arg(val))
	case filter.Gt:
		c.b.WriteString(expr + " > " + c.arg(val))
	case filter.Ge:
		c.b.WriteString(expr + " >= " + c.arg(val))
	case filter.Lt:
		c.b.WriteString(expr + " < " + c.arg(val))
	case filter.Le:
		c.b.WriteString(expr + " <= " + c.arg(val))
	case filter.Co, filter.Sw, filter.Ew:
		s, _ := val.(string)
		n := len([]rune(s))
		switch {
		case s == "":
			c.b.WriteString(c.d.Bool(true))
		case op == filter.Sw && keyed && utf8.ValidString(s):
			// A range of the folded column's index rather than a
			// condition on each row: the same strings, found without
			// reading the others.
			c.b.WriteString(expr + " >= " + c.arg(s))
			if end, ok := prefixEnd(s); ok {
				c.b.WriteString(" AND " + expr + " < " + c.arg(end))
			}
		case op == filter.Co:
			c.b.WriteString(c.d.Contains(expr, c.arg(s)))
		case op == filter.Sw:
			c.b.WriteString(c.d.HasPrefix(expr, c.arg(s), n))
		default:
			c.b.WriteString(c.d.HasSuffix(expr, c.arg(s), n))
		}
	default:
		c.b.WriteString(c.d.Bool(false))
	}
	c.b.WriteString(")")
}

// kept is pr (v nil) or eq v on p, an attribute of an extension kept
// without a declaration, as filter.Match has them: present when there
// is a value other than null (what is kept holds no empty values), equal
// when the value is of v's JSON type and equals it, strings without
// case. Each condition is false rather than NULL where there is no
// value, so that NOT means what it means in the filter.
func (c *compiler) kept(p schema.Path, v any) {
	keys := docKeys(p)
	typ := c.d.JSONType("r.doc", keys)
	switch v := v.(type) {
	case nil:
		c.b.WriteString("(" + typ + " IS NOT NULL AND " + typ + " <> 'null')")
	case string:
		c.b.WriteString("(" + typ + " IS NOT NULL AND " + typ + " IN ('text', 'string') AND " + c.d.Text(c.d.Fold(c.d.JSONValue("r.doc", keys, schema.String))) + " = " + c.arg(Fold(v)) + ")")
	case bool:
		c.b.WriteString("(" + typ + " IS NOT NULL AND " + typ + " IN ('true', 'false', 'boolean') AND " + c.d.JSONValue("r.doc", keys, schema.Boolean) + " = " + c.arg(c.d.BoolArg(v)) + ")")
	case json.Number:
		var n any
		if i, err := v.Int64(); err == nil {
			n = i
		} else if f, err := v.Float64(); err == nil {
			n = f
		} else {
			c.b.WriteString(c.d.Bool(false))
			return
		}
		c.b.WriteString("(" + typ + " IS NOT NULL AND " + typ + " IN ('integer', 'real', 'number') AND " + c.d.JSONValue("r.doc", keys, schema.Decimal) + " = " + c.arg(n) + ")")
	default:
		c.b.WriteString(c.d.Bool(false))
	}
}

// prefixEnd returns the least string, in code point order, that is
// greater than every string with the prefix p: p with its last code point
// that can be, made the next one. There is none for a p of only the
// largest code point.
func prefixEnd(p string) (string, bool) {
	rs := []rune(p)
	for i := len(rs) - 1; i >= 0; i-- {
		switch rs[i] {
		case utf8.MaxRune:
			continue // drop it, and carry
		case 0xD7FF:
			rs[i] = 0xE000 // surrogates are not code points of UTF-8
		default:
			rs[i]++
		}
		return string(rs[:i+1]), true
	}
	return "", false
}

// OrderBy returns the ORDER BY clause for a sort attribute (RFC 7644
// §3.4.2.3), for resources of type rt aliased "r": strings compare by
// their caseExact rule, a multi-valued attribute sorts by its primary
// (else first) value, and resources without a value sort last in
// ascending and first in descending order. Creation order breaks ties, so
// pages are stable. With p nil, resources sort in creation order.
func OrderBy(d Dialect, rt *schema.ResourceType, p *schema.Path, desc bool) string {
	if key, ok := OrderKey(d, rt, p); ok {
		if desc {
			return key + " DESC"
		}
		return key
	}
	c := &compiler{d: d, rt: rt}
	var expr string
	if p.Attr.MultiValued && p.Attr.Type == schema.Complex {
		src := c.source(*p, nil)
		if src.emails {
			src = c.jsonSource(*p) // for "primary"
		}
		name := "value"
		if p.Sub != nil {
			name = p.Sub.Name
		}
		col, ok := src.sub(name)
		if !ok {
			return "r.seq"
		}
		e := col.expr
		if col.typ == schema.String && !p.Target().CaseExact {
			e = d.Fold(e)
		}
		if col.textual() {
			e = d.Text(e)
		}
		order := "1"
		if prim, ok := src.sub("primary"); ok {
			order = d.DescNullsLast(prim.expr)
		}
		where := ""
		if src.corr != "" {
			where = " WHERE " + src.corr
		}
		expr = "(SELECT " + e + " FROM " + src.from + where + " ORDER BY " + order + " LIMIT 1)"
	} else {
		col := c.column(*p)
		expr = col.expr
		if col.typ == schema.String && !p.Target().CaseExact {
			expr = d.Fold(expr)
		}
		if col.textual() {
			expr = d.Text(expr)
		}
	}
	if desc {
		return "(" + expr + ") IS NULL DESC, " + expr + " DESC, r.seq DESC"
	}
	return "(" + expr + ") IS NULL, " + expr + ", r.seq"
}

// OrderKey returns the column that orders resources as OrderBy does for
// p, when one column does so alone and an index of the workspace's
// resources of a type holds it: the sequence number (creation order), or
// name_key for sorting Users by userName and Groups by displayName, which
// is never NULL and unique among them. Such an order is read from the
// index instead of sorting every resource, and a position in it can be
// found from the index alone.
func OrderKey(d Dialect, rt *schema.ResourceType, p *schema.Path) (string, bool) {
	if p == nil {
		return "r.seq", true
	}
	if p.Attr.MultiValued || p.Target().CaseExact {
		return "", false
	}
	c := &compiler{d: d, rt: rt}
	if col := c.column(*p); col.folded != "" {
		return d.Text(col.folded), true
	}
	return "", false
}

// EncodeCursor returns the paging cursor (RFC 9865) for the page that
// starts after the resource with sequence number seq. Cursors are opaque
// to clients; they carry a position in creation order.
func EncodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("s" + strconv.FormatInt(seq, 10)))
}

// DecodeCursor returns the position in a cursor from EncodeCursor: 0 for
// "", the first page; store.ErrInvalidCursor for one it did not make.
func DecodeCursor(cur string) (int64, error) {
	if cur == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cur)
	if err != nil || len(b) < 2 || b[0] != 's' {
		return 0, store.ErrInvalidCursor
	}
	n, err := strconv.ParseInt(string(b[1:]), 10, 64)
	if err != nil || n <= 0 {
		return 0, store.ErrInvalidCursor
	}
	return n, nil
}

// Narrowing returns the part of e that an index of the store answers: a
// filter that every resource matching e matches too, made of e's
// comparisons with an index behind them (eq on id and externalId; eq, sw
// and ranges on userName of Users and displayName of Groups; eq and sw on
// emails.value; eq on members.value; eq on the attributes of rt's
// declared extensions that IndexedAttributes lists), joined as e
// joins them. It is nil when e has no such
// part, or has one only under or and not on both sides; then only reading
// every resource of the type finds e's. exact reports that the part is e
// itself, so that what it selects is what e selects.
func Narrowing(rt *schema.ResourceType, e filter.Expr) (part filter.Expr, exact bool) {
	switch e := e.(type) {
	case *filter.And:
		l, le := Narrowing(rt, e.Left)
		r, re := Narrowing(rt, e.Right)
		switch {
		case l != nil && r != nil:
			return &filter.And{Left: l, Right: r}, le && re
		case l != nil:
			return l, false
		case r != nil:
			return r, false
		}
	case *filter.Or:
		l, le := Narrowing(rt, e.Left)
		r, re := Narrowing(rt, e.Right)
		if l != nil && r != nil {
			return &filter.Or{Left: l, Right: r}, le && re
		}
	case *filter.Compare:
		if indexed(rt, e) {
			return e, true
		}
	case *filter.ValuePath:
		if isMembers(rt, e.Path) || isEmails(rt, e.Path) && emailTableCovers(e.Path, e.Filter) {
			if in, exact := Narrowing(rt, e.Filter); in != nil {
				return &filter.ValuePath{Path: e.Path, Filter: in}, exact
			}
		}
	}
	return nil, false
}

// indexed reports whether an index answers the comparison e.
func indexed(rt *schema.ResourceType, e *filter.Compare) bool {
	if e.Path.Extension {
		return indexedExtension(rt, e)
	}
	s, ok := e.Value.(string)
	if !ok || (e.Op == filter.Sw && (s == "" || !utf8.ValidString(s))) {
		return false
	}
	p := e.Path
	switch {
	case p.Schema == nil && p.Sub == nil && (p.Attr.Name == "id" || p.Attr.Name == "externalId"):
		return e.Op == filter.Eq
	case p.Sub == nil && (rt.ID == schema.UserType.ID && p.Attr.Name == "userName" || rt.ID == schema.GroupType.ID && p.Attr.Name == "displayName"):
		switch e.Op {
		case filter.Eq, filter.Sw, filter.Gt, filter.Ge, filter.Lt, filter.Le:
			return true
		}
	case isEmails(rt, p) && (p.Sub == nil || p.Sub.Name == "value"):
		// Also a sub-attribute inside emails[...], whose path names
		// emails too.
		return e.Op == filter.Eq || e.Op == filter.Sw
	case isMembers(rt, p) && (p.Sub == nil || p.Sub.Name == "value"):
		return e.Op == filter.Eq // the member's id
	}
	return false
}

// indexedExtension reports whether the index its declaration made (see
// IndexedAttributes) answers e, a comparison on an extension attribute:
// eq, on an attribute of an extension that rt, the workspace's resource
// type, has declared rather than built in. Not the ranges: PostgreSQL
// keeps no statistics of an index partial to a workspace for them, so
// that a range's page may be read in creation order all the same.
func indexedExtension(rt *schema.ResourceType, e *filter.Compare) bool {
	p := e.Path
	if !p.Extension || p.Schema.Undeclared() || e.Op != filter.Eq || p.Sub != nil || e.Value == nil || rt.SchemaByURN(p.Schema.ID) != p.Schema || builtIn(rt).SchemaByURN(p.Schema.ID) != nil {
		return false
	}
	return slices.Contains(IndexedAttributes(p.Schema), p.Attr)
}

// builtIn returns the resource type rt extends.
func builtIn(rt *schema.ResourceType) *schema.ResourceType {
	if rt.ID == schema.GroupType.ID {
		return schema.GroupType
	}
	return schema.UserType
}

func isMembers(rt *schema.ResourceType, p schema.Path) bool {
	return rt.ID == schema.GroupType.ID && !p.Extension && p.Attr.Name == "members"
}

func isEmails(rt *schema.ResourceType, p schema.Path) bool {
	return rt.ID == schema.UserType.ID && !p.Extension && p.Attr.Name == "emails"
}
