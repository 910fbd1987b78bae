package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/admin"
)

// userView is a user as the API lists it.
type userView struct {
	ID          string     `json:"id"`
	UserName    string     `json:"user_name"`
	DisplayName string     `json:"display_name"`
	Email       string     `json:"email"`
	State       string     `json:"state"`
	Created     time.Time  `json:"created"`
	Deleted     *time.Time `json:"deleted"`
	PurgeAt     *time.Time `json:"purge_at"`
}

// usersPageSize is how many users a page of the list shows.
const usersPageSize = "50"

type usersData struct {
	Slug       string
	Filter     string
	Cursor     string // of this page; "" for the first
	Users      []userView
	Total      int
	NextCursor string
	Invited    []userView
	Deleted    []userView
	// Invite is what the invite form was sent with, after a refusal.
	Invite inviteForm
}

type inviteForm struct {
	UserName, DisplayName, Email string
}

// usersPage lists a workspace's users, filtered by a SCIM filter the API
// parses, a page at a time, its invited users and its soft-deleted
// users.
func usersPage(q *req) {
	q.showUsers(http.StatusOK, nil, inviteForm{})
}

// showUsers renders the users page, with the error of a refused action
// if there was one, and the invite form as it was sent. A filter the API
// refuses is shown as an error with the filter kept in its box.
func (q *req) showUsers(status int, failed *apiError, invite inviteForm) {
	slug := q.r.PathValue("slug")
	d := usersData{Slug: slug, Filter: q.r.FormValue("filter"), Cursor: q.r.URL.Query().Get("cursor"), Invite: invite}
	query := url.Values{"limit": {usersPageSize}}
	if d.Filter != "" {
		query.Set("filter", d.Filter)
	}
	if d.Cursor != "" {
		query.Set("cursor", d.Cursor)
	}
	var page struct {
		Users      []userView `json:"users"`
		Total      int        `json:"total"`
		NextCursor string     `json:"next_cursor"`
	}
	var invited, deleted struct {
		Users []userView `json:"users"`
	}
	e := q.api("GET", admin.Path("workspaces", slug, "users", "invited"), nil, nil, &invited)
	if e == nil {
		e = q.api("GET", admin.Path("workspaces", slug, "users", "deleted"), nil, nil, &deleted)
	}
	if e != nil {
		q.failAPI(e)
		return
	}
	if e := q.api("GET", admin.Path("workspaces", slug, "users"), query, nil, &page); e != nil {
		if e.Status != http.StatusBadRequest {
			q.failAPI(e)
			return
		}
		status, failed = e.Status, e
	}
	d.Users, d.Total, d.NextCursor = page.Users, page.Total, page.NextCursor
	d.Invited, d.Deleted = invited.Users, deleted.Users
	q.render(status, "users", view{Title: "Users of " + slug, Section: "workspaces", Error: failed, Data: d})
}

// usersBack is the users page an action returns to: the list as it was
// filtered.
func usersBack(q *req) string {
	p := workspacePath(q.r.PathValue("slug"), "users")
	if f := q.r.PostForm.Get("filter"); f != "" {
		p += "?" + url.Values{"filter": {f}}.Encode()
	}
	return p
}

// userAction posts a user action of the API (reactivate, restore), whose
// answer is the user.
func userAction(action, done string) func(*req) {
	return func(q *req) {
		if !q.form() {
			return
		}
		slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
		var u userView
		if e := q.api("POST", admin.Path("workspaces", slug, "users", id, action), nil, nil, &u); e != nil {
			q.showUsers(e.Status, e, inviteForm{})
			return
		}
		q.redirect(usersBack(q), fmt.Sprintf("%s %s (%s).", done, u.UserName, u.ID))
	}
}

// findDeleted returns the soft-deleted user id, for the page that asks
// before it is purged to name it.
func (q *req) findDeleted(slug, id string) (userView, *apiError) {
	var list struct {
		Users []userView `json:"users"`
	}
	if e := q.api("GET", admin.Path("workspaces", slug, "users", "deleted"), nil, nil, &list); e != nil {
		return userView{}, e
	}
	for _, u := range list.Users {
		if u.ID == id {
			return u, nil
		}
	}
	return userView{ID: id}, nil
}

