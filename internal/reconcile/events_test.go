package reconcile_test

import (
	"testing"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// TestRolesChangedAsCatalogued: user.roles_changed events, the first of
// a user and later ones, have the data the catalogue of package store
// says.
func TestRolesChangedAsCatalogued(t *testing.T) {
	e := newEnv(t)
	ada := e.create(schema.UserType, map[string]any{"userName": "ada"})
	e.waitRoles(ada, store.UserRoles{Roles: []string{"viewer"}, Groups: []string{}})
	e.create(schema.GroupType, map[string]any{"displayName": "Admins", "members": []any{map[string]any{"value": ada}}})
	e.waitRoles(ada, store.UserRoles{Roles: []string{"admin"}, Groups: []string{"group:admins"}})

	evs, err := e.st.Events(e.ctx, e.ws.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Type != eventtype.RolesChanged {
			continue
		}
		n++
		if err := eventtype.CheckData(ev.Type, ev.Data); err != nil {
			t.Errorf("%v: %s", err, ev.Data)
		}
	}
	if n < 2 {
		t.Errorf("%d user.roles_changed events, want the first and a later one", n)
	}
}
