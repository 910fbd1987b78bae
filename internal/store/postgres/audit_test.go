package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlquery"
)

// TestAuditPlans checks that audit queries can be answered from an index
// that also gives their order, so that a page costs its rows whatever the
// size of the log. The table is nearly empty, so sequential scans and
// sorts are priced out, as they would lose on a large log.
func TestAuditPlans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openTest(t, testDB(t))
	conn, err := st.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, q := range []string{`SET enable_seqscan = off`, `SET enable_sort = off`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	defer conn.Exec(ctx, `RESET enable_seqscan; RESET enable_sort`)
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
		{"correlation id", store.AuditQuery{CorrelationID: "c1"}, "audit_log_correlation"},
		{"target", store.AuditQuery{Target: "usr_a", Cursor: cursor}, "audit_log_target"},
		{"channel and action", store.AuditQuery{Channel: "scim", Action: "user.create"}, "audit_log_action"},
	} {
		query, args, _, err := sqlquery.AuditSelect(st.d, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := conn.Query(ctx, "EXPLAIN "+query, args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tt.name, err, query)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		plan := strings.Join(lines, "\n")
		if !strings.Contains(plan, "using "+tt.index) || strings.Contains(plan, "Sort") {
			t.Errorf("%s: plan does not read %s in order:\n%s\n%s", tt.name, tt.index, plan, query)
		}
	}
}
