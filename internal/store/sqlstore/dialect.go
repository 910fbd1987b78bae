package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/scimd/scimd/internal/store/sqlquery"
)

// Dialect is what differs between the databases in the SQL of this
// package, grown from the filter compiler's. Statements here are written
// with ? placeholders, rewritten with Placeholder where that is not "?".
type Dialect interface {
	sqlquery.Dialect

	// Lock is the clause that locks the rows a SELECT reads until the
	// commit, with strength ("FOR UPDATE", "FOR NO KEY UPDATE", "FOR
	// SHARE", "FOR KEY SHARE", each maybe with "SKIP LOCKED"): "" on a
	// database whose one writer excludes every other already.
	Lock(strength string) string
	// KeyLock is a statement that takes a lock on the text of its one
	// argument until the commit, for writers that check before they write
	// what no row can lock (a name across two tables, seats): "" where
	// the one writer excludes every other already.
	KeyLock() string
	// List is a FROM item, with its column named value, of the elements
	// of one argument made by ListArg from a []int64 (typ "bigint") or a
	// []string (typ "text").
	List(typ string) string
	// ListArg is the argument List reads.
	ListArg(list any) any
	// OuterJoin is the join keyword that keeps the table on its left as
	// the outer loop: SQLite's planner takes CROSS JOIN as that hint,
	// which PostgreSQL's needs not (and takes without ON).
	OuterJoin() string
	// JSONArray is a JSON array of elems, SQL expressions separated by
	// commas.
	JSONArray(elems string) string
	// JSONAgg aggregates expr into a JSON array in the order of order:
	// NULL for no rows on PostgreSQL, "[]" on SQLite.
	JSONAgg(expr, order string) string

	// Batches says whether the database takes arrays as arguments, so
	// that a batch of rows goes in one statement rather than one a row.
	// Where it does not (SQLite, in process), a statement a row is as
	// cheap.
	Batches() bool
	// OneWriter says whether the database runs one write transaction at
	// a time, so that what a write transaction reads cannot change
	// before it commits and a walk of nested groups needs no locks.
	OneWriter() bool

	// IsUniqueViolation and IsForeignKeyViolation classify a failed
	// statement.
	IsUniqueViolation(err error) bool
	IsForeignKeyViolation(err error) bool
	// Unavailable reports whether err means the database could not be
	// reached, as opposed to an error in what was asked of it.
	Unavailable(err error) bool
	// Retryable reports whether a transaction failed for a deadlock or a
	// serialization failure, which another attempt may not meet.
	Retryable(err error) bool
}

// sqlFilterDialect is the dialect given to the filter compiler: with ?
// placeholders, like every statement here, rewritten when run.
type sqlFilterDialect struct{ Dialect }

func (sqlFilterDialect) Placeholder(int) string { return "?" }

// timeFormat is SQLite's: fixed-width UTC text, so that text comparison
// orders by time.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// FormatTime formats t as SQLite keeps times.
func FormatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// scanTime scans a time kept as SQLite's text or as a timestamptz into
// *t, in UTC.
type scanTime struct{ t *time.Time }

func (st scanTime) Scan(src any) error {
	var err error
	switch v := src.(type) {
	case time.Time:
		*st.t = v.UTC()
	case string:
		*st.t, err = time.Parse(timeFormat, v)
	case []byte:
		*st.t, err = time.Parse(timeFormat, string(v))
	default:
		return fmt.Errorf("time from %T", src)
	}
	return err
}

// scanOptTime is scanTime for a column that may be NULL, which leaves *t
// zero.
type scanOptTime struct{ t *time.Time }

func (st scanOptTime) Scan(src any) error {
	if src == nil {
		*st.t = time.Time{}
		return nil
	}
	return scanTime(st).Scan(src)
}

// timeArg is a time argument in the dialect's encoding.
func (c Conn) time(t time.Time) any { return c.s.d.TimeArg(t.UTC()) }

// optTime is a time argument, NULL for the zero time.
func (c Conn) optTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return c.time(t)
}

// list is a list argument for the dialect's List.
func (c Conn) list(v any) any { return c.s.d.ListArg(v) }

// lock is the dialect's locking clause with a leading space, or "".
func (c Conn) lock(strength string) string {
	if l := c.s.d.Lock(strength); l != "" {
		return " " + l
	}
	return ""
}

// nullString is s as an argument, NULL for "".
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// unmarshalAgg decodes the JSON array of a JSONAgg into v: none for NULL,
// PostgreSQL's aggregate of no rows.
func unmarshalAgg(b []byte, v any) error {
	if b == nil {
		return nil
	}
	return json.Unmarshal(b, v)
}
