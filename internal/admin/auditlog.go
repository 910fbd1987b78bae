package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/duration"
	"github.com/scimd/scimd/internal/store"
)

// record stores the audit entry of a write, whether it succeeded or not:
// a refused attempt to change the installation is worth knowing about.
//
// It appends to the store directly, before the response is sent, rather
// than through an audit.Writer: administrative writes are rare, so
// waiting for one insert costs nothing that matters, and an operator's
// change is then in the log when the operator sees the answer, and never
// among the entries a Writer drops when the database falls behind. A
// failed append is logged and does not fail the request, whose change is
// already made: answering with an error would invite a retry of a write
// that succeeded.
func (h *Handler) record(c *call, action string, status int, err error, d time.Duration) {
	payload := map[string]any{"method": c.r.Method, "path": c.r.URL.Path}
	if c.actor.ID != "" {
		payload["token_id"], payload["token_name"] = c.actor.ID, c.actor.Name
	}
	for k, v := range c.details {
		payload[k] = v
	}
	if err != nil {
		e := h.api.AsError(err)
		payload["error"] = e.Code + ": " + e.Message
	}
	b, merr := json.Marshal(payload)
	if merr != nil {
		b, _ = json.Marshal(map[string]string{"payload_error": merr.Error()})
	}
	e := store.AuditEntry{
		WorkspaceID:   c.workspaceID,
		Channel:       audit.ChannelAdmin,
		Action:        action,
		Actor:         c.operator,
		Target:        c.target,
		CorrelationID: audit.CorrelationID(c.r.Header),
		Status:        status,
		Duration:      d,
		Payload:       b,
	}
	// Not the request's context: a write that took the whole timeout
	// must still be recorded.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.r.Context()), 10*time.Second)
	defer cancel()
	if err := h.store.AppendAudit(ctx, []store.AuditEntry{e}); err != nil {
		h.log.Error("admin: audit entry lost", "action", action, "target", c.target, "err", err)
	}
}

// listAudit answers GET /audit: one page, newest first.
func listAudit(h *Handler, c *call) (int, any, error) {
	q := store.AuditQuery{
		Channel:       c.query("channel"),
		Action:        c.query("action"),
		Actor:         c.query("actor"),
		Target:        c.query("target"),
		CorrelationID: c.query("correlation_id"),
		Cursor:        c.query("cursor"),
	}
	now := h.now()
	var err error
	if q.Since, err = parseWhen("since", c.query("since"), now); err != nil {
		return 0, nil, err
	}
	if q.Until, err = parseWhen("until", c.query("until"), now); err != nil {
		return 0, nil, err
	}
	if q.Limit, err = parseLimit(c.query("limit"), store.DefaultAuditLimit, store.MaxAuditLimit); err != nil {
		return 0, nil, err
	}
	if s := c.query("after"); s != "" {
		if q.AfterID, err = strconv.ParseInt(s, 10, 64); err != nil || q.AfterID < 0 {
			return 0, nil, badParam("after=%s: want the id of an entry, a number", s)
		}
	}
	slugs, err := h.slugs(c.r.Context())
	if err != nil {
		return 0, nil, err
	}
	if ws := c.query("workspace"); ws != "" {
		q.WorkspaceID = workspaceIDOf(slugs, ws)
		if q.WorkspaceID == "" {
			return 0, nil, newError(http.StatusNotFound, CodeWorkspaceNotFound,
				"workspace %q does not exist; give the id (ws_…) of a deleted workspace to see its entries", ws)
		}
	}
	if c.link != nil {
		if err := linkAuditQuery(c, &q); err != nil {
			return 0, nil, err
		}
	}
	page, err := h.store.QueryAudit(c.r.Context(), q)
	if errors.Is(err, store.ErrInvalidCursor) {
		return 0, nil, newError(http.StatusBadRequest, CodeInvalidCursor, "the cursor is not one this query issued; start again without it")
	}
	if err != nil {
		return 0, nil, err
	}
	out := AuditPage{Entries: make([]AuditEntry, len(page.Entries)), NextCursor: page.Next}
	for i, e := range page.Entries {
		out.Entries[i] = AuditEntry{
			ID: e.ID, Time: e.Time.UTC(), WorkspaceID: e.WorkspaceID, Workspace: slugs[e.WorkspaceID],
			Channel: e.Channel, Action: e.Action, Actor: e.Actor, Target: e.Target, CorrelationID: e.CorrelationID,
			Status: e.Status, DurationMS: float64(e.Duration.Microseconds()) / 1000, Payload: e.Payload,
		}
	}
	return http.StatusOK, out, nil
}

// slugs maps workspace ids to slugs.
func (h *Handler) slugs(ctx context.Context) (map[string]string, error) {
	ws, err := h.store.Workspaces(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(ws))
	for _, w := range ws {
		m[w.ID] = w.Slug
	}
	return m, nil
}

// workspaceIDOf returns the id of the workspace named by slug or id. An
// id that is no longer a workspace's is kept, for the entries of deleted
// workspaces.
func workspaceIDOf(slugs map[string]string, ws string) string {
	for id, slug := range slugs {
		if slug == ws {
			return id
		}
	}
	if strings.HasPrefix(ws, "ws_") {
		return ws
	}
	return ""
}

// parseWhen reads since and until: an RFC 3339 time, a date (midnight
// UTC), or a duration back from now ("90m", "24h", "7d").
func parseWhen(name, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := duration.Parse(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, badParam("%s=%s: want an RFC 3339 time (2025-06-01T12:00:00Z), a date (2025-06-01) or a duration back from now (24h, 7d)", name, s)
}

// parseLimit reads the limit parameter of a listing.
func parseLimit(s string, def, maxLimit int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, badParam("limit=%s: want a number from 1 to %d", s, maxLimit)
	}
	return n, nil
}
