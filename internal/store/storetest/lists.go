package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// testTotals checks totalResults of listings without a filter, which the
// store may keep rather than count, across every way resources come and go.
func testTotals(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	want := func(step, ws string, users, groups int) {
		t.Helper()
		for typ, n := range map[string]int{"User": users, "Group": groups} {
			p, err := st.ListResources(ctx, ws, typ, store.Query{Count: 1})
			if err != nil {
				t.Fatalf("%s: list %s of %s: %v", step, typ, ws, err)
			}
			if p.Total != n {
				t.Errorf("%s: %s of %s: totalResults %d, want %d", step, typ, ws, p.Total, n)
			}
			// The same as a filter that every resource matches counts.
			all := `id pr`
			if p, err := st.ListResources(ctx, ws, typ, store.Query{Filter: parse(t, schema.UserType, all), Count: 1}); err != nil || p.Total != n {
				t.Errorf("%s: %s of %s filtered by %s: totalResults %d (%v), want %d", step, typ, ws, all, p.Total, err, n)
			}
		}
	}
	want("empty", "ws_a", 0, 0)
	mustCreate(t, st, user("ws_a", "usr_1", "alice"), user("ws_a", "usr_2", "bob"), user("ws_a", "usr_3", "carol"),
		group("ws_a", "grp_1", "eng", "usr_1"), user("ws_b", "usr_4", "alice"))
	want("created", "ws_a", 3, 1)
	want("created", "ws_b", 1, 0)

	// A create that fails counts nothing.
	if err := st.CreateResource(ctx, user("ws_a", "usr_5", "ALICE"), store.Effects{}); err == nil {
		t.Fatal("duplicate userName was created")
	}
	want("failed create", "ws_a", 3, 1)

	if err := st.DeleteResource(ctx, "ws_a", "User", "usr_2", nil); err != nil {
		t.Fatal(err)
	}
	want("deleted", "ws_a", 2, 1)

	// A soft-deleted user leaves the listing, and comes back restored.
	if err := st.DeleteResource(ctx, "ws_a", "User", "usr_3", func(*store.Resource) (*store.Deletion, error) {
		return &store.Deletion{PurgeAt: time.Now().Add(time.Hour)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	want("soft-deleted", "ws_a", 1, 1)
	if _, err := st.RestoreUser(ctx, "ws_a", "usr_3", nil); err != nil {
		t.Fatal(err)
	}
	want("restored", "ws_a", 2, 1)

	// Deleting a workspace takes its counts along: made again, it starts
	// from nothing, and the other workspace keeps its own.
	if err := st.DeleteWorkspace(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	mustWorkspace(t, st, "ws_a", "alpha")
	want("workspace deleted and made again", "ws_a", 0, 0)
	want("other workspace", "ws_b", 1, 0)
	mustCreate(t, st, user("ws_a", "usr_6", "alice"))
	want("created in the new workspace", "ws_a", 1, 0)
}

// testPrefixes checks sw on userName and a Group's displayName, which a
// store may answer with a range of an index, with characters that are
// special to SQL patterns or at the edges of Unicode, and sorting by them.
func testPrefixes(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	names := map[string]string{
		"pct": "100%done", "pct2": "100xdone", "us": "a_b", "us2": "axb",
		"emile": "Émile", "emilie": "émilie", "EMIL": "EMIL",
		"d7ff": "\uD7FFx", "e000": "\uE000y", "max": "z\U0010FFFF", "max2": "z\U0010FFFFq",
		"z": "z", "za": "Za", "ffff": "\uFFFF", "space": " lead",
	}
	for id, name := range names {
		mustCreate(t, st, user("ws_a", "usr_"+id, name), group("ws_a", "grp_"+id, name))
	}
	mustCreate(t, st, user("ws_b", "usr_decoy", "100%done"), group("ws_b", "grp_decoy", "z"))

	tests := []struct {
		prefix string
		want   []string
	}{
		{"100%", []string{"pct"}},
		{"100", []string{"pct", "pct2"}},
		{"a_", []string{"us"}},
		{"A", []string{"us", "us2"}},
		{"ÉMI", []string{"emile", "emilie"}},
		{"emi", []string{"EMIL"}},
		{"émile", []string{"emile"}},
		{"\uD7FF", []string{"d7ff"}},
		{"\uE000", []string{"e000"}},
		{"z", []string{"max", "max2", "z", "za"}},
		{"z\U0010FFFF", []string{"max", "max2"}},
		{"z\U0010FFFFq", []string{"max2"}},
		{"\U0010FFFF", nil},
		{"\uFFFF", []string{"ffff"}},
		{" ", []string{"space"}},
		{"", slices.Sorted(func(yield func(string) bool) {
			for id := range names {
				if !yield(id) {
					return
				}
			}
		})},
	}
	for _, rt := range []*schema.ResourceType{schema.UserType, schema.GroupType} {
		attr, prefix := "userName", "usr_"
		if rt == schema.GroupType {
			attr, prefix = "displayName", "grp_"
		}
		for _, tt := range tests {
			f := &filter.Compare{Path: mustPath(t, rt, attr), Op: filter.Sw, Value: tt.prefix}
			p, err := st.ListResources(ctx, "ws_a", rt.ID, store.Query{Filter: f, Count: 100})
			if err != nil {
				t.Fatalf("%s sw %q: %v", attr, tt.prefix, err)
			}
			var got []string
			for _, id := range ids(p) {
				got = append(got, strings.TrimPrefix(id, prefix))
			}
			sort.Strings(got)
			if !slices.Equal(got, tt.want) || p.Total != len(tt.want) {
				t.Errorf("%s %s sw %q: %v (total %d), want %v", rt.ID, attr, tt.prefix, got, p.Total, tt.want)
			}
			// The evaluator agrees.
			var match []string
			for id, name := range names {
				if filter.Match(f, map[string]any{attr: name}) {
					match = append(match, id)
				}
			}
			sort.Strings(match)
			if !slices.Equal(match, tt.want) {
				t.Errorf("filter.Match %s sw %q: %v, want %v", attr, tt.prefix, match, tt.want)
			}
		}

		// Sorted by the name, folded, in code point order.
		var order []string
		for id := range names {
			order = append(order, id)
		}
		sort.Slice(order, func(i, j int) bool {
			return strings.ToLower(names[order[i]]) < strings.ToLower(names[order[j]])
		})
		path := mustPath(t, rt, attr)
		for _, desc := range []bool{false, true} {
			var got []string
			for off := 0; off < len(names); off += 4 {
				p, err := st.ListResources(ctx, "ws_a", rt.ID, store.Query{SortBy: &path, Descending: desc, Offset: off, Count: 4})
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range ids(p) {
					got = append(got, strings.TrimPrefix(id, prefix))
				}
			}
			want := slices.Clone(order)
			if desc {
				slices.Reverse(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s sorted by %s (descending %v): %v, want %v", rt.ID, attr, desc, got, want)
			}
		}
	}
}

func mustPath(t *testing.T, rt *schema.ResourceType, s string) schema.Path {
	t.Helper()
	p, err := rt.ParsePath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testMaxExamined checks the bound on what a listing reads: refused,
// without a page, when the indexed comparisons of its filter (or, with
// none, the resources of the type) or the results of a sort by an
// attribute without index are more than the bound; answered in full
// otherwise.
func testMaxExamined(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	mustWorkspace(t, st, "ws_b", "beta")
	for i := 1; i <= 5; i++ {
		n := strconv.Itoa(i)
		mustCreate(t, st, user("ws_a", "usr_"+n, "a"+n, "externalId", "e"+n, "title", "t"+strconv.Itoa(i%2),
			"emails", []any{map[string]any{"value": "a" + n + "@x", "type": "work"}}))
	}
	mustCreate(t, st, group("ws_a", "grp_1", "g1", "usr_1", "usr_2"), group("ws_a", "grp_2", "g2", "usr_2"))
	// Another workspace's resources count for nothing.
	for i := 1; i <= 20; i++ {
		mustCreate(t, st, user("ws_b", "usr_b"+strconv.Itoa(i), "a"+strconv.Itoa(i)))
	}
	const (
		ok      = iota
		indexed // refused: the indexed comparisons select too many
		scan    // refused: no indexed comparison, too many resources
		sorting // refused: too many to sort
	)
	tests := []struct {
		typ, filter, sortBy string
		limit               int
		want                int
		total               int
	}{
		{typ: "User", limit: 3, total: 5},
		{typ: "User", sortBy: "userName", limit: 3, total: 5},
		{typ: "User", sortBy: "title", limit: 3, want: sorting},
		{typ: "User", sortBy: "title", limit: 5, total: 5},
		{typ: "User", filter: `title eq "t1"`, limit: 3, want: scan},
		{typ: "User", filter: `title eq "t1"`, limit: 5, total: 3},
		{typ: "User", filter: `title eq "t1"`, sortBy: "title", limit: 5, total: 3},
		{typ: "User", filter: `userName sw "A"`, limit: 3, want: indexed},
		{typ: "User", filter: `userName sw "A"`, limit: 5, total: 5},
		{typ: "User", filter: `userName sw "a1"`, limit: 1, total: 1},
		{typ: "User", filter: `userName gt "a2"`, limit: 3, total: 3},
		{typ: "User", filter: `userName sw "a" and title eq "t1"`, limit: 3, want: indexed},
		{typ: "User", filter: `userName eq "a1" and title eq "t1"`, limit: 1, total: 1},
		{typ: "User", filter: `title eq "t1" and userName eq "a2"`, limit: 1, total: 0},
		{typ: "User", filter: `userName eq "a1" and title eq "t1"`, sortBy: "title", limit: 1, total: 1},
		{typ: "User", filter: `userName eq "a1" or title eq "t1"`, limit: 3, want: scan},
		{typ: "User", filter: `userName eq "a1" or externalId eq "e2" or id eq "usr_3"`, limit: 3, total: 3},
		{typ: "User", filter: `emails[type eq "work" and value eq "A4@x"]`, limit: 1, total: 1},
		{typ: "User", filter: `emails[type eq "work"].value eq "a4@x"`, limit: 1, total: 1},
		{typ: "User", filter: `emails.value sw "a"`, limit: 3, want: indexed},
		{typ: "User", filter: `emails co "4@"`, limit: 3, want: scan},
		{typ: "User", filter: `emails[type eq "work"]`, limit: 3, want: scan},
		{typ: "User", filter: `not (userName eq "a1")`, limit: 3, want: scan},
		{typ: "User", filter: `userName sw ""`, limit: 3, want: scan},
		{typ: "Group", filter: `displayName co "g"`, limit: 2, total: 2},
		{typ: "Group", filter: `displayName co "g"`, limit: 1, want: scan},
		{typ: "Group", filter: `displayName sw "g"`, limit: 1, want: indexed},
		{typ: "Group", sortBy: "externalId", limit: 1, want: sorting},
		{typ: "Group", filter: `members.value eq "usr_2"`, limit: 1, want: indexed},
		{typ: "Group", filter: `members[value eq "usr_1" and type eq "User"]`, limit: 1, total: 1},
		{typ: "Group", filter: `members.display co "a"`, limit: 1, want: scan},
	}
	for _, tt := range tests {
		rt := schema.UserType
		if tt.typ == "Group" {
			rt = schema.GroupType
		}
		q := store.Query{Count: 10, MaxExamined: tt.limit}
		if tt.filter != "" {
			q.Filter = parse(t, rt, tt.filter)
		}
		if tt.sortBy != "" {
			p := mustPath(t, rt, tt.sortBy)
			q.SortBy = &p
		}
		name := fmt.Sprintf("%s filter %q sortBy %q at most %d", tt.typ, tt.filter, tt.sortBy, tt.limit)
		for _, cursor := range []bool{false, true} {
			q := q
			if cursor {
				if q.SortBy != nil {
					continue
				}
				q.Cursor = new(string)
			}
			p, err := st.ListResources(ctx, "ws_a", tt.typ, q)
			var tm *store.TooManyError
			if tt.want == ok {
				if err != nil || p.Total != tt.total || len(p.Resources) != tt.total {
					t.Errorf("%s (cursor %v): %d of %d, %v; want %d", name, cursor, len(p.Resources), p.Total, err, tt.total)
				}
				continue
			}
			if !errors.Is(err, store.ErrTooMany) || !errors.As(err, &tm) {
				t.Errorf("%s (cursor %v): %+v, %v; want ErrTooMany", name, cursor, p, err)
				continue
			}
			if tm.Type != tt.typ || tm.Limit != tt.limit || tm.Indexed != (tt.want == indexed) || (tm.Sort != "") != (tt.want == sorting) {
				t.Errorf("%s: %+v", name, tm)
			}
		}
	}
}

// testDeepPages checks pages of whole listings beyond MaxExamined: read
// page after page they are answered, in creation order and by name, in
// both directions, and as OFFSET would answer them; a page far in that
// does not follow one answered, or after the listing changed, is refused.
func testDeepPages(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t, time.Now)
	mustWorkspace(t, st, "ws_a", "alpha")
	const n, limit, size = 23, 5, 3
	for i := range n {
		// Names in another order than creation.
		name := fmt.Sprintf("u%02d", (i*7)%n)
		mustCreate(t, st, user("ws_a", fmt.Sprintf("usr_%02d", i), name))
	}
	userName := mustPath(t, schema.UserType, "userName")
	for _, sortBy := range []*schema.Path{nil, &userName} {
		for _, desc := range []bool{false, true} {
			name := fmt.Sprintf("sortBy %v descending %v", sortBy, desc)
			// What unbounded listings answer, page by page.
			var want, got []string
			for off := 0; off < n; off += size {
				q := store.Query{SortBy: sortBy, Descending: desc, Offset: off, Count: size}
				p, err := st.ListResources(ctx, "ws_a", "User", q)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, ids(p)...)
				q.MaxExamined = limit
				if p, err = st.ListResources(ctx, "ws_a", "User", q); err != nil || p.Total != n {
					t.Fatalf("%s: page at %d: %+v, %v", name, off, p, err)
				}
				got = append(got, ids(p)...)
			}
			if len(want) != n || !slices.Equal(got, want) {
				t.Errorf("%s: bounded pages %v, want %v", name, got, want)
			}
			// Straight to a page far in, with no page before it: the
			// same page, found by skipping.
			p, err := st.ListResources(ctx, "ws_a", "User", store.Query{SortBy: sortBy, Descending: desc, Offset: 2*limit + 1, Count: size, MaxExamined: limit})
			if err != nil || !slices.Equal(ids(p), want[2*limit+1:2*limit+1+size]) {
				t.Errorf("%s: page at %d without the one before: %v, %v, want %v", name, 2*limit+1, ids(p), err, want[2*limit+1:2*limit+1+size])
			}
		}
	}
	// After a change the listing's positions are not used again: the
	// page after a create and a delete is the one an unbounded listing
	// gives.
	q := store.Query{Offset: 6, Count: size, MaxExamined: limit}
	if _, err := st.ListResources(ctx, "ws_a", "User", q); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, st, user("ws_a", "usr_new", "new"))
	if err := st.DeleteResource(ctx, "ws_a", "User", "usr_00", nil); err != nil {
		t.Fatal(err)
	}
	q.Offset += size
	want, err := st.ListResources(ctx, "ws_a", "User", store.Query{Offset: q.Offset, Count: size})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := st.ListResources(ctx, "ws_a", "User", q); err != nil || !slices.Equal(ids(p), ids(want)) {
		t.Errorf("page after a create and a delete: %v, %v, want %v", ids(p), err, ids(want))
	}
}
