package provision_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
)

func TestPurgeDue(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlite.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ws := store.Workspace{ID: "ws_aaaaaaaaaaaaaaaa", Slug: "acme", Created: now, Config: store.DefaultWorkspaceConfig()}
	ws.Config.SoftDeleteGraceDays = 1
	if err := st.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	svc := provision.NewWithClock(st, clock)
	u, err := svc.Create(ctx, &ws, schema.UserType, map[string]any{"userName": "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Delete(ctx, &ws, schema.UserType, u.Resource.ID, ""); err != nil {
		t.Fatal(err)
	}
	run := func() {
		if _, err := svc.PurgeDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if d, _ := st.DeletedUsers(ctx, ws.ID); len(d) != 1 {
		t.Fatalf("purged within the grace period: %v", d)
	}
	now = now.Add(25 * time.Hour)
	run()
	if d, _ := st.DeletedUsers(ctx, ws.ID); len(d) != 0 {
		t.Fatalf("not purged after the grace period: %v", d)
	}
	page, err := st.QueryAudit(ctx, store.AuditQuery{Action: "user.purge"})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Target != u.Resource.ID || page.Entries[0].Channel != "effect" {
		t.Errorf("audit: %+v, %v", page.Entries, err)
	}
	evs, _ := st.Events(ctx, ws.ID, 0, 100)
	if last := evs[len(evs)-1]; last.Type != provision.EventUserPurged || last.Subject != u.Resource.ID {
		t.Errorf("last event %s %s", last.Type, last.Subject)
	}
}
