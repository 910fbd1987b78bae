package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/scimd/scimd/internal/store/storetest"
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
	storetest.AuditPlans(t, st.d, func(t *testing.T, query string, args []any, index string) (string, bool) {
		rows, err := conn.Query(ctx, "EXPLAIN "+query, args...)
		if err != nil {
			t.Fatalf("%v\n%s", err, query)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		plan := strings.Join(lines, "\n")
		return plan, strings.Contains(plan, "using "+index) && !strings.Contains(plan, "Sort")
	})
}
