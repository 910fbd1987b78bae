package provision_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
)

// TestEventsAsCatalogued: every event provisioning makes is of a type
// of the catalogue in package store, with the data the catalogue says;
// and provisioning makes every user.* and group.* type of it but
// user.roles_changed, which package reconcile makes.
func TestEventsAsCatalogued(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ws := store.Workspace{ID: "ws_aaaaaaaaaaaaaaaa", Slug: "acme", Config: store.DefaultWorkspaceConfig()}
	ws.Config.AllowLinking = true
	if err := st.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	svc := provision.New(st)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	create := func(rt *schema.ResourceType, body map[string]any) string {
		t.Helper()
		r, err := svc.Create(ctx, &ws, rt, body)
		must(err)
		return r.Resource.ID
	}
	replace := func(rt *schema.ResourceType, id string, body map[string]any) {
		t.Helper()
		_, err := svc.Replace(ctx, &ws, rt, id, "", body)
		must(err)
	}
	del := func(rt *schema.ResourceType, id string) {
		t.Helper()
		_, err := svc.Delete(ctx, &ws, rt, id, "")
		must(err)
	}
	invite := func(id, userName string) {
		t.Helper()
		must(st.CreateInvitedUser(ctx, &store.Resource{Type: schema.UserType.ID, ID: id, WorkspaceID: ws.ID, Doc: map[string]any{"userName": userName}}))
	}

	// Users: made, changed, deactivated and back, deleted softly and
	// restored, purged, linked, deleted for good by an operator, and
	// invited and deleted.
	ada := create(schema.UserType, map[string]any{"userName": "ada", "displayName": "Ada"})
	replace(schema.UserType, ada, map[string]any{"userName": "ada", "displayName": "Ada L."})
	replace(schema.UserType, ada, map[string]any{"userName": "ada", "displayName": "Ada L.", "active": false})
	replace(schema.UserType, ada, map[string]any{"userName": "ada", "displayName": "Ada L.", "active": true})
	del(schema.UserType, ada)
	_, err = svc.Restore(ctx, &ws, ada)
	must(err)
	del(schema.UserType, ada)
	_, err = svc.Purge(ctx, &ws, ada)
	must(err)
	invite("usr_bbbbbbbbbbbbbbbb", "bob")
	bob := create(schema.UserType, map[string]any{"userName": "bob"})
	replace(schema.UserType, bob, map[string]any{"userName": "bob", "active": false})
	must(svc.DeleteSuspended(ctx, &ws, bob))
	invite("usr_cccccccccccccccc", "cyd")
	must(svc.DeleteInvited(ctx, &ws, "usr_cccccccccccccccc"))

	// Groups: made with a member, renamed without it, given it again,
	// cleared, deleted.
	dan := create(schema.UserType, map[string]any{"userName": "dan"})
	eng := create(schema.GroupType, map[string]any{"displayName": "Eng", "externalId": "g1", "members": []any{map[string]any{"value": dan}}})
	replace(schema.GroupType, eng, map[string]any{"displayName": "Engineering", "externalId": "g1"})
	replace(schema.GroupType, eng, map[string]any{"displayName": "Engineering", "externalId": "g1", "members": []any{map[string]any{"value": dan}}})
	_, err = svc.Patch(ctx, &ws, schema.GroupType, eng, "", []patch.Operation{{Op: "remove", Path: "members"}}, false)
	must(err)
	del(schema.GroupType, eng)

	evs, err := st.Events(ctx, ws.ID, 0, 1000)
	must(err)
	made := map[string]bool{}
	for _, e := range evs {
		made[e.Type] = true
		if err := eventtype.CheckData(e.Type, e.Data); err != nil {
			t.Errorf("event %d: %v: %s", e.Seq, err, e.Data)
		}
	}
	for _, et := range eventtype.Types() {
		noun, _, _ := strings.Cut(et.Name, ".")
		if (noun == "user" || noun == "group") && et.Name != eventtype.RolesChanged && !made[et.Name] {
			t.Errorf("no %s event made", et.Name)
		}
	}
}
