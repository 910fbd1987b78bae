package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/pgtest"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlquery"
	"github.com/scimd/scimd/internal/store/sqlstore"
	"github.com/scimd/scimd/internal/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testDB returns the URL of a migrated schema of the test database that
// holds no rows.
func testDB(t *testing.T) string {
	return pgtest.Migrated(t, func(ctx context.Context, url string) error {
		st, err := Open(ctx, url)
		if err != nil {
			return err
		}
		return st.Close()
	})
}

func openTest(t *testing.T, dbURL string, opts ...Option) *Store {
	t.Helper()
	st, err := Open(context.Background(), dbURL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		url := testDB(t)
		return reopenable{openTest(t, url, WithClock(now)), url, now}
	})
}

// TestConcurrentMigrations opens a fresh schema from several replicas at
// once: each must succeed, and each migration must be applied once.
func TestConcurrentMigrations(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.URL(t)
	ctx := context.Background()
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			st, err := Open(ctx, dbURL)
			if err == nil {
				err = st.Ping(ctx)
				st.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	st := openTest(t, dbURL) // and once more, with nothing to do
	var count, distinct int
	if err := st.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&count, &distinct); err != nil {
		t.Fatal(err)
	}
	if count != len(files) || distinct != len(files) {
		t.Errorf("schema_migrations has %d rows (%d versions), want %d", count, distinct, len(files))
	}
}

