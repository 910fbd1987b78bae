package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/appapi"
	"github.com/scimd/scimd/internal/roles"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// findAnyUser returns a user of the workspace in whatever state: a
// provisioned user with its groups loaded, an invited one, or a
// soft-deleted one.
func (h *Handler) findAnyUser(ctx context.Context, w store.Workspace, id string) (*store.Resource, User, error) {
	r, err := h.store.Resource(ctx, w.ID, schema.UserType.ID, id, true)
	if err == nil {
		return r, userOut(r), nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, User{}, err
	}
	if r, err = h.store.InvitedUser(ctx, w.ID, id); err == nil {
		u := userOut(r)
		u.State = UserInvited
		return r, u, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, User{}, err
	}
	// The store finds soft-deleted users only in their list.
	deleted, err := h.store.DeletedUsers(ctx, w.ID)
	if err != nil {
		return nil, User{}, err
	}
	for _, d := range deleted {
		if d.Resource.ID == id {
			u := userOut(d.Resource)
			u.State = UserSoftDeleted
			u.Deleted, u.PurgeAt = new(d.Deleted.UTC()), new(d.PurgeAt.UTC())
			return d.Resource, u, nil
		}
	}
	return nil, User{}, &Error{Status: http.StatusNotFound, Code: CodeUserNotFound,
		Message: fmt.Sprintf("workspace %q has no user %s; GET %s/workspaces/%s/users lists them", w.Slug, id, Prefix, w.Slug)}
}

// explainUser reads a user and explains its access.
func (h *Handler) explainUser(c *call) (store.Workspace, *store.Resource, User, access.Explanation, error) {
	ctx := c.r.Context()
	w, err := h.workspace(ctx, c.pathValue("slug"))
	if err != nil {
		return w, nil, User{}, access.Explanation{}, err
	}
	r, u, err := h.findAnyUser(ctx, w, c.pathValue("id"))
	if err != nil {
		return w, nil, User{}, access.Explanation{}, err
	}
	x, err := access.Explain(ctx, h.store, &w, r.ID, h.now())
	return w, r, u, x, err
}

// rolesOut returns a user's roles with the grants of each.
func rolesOut(x roles.Explanation) []UserRole {
	out := make([]UserRole, 0, len(x.Roles))
	for _, name := range x.Roles {
		r := UserRole{Role: name, Grants: []RoleGrant{}}
		for _, g := range x.Grants {
			if g.Role == name {
				r.Grants = append(r.Grants, grantOut(g))
			}
		}
		out = append(out, r)
	}
	return out
}

func refusedOut(x roles.Explanation) []RoleRefusal {
	out := make([]RoleRefusal, len(x.Refused))
	for i, r := range x.Refused {
		out[i] = refusalOut(r)
	}
	return out
}

func teamsOut(x roles.Explanation) []UserTeam {
	out := make([]UserTeam, len(x.Teams))
	for i, t := range x.Teams {
		out[i] = UserTeam{Key: t.Key, Role: t.Role}
	}
	return out
}

// credentialOut shows a credential, never its secret, with its state.
func credentialOut(a access.Answer) Credential {
	c := Credential{ID: a.ID, Kind: a.Kind, Name: a.Name, State: "active", Created: a.Created.UTC(), RevokedReason: a.RevokedReason}
	switch a.Reason {
	case access.ReasonRevoked, access.ReasonExpired:
		c.State = a.Reason
	}
	if !a.Expires.IsZero() {
		c.Expires = new(a.Expires.UTC())
	}
	if !a.Revoked.IsZero() {
		c.Revoked = new(a.Revoked.UTC())
	}
	return c
}