func confirmPurge(q *req) {
	q.confirmPurge(http.StatusOK, nil)
}

func (q *req) confirmPurge(status int, failed *apiError) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	u, e := q.findDeleted(slug, id)
	if e != nil {
		q.failAPI(e)
		return
	}
	name := u.ID
	if u.UserName != "" {
		name = fmt.Sprintf("%s (%s)", u.UserName, u.ID)
	}
	d := confirmData{
		Question: fmt.Sprintf("Purge user %s of workspace %s now?", name, slug),
		Detail:   "The user and its credentials are removed at once rather than at the end of the grace period. This cannot be undone.",
		Action:   workspacePath(slug, "users", id, "purge"),
		Button:   "Purge",
		Back:     workspacePath(slug, "users"),
	}
	q.render(status, "confirm", view{Title: "Purge user", Section: "workspaces", Error: failed, Data: d})
}

func purgeUser(q *req) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	if e := q.api("POST", admin.Path("workspaces", slug, "users", id, "purge"), nil, nil, nil); e != nil {
		q.confirmPurge(e.Status, e)
		return
	}
	q.redirect(workspacePath(slug, "users"), fmt.Sprintf("Purged user %s.", id))
}

// findInvited returns the invited user id, for the page that asks before
// it is deleted to name it.
func (q *req) findInvited(slug, id string) (userView, *apiError) {
	var list struct {
		Users []userView `json:"users"`
	}
	if e := q.api("GET", admin.Path("workspaces", slug, "users", "invited"), nil, nil, &list); e != nil {
		return userView{}, e
	}
	for _, u := range list.Users {
		if u.ID == id {
			return u, nil
		}
	}
	return userView{ID: id}, nil
}

func confirmDeleteInvited(q *req) {
	q.confirmDeleteInvited(http.StatusOK, nil)
}

func (q *req) confirmDeleteInvited(status int, failed *apiError) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	u, e := q.findInvited(slug, id)
	if e != nil {
		q.failAPI(e)
		return
	}
	name := u.ID
	if u.UserName != "" {
		name = fmt.Sprintf("%s (%s)", u.UserName, u.ID)
	}
	d := confirmData{
		Question: fmt.Sprintf("Delete invited user %s of workspace %s?", name, slug),
		Detail:   "The user is removed at once, and its API keys and sessions are revoked; its userName becomes free. This cannot be undone.",
		Action:   workspacePath(slug, "users", "invited", id, "delete"),
		Button:   "Delete",
		Back:     workspacePath(slug, "users"),
	}
	q.render(status, "confirm", view{Title: "Delete invited user", Section: "workspaces", Error: failed, Data: d})
}

func deleteInvited(q *req) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	if e := q.api("DELETE", admin.Path("workspaces", slug, "users", "invited", id), nil, nil, nil); e != nil {
		q.confirmDeleteInvited(e.Status, e)
		return
	}
	q.redirect(workspacePath(slug, "users"), fmt.Sprintf("Deleted invited user %s.", id))
}

// inviteUser creates a user outside SCIM, for an application that
// invites people itself.
func inviteUser(q *req) {
	if !q.form() {
		return
	}
	slug := q.r.PathValue("slug")
	f := inviteForm{
		UserName:    strings.TrimSpace(q.r.PostForm.Get("user_name")),
		DisplayName: strings.TrimSpace(q.r.PostForm.Get("display_name")),
		Email:       strings.TrimSpace(q.r.PostForm.Get("email")),
	}
	body := map[string]any{"user_name": f.UserName}
	if f.DisplayName != "" {
		body["display_name"] = f.DisplayName
	}
	if f.Email != "" {
		body["email"] = f.Email
	}
	var u userView
	if e := q.api("POST", admin.Path("workspaces", slug, "users"), nil, body, &u); e != nil {
		q.showUsers(e.Status, e, f)
		return
	}
	q.redirect(workspacePath(slug, "users"), fmt.Sprintf("Invited %s (%s).", u.UserName, u.ID))
}
