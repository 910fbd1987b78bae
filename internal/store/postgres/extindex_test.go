package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/scimd/scimd/internal/pgtest"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/storetest"
)

// TestExtensionIndexes checks that declarations' indexes are made and
// dropped with them, and that PostgreSQL reads them for eq on their
// attributes, in the plans made for the arguments and in the generic
// plans PostgreSQL may switch a prepared statement to.
func TestExtensionIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A schema of its own: declarations change its tables' indexes.
	st := openTest(t, pgtest.URL(t))
	storetest.ExtensionIndexPlans(t, st, storetest.Planner{
		Analyze: func(t *testing.T) {
			if _, err := st.pool.Exec(ctx, `ANALYZE resources`); err != nil {
				t.Fatal(err)
			}
		},
		Indexes: func(t *testing.T) []string {
			rows, err := st.pool.Query(ctx, `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE 'ext\_%' ORDER BY indexname`)
			if err != nil {
				t.Fatal(err)
			}
			names, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			return names
		},
		Plans: func(t *testing.T, ws string, q store.Query) []string {
			l, err := st.ListStatements(ws, "User", q)
			if err != nil {
				t.Fatal(err)
			}
			var plans []string
			for _, generic := range []bool{false, true} {
				plans = append(plans, explain(t, st, l.Count, l.CountArgs, generic), explain(t, st, l.Page, l.PageArgs, generic), explain(t, st, l.Examine, l.ExamineArgs, generic))
			}
			return plans
		},
	})
}
