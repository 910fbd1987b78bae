package storetest

import (
	"context"
	"slices"
	"sort"
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
