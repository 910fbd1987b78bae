package filter

import "github.com/scimd/scimd/internal/schema"

// Op is a comparison operator.
type Op string

// Comparison operators (RFC 7644 §3.4.2.2, Table 3).
const (
	Eq Op = "eq"
	Ne Op = "ne"
	Co Op = "co"
	Sw Op = "sw"
	Ew Op = "ew"
	Gt Op = "gt"
	Ge Op = "ge"
	Lt Op = "lt"
	Le Op = "le"
)

// Expr is a node of a filter's syntax tree: *Compare, *Present, *And, *Or,
// *Not or *ValuePath.
type Expr interface{ filterExpr() }

// Compare is `attrPath op value`.
//
// Path is resolved. When it names a complex attribute without a
// sub-attribute, the parser rewrites it to the attribute's "value"
// sub-attribute (RFC 7644 §3.4.2.2: "emails co ..." compares emails.value).
//
// Value is a string, bool, nil (the literal null) or json.Number. For
// dateTime attributes it is a string that parsed as RFC 3339.
type Compare struct {
	Path  schema.Path
	Op    Op
	Value any
}

// Present is `attrPath pr`.
type Present struct {
	Path schema.Path
}

// And is `left and right`.
type And struct{ Left, Right Expr }

// Or is `left or right`.
type Or struct{ Left, Right Expr }

// Not is `not (x)`.
type Not struct{ X Expr }

// ValuePath is `attr[filter]`: true when at least one value of the
// multi-valued complex attribute Path.Attr satisfies Filter. Paths inside
// Filter are resolved to sub-attributes of Path.Attr (Attr set, Sub set).
type ValuePath struct {
	Path   schema.Path
	Filter Expr
}

func (*Compare) filterExpr()   {}
func (*Present) filterExpr()   {}
func (*And) filterExpr()       {}
func (*Or) filterExpr()        {}
func (*Not) filterExpr()       {}
func (*ValuePath) filterExpr() {}
