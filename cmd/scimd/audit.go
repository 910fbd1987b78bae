package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/sqlite"
)

const auditUsage = `Usage: scimd audit [flags]

Prints the audit log: the most recent entries that match the flags, oldest
first, as a table, or with --json as JSON lines (one object per entry,
with the columns of the audit_log table). With --follow it then prints new
entries as they are stored, until interrupted.

Examples:
  scimd audit                                  the last 100 entries
  scimd audit --workspace acme --since 1h      acme's entries of the last hour
  scimd audit --target usr_5xq2m7kd3c9wefha    what happened to one user
  scimd audit --correlation-id 4bf92f35...     everything one request did
  scimd audit --action 'group.*' --limit 1000  group changes
  scimd audit --channel scim --follow          watch SCIM requests arrive
  scimd audit --since 2025-06-01 --until 2025-06-02 --json | jq .payload.diff

Flags:
`

// followInterval is how often --follow asks for new entries.
var followInterval = 500 * time.Millisecond

// followLag is how far back --follow looks again on PostgreSQL, where
// replicas' transactions can commit out of id order: an entry whose id
// was passed is still printed if it commits within this time.
const followLag = 2 * time.Second

func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), auditUsage)
		fs.PrintDefaults()
	}
	db := fs.String("db", env("SCIMD_DB", "sqlite:scimd.db"), "database URL: sqlite:PATH or postgres://USER@HOST/DB (env SCIMD_DB)")
	var q store.AuditQuery
	slug := fs.String("workspace", "", "only the workspace with this slug")
	fs.StringVar(&q.Channel, "channel", "", "only this channel: scim, admin, effect")
	fs.StringVar(&q.Action, "action", "", "only this action, e.g. user.create, or actions starting so, e.g. 'user.*'")
	fs.StringVar(&q.Actor, "actor", "", "only this actor, e.g. token:tok_...")
	fs.StringVar(&q.Target, "target", "", "only entries about this resource id")
	fs.StringVar(&q.CorrelationID, "correlation-id", "", "only entries with this correlation id")
	since := fs.String("since", "", "only entries from this time on: a duration back from now (90s, 1h, 7d) or a time (RFC 3339, or a date in UTC)")
	until := fs.String("until", "", "only entries before this time, as for --since")
	limit := fs.Int("limit", 100, "print at most this many entries (the most recent)")
	asJSON := fs.Bool("json", false, "print JSON lines instead of a table")
	follow := fs.Bool("follow", false, "then print new entries every 500 ms until interrupted")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("audit: unexpected argument %q (see scimd audit -h)", fs.Arg(0))
	}
	if *limit < 0 {
		return errors.New("audit: --limit must not be negative")
	}
	now := time.Now()
	var err error
	if q.Since, err = parseWhen(*since, now); err != nil {
		return fmt.Errorf("audit: --since: %w", err)
	}
	if q.Until, err = parseWhen(*until, now); err != nil {
		return fmt.Errorf("audit: --until: %w", err)
	}

	if *follow {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	st, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	p := &auditPrinter{w: stdout, json: *asJSON, st: st}
	if err := p.loadWorkspaces(ctx); err != nil {
		return err
	}
	if *slug != "" {
		w, err := st.WorkspaceBySlug(ctx, *slug)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("audit: workspace %q does not exist", *slug)
		}
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		q.WorkspaceID = w.ID
	}

	entries, err := recentAudit(ctx, st, q, *limit)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	p.header()
	if err := p.print(ctx, entries); err != nil {
		return err
	}
	if !*follow {
		return nil
	}
	lag := time.Duration(0)
	if isPostgres(*db) {
		lag = followLag
	}
	return followAudit(ctx, st, q, entries, lag, p)
}

// recentAudit returns the limit most recent entries matching q, oldest
// first.
func recentAudit(ctx context.Context, st store.AuditStore, q store.AuditQuery, limit int) ([]store.AuditEntry, error) {
	var out []store.AuditEntry
	for len(out) < limit {
		q.Limit = min(limit-len(out), store.MaxAuditLimit)
		page, err := st.QueryAudit(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Entries...)
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	slices.Reverse(out)
	return out, nil
}

// followAudit prints the entries stored after those already printed,
// every followInterval, until ctx ends. It asks for the entries with ids
// above those seen lag ago, and skips those it printed, so that an entry
// committed after one with a greater id is not missed.
func followAudit(ctx context.Context, st store.AuditStore, q store.AuditQuery, printed []store.AuditEntry, lag time.Duration, p *auditPrinter) error {
	type mark struct {
		t  time.Time
		id int64
	}
	// floor is the id above which to look; marks are the greatest ids
	// seen at each poll, which become the floor once lag has passed.
	var floor, top int64
	for _, e := range printed {
		top = max(top, e.ID)
	}
	if top == 0 {
		// Nothing matched yet: start from the newest entry of all.
		latest, err := st.QueryAudit(ctx, store.AuditQuery{Limit: 1})
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		for _, e := range latest.Entries {
			top = e.ID
		}
	}
	floor = top
	seen := map[int64]bool{}
	var marks []mark
	t := time.NewTicker(followInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		now := time.Now()
		for len(marks) > 0 && !marks[0].t.After(now.Add(-lag)) {
			floor = max(floor, marks[0].id)
			marks = marks[1:]
		}
		for id := range seen {
			if id <= floor {
				delete(seen, id)
			}
		}
		q := q
		q.AfterID, q.Cursor, q.Limit = floor, "", store.MaxAuditLimit
		var fresh []store.AuditEntry
		for {
			page, err := st.QueryAudit(ctx, q)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return fmt.Errorf("audit: %w", err)
			}
			for _, e := range page.Entries {
				if !seen[e.ID] {
					seen[e.ID] = true
					fresh = append(fresh, e)
				}
				top = max(top, e.ID)
			}
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
		if lag == 0 {
			floor = top
		} else {
			marks = append(marks, mark{now, top})
		}
		slices.SortFunc(fresh, func(a, b store.AuditEntry) int {
			return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID))
		})
		if err := p.print(ctx, fresh); err != nil {
			return err
		}
	}
}

