package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
)

// userState returns a user's state. A user whose identity provider never
// sent "active" counts as active: providers that leave it out provision
// only users who may sign in.
func userState(doc map[string]any) string {
	if a, ok := doc["active"].(bool); ok && !a {
		return UserSuspended
	}
	return UserActive
}

func userOut(r *store.Resource) User {
	u := User{
		ID: r.ID, State: userState(r.Doc),
		Created: r.Created.UTC(), LastModified: r.LastModified.UTC(),
	}
	u.UserName, _ = r.Doc["userName"].(string)
	u.ExternalID, _ = r.Doc["externalId"].(string)
	u.DisplayName = r.AppDisplayName
	u.Email = schema.PrimaryEmail(r.Doc)
	return u
}

// listUsers lists a workspace's users in creation order, a page at a
// time: filter is a SCIM filter (userName sw "a", active eq false),
// cursor the next_cursor of the page before.
func listUsers(h *Handler, c *call) (int, any, error) {
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	q, err := h.listQuery(c, schema.UserType)
	if err != nil {
		return 0, nil, err
	}
	page, err := h.users.List(c.r.Context(), &w, schema.UserType, q)
	var se *scimerr.Error
	if errors.As(err, &se) && se.ScimType == scimerr.InvalidCursor {
		return 0, nil, newError(http.StatusBadRequest, CodeInvalidCursor, "the cursor is not one this listing issued; start again without it")
	}
	if err != nil {
		return 0, nil, err
	}
	out := UserPage{Users: make([]User, len(page.Resources)), Total: page.Total, NextCursor: page.NextCursor}
	for i, r := range page.Resources {
		out.Users[i] = userOut(r)
		// One read a user: the store has no query for a page's roles.
		ur, ok, err := h.store.UserRoles(c.r.Context(), w.ID, r.ID)
		if err != nil {
			return 0, nil, err
		}
		if ok {
			out.Users[i].Roles = ur.Roles
		}
	}
	return http.StatusOK, out, nil
}

// listQuery reads the query of a listing of resources of type rt: its
// limit, cursor and SCIM filter.
func (h *Handler) listQuery(c *call, rt *schema.ResourceType) (store.Query, error) {
	limit, err := parseLimit(c.query("limit"), 100, 1000)
	if err != nil {
		return store.Query{}, err
	}
	cursor := c.query("cursor")
	q := store.Query{Count: limit, Cursor: &cursor, MaxExamined: store.DefaultMaxExamined}
	if f := c.query("filter"); f != "" {
		if q.Filter, err = filter.Parse(rt, f); err != nil {
			return store.Query{}, badParam("filter: %s", h.api.AsError(err).Message)
		}
	}
	return q, nil
}

// listDeletedUsers lists a workspace's soft-deleted users, the oldest
// deletion first.
func listDeletedUsers(h *Handler, c *call) (int, any, error) {
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	deleted, err := h.store.DeletedUsers(c.r.Context(), w.ID)
	if err != nil {
		return 0, nil, err
	}
	out := UserList{Users: make([]User, len(deleted))}
	for i, d := range deleted {
		u := userOut(d.Resource)
		u.State = UserSoftDeleted
		u.Deleted, u.PurgeAt = new(d.Deleted.UTC()), new(d.PurgeAt.UTC())
		out.Users[i] = u
	}
	return http.StatusOK, out, nil
}

// userError turns the SCIM errors of user actions into admin errors.
func userError(id string, err error) error {
	var se *scimerr.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Status {
	case http.StatusNotFound:
		return &Error{Status: http.StatusNotFound, Code: CodeUserNotFound, Message: se.Detail, Err: err}
	case http.StatusForbidden:
		return &Error{Status: http.StatusForbidden, Code: CodeSeatLimit, Message: se.Detail, Err: err}
	case http.StatusConflict:
		return &Error{Status: http.StatusConflict, Code: CodeUserNameTaken,
			Message: fmt.Sprintf("user %s cannot come back: another user has its userName now", id), Err: err}
	}
	return err
}

// reactivateUser makes a suspended user active again. Its revoked
// credentials stay revoked: the user signs in again.
func reactivateUser(h *Handler, c *call) (int, any, error) {
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	id := c.pathValue("id")
	ops := []patch.Operation{{Op: "replace", Path: "active", Value: true}}
	r, err := h.users.Patch(c.r.Context(), &w, schema.UserType, id, "", ops, false)
	if err != nil {
		return 0, nil, userError(id, err)
	}
	c.workspaceID, c.target = w.ID, id
	return http.StatusOK, userOut(r.Resource), nil
}

// restoreUser brings back a soft-deleted user within its grace period,
// without its former groups and credentials.
func restoreUser(h *Handler, c *call) (int, any, error) {
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	id := c.pathValue("id")
	r, err := h.users.Restore(c.r.Context(), &w, id)
	if err != nil {
		return 0, nil, userError(id, err)
	}
	c.workspaceID, c.target = w.ID, id
	return http.StatusOK, userOut(r), nil
}

// purgeUser removes a soft-deleted user now, rather than at the end of
// its grace period.
func purgeUser(h *Handler, c *call) (int, any, error) {
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	id := c.pathValue("id")
	if _, err := h.users.Purge(c.r.Context(), &w, id); err != nil {
		return 0, nil, userError(id, err)
	}
	c.workspaceID, c.target = w.ID, id
	return http.StatusNoContent, nil, nil
}

