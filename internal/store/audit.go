package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// AuditStore keeps the audit log: what was done, by whom, to what, and
// how it ended. The table behind it, audit_log, is a supported interface
// documented in docs/audit.md, so its columns mirror AuditEntry one to one.
type AuditStore interface {
	// AppendAudit stores entries in one transaction: all or none. An
	// entry with a zero Time gets the time of the append.
	AppendAudit(ctx context.Context, entries []AuditEntry) error
	// QueryAudit returns one page of the entries matching q, newest
	// first: by Time, then by ID. It fails with ErrInvalidCursor for a
	// cursor it did not issue, and with ErrInvalidAudit for a bad limit.
	QueryAudit(ctx context.Context, q AuditQuery) (AuditPage, error)
	// AuditActivity sums up the entries of one workspace and channel
	// since a time, by actor: how many, how many answered 400 or more,
	// and the actor's latest entry, the most recently active actor
	// first, at most MaxActivityActors of them. It reads the entries of
	// the period only, through the index on (workspace_id, ts).
	AuditActivity(ctx context.Context, workspaceID, channel string, since time.Time) ([]ActorActivity, error)
	// PruneAudit deletes the entries older than before and returns how
	// many it deleted. It deletes in small transactions, so that writers
	// never wait long behind it; an error may leave some deleted.
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}

// AuditEntry is one row of the audit log. Empty strings and zero numbers
// are stored as NULL.
type AuditEntry struct {
	// ID is assigned by the store in the order entries are stored, and
	// never reused; AppendAudit ignores it.
	ID   int64
	Time time.Time
	// WorkspaceID is empty for actions on the installation as a whole.
	WorkspaceID string
	// Channel is where the action came from: "scim", "admin", "effect".
	Channel string
	// Action is what was done, as noun.verb: "user.create", "token.revoke".
	Action string
	// Actor is who did it, e.g. "token:tok_…".
	Actor string
	// Target is the id of the object acted on.
	Target string
	// CorrelationID links the entry to the client's request and to the
	// other entries that request caused.
	CorrelationID string
	// Status is the HTTP status of the response, if any.
	Status int
	// Duration is how long the action took, if measured. The store keeps
	// microseconds.
	Duration time.Duration
	// Payload is a JSON object with the details; nil for none.
	Payload json.RawMessage
}

// ActorActivity is what one actor did in a period, from the audit log.
type ActorActivity struct {
	Actor string
	// Entries counts its entries; Errors those with a Status of 400 or
	// more.
	Entries, Errors int
	// Last is its latest entry.
	Last AuditEntry
}

// MaxActivityActors bounds the actors AuditActivity returns.
const MaxActivityActors = 100

// AuditQuery selects audit entries. Empty fields select all.
type AuditQuery struct {
	WorkspaceID string
	Channel     string
	// Action matches exactly, or, ending in "*", as a prefix: "user.*".
	Action        string
	Actor         string
	Target        string
	CorrelationID string
	// Since and Until bound Time to [Since, Until); zero is unbounded.
	Since, Until time.Time
	// AfterID, if not 0, selects only entries with a greater ID, for
	// following the log. On PostgreSQL, transactions of several writers
	// may commit out of ID order: a follower must look back a little.
	AfterID int64
	// Limit is the most entries to return: at most MaxAuditLimit; 0
	// means DefaultAuditLimit.
	Limit int
	// Cursor is "" for the first page, else a Next from an earlier page
	// of the same query.
	Cursor string
}

// Bounds of AuditQuery.Limit.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
)

// AuditPage is one page of audit entries, newest first.
type AuditPage struct {
	Entries []AuditEntry
	// Next is the cursor of the following (older) page; "" on the last.
	Next string
}

// ErrInvalidAudit is returned for an audit entry or query that breaks a
// rule; the message says which.
var ErrInvalidAudit = errors.New("invalid audit entry or query")

// auditTimePrecision is the finest time both backends keep.
const auditTimePrecision = time.Microsecond

// PrepareAuditEntry returns e as a backend stores it: Time set to now if
// zero, in UTC and truncated to microseconds, and NUL characters and
// invalid UTF-8 replaced by U+FFFD in every string and in the payload,
// because PostgreSQL cannot store them and one odd request (a path with
// %00 or %FF) must not fail a whole batch. It fails with ErrInvalidAudit
// if Channel or Action is empty or the payload is not a JSON object.
// Backends call it so that they all store the same.
func PrepareAuditEntry(e AuditEntry, now time.Time) (AuditEntry, error) {
	if e.Channel == "" || e.Action == "" {
		return e, fmt.Errorf("audit entry without channel or action: %w", ErrInvalidAudit)
	}
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = e.Time.UTC().Truncate(auditTimePrecision)
	e.Duration = e.Duration.Truncate(auditTimePrecision)
	for _, p := range []*string{&e.WorkspaceID, &e.Channel, &e.Action, &e.Actor, &e.Target, &e.CorrelationID} {
		*p = cleanText(*p)
	}
	if len(e.Payload) == 0 {
		e.Payload = nil
		return e, nil
	}
	p := bytes.TrimSpace(e.Payload)
	if len(p) == 0 || p[0] != '{' || !json.Valid(p) {
		return e, fmt.Errorf("audit payload is not a JSON object: %w", ErrInvalidAudit)
	}
	if bytes.Contains(p, []byte(`\u0000`)) || !utf8.Valid(p) {
		// Rare, so decoding to find the escapes that are NULs (and not
		// an escaped backslash before "u0000") costs nothing in general.
		// Decoding replaces invalid UTF-8 as well.
		d := json.NewDecoder(bytes.NewReader(p))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return e, fmt.Errorf("audit payload: %w", ErrInvalidAudit)
		}
		b, err := json.Marshal(cleanJSON(v))
		if err != nil {
			return e, fmt.Errorf("audit payload: %w", err)
		}
		p = b
	}
	e.Payload = p
	return e, nil
}

func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func cleanJSON(v any) any {
	switch v := v.(type) {
	case string:
		return cleanText(v)
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[cleanText(k)] = cleanJSON(x)
		}
		return m
	case []any:
		for i, x := range v {
			v[i] = cleanJSON(x)
		}
	}
	return v
}

// CheckAuditQuery checks q and returns its limit, for backends.
func CheckAuditQuery(q AuditQuery) (int, error) {
	switch {
	case q.Limit < 0 || q.Limit > MaxAuditLimit:
		return 0, fmt.Errorf("limit %d: must be 1 to %d: %w", q.Limit, MaxAuditLimit, ErrInvalidAudit)
	case q.Limit == 0:
		return DefaultAuditLimit, nil
	}
	return q.Limit, nil
}

// ActionRange returns the range [lo, hi) of actions that an
// AuditQuery.Action ending in "*" matches, for an index range scan, and
// whether it ends so. hi is the prefix followed by the greatest code
// point, which sorts after the prefix followed by any other.
func ActionRange(action string) (lo, hi string, prefix bool) {
	lo, prefix = strings.CutSuffix(action, "*")
	return lo, lo + "\U0010FFFF", prefix
}
