package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/duration"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/postgres"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/token"
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
  SCIMD_ADMIN_TOKEN=scimd_admin_... scimd audit --server http://10.0.0.5:8081 --channel admin

Flags:
`

// followInterval is how often --follow asks for new entries.
var followInterval = 500 * time.Millisecond

// followLag is how far back --follow looks again, since on PostgreSQL
// replicas' transactions can commit out of id order: an entry whose id
// was passed is still printed if it commits within this time.
const followLag = 2 * time.Second

func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), auditUsage)
		printFlags(fs)
	}
	f := newCommandFlags(fs, onInstallation, "print JSON lines instead of a table")
	q := url.Values{}
	str := func(name, param, usage string) {
		fs.Func(name, usage, func(v string) error {
			q.Set(param, v)
			return nil
		})
	}
	str("workspace", "workspace", "only the workspace with this slug (or the id of a deleted one)")
	str("channel", "channel", "only this channel: scim, admin, effect")
	str("action", "action", "only this action, e.g. user.create, or actions starting so, e.g. 'user.*'")
	str("actor", "actor", "only this actor, e.g. token:tok_...")
	str("target", "target", "only entries about this resource id")
	str("correlation-id", "correlation_id", "only entries with this correlation id")
	since := fs.String("since", "", "only entries from this time on: a duration back from now (90s, 1h, 7d) or a time (RFC 3339, or a date in UTC)")
	until := fs.String("until", "", "only entries before this time, as for --since")
	limit := fs.Int("limit", 100, "print at most this many entries (the most recent)")
	follow := fs.Bool("follow", false, "then print new entries every 500 ms until interrupted")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("audit: unexpected argument %q (see scimd audit -h)", pos[0])
	}
	if *limit < 0 {
		return errors.New("audit: --limit must not be negative")
	}
	// Times are read here rather than by the server, so that "1h" is an
	// hour before the command ran, whatever the server's clock says.
	now := time.Now()
	for flag, v := range map[string]string{"since": *since, "until": *until} {
		t, err := parseWhen(v, now)
		if err != nil {
			return fmt.Errorf("audit: --%s: %w", flag, err)
		}
		if !t.IsZero() {
			q.Set(flag, t.UTC().Format(time.RFC3339Nano))
		}
	}

	if *follow {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	api, err := f.connectAudit(ctx)
	if err != nil {
		return err
	}
	defer api.close()
	// Following starts from the newest entry of all as it is before the
	// first query, so that an entry stored between the two is printed by
	// one or the other.
	var newest int64
	if *follow {
		latest, _, err := auditPage(ctx, api, url.Values{"limit": {"1"}})
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		for _, e := range latest {
			newest = e.ID
		}
	}
	p := &auditPrinter{w: stdout, json: f.asJSON}
	entries, err := recentAudit(ctx, api, q, *limit)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	p.header()
	if err := p.print(entries); err != nil {
		return err
	}
	if !*follow {
		return nil
	}
	return followAudit(ctx, api, q, newest, entries, p)
}

// connectAudit connects as connect does, but with a database reads it
// alone: reading the audit log needs no installation secret, and a
// missing SQLite file is an error rather than a new, empty database.
func (o *clientFlags) connectAudit(ctx context.Context) (*apiClient, error) {
	if o.server != "" {
		return o.remote()
	}
	st, err := openStore(ctx, o.db)
	if err != nil {
		return nil, err
	}
	// No token is minted or checked: any key will do.
	return o.local(st, token.NewHasher(make([]byte, 32)))
}

// auditEntry is an entry of the audit log as the admin API shows it,
// with its JSON, as --json prints it.
type auditEntry struct {
	admin.AuditEntry
	raw json.RawMessage
}

// auditPage asks for a page of the log, newest first.
func auditPage(ctx context.Context, api *apiClient, q url.Values) ([]auditEntry, string, error) {
	var page struct {
		Entries    []json.RawMessage `json:"entries"`
		NextCursor string            `json:"next_cursor"`
	}
	if _, err := api.do(ctx, http.MethodGet, "/audit", q, nil, &page); err != nil {
		return nil, "", err
	}
	out := make([]auditEntry, len(page.Entries))
	for i, raw := range page.Entries {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, "", err
		}
		out[i].raw = raw
	}
	return out, page.NextCursor, nil
}

// recentAudit returns the limit most recent entries matching q, oldest
// first.
func recentAudit(ctx context.Context, api *apiClient, q url.Values, limit int) ([]auditEntry, error) {
	var out []auditEntry
	q = maps.Clone(q)
	for len(out) < limit {
		q.Set("limit", strconv.Itoa(min(limit-len(out), store.MaxAuditLimit)))
		page, next, err := auditPage(ctx, api, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			break
		}
		q.Set("cursor", next)
	}
	slices.Reverse(out)
	return out, nil
}

// followAudit prints the entries stored after those already printed,
// every followInterval, until ctx ends. It asks for the entries with ids
// above those seen followLag ago (at first, above newest, the greatest id
// before printed were read), and skips those it printed, so that an entry
// committed after one with a greater id is not missed.
func followAudit(ctx context.Context, api *apiClient, q url.Values, newest int64, printed []auditEntry, p *auditPrinter) error {
	type mark struct {
		t  time.Time
		id int64
	}
	// floor is the id above which to look; marks are the greatest ids
	// seen at each poll, which become the floor once followLag has
	// passed.
	floor, top := newest, newest
	seen := map[int64]bool{}
	for _, e := range printed {
		seen[e.ID] = true
		top = max(top, e.ID)
	}
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
		for len(marks) > 0 && !marks[0].t.After(now.Add(-followLag)) {
			floor = max(floor, marks[0].id)
			marks = marks[1:]
		}
		for id := range seen {
			if id <= floor {
				delete(seen, id)
			}
		}
		q := maps.Clone(q)
		q.Set("after", strconv.FormatInt(floor, 10))
		q.Set("limit", strconv.Itoa(store.MaxAuditLimit))
		var fresh []auditEntry
		for {
			page, next, err := auditPage(ctx, api, q)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return fmt.Errorf("audit: %w", err)
			}
			for _, e := range page {
				if !seen[e.ID] {
					seen[e.ID] = true
					fresh = append(fresh, e)
				}
				top = max(top, e.ID)
			}
			if next == "" {
				break
			}
			q.Set("cursor", next)
		}
		marks = append(marks, mark{now, top})
		slices.SortFunc(fresh, func(a, b auditEntry) int {
			return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID))
		})
		if err := p.print(fresh); err != nil {
			return err
		}
	}
}

// parseWhen reads --since and --until: a duration back from now, with
// days too ("7d", "1d12h"); an RFC 3339 time; or a date, taken as
// midnight UTC.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := duration.Parse(s); err == nil {
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
	path, err := sqlitePath(db)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("--db %s: %w", db, err)
	}
	return sqlite.Open(ctx, path)
}

// auditPrinter prints entries as a table or as JSON lines.
type auditPrinter struct {
	w    io.Writer
	json bool
}

// auditRowFormat lays out the table in fixed columns, so that rows
// printed by --follow line up with the ones before.
const auditRowFormat = "%-24s  %-12s  %-7s  %-16s  %-26s  %-22s  %6s  %9s  %-32s  %s"

func (p *auditPrinter) header() {
	if !p.json {
		fmt.Fprintln(p.w, strings.TrimRight(fmt.Sprintf(auditRowFormat, "TIME (UTC)", "WORKSPACE", "CHANNEL", "ACTION", "ACTOR", "TARGET", "STATUS", "DURATION", "CORRELATION ID", "DETAIL"), " "))
	}
}

func (p *auditPrinter) print(entries []auditEntry) error {
	var b []byte
	for _, e := range entries {
		if p.json {
			var line bytes.Buffer
			if err := json.Compact(&line, e.raw); err != nil {
				return fmt.Errorf("audit: entry %d: %w", e.ID, err)
			}
			b = append(append(b, line.Bytes()...), '\n')
			continue
		}
		// A deleted workspace has no slug any more.
		ws := cmp.Or(e.Workspace, e.WorkspaceID, "-")
		status, duration := "", ""
		if e.Status != 0 {
			status = strconv.Itoa(e.Status)
		}
		if e.DurationMS != 0 {
			duration = strconv.FormatFloat(e.DurationMS, 'f', 1, 64) + "ms"
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