// listInvitedUsers lists the users invited through this API that no
// identity provider has provisioned.
func listInvitedUsers(h *Handler, c *call) (int, any, error) {
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	users, err := h.store.InvitedUsers(c.r.Context(), w.ID)
	if err != nil {
		return 0, nil, err
	}
	out := UserList{Users: make([]User, len(users))}
	for i, r := range users {
		u := userOut(r)
		u.State = UserInvited
		out.Users[i] = u
	}
	return http.StatusOK, out, nil
}

// inviteUser creates a user outside SCIM. Its userName is then taken: an
// identity provider that creates a user with it gets 409, unless the
// workspace allows linking, when its user becomes this one.
func inviteUser(h *Handler, c *call) (int, any, error) {
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		UserName    string `json:"user_name"`
		DisplayName string `json:"display_name"`
		Email       string `json:"email"`
	}
	if err := h.api.Decode(c.w, c.r, &body, false); err != nil {
		return 0, nil, err
	}
	if strings.TrimSpace(body.UserName) == "" {
		return 0, nil, badValue("user_name is required")
	}
	doc := map[string]any{"userName": body.UserName}
	if body.DisplayName != "" {
		doc["displayName"] = body.DisplayName
	}
	if body.Email != "" {
		doc["emails"] = []any{map[string]any{"value": body.Email, "primary": true}}
	}
	r := &store.Resource{Type: schema.UserType.ID, ID: id.New(id.User), WorkspaceID: w.ID, Doc: doc, AppDisplayName: schema.UserDisplayName(doc)}
	if err := h.store.CreateInvitedUser(c.r.Context(), r); err != nil {
		switch {
		case errors.Is(err, store.ErrAlreadyExists):
			return 0, nil, &Error{Status: http.StatusConflict, Code: CodeUserNameTaken,
				Message: fmt.Sprintf("a user of workspace %q already has the userName %q", w.Slug, body.UserName), Err: err}
		case errors.Is(err, store.ErrSeatLimit):
			return 0, nil, &Error{Status: http.StatusForbidden, Code: CodeSeatLimit,
				Message: fmt.Sprintf("workspace %q has no free seat for %q: its seatLimit is %d, and every seat is taken by an active or invited user; "+
					"delete an invited user, deactivate a user or raise seatLimit", w.Slug, body.UserName, seats(w.Config.SeatLimit)), Err: err}
		}
		return 0, nil, err
	}
	c.workspaceID, c.target = w.ID, r.ID
	u := userOut(r)
	u.State = UserInvited
	return http.StatusCreated, u, nil
}

// seats returns a seat limit as a number; a workspace without one has
// no seat limit error to report.
func seats(limit *int) int {
	if limit == nil {
		return 0
	}
	return *limit
}

// deleteInvitedUser deletes a user invited through this API that no
// identity provider has provisioned, with its credentials revoked in the
// same transaction. Provisioned users are their identity provider's to
// delete.
func deleteInvitedUser(h *Handler, c *call) (int, any, error) {
	ctx := c.r.Context()
	w, err := h.workspace(ctx, c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	id := c.pathValue("id")
	c.workspaceID, c.target = w.ID, id
	err = h.users.DeleteInvited(ctx, &w, id)
	var se *scimerr.Error
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		msg := fmt.Sprintf("workspace %q has no invited user %s; GET %s/workspaces/%s/users/invited lists them", w.Slug, id, Prefix, w.Slug)
		if _, rerr := h.store.Resource(ctx, w.ID, schema.UserType.ID, id, false); rerr == nil {
			msg = fmt.Sprintf("user %s was provisioned by workspace %q's identity provider, which deletes it; only invited users are deleted here", id, w.Slug)
		}
		return 0, nil, &Error{Status: http.StatusNotFound, Code: CodeUserNotFound, Message: msg, Err: err}
	}
	if err != nil {
		return 0, nil, userError(id, err)
	}
	return http.StatusNoContent, nil, nil
}

// deleteUser deletes a suspended provisioned user for good, with its
// credentials.
func deleteUser(h *Handler, c *call) (int, any, error) {
	ctx := c.r.Context()
	w, err := h.workspace(ctx, c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	id := c.pathValue("id")
	c.workspaceID, c.target = w.ID, id
	err = h.users.DeleteSuspended(ctx, &w, id)
	var se *scimerr.Error
	switch {
	case errors.Is(err, provision.ErrUserActive):
		return 0, nil, &Error{Status: http.StatusConflict, Code: CodeUserActive,
			Message: fmt.Sprintf("user %s of workspace %q is active: deactivate it in its identity provider first; only suspended users are deleted here", id, w.Slug), Err: err}
	case errors.As(err, &se) && se.Status == http.StatusNotFound:
		return 0, nil, &Error{Status: http.StatusNotFound, Code: CodeUserNotFound,
			Message: fmt.Sprintf("workspace %q has no provisioned user %s; invited users are deleted with DELETE %s/workspaces/%s/users/invited/{id}, soft-deleted ones purged with POST %s/workspaces/%s/users/{id}/purge",
				w.Slug, id, Prefix, w.Slug, Prefix, w.Slug), Err: err}
	case err != nil:
		return 0, nil, userError(id, err)
	}
	return http.StatusNoContent, nil, nil
}
