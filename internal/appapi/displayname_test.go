package appapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// TestDisplayNames checks the display name applications see, in
// verifications and events: made from name when an identity provider
// sends no displayName, kept as it was created while the workspace does
// not sync display names, and following the identity provider's while
// it does.
func TestDisplayNames(t *testing.T) {
	for _, backend := range []struct {
		name string
		env  func(t *testing.T) *env
	}{
		{"sqlite", func(t *testing.T) *env { return newEnv(t) }},
		{"postgres", newPostgresEnv},
	} {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			testDisplayNames(t, backend.env(t))
		})
	}
}

func testDisplayNames(t *testing.T, e *env) {
	setSync := func(on bool) {
		t.Helper()
		if _, err := e.st.UpdateWorkspace(e.ctx, "acme", func(w *store.Workspace) error {
			w.Config.SyncDisplayName = on
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// shown returns the display name a verification of the user's key
	// gives, and the one its last event gives, if that event is newer
	// than after.
	shown := func(key string, after int64) (verified, event string) {
		t.Helper()
		u, _ := e.verify(key)["user"].(map[string]any)
		verified = fmt.Sprint(u["display_name"])
		p := e.events(fmt.Sprintf("after=%d&limit=1000", after))
		for _, ev := range p.Events {
			var d struct{ User map[string]any }
			json.Unmarshal(ev.Data, &d)
			if d.User != nil {
				event = ev.Type + " " + fmt.Sprint(d.User["displayName"])
			}
		}
		return verified, event
	}
	replace := func(user, path string, value any) {
		e.patchUser(user, patch.Operation{Op: "replace", Path: path, Value: value})
	}

	for _, tt := range []struct {
		name string
		doc  map[string]any
		want string
	}{
		{"displayName", map[string]any{"displayName": "Ada", "name": map[string]any{"givenName": "Augusta", "familyName": "King"}}, "Ada"},
		{"givenName and familyName", map[string]any{"name": map[string]any{"givenName": "Augusta", "familyName": "King", "formatted": "Countess of Lovelace"}}, "Augusta King"},
		{"givenName alone", map[string]any{"name": map[string]any{"givenName": "Augusta"}}, "Augusta"},
		{"name.formatted", map[string]any{"name": map[string]any{"formatted": "Countess of Lovelace"}}, "Countess of Lovelace"},
	} {
		doc := map[string]any{"userName": "user-" + tt.want}
		for k, v := range tt.doc {
			doc[k] = v
		}
		after := e.last()
		r, err := e.prov.Create(e.ctx, e.workspace(), schema.UserType, doc)
		if err != nil {
			t.Fatal(err)
		}
		key := e.do("POST", "workspaces/acme/users/"+r.Resource.ID+"/api-keys", `{"name":"ci"}`).want(http.StatusCreated)["key"].(string)
		if v, ev := shown(key, after); v != tt.want || ev != "user.created "+tt.want {
			t.Errorf("%s: verified as %q, event %q; want %q", tt.name, v, ev, tt.want)
		}
	}

	ada, err := e.prov.Create(e.ctx, e.workspace(), schema.UserType, map[string]any{"userName": "ada", "displayName": "Ada Lovelace"})
	if err != nil {
		t.Fatal(err)
	}
	key := e.do("POST", "workspaces/acme/users/"+ada.Resource.ID+"/api-keys", `{"name":"ci"}`).want(http.StatusCreated)["key"].(string)

	setSync(false)
	after := e.last()
	replace(ada.Resource.ID, "displayName", "Countess")
	if v, ev := shown(key, after); v != "Ada Lovelace" || ev != "" {
		t.Errorf("without sync, after the display name changed: verified as %q, event %q; want Ada Lovelace and no event", v, ev)
	}
	replace(ada.Resource.ID, "title", "Analyst")
	if v, ev := shown(key, after); v != "Ada Lovelace" || ev != "user.updated Ada Lovelace" {
		t.Errorf("without sync, after another change: verified as %q, event %q; want Ada Lovelace", v, ev)
	}

	setSync(true)
	after = e.last()
	replace(ada.Resource.ID, "displayName", "Ada King")
	if v, ev := shown(key, after); v != "Ada King" || ev != "user.updated Ada King" {
		t.Errorf("with sync: verified as %q, event %q; want Ada King", v, ev)
	}
	e.patchUser(ada.Resource.ID, patch.Operation{Op: "remove", Path: "displayName"})
	if v, _ := shown(key, after); v != "<nil>" {
		t.Errorf("with sync, after the names went: verified as %q, want none", v)
	}
}
