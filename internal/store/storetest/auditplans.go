package storetest

import (
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlquery"
)

// AuditPlans checks that each kind of audit query, as sqlquery writes it
// for dialect d, is answered from the index that also gives its order,
// so that a page costs its rows whatever the size of the log. inOrder
// returns the backend's plan of query with args, and whether it reads
// index in order (no sort).
func AuditPlans(t *testing.T, d sqlquery.Dialect, inOrder func(t *testing.T, query string, args []any, index string) (plan string, ok bool)) {
	now := time.Now()
	cursor := sqlquery.EncodeAuditCursor(now, 100)
	for _, tt := range []struct {
		name  string
		q     store.AuditQuery
		index string
	}{
		{"all", store.AuditQuery{}, "audit_log_ts"},
		{"since", store.AuditQuery{Since: now.Add(-time.Hour), Cursor: cursor}, "audit_log_ts"},
		{"workspace", store.AuditQuery{WorkspaceID: "ws_a", Cursor: cursor}, "audit_log_workspace"},
		{"workspace and time", store.AuditQuery{WorkspaceID: "ws_a", Since: now.Add(-time.Hour), Until: now}, "audit_log_workspace"},
		{"correlation id", store.AuditQuery{CorrelationID: "ca"}, "audit_log_correlation"},
		{"target", store.AuditQuery{Target: "usr_a", Cursor: cursor}, "audit_log_target"},
		{"channel and action", store.AuditQuery{Channel: "scim", Action: "user.create"}, "audit_log_action"},
	} {
		query, args, _, err := sqlquery.AuditSelect(d, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		if plan, ok := inOrder(t, query, args, tt.index); !ok {
			t.Errorf("%s: plan does not read %s in order:\n%s\n%s", tt.name, tt.index, plan, query)
		}
	}
}
