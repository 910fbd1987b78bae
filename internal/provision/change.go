package provision

import (
	"context"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// Change describes what a write did, for the audit log: the document
// before and after, and the group members added and removed. Before is nil
// for a create, After nil for a delete. For member changes made without
// reading the group, Added and Removed are what was asked for, and a
// request that cleared the group is marked Cleared. Stores may run update
// closures more than once, so writes assign every field, never append.
type Change struct {
	// Type is the resource's type, with the extensions its workspace
	// declared: what of Before and After may be shown depends on it
	// (see schema.ResourceType.Returnable).
	Type           *schema.ResourceType
	Before, After  map[string]any
	Added, Removed []string
	Cleared        bool
	// Audited says that the write carries its audit entry, made by the
	// context's Auditor, among its effects: if the write is stored, so
	// is the entry, in the same transaction.
	Audited bool
}

// A Result is what a write did: the resource as stored and the change,
// for the audit log.
type Result struct {
	Resource *store.Resource
	Change   Change
}

// An Auditor makes the audit log entry of a write that changed the
// resource target as c says, with its payload marshaled. A write made in
// a context with one stores the entry in its own transaction, so that no
// write is ever acknowledged, and then lost from the log by a crash,
// without its entry.
type Auditor func(target string, c *Change) store.AuditEntry

type auditorKey struct{}

// WithAuditor returns a context in which writes store the entry a makes
// with them.
func WithAuditor(ctx context.Context, a Auditor) context.Context {
	return context.WithValue(ctx, auditorKey{}, a)
}

// audit adds the audit entry of the change c to target to fx, if ctx has
// an Auditor, and notes in c that it did. Closures that the store may run
// again call it each time, last, so that the entry shows the change that
// is stored.
func audit(ctx context.Context, target string, c *Change, fx *store.Effects) {
	a, _ := ctx.Value(auditorKey{}).(Auditor)
	if a == nil {
		return
	}
	c.Audited = true
	fx.Audit = []store.AuditEntry{a(target, c)}
}

// auditUpdate adds the audit entry of the change c to target to up,
// where the store writes it: with the deletion up makes, if any.
func auditUpdate(ctx context.Context, target string, c *Change, up *store.Update) *store.Update {
	fx := &up.Effects
	if up.Delete != nil {
		fx = &up.Delete.Effects
	}
	audit(ctx, target, c, fx)
	return up
}