// parseWhen reads --since and --until: a duration back from now, with
// "d" for days; an RFC 3339 time; or a date, taken as midnight UTC.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && days >= 0 {
			return now.Add(-time.Duration(days) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (1h, 7d) nor a time (2025-06-01T12:00:00Z, 2025-06-01)", s)
}

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// openStore opens the database alone: reading the audit log needs no
// installation secret. A missing SQLite file is an error rather than a
// new, empty database.
func openStore(ctx context.Context, db string) (store.Store, error) {
	if isPostgres(db) {
		return postgres.Open(ctx, db)
	}
	path, ok := strings.CutPrefix(db, "sqlite:")
	if !ok {
		return nil, fmt.Errorf("--db %q: want sqlite:PATH or postgres://USER@HOST/DB", redact(db))
	}
	path = strings.TrimPrefix(path, "//")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("--db %s: %w", db, err)
	}
	return sqlite.Open(ctx, path)
}

// auditPrinter prints entries as a table or as JSON lines.
type auditPrinter struct {
	w     io.Writer
	json  bool
	st    store.TenantStore
	slugs map[string]string // workspace id to slug
}

func (p *auditPrinter) loadWorkspaces(ctx context.Context) error {
	ws, err := p.st.Workspaces(ctx)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	p.slugs = make(map[string]string, len(ws))
	for _, w := range ws {
		p.slugs[w.ID] = w.Slug
	}
	return nil
}

// slug returns the slug of a workspace, or its id if it has none (it was
// deleted), reading the workspaces again for one created since.
func (p *auditPrinter) slug(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	if s, ok := p.slugs[id]; ok {
		return s
	}
	if p.loadWorkspaces(ctx) == nil {
		if s, ok := p.slugs[id]; ok {
			return s
		}
	}
	p.slugs[id] = id
	return id
}

// auditRowFormat lays out the table in fixed columns, so that rows
// printed by --follow line up with the ones before.
const auditRowFormat = "%-24s  %-12s  %-7s  %-16s  %-26s  %-22s  %6s  %9s  %-32s  %s"

func (p *auditPrinter) header() {
	if !p.json {
		fmt.Fprintln(p.w, strings.TrimRight(fmt.Sprintf(auditRowFormat, "TIME (UTC)", "WORKSPACE", "CHANNEL", "ACTION", "ACTOR", "TARGET", "STATUS", "DURATION", "CORRELATION ID", "DETAIL"), " "))
	}
}

// auditJSON is an entry as a JSON line: the audit_log columns, and the
// workspace's slug.
type auditJSON struct {
	ID            int64           `json:"id"`
	Time          string          `json:"ts"`
	WorkspaceID   string          `json:"workspace_id,omitempty"`
	Workspace     string          `json:"workspace,omitempty"`
	Channel       string          `json:"channel"`
	Action        string          `json:"action"`
	Actor         string          `json:"actor,omitempty"`
	Target        string          `json:"target,omitempty"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	Status        int             `json:"status,omitempty"`
	DurationMS    float64         `json:"duration_ms,omitempty"`
	Payload       json.RawMessage `json:"payload,omitempty"`
}

func (p *auditPrinter) print(ctx context.Context, entries []store.AuditEntry) error {
	var b []byte
	for _, e := range entries {
		if p.json {
			line, err := json.Marshal(auditJSON{
				ID: e.ID, Time: e.Time.UTC().Format(time.RFC3339Nano), WorkspaceID: e.WorkspaceID, Workspace: p.slug(ctx, e.WorkspaceID),
				Channel: e.Channel, Action: e.Action, Actor: e.Actor, Target: e.Target, CorrelationID: e.CorrelationID,
				Status: e.Status, DurationMS: float64(e.Duration.Microseconds()) / 1000, Payload: e.Payload,
			})
			if err != nil {
				return fmt.Errorf("audit: entry %d: %w", e.ID, err)
			}
			b = append(append(b, line...), '\n')
			continue
		}
		ws := p.slug(ctx, e.WorkspaceID)
		if ws == "" {
			ws = "-"
		}
		status, duration := "", ""
		if e.Status != 0 {
			status = strconv.Itoa(e.Status)
		}
		if e.Duration != 0 {
			duration = strconv.FormatFloat(float64(e.Duration.Microseconds())/1000, 'f', 1, 64) + "ms"
		}
		row := fmt.Sprintf(auditRowFormat, e.Time.UTC().Format("2006-01-02T15:04:05.000Z"), ws, e.Channel, e.Action,
			dash(e.Actor), dash(e.Target), status, duration, dash(e.CorrelationID), detail(e.Payload))
		b = append(append(b, strings.TrimRight(row, " ")...), '\n')
	}
	if _, err := p.w.Write(b); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// detail summarises a payload for the table: the error of a failed
// request, else the attributes a write changed.
func detail(payload json.RawMessage) string {
	var p struct {
		Error string                     `json:"error"`
		Diff  map[string]json.RawMessage `json:"diff"`
	}
	if len(payload) == 0 || json.Unmarshal(payload, &p) != nil {
		return ""
	}
	if p.Error != "" {
		return p.Error
	}
	keys := make([]string, 0, len(p.Diff))
	for k := range p.Diff {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}
