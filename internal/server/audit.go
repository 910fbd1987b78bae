package server

import (
	"cmp"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
)

type recordKey struct{}

// record is what the handlers of a request tell the audit log about it.
// ServeHTTP creates it and writes the entry when the request is done.
type record struct {
	correlationID string
	start         time.Time
	auth          *authEntry // set once the token is accepted
	action        string
	target        string
	err           *scimerr.Error
	change        *provision.Change // what a write changed
	// written says the handler wrote its own entries (bulk: one per
	// operation), so the request needs none.
	written bool
}

func recordOf(ctx context.Context) *record {
	if r, ok := ctx.Value(recordKey{}).(*record); ok {
		return r
	}
	return &record{}
}

// setAction names what the request does and to what.
func setAction(r *http.Request, action, target string) {
	rec := recordOf(r.Context())
	rec.action, rec.target = action, target
}

func resourceAction(rt *schema.ResourceType, verb string) string {
	return strings.ToLower(rt.ID) + "." + verb
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// audit writes the entry of a finished SCIM request: every request of an
// accepted token, or only writes, searches and failures without
// AuditReads. A successful write stored its entry itself (see
// auditWrite).
func (s *Server) audit(r *http.Request, rec *record, status int, start time.Time) {
	if s.cfg.Audit == nil || rec.auth == nil || rec.written || (status < 400 && rec.change != nil && rec.change.Audited) {
		return
	}
	if !s.cfg.AuditReads && !isWrite(r.Method) && status < 400 && !strings.HasSuffix(rec.action, "search") {
		return
	}
	s.writeAudit(r, rec, event{
		method: r.Method, path: r.URL.Path,
		action: rec.action, target: rec.target,
		status: status, start: start,
		change: rec.change, err: rec.err,
	})
}

// event is one audited action: a request, or an operation of a bulk
// request.
type event struct {
	method, path   string
	action, target string
	status         int
	start          time.Time
	change         *provision.Change // the effect of a successful write
	err            *scimerr.Error    // why it failed
}

// auditWrite returns the context for the write of the request that, if
// it succeeds, is answered with status: the write stores the entry
// of the event in its own transaction. An entry queued for the background
// writer instead would be lost to a crash between the answer and the
// batch, leaving an acknowledged write that the log does not show.
func (s *Server) auditWrite(r *http.Request, ev event) context.Context {
	rec := recordOf(r.Context())
	if s.cfg.Audit == nil || rec.auth == nil {
		return r.Context()
	}
	return provision.WithAuditor(r.Context(), func(target string, c *provision.Change) store.AuditEntry {
		ev := ev
		ev.target, ev.change = target, c
		return audit.WithPayload(s.auditEntry(r, rec, ev))
	})
}

// writing returns the context for the write of the request, which
// answers status if it succeeds (see auditWrite).
func (s *Server) writing(r *http.Request, status int) context.Context {
	rec := recordOf(r.Context())
	return s.auditWrite(r, event{method: r.Method, path: r.URL.Path, action: rec.action, status: status, start: rec.start})
}

// writeAudit queues the entry of an event of the request.
func (s *Server) writeAudit(r *http.Request, rec *record, ev event) {
	s.cfg.Audit.Write(s.auditEntry(r, rec, ev))
}

// auditEntry returns the entry of an event of the request, and its
// payload.
func (s *Server) auditEntry(r *http.Request, rec *record, ev event) (store.AuditEntry, audit.Request) {
	p := audit.Request{
		Method:    ev.method,
		Path:      ev.path,
		TokenID:   rec.auth.token.ID,
		TokenName: rec.auth.token.Name,
		Headers:   audit.Headers(r.Header),
	}
	if c := ev.change; ev.status < 400 && c != nil && isWrite(ev.method) {
		before, after := c.Before, c.After
		if c.Type != nil {
			// What SCIM never returns is not recorded either, as
			// password is not.
			before, after = c.Type.Returnable(before), c.Type.Returnable(after)
		}
		p.Diff = audit.Diff(before, after).WithMembers(c.Added, c.Removed)
		if c.Cleared {
			if p.Diff == nil {
				p.Diff = audit.Changes{}
			}
			m := p.Diff["members"]
			m.Old = "all" // cleared without reading who was there
			p.Diff["members"] = m
		}
	}
	if e := ev.err; e != nil && ev.status >= 400 {
		p.Error = strings.TrimPrefix(e.ScimType+": "+e.Detail, ": ")
	}
	return store.AuditEntry{
		Time:          ev.start,
		WorkspaceID:   rec.auth.token.WorkspaceID,
		Channel:       audit.ChannelSCIM,
		Action:        cmp.Or(ev.action, "request"),
		Actor:         audit.TokenActor(rec.auth.token.ID),
		Target:        ev.target,
		CorrelationID: rec.correlationID,
		Status:        ev.status,
		Duration:      time.Since(ev.start),
	}, p
}
