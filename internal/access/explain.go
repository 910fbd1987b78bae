package access

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/store"
)

// Explanation is what a Verifier with DefaultAccess answers for a user's
// credentials now, and why.
type Explanation struct {
	// User is who a valid credential of the user stands for, with its
	// access; nil if the user is deleted.
	User *User
	// Reason is what verification answers for any of the user's
	// credentials that has not ended: "" (valid), ReasonUserInactive or
	// ReasonUserDeleted.
	Reason string
	// Credentials are the user's API keys and sessions, without their
	// hashes, each with what verification answers for it.
	Credentials []Answer
	// Roles says why the user has its roles; zero if it is deleted.
	Roles roles.Explanation
}

// Answer is a credential and what verification answers for it: "" for
// valid, else one of the Reason constants.
type Answer struct {
	store.Credential
	Reason string
}

// Explain tells what verification answers for the user with the id in
// ws now: for each of its credentials, and for a credential not ended,
// with the reasons for the user's roles. A user not found is deleted
// (ReasonUserDeleted), whose credentials, if any are left, are listed.
func Explain(ctx context.Context, st store.Store, ws *store.Workspace, userID string, now time.Time) (Explanation, error) {
	policy, err := ws.Config.Policy().Compile()
	if err != nil {
		return Explanation{}, fmt.Errorf("workspace %s: %w", ws.Slug, err)
	}
	var x Explanation
	r, err := findUser(ctx, st, ws.ID, userID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return Explanation{}, err
	default:
		groups, err := st.UserGroups(ctx, ws.ID, userID)
		if err != nil {
			return Explanation{}, err
		}
		x.Roles = policy.Explain(provision.RoleInput(r.Doc, groups))
		teams := make([]Team, len(x.Roles.Teams))
		for i, t := range x.Roles.Teams {
			teams[i] = Team{Key: t.Key, Role: t.Role}
		}
		x.User = &User{ID: r.ID, DisplayName: r.AppDisplayName, Active: r.Doc["active"] != false,
			Access: Access{Roles: x.Roles.Roles, Groups: x.Roles.Groups, Teams: teams}}
		x.User.UserName, _ = r.Doc["userName"].(string)
	}
	x.Reason = userReason(x.User)
	creds, err := st.Credentials(ctx, ws.ID, userID)
	if err != nil {
		return Explanation{}, err
	}
	x.Credentials = make([]Answer, len(creds))
	for i, c := range creds {
		c.Hash = nil
		a := Answer{Credential: c, Reason: ended(&c, now)}
		if a.Reason == "" {
			a.Reason = x.Reason
		}
		x.Credentials[i] = a
	}
	return x, nil
}
