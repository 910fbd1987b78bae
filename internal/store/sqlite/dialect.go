package sqlite

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store/sqlquery"
	"github.com/scimd/scimd/internal/store/sqlstore"
)

// foldFunc is the SQL name of a function that folds text the way the filter
// evaluator does (strings.ToLower), so that SQL and in-memory filtering agree
// beyond ASCII; SQLite's lower() folds ASCII only.
const foldFunc = "scim_fold"

func init() {
	err := sqlite.RegisterDeterministicScalarFunction(foldFunc, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return sqlquery.Fold(v), nil
		case []byte:
			return sqlquery.Fold(string(v)), nil
		default:
			return v, nil
		}
	})
	if err != nil {
		panic(err)
	}
}

// dialect is SQLite's SQL for package sqlstore and the filter compiler.
// Text compares by bytes under SQLite's default BINARY collation, which
// for UTF-8 is code point order, so Text needs nothing.
type dialect struct{}

var _ sqlstore.Dialect = dialect{}

func (dialect) Placeholder(int) string { return "?" }

func (dialect) Bool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// BoolArg is 1 or 0: SQLite keeps booleans, the active column's and
// json_extract's alike, as integers.
func (dialect) BoolArg(b bool) any {
	if b {
		return 1
	}
	return 0
}

// TimeArg is fixed-width UTC text, so that text comparison orders by
// time.
func (dialect) TimeArg(t time.Time) any { return sqlstore.FormatTime(t) }

// JSONValue needs no conversion by type: json_extract returns strings as
// text, numbers as numbers, booleans as 1 and 0, and objects and arrays
// as JSON text.
func (dialect) JSONValue(doc string, keys []string, _ schema.Type) string {
	if len(keys) == 0 {
		return doc
	}
	return "json_extract(" + doc + ", " + sqlquery.Quote(jsonPath(keys)) + ")"
}

func (dialect) JSONType(doc string, keys []string) string {
	return "json_type(" + doc + ", " + sqlquery.Quote(jsonPath(keys)) + ")"
}

func (dialect) JSONElements(doc string, keys []string) string {
	return "json_each(" + doc + ", " + sqlquery.Quote(jsonPath(keys)) + ") AS e"
}

func (dialect) Fold(expr string) string { return foldFunc + "(" + expr + ")" }

func (dialect) Text(expr string) string { return expr }

func (dialect) Contains(s, arg string) string { return "instr(" + s + ", " + arg + ") > 0" }

func (dialect) HasPrefix(s, arg string, n int) string {
	return "substr(" + s + ", 1, " + strconv.Itoa(n) + ") = " + arg
}

func (dialect) HasSuffix(s, arg string, n int) string {
	return "substr(" + s + ", -" + strconv.Itoa(n) + ") = " + arg
}

// DescNullsLast needs nothing: SQLite sorts NULL first, so last when
// descending.
func (dialect) DescNullsLast(expr string) string { return expr + " DESC" }

func jsonKey(name string) string {
	if strings.ContainsAny(name, ".:$\"[] ") {
		return `"` + name + `"`
	}
	return name
}

// jsonPath is the SQLite JSON path of the member at keys.
func jsonPath(keys []string) string {
	s := "$"
	for _, k := range keys {
		s += "." + jsonKey(k)
	}
	return s
}

// Lock is "": the one writer excludes every other, so that what a write
// transaction reads cannot change before it commits.
func (dialect) Lock(string) string { return "" }

// KeyLock is "", for the same reason.
func (dialect) KeyLock() string { return "" }

// List reads a JSON array, so that one prepared statement serves lists
// of any length.
func (dialect) List(string) string { return "json_each(?)" }

func (dialect) ListArg(list any) any {
	b, err := json.Marshal(list)
	if err != nil {
		panic(err) // slices of int64 or string
	}
	return string(b)
}

func (dialect) OuterJoin() string { return "CROSS JOIN" }

func (dialect) JSONArray(elems string) string { return "json_array(" + elems + ")" }

func (dialect) JSONAgg(expr, order string) string {
	return "json_group_array(" + expr + " ORDER BY " + order + ")"
}

// Batches is false: statements cost no round trip in process.
func (dialect) Batches() bool { return false }

func (dialect) OneWriter() bool { return true }

func (dialect) IsUniqueViolation(err error) bool {
	return hasCode(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func (dialect) IsForeignKeyViolation(err error) bool {
	return hasCode(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY)
}

func hasCode(err error, codes ...int) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && slices.Contains(codes, se.Code())
}

// Unavailable is false: a file that cannot be opened fails Open.
func (dialect) Unavailable(error) bool { return false }

// Retryable is false: one writer at a time meets no deadlock.
func (dialect) Retryable(error) bool { return false }