// getUser shows a user's whole picture: its SCIM attributes, state,
// groups, roles with why, teams and credentials.
func getUser(h *Handler, c *call) (int, any, error) {
	w, r, u, x, err := h.explainUser(c)
	if err != nil {
		return 0, nil, err
	}
	// The attributes as SCIM would return them: a declared extension's
	// attributes that are never returned, or that its declaration no
	// longer admits, are not shown here either.
	es, err := h.store.SchemaExtensions(c.r.Context(), w.ID)
	if err != nil {
		return 0, nil, err
	}
	userType, _ := store.ResourceTypes(es)
	out := UserDetail{
		User: u, SCIM: schema.Selection{}.Apply(userType, r.Doc), Groups: []UserGroup{},
		Roles: rolesOut(x.Roles), Refused: refusedOut(x.Roles), GroupKeys: x.Roles.Groups, Teams: teamsOut(x.Roles),
		Credentials: make([]Credential, len(x.Credentials)),
		Seat:        UserSeat{Taken: u.State == UserActive || u.State == UserInvited, Limit: w.Config.SeatLimit},
		Links: UserLinks{
			Audit:  Prefix + "/audit?" + url.Values{"workspace": {w.Slug}, "target": {r.ID}}.Encode(),
			Events: appapi.Prefix + "/workspaces/" + url.PathEscape(w.Slug) + "/events",
		},
	}
	if out.GroupKeys == nil {
		out.GroupKeys = []string{}
	}
	direct := map[string]bool{}
	for _, g := range r.Groups {
		direct[g.Value] = g.Direct
	}
	for _, p := range x.Roles.Paths {
		out.Groups = append(out.Groups, UserGroup{ID: p.ID, DisplayName: p.DisplayName, ExternalID: p.ExternalID,
			Direct: direct[p.ID], Synced: p.Synced, Paths: nonNil(p.Paths), Parents: nonNil(p.Parents)})
	}
	slices.SortStableFunc(out.Groups, func(a, b UserGroup) int {
		if a.Direct != b.Direct {
			if a.Direct {
				return -1
			}
			return 1
		}
		return strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName))
	})
	for i, a := range x.Credentials {
		out.Credentials[i] = credentialOut(a)
	}
	return http.StatusOK, out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// explainAccess answers what POST /v1/verify answers for a user's
// credentials now, with the reasoning.
func explainAccess(h *Handler, c *call) (int, any, error) {
	_, r, u, x, err := h.explainUser(c)
	if err != nil {
		return 0, nil, err
	}
	out := UserAccess{Valid: x.Reason == "", Reason: x.Reason, Credentials: make([]CredentialAnswer, len(x.Credentials)),
		Roles: rolesOut(x.Roles), Refused: refusedOut(x.Roles)}
	if x.User != nil {
		out.User = &AccessUser{ID: x.User.ID, UserName: x.User.UserName, DisplayName: x.User.DisplayName, Active: x.User.Active,
			Roles: x.User.Roles, Groups: nonNil(x.User.Groups), Teams: teamsOut(x.Roles)}
	}
	say := func(format string, args ...any) { out.Reasoning = append(out.Reasoning, fmt.Sprintf(format, args...)) }
	switch x.Reason {
	case "":
		say("User %s (%s) is %s: its API keys and sessions that are neither revoked nor expired verify as valid, with its roles, group keys and teams.", u.UserName, r.ID, u.State)
	case access.ReasonUserInactive:
		say("User %s (%s) is suspended: its identity provider sent active false, so its credentials verify as not valid, reason user_inactive.", u.UserName, r.ID)
	default:
		say("User %s (%s) is %s: its credentials verify as not valid, reason user_deleted.", u.UserName, r.ID, u.State)
	}
	for _, role := range out.Roles {
		var why []string
		for _, g := range role.Grants {
			why = append(why, g.Why)
		}
		say("Role %s: %s.", role.Role, strings.Join(why, "; "))
	}
	for _, rf := range out.Refused {
		say("Not role %s: %s.", rf.Role, rf.Why)
	}
	for _, p := range x.Roles.Paths {
		if !p.Synced {
			say("Group %q is not in the workspace's groupAllowlist: it grants no role, group key or team.", p.DisplayName)
		}
	}
	valid := 0
	for i, a := range x.Credentials {
		out.Credentials[i] = CredentialAnswer{Credential: credentialOut(a), Valid: a.Reason == "", Reason: a.Reason}
		if a.Reason == "" {
			valid++
		}
	}
	switch {
	case len(x.Credentials) == 0:
		say("The user has no API key or session: the application has issued none.")
	case valid == 0:
		say("None of the user's %d API keys and sessions verifies now.", len(x.Credentials))
	default:
		say("%d of the user's %d API keys and sessions verify now.", valid, len(x.Credentials))
	}
	return http.StatusOK, out, nil
}
