package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlquery"
)

// TestAuditPlans checks that audit queries are answered from an index
// that also gives their order, so that a page costs its rows whatever the
// size of the log. (An action prefix is a range, after which ts is not in
// order: the planner chooses between that index and a sort, and the ts
// index.)
func TestAuditPlans(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Statistics as on a large log, so that the planner chooses as it
	// would there.
	var es []store.AuditEntry
	for i := range 200 {
		es = append(es, store.AuditEntry{WorkspaceID: "ws_" + string(rune('a'+i%3)), Channel: "scim", Action: "user.patch",
			Actor: "token:tok_1", Target: "usr_" + string(rune('a'+i%26)), CorrelationID: "c" + string(rune('a'+i%26))})
	}
	if err := st.AppendAudit(ctx, es); err != nil {
		t.Fatal(err)
	}
	if _, err := st.w.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
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
		query, args, _, err := sqlquery.AuditSelect(dialect{}, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		p := plan(t, st, query, args)
		if !strings.Contains(p, "INDEX "+tt.index) || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s: plan does not read %s in order:\n%s\n%s", tt.name, tt.index, p, query)
		}
	}
}
