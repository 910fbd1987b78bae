package postgres

import (
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store/sqlquery"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

// dialect is PostgreSQL's SQL for package sqlstore and the filter
// compiler. Documents are jsonb.
type dialect struct {
	// foldCollation is the collation whose lower() folds text as
	// strings.ToLower does: the database's default when its ctype is
	// Unicode-aware, else one chosen in Open. Text columns are
	// COLLATE "C", under which lower() folds ASCII only.
	foldCollation string
}

var _ sqlstore.Dialect = dialect{}

func (dialect) Placeholder(n int) string { return "$" + strconv.Itoa(n) }

func (dialect) Bool(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

func (dialect) BoolArg(b bool) any { return b }

func (dialect) TimeArg(t time.Time) any { return t }

// JSONValue reads with -> and ->>, which give NULL for a missing member,
// for a member of a non-object and for JSON null, and never fail. Numbers
// and booleans are converted only when the JSON value has that type, so
// that a value of another type compares false rather than failing the
// statement.
func (dialect) JSONValue(doc string, keys []string, typ schema.Type) string {
	j := doc
	for _, k := range keys {
		j += " -> " + sqlquery.Quote(k)
	}
	switch typ {
	case schema.Boolean:
		return "(CASE WHEN jsonb_typeof(" + j + ") = 'boolean' THEN (" + j + ")::boolean END)"
	case schema.Integer, schema.Decimal:
		return "(CASE WHEN jsonb_typeof(" + j + ") = 'number' THEN (" + j + ")::numeric END)"
	}
	var text string
	if len(keys) == 0 {
		text = "(" + doc + " #>> '{}')"
	} else {
		// The last step as ->> gives text: a string's contents, a
		// number's digits, an object or array as JSON text.
		p := doc
		for _, k := range keys[:len(keys)-1] {
			p += " -> " + sqlquery.Quote(k)
		}
		text = "(" + p + " ->> " + sqlquery.Quote(keys[len(keys)-1]) + ")"
	}
	switch typ {
	case schema.String, schema.Reference, schema.DateTime, schema.Binary:
		// Only a JSON string is one, as on SQLite, where a number's
		// digits do not equal a string: values stored under an
		// extension attribute since declared of another type.
		return "(CASE WHEN jsonb_typeof(" + j + ") = 'string' THEN " + text + " END)"
	}
	return text
}

func (dialect) JSONType(doc string, keys []string) string {
	j := doc
	for _, k := range keys {
		j += " -> " + sqlquery.Quote(k)
	}
	return "jsonb_typeof(" + j + ")"
}

// JSONElements uses a lax SQL/JSON path, which yields nothing for a
// missing member and a lone value for a value that is not an array, as
// SQLite's json_each does, where jsonb_array_elements would fail.
func (dialect) JSONElements(doc string, keys []string) string {
	path := "$"
	for _, k := range keys {
		path += "." + jsonPathKey(k)
	}
	return "jsonb_path_query(" + doc + ", " + sqlquery.Quote(path+"[*]") + ") AS e(value)"
}

// jsonPathKey quotes an object member name for an SQL/JSON path.
func jsonPathKey(k string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(k) + `"`
}

func (d dialect) Fold(expr string) string {
	return "lower((" + expr + ") COLLATE " + d.foldCollation + ")"
}

// Text compares by bytes, which for UTF-8 is code point order. The text
// columns are COLLATE "C" already, so their indexes still serve.
func (dialect) Text(expr string) string { return "(" + expr + ") COLLATE \"C\"" }

func (dialect) Contains(s, arg string) string { return "strpos(" + s + ", " + arg + ") > 0" }

func (dialect) HasPrefix(s, arg string, n int) string {
	return "left(" + s + ", " + strconv.Itoa(n) + ") = " + arg
}

func (dialect) HasSuffix(s, arg string, n int) string {
	return "right(" + s + ", " + strconv.Itoa(n) + ") = " + arg
}

// DescNullsLast says NULLS LAST: PostgreSQL sorts NULL as larger than any
// value, so first when descending.
func (dialect) DescNullsLast(expr string) string { return expr + " DESC NULLS LAST" }

// Lock is the locking clause itself: READ COMMITTED transactions run at
// once, and lock what they must keep from changing.
func (dialect) Lock(strength string) string { return strength }

// KeyLock takes a transaction-scoped advisory lock on the key's hash.
func (dialect) KeyLock() string { return `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))` }

// List takes an array argument: one prepared statement serves lists of
// any length.
func (dialect) List(typ string) string { return "unnest(?::" + typ + "[]) AS l(value)" }

func (dialect) ListArg(list any) any { return list }

func (dialect) OuterJoin() string { return "JOIN" }

func (dialect) JSONArray(elems string) string { return "jsonb_build_array(" + elems + ")" }

func (dialect) JSONAgg(expr, order string) string {
	return "jsonb_agg(" + expr + " ORDER BY " + order + ")"
}

// Batches is true: a statement costs a round trip, and arrays carry a
// batch in one.
func (dialect) Batches() bool { return true }

func (dialect) OneWriter() bool { return false }

func (dialect) IsUniqueViolation(err error) bool { return errCode(err) == codeUniqueViolation }

func (dialect) IsForeignKeyViolation(err error) bool { return errCode(err) == codeForeignKeyViolation }

func (dialect) Unavailable(err error) bool { return unreachable(err) }

// Retryable is true for a deadlock or a serialization failure, which
// another attempt may not meet.
func (dialect) Retryable(err error) bool { return retryable(err) }
