package admin

import (
	"net/http"
	"testing"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
)

// TestUserStates shows users that are not provisioned and active: an
// invited user, and a soft-deleted one, whose credentials verification
// refuses as deleted.
func TestUserStates(t *testing.T) {
	e := newEnv(t)
	invited := decode[User](e.do("POST", "workspaces/acme/users", `{"user_name": "ivy@acme.test"}`), http.StatusCreated)
	gone := e.provision(schema.UserType, map[string]any{"userName": "gus@acme.test"})
	w, err := e.st.WorkspaceByID(e.ctx, e.acmeID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provision.New(e.st).Delete(e.ctx, &w, schema.UserType, gone, ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id, state string
		valid     bool
		reason    string
	}{
		{invited.ID, UserInvited, true, ""},
		{gone, UserSoftDeleted, false, access.ReasonUserDeleted},
	}
	for _, tt := range tests {
		u := decode[UserDetail](e.do("GET", "workspaces/acme/users/"+tt.id, ""), http.StatusOK)
		if u.State != tt.state {
			t.Errorf("%s: state %q, want %q", tt.id, u.State, tt.state)
		}
		a := decode[UserAccess](e.do("GET", "workspaces/acme/users/"+tt.id+"/access", ""), http.StatusOK)
		if a.Valid != tt.valid || a.Reason != tt.reason || (a.User == nil) == tt.valid {
			t.Errorf("%s: access valid %v reason %q user %v, want %v %q", tt.id, a.Valid, a.Reason, a.User, tt.valid, tt.reason)
		}
	}
}