// TestReplicas updates one group from two stores on one database, as two
// replicas would: the row lock, not the process, must order the updates.
func TestReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := testDB(t)
	a, b := openTest(t, dbURL), openTest(t, dbURL)
	if err := a.CreateWorkspace(ctx, store.Workspace{ID: "ws_a", Slug: "alpha", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	const n = 30
	var want []string
	for i := range n {
		id := fmt.Sprintf("usr_%02d", i)
		if err := a.CreateResource(ctx, &store.Resource{Type: "User", ID: id, WorkspaceID: "ws_a", Doc: map[string]any{"userName": id}}, store.Effects{}); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	if err := b.CreateResource(ctx, &store.Resource{Type: "Group", ID: "grp_1", WorkspaceID: "ws_a", Doc: map[string]any{"displayName": "G"}}, store.Effects{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, id := range want {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			_, err := st.UpdateResource(ctx, "ws_a", "Group", "grp_1", false, func(r *store.Resource) (*store.Update, error) {
				return &store.Update{Doc: r.Doc, Members: &store.MemberChange{Add: []string{id}}}, nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	g, err := b.Resource(ctx, "ws_a", "Group", "grp_1", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Members) != n || g.Version != n+1 {
		t.Errorf("%d members, version %d; want %d, %d", len(g.Members), g.Version, n, n+1)
	}
}

// TestRetry checks that a transaction PostgreSQL aborted for a deadlock
// runs again, and that other errors are returned at once.
func TestRetry(t *testing.T) {
	t.Parallel()
	st := openTest(t, testDB(t))
	ctx := context.Background()
	calls := 0
	err := st.Tx(ctx, func(sqlstore.Conn) error {
		calls++
		if calls < 3 {
			return fmt.Errorf("update: %w", &pgconn.PgError{Code: codeDeadlockDetected})
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("after deadlocks: %v, %d calls; want success on the third", err, calls)
	}
	calls = 0
	err = st.Tx(ctx, func(sqlstore.Conn) error {
		calls++
		return &pgconn.PgError{Code: codeSerializationFailure}
	})
	if errCode(err) != codeSerializationFailure || calls != sqlstore.MaxAttempts {
		t.Errorf("always failing: %v, %d calls; want the error after %d", err, calls, sqlstore.MaxAttempts)
	}
	calls = 0
	err = st.Tx(ctx, func(sqlstore.Conn) error {
		calls++
		return &pgconn.PgError{Code: codeUniqueViolation}
	})
	if calls != 1 || errCode(err) != codeUniqueViolation {
		t.Errorf("unique violation: %v, %d calls; want it at once", err, calls)
	}
}

// TestHotQueriesUseIndexes checks the plans of the lookups identity
// providers make before every create and update: each must be an index
// lookup, not a scan of the resources of the workspace.
func TestHotQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A schema of its own, so that no earlier test's rows weigh on the
	// plans.
	st := openTest(t, pgtest.URL(t))
	for _, ws := range []string{"ws_a", "ws_b"} {
		if err := st.CreateWorkspace(ctx, store.Workspace{ID: ws, Slug: ws, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	// Rows as CreateResource writes them, in bulk.
	for _, q := range []string{
		`INSERT INTO resources (id, workspace_id, type, name, name_key, display_name, external_id, active, version, created, last_modified, doc)
		SELECT 'usr_' || w || '_' || i, w, 'User', 'User' || i, 'user' || i, NULL, 'ext-' || i, i % 3 > 0, 1, now(), now(),
			jsonb_build_object('userName', 'User' || i, 'externalId', 'ext-' || i, 'active', i % 3 > 0,
				'emails', jsonb_build_array(
					jsonb_build_object('value', 'user' || i || '@example.com', 'type', 'work', 'primary', true),
					jsonb_build_object('value', 'user' || i || '@home.example', 'type', 'home')))
		FROM unnest(ARRAY['ws_a', 'ws_b']) AS w, generate_series(1, 3000) AS i`,
		`INSERT INTO resources (id, workspace_id, type, name, name_key, display_name, external_id, version, created, last_modified, doc)
		SELECT 'grp_' || w || '_' || i, w, 'Group', 'Group ' || i, 'group ' || i, 'Group ' || i, 'gext-' || i, 1, now(), now(),
			jsonb_build_object('displayName', 'Group ' || i, 'externalId', 'gext-' || i)
		FROM unnest(ARRAY['ws_a', 'ws_b']) AS w, generate_series(1, 300) AS i`,
		`INSERT INTO emails (resource_seq, workspace_id, value_key, type_key)
		SELECT r.seq, r.workspace_id, lower(e ->> 'value'), lower(e ->> 'type')
		FROM resources r, jsonb_array_elements(r.doc -> 'emails') AS e WHERE r.type = 'User'`,
		`INSERT INTO members (group_seq, member_seq)
		SELECT g.seq, u.seq FROM resources g JOIN resources u
			ON u.workspace_id = g.workspace_id AND u.type = 'User' AND u.name_key = 'user' || (split_part(g.name_key, ' ', 2)::int * 10 + 1)
		WHERE g.type = 'Group'`,
		`ANALYZE resources, emails, members`,
	} {
		if _, err := st.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		typ, filter, want string
		sortBy            string // and descending with "-"
		total             int    // if not 1
		offset            int
	}{
		{typ: "User", filter: `userName eq "USER1234"`, want: "usr_ws_a_1234"},
		{typ: "User", filter: `externalId eq "ext-1234"`, want: "usr_ws_a_1234"},
		{typ: "User", filter: `emails[type eq "work"].value eq "User1234@Example.com"`, want: "usr_ws_a_1234"},
		{typ: "User", filter: `emails[type eq "work" and value eq "user1234@example.com"]`, want: "usr_ws_a_1234"},
		{typ: "User", filter: `id eq "usr_ws_a_1234"`, want: "usr_ws_a_1234"},
		{typ: "Group", filter: `displayName eq "group 42"`, want: "grp_ws_a_42"},
		{typ: "Group", filter: `externalId eq "gext-42"`, want: "grp_ws_a_42"},
		{typ: "Group", filter: `members[value eq "usr_ws_a_421"]`, want: "grp_ws_a_42"},
		// Prefixes are ranges of the name's index, and sorting by the
		// name reads that index in order.
		{typ: "User", filter: `userName sw "USER123"`, want: "usr_ws_a_123", total: 11},
		{typ: "Group", filter: `displayName sw "group 29"`, want: "grp_ws_a_29", total: 11},
		{typ: "User", filter: `userName sw "user2"`, sortBy: "userName", want: "usr_ws_a_2", total: 1111},
		{typ: "User", sortBy: "userName", want: "usr_ws_a_1", total: 3000},
		{typ: "User", sortBy: "-userName", want: "usr_ws_a_999", total: 3000},
		{typ: "Group", sortBy: "displayName", want: "grp_ws_a_1", total: 300},
		{typ: "User", want: "usr_ws_a_1", total: 3000},
		// Far into a listing, the page's start is found in the index.
		{typ: "User", offset: 2950, want: "usr_ws_a_2951", total: 3000},
		{typ: "User", sortBy: "-userName", offset: 2000, want: "usr_ws_a_1899", total: 3000},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %s %d", tt.typ, tt.filter, tt.sortBy, tt.offset), func(t *testing.T) {
			rt := schema.UserType
			if tt.typ == "Group" {
				rt = schema.GroupType
			}
			q := store.Query{Count: 100, Offset: tt.offset, MaxExamined: store.DefaultMaxExamined}
			if tt.filter != "" {
				f, err := filter.Parse(rt, tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				q.Filter = f
			}
			if tt.sortBy != "" {
				name, desc := strings.CutPrefix(tt.sortBy, "-")
				p, err := rt.ParsePath(name)
				if err != nil {
					t.Fatal(err)
				}
				q.SortBy, q.Descending = &p, desc
			}
			page, err := st.ListResources(ctx, "ws_a", tt.typ, q)
			if err != nil {
				t.Fatal(err)
			}
			total := max(tt.total, 1)
			if page.Total != total || len(page.Resources) != min(total-tt.offset, 100) || page.Resources[0].ID != tt.want {
				t.Fatalf("found %d: %v, want %d from %s", page.Total, page.Resources[0].ID, total, tt.want)
			}
			l, err := st.ListStatements("ws_a", tt.typ, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range []struct {
				name string
				sql  string
				args []any
			}{{"count", l.Count, l.CountArgs}, {"page", l.Page, l.PageArgs}, {"examine", l.Examine, l.ExamineArgs}} {
				if stmt.sql == "" {
					continue
				}
				// pgx prepares statements, and PostgreSQL may switch a
				// prepared statement to a generic plan, made without the
				// arguments: both plans must use an index.
				for _, generic := range []bool{false, true} {
					plan := explain(t, st, stmt.sql, stmt.args, generic)
					if !generic {
						t.Logf("%s %s:\n%s", tt.filter, stmt.name, plan)
					}
					if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, "Index") || tt.sortBy != "" && strings.Contains(plan, "Sort Key") {
						t.Errorf("%s: %s query (generic plan: %v) is not answered from an index:\n%s", tt.filter, stmt.name, generic, plan)
					}
				}
			}
		})
	}
}

// explain returns the plan of sql with args: the plan made for the
// arguments, or with generic the plan made without them.
func explain(t *testing.T, st *Store, sql string, args []any, generic bool) string {
	t.Helper()
	ctx := context.Background()
	conn, err := st.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var rows pgx.Rows
	if generic {
		lits := make([]string, len(args))
		for i, a := range args {
			switch a := a.(type) {
			case string:
				lits[i] = sqlquery.Quote(a)
			case int64:
				lits[i] = strconv.FormatInt(a, 10)
			default:
				t.Fatalf("argument %d: %T", i+1, a)
			}
		}
		for _, q := range []string{`SET plan_cache_mode = force_generic_plan`, `PREPARE hot AS ` + sql} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%v\n%s", err, q)
			}
		}
		defer conn.Exec(ctx, `DEALLOCATE hot; RESET plan_cache_mode`)
		rows, err = conn.Query(ctx, `EXPLAIN EXECUTE hot(`+strings.Join(lits, ", ")+`)`)
	} else {
		rows, err = conn.Query(ctx, "EXPLAIN "+sql, args...)
	}
	if err != nil {
		t.Fatalf("explain: %v\n%s", err, sql)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("explain: %v\n%s", err, sql)
	}
	return strings.Join(lines, "\n")
}

// TestFoldCollation checks that the collation chosen folds as the filter
// evaluator does on text beyond the probe.
func TestFoldCollation(t *testing.T) {
	t.Parallel()
	st := openTest(t, testDB(t))
	for _, s := range []string{"ÉMILE", "ΣΊΣΥΦΟΣ", "İSTANBUL", "STRASSE ẞ", "ǅemal", "ＡＢＣ"} {
		var got string
		if err := st.pool.QueryRow(context.Background(), `SELECT `+st.d.Fold("$1::text"), s).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := strings.ToLower(s); got != want {
			t.Errorf("%s folds %q to %q, want %q", st.d.foldCollation, s, got, want)
		}
	}
}

// TestAnalyzeAfterLargeChanges: the store measures the resources' tables
// for the planner when they hold more than twice, or less than half, what
// it last measured, and leaves them alone otherwise.
func TestAnalyzeAfterLargeChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openTest(t, pgtest.URL(t))
	if err := st.CreateWorkspace(ctx, store.Workspace{ID: "ws_a", Slug: "ws_a", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	measured := func() float64 {
		var n float64
		if err := st.pool.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'resources'::regclass`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	insert := func(from, to int) {
		if _, err := st.pool.Exec(ctx, `INSERT INTO resources (id, workspace_id, type, name, name_key, version, created, last_modified, doc)
			SELECT 'usr_' || i, 'ws_a', 'User', 'u' || i, 'u' || i, 1, now(), now(), jsonb_build_object('userName', 'u' || i)
			FROM generate_series($1::int, $2::int) AS i`, from, to); err != nil {
			t.Fatal(err)
		}
	}
	// Opening the store measured the tables, never measured before.
	for start := time.Now(); measured() < 0; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the store did not measure the new tables")
		}
	}
	steps := []struct {
		name     string
		change   func()
		analyzed bool
	}{
		{"unchanged", func() {}, false},
		{"a few more", func() { insert(1, 500) }, false},
		{"many more", func() { insert(501, 5000) }, true},
		{"half as many again", func() { insert(5001, 7500) }, false},
		{"most deleted", func() {
			if _, err := st.pool.Exec(ctx, `DELETE FROM resources WHERE name_key > 'u2'`); err != nil {
				t.Fatal(err)
			}
		}, true},
	}
	for _, s := range steps {
		s.change()
		analyzed, err := st.analyzeIfChanged(ctx)
		if err != nil || analyzed != s.analyzed {
			t.Fatalf("%s: analyzed %v, %v; want %v (measured %v)", s.name, analyzed, err, s.analyzed, measured())
		}
	}
	if n := measured(); n < 500 || n > 3000 {
		t.Errorf("the statistics say %v resources, want those left", n)
	}
}
