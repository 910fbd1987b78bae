package sqlquery

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// AuditColumns are the columns of audit_log in the order AuditSelect
// selects them.
const AuditColumns = `id, ts, workspace_id, channel, action, actor, target, correlation_id, status, duration_ms, payload`

// AuditSelect compiles q to a query of AuditColumns from audit_log, newest
// first (by ts, then id), for at most limit+1 rows (an argument, so that
// prepared statements are shared by all limits): the extra one tells
// that another page follows. Every filter has an index that also gives
// the order (see the migrations), so a page costs its rows, not the log.
func AuditSelect(d Dialect, q store.AuditQuery) (query string, args []any, limit int, err error) {
	limit, err = store.CheckAuditQuery(q)
	if err != nil {
		return "", nil, 0, err
	}
	var where []string
	arg := func(v any) string {
		args = append(args, v)
		return d.Placeholder(len(args))
	}
	for _, f := range []struct{ col, v string }{
		{"workspace_id", q.WorkspaceID},
		{"channel", q.Channel},
		{"actor", q.Actor},
		{"target", q.Target},
		{"correlation_id", q.CorrelationID},
	} {
		if f.v != "" {
			where = append(where, f.col+" = "+arg(f.v))
		}
	}
	if q.Action != "" {
		if lo, hi, prefix := store.ActionRange(q.Action); prefix {
			if lo != "" {
				where = append(where, "action >= "+arg(lo)+" AND action < "+arg(hi))
			}
		} else {
			where = append(where, "action = "+arg(q.Action))
		}
	}
	if !q.Since.IsZero() {
		where = append(where, "ts >= "+arg(d.TimeArg(q.Since)))
	}
	if !q.Until.IsZero() {
		where = append(where, "ts < "+arg(d.TimeArg(q.Until)))
	}
	if q.AfterID != 0 {
		where = append(where, "id > "+arg(q.AfterID))
	}
	if q.Cursor != "" {
		ts, id, err := DecodeAuditCursor(q.Cursor)
		if err != nil {
			return "", nil, 0, err
		}
		// Not the row value (ts, id) < (…): SQLite uses an index for
		// the plain range on ts only.
		where = append(where, "ts <= "+arg(d.TimeArg(ts))+" AND (ts < "+arg(d.TimeArg(ts))+" OR id < "+arg(id)+")")
	}
	var b strings.Builder
	b.WriteString("SELECT " + AuditColumns + " FROM audit_log")
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	b.WriteString(" ORDER BY ts DESC, id DESC LIMIT " + arg(limit+1))
	return b.String(), args, limit, nil
}

// EncodeAuditCursor returns the cursor of the page after the entry with
// the given time and id.
func EncodeAuditCursor(ts time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("a" + strconv.FormatInt(ts.UnixMicro(), 10) + "." + strconv.FormatInt(id, 10)))
}

// DecodeAuditCursor returns the position in a cursor from
// EncodeAuditCursor; store.ErrInvalidCursor for one it did not make.
func DecodeAuditCursor(cur string) (time.Time, int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(cur)
	if err != nil || len(b) < 4 || b[0] != 'a' {
		return time.Time{}, 0, store.ErrInvalidCursor
	}
	us, id, ok := strings.Cut(string(b[1:]), ".")
	if !ok {
		return time.Time{}, 0, store.ErrInvalidCursor
	}
	u, err1 := strconv.ParseInt(us, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 {
		return time.Time{}, 0, store.ErrInvalidCursor
	}
	return time.UnixMicro(u).UTC(), n, nil
}

// AuditPage finishes a page of entries read for a query with the given
// limit: it drops the extra entry and sets Next.
func AuditPage(entries []store.AuditEntry, limit int) store.AuditPage {
	if len(entries) <= limit {
		return store.AuditPage{Entries: entries}
	}
	entries = entries[:limit]
	last := entries[limit-1]
	return store.AuditPage{Entries: entries, Next: EncodeAuditCursor(last.Time, last.ID)}
}
