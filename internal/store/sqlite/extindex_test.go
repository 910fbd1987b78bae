package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/storetest"
)

// TestExtensionIndexes checks that declarations' indexes are made and
// dropped with them, and that SQLite reads them for eq on their
// attributes.
func TestExtensionIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.ExtensionIndexPlans(t, st, storetest.Planner{
		Analyze: func(t *testing.T) {
			if _, err := st.w.ExecContext(ctx, `ANALYZE`); err != nil {
				t.Fatal(err)
			}
		},
		Indexes: func(t *testing.T) []string {
			return column(t, st, `SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ext\_%' ESCAPE '\' ORDER BY name`)
		},
		Plans: func(t *testing.T, ws string, q store.Query) []string {
			l, err := st.ListStatements(ws, "User", q)
			if err != nil {
				t.Fatal(err)
			}
			var plans []string
			for _, s := range []struct {
				sql  string
				args []any
			}{{l.Count, l.CountArgs}, {l.Page, l.PageArgs}, {l.Examine, l.ExamineArgs}} {
				plans = append(plans, plan(t, st, s.sql, s.args))
			}
			return plans
		},
	})
}

// column returns the one column of the rows of query.
func column(t *testing.T, st *Store, query string) []string {
	t.Helper()
	rows, err := st.r.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// plan returns SQLite's plan of query with args.
func plan(t *testing.T, st *Store, query string, args []any) string {
	t.Helper()
	rows, err := st.r.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}
