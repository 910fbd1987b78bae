package reconcile_test

import (
	"context"
	"fmt"
	"path/filepath"
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
		users[i] = u.ID
	}
	time.Sleep(100 * time.Millisecond) // let the creations' recomputations pass
	b.ResetTimer()
	for _, u := range users {
		want.Store(u)
		op := patch.Operation{Op: "add", Path: "members", Value: []any{map[string]any{"value": u}}}
		if _, err := svc.Patch(ctx, &ws, schema.GroupType, g.ID, "", []patch.Operation{op}, false); err != nil {
			b.Fatal(err)
		}
		<-changed
	}
	b.ReportMetric(float64(lag.Microseconds())/float64(b.N), "lag-µs")
}
