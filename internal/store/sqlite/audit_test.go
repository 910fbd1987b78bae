package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/storetest"
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
	storetest.AuditPlans(t, dialect{}, func(t *testing.T, query string, args []any, index string) (string, bool) {
		p := plan(t, st, query, args)
		return p, strings.Contains(p, "INDEX "+index) && !strings.Contains(p, "TEMP B-TREE")
	})
}
