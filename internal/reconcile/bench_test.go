package reconcile_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/reconcile"
	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
)

// BenchmarkRoleLag measures the time from a member added to a mapped
// group until the member's recomputed roles are stored (the extra
// metric, lag-µs), and the whole round trip per operation.
func BenchmarkRoleLag(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ws := store.Workspace{ID: "ws_aaaaaaaaaaaaaaaa", Slug: "acme", Created: time.Now(), Config: store.DefaultWorkspaceConfig()}
	ws.Config.RoleMappings = []roles.Mapping{{Group: "Admins", Role: "admin"}}
	if err := st.CreateWorkspace(ctx, ws); err != nil {
		b.Fatal(err)
	}
	svc := provision.New(st)
	changed := make(chan struct{}, 1)
	var lag time.Duration
	var want atomic.Value
	want.Store("")
	r := reconcile.New(st, reconcile.Config{Changed: func(_, user string, _, after store.UserRoles, heard time.Time) {
		if user == want.Load() && len(after.Roles) > 0 && after.Roles[0] == "admin" {
			lag += time.Since(heard)
			changed <- struct{}{}
		}
	}})
	go r.Run(ctx)
	g, err := svc.Create(ctx, &ws, schema.GroupType, map[string]any{"displayName": "Admins"})
	if err != nil {
		b.Fatal(err)
	}
	users := make([]string, b.N)
	for i := range users {
		u, err := svc.Create(ctx, &ws, schema.UserType, map[string]any{"userName": fmt.Sprintf("u%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		users[i] = u.Resource.ID
	}
	time.Sleep(100 * time.Millisecond) // let the creations' recomputations pass
	b.ResetTimer()
	for _, u := range users {
		want.Store(u)
		op := patch.Operation{Op: "add", Path: "members", Value: []any{map[string]any{"value": u}}}
		if _, err := svc.Patch(ctx, &ws, schema.GroupType, g.Resource.ID, "", []patch.Operation{op}, false); err != nil {
			b.Fatal(err)
		}
		<-changed
	}
	b.ReportMetric(float64(lag.Microseconds())/float64(b.N), "lag-µs")
}

// BenchmarkGroupChangeLag measures, in a workspace of 20,000 users, the
// time from a write to a 50-member group until every user whose roles it
// changes has them stored: a rename into and out of a mapped name, and a
// replacement of the members of a mapped group by 50 others and back
// (100 users change each time); and how many users are recomputed for
// each (recomputed/op).
func BenchmarkGroupChangeLag(b *testing.B) {
	const users, members = 20_000, 50
	// A change is the i-th write to group g, whose first members are a;
	// it returns the patch to apply and the users whose roles it changes,
	// with whether they are admins after it.
	type change func(i int, a, c []string) (patch.Operation, map[string]bool)
	for _, bb := range []struct {
		name  string
		group string
		op    change
	}{
		{"rename", "Staff", func(i int, a, _ []string) (patch.Operation, map[string]bool) {
			name := []string{"Admins", "Staff"}[i%2]
			want := map[string]bool{}
			for _, u := range a {
				want[u] = name == "Admins"
			}
			return patch.Operation{Op: "replace", Path: "displayName", Value: name}, want
		}},
		{"replace", "Admins", func(i int, a, c []string) (patch.Operation, map[string]bool) {
			from, to := a, c
			if i%2 == 1 {
				from, to = c, a
			}
			want := map[string]bool{}
			var list []any
			for _, u := range from {
				want[u] = false
			}
			for _, u := range to {
				want[u] = true
				list = append(list, map[string]any{"value": u})
			}
			return patch.Operation{Op: "replace", Path: "members", Value: list}, want
		}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			ws := store.Workspace{ID: "ws_aaaaaaaaaaaaaaaa", Slug: "acme", Created: time.Now(), Config: store.DefaultWorkspaceConfig()}
			ws.Config.RoleMappings = []roles.Mapping{{Group: "Admins", Role: "admin"}}
			if err := st.CreateWorkspace(ctx, ws); err != nil {
				b.Fatal(err)
			}
			ids := make([]string, users)
			for i := range ids {
				ids[i] = fmt.Sprintf("usr_%016d", i)
				u := &store.Resource{Type: schema.UserType.ID, ID: ids[i], WorkspaceID: ws.ID, Doc: map[string]any{"userName": fmt.Sprintf("u%d", i)}}
				if err := st.CreateResource(ctx, u, store.Effects{}); err != nil {
					b.Fatal(err)
				}
			}
			// Members spread over the workspace, as a pass over all its
			// users meets them.
			var a, c []string
			for i := range members {
				a = append(a, ids[i*users/members])
				c = append(c, ids[i*users/members+users/members/2])
			}
			g := &store.Resource{Type: schema.GroupType.ID, ID: "grp_0000000000000000", WorkspaceID: ws.ID, Doc: map[string]any{"displayName": bb.group}}
			for _, u := range a {
				g.Members = append(g.Members, store.Member{Value: u})
			}
			if err := st.CreateResource(ctx, g, store.Effects{}); err != nil {
				b.Fatal(err)
			}

			var (
				mu         sync.Mutex
				want       map[string]bool
				done       = make(chan struct{}, 1)
				recomputed atomic.Int64
			)
			r := reconcile.New(st, reconcile.Config{
				Changed: func(_, user string, _, after store.UserRoles, _ time.Time) {
					mu.Lock()
					defer mu.Unlock()
					if admin, ok := want[user]; ok && admin == slices.Contains(after.Roles, "admin") {
						if delete(want, user); len(want) == 0 {
							done <- struct{}{}
						}
					}
				},
				Recomputed: func(string, string) { recomputed.Add(1) },
			})
			stopped := make(chan struct{})
			go func() { r.Run(ctx); close(stopped) }()
			defer func() { cancel(); <-stopped }() // before the store closes
			// The first pass computes every user's roles.
			for {
				if _, ok, _ := st.UserRoles(ctx, ws.ID, ids[len(ids)-1]); ok {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)

			svc := provision.New(st)
			i := 0
			recomputed.Store(0)
			for b.Loop() {
				op, w := bb.op(i, a, c)
				mu.Lock()
				want = w
				mu.Unlock()
				if _, err := svc.Patch(ctx, &ws, schema.GroupType, g.ID, "", []patch.Operation{op}, false); err != nil {
					b.Fatal(err)
				}
				<-done
				i++
			}
			b.ReportMetric(float64(recomputed.Load())/float64(i), "recomputed/op")
		})
	}
}
