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
	active := e.provision(schema.UserType, map[string]any{"userName": "ada@acme.test"})
	suspended := e.provision(schema.UserType, map[string]any{"userName": "sam@acme.test", "active": false})
	e.do("PATCH", "workspaces/acme/scim-config", `{"seatLimit": 5}`).want(http.StatusOK)
	tests := []struct {
		id, state string
		valid     bool
		reason    string
		user      bool // the answer names the user
		seat      bool // takes a seat
	}{
		{invited.ID, UserInvited, true, "", true, true},
		{gone, UserSoftDeleted, false, access.ReasonUserDeleted, false, false},
		{active, UserActive, true, "", true, true},
		{suspended, UserSuspended, false, access.ReasonUserInactive, true, false},
	}
	for _, tt := range tests {
		u := decode[UserDetail](e.do("GET", "workspaces/acme/users/"+tt.id, ""), http.StatusOK)
		if u.State != tt.state {
			t.Errorf("%s: state %q, want %q", tt.id, u.State, tt.state)
		}
		if u.Seat.Taken != tt.seat || u.Seat.Limit == nil || *u.Seat.Limit != 5 {
			t.Errorf("%s (%s): seat %+v, want taken %v of 5", tt.id, tt.state, u.Seat, tt.seat)
		}
		a := decode[UserAccess](e.do("GET", "workspaces/acme/users/"+tt.id+"/access", ""), http.StatusOK)
		if a.Valid != tt.valid || a.Reason != tt.reason || (a.User != nil) != tt.user {
			t.Errorf("%s: access valid %v reason %q user %v, want %v %q", tt.id, a.Valid, a.Reason, a.User, tt.valid, tt.reason)
		}
	}
}
