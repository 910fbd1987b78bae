package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/scimd/scimd/client/admin"
)

// usersPageSize is how many users a page of the list shows.
const usersPageSize = "50"

type usersData struct {
	Slug       string
	Filter     string
	Cursor     string // of this page; "" for the first
	Users      []admin.User
	Total      int
	NextCursor string
	Invited    []admin.User
	Deleted    []admin.User
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
		Users      []admin.User `json:"users"`
		Total      int          `json:"total"`
		NextCursor string       `json:"next_cursor"`
	}
	var invited, deleted struct {
		Users []admin.User `json:"users"`
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
		var u admin.User
		if e := q.api("POST", admin.Path("workspaces", slug, "users", id, action), nil, nil, &u); e != nil {
			q.showUsers(e.Status, e, inviteForm{})
			return
		}
		q.redirect(usersBack(q), fmt.Sprintf("%s %s (%s).", done, u.UserName, u.ID))
	}
}

// findListed returns the user id from one of the workspace's lists of
// users, "deleted", "invited" or "suspended" (the users listing), for the
// page that asks before an action on it to name it.
func (q *req) findListed(slug, list, id string) (admin.User, *apiError) {
	var l struct {
		Users []admin.User `json:"users"`
	}
	path, query := admin.Path("workspaces", slug, "users", list), url.Values(nil)
	if list == "suspended" {
		path, query = admin.Path("workspaces", slug, "users"), url.Values{"filter": {fmt.Sprintf("id eq %q", id)}}
	}
	if e := q.api("GET", path, query, nil, &l); e != nil {
		return admin.User{}, e
	}
	for _, u := range l.Users {
		if u.ID == id {
			return u, nil
		}
	}
	return admin.User{ID: id}, nil
}

// userQuestion is a page that asks before an action that cannot be
// undone on a user of one of the workspace's lists.
type userQuestion struct {
	list     string // "deleted", "invited" or "suspended"
	title    string
	question string // with the user and the workspace for its verbs
	detail   string
	button   string
	// action is the path the form posts to.
	action func(slug, id string) string
}

var (
	purgeQuestion = userQuestion{
		list: "deleted", title: "Purge user", question: "Purge user %s of workspace %s now?",
		detail: "The user and its credentials are removed at once rather than at the end of the grace period. This cannot be undone.",
		button: "Purge", action: func(slug, id string) string { return workspacePath(slug, "users", id, "purge") },
	}
	deleteInvitedQuestion = userQuestion{
		list: "invited", title: "Delete invited user", question: "Delete invited user %s of workspace %s?",
		detail: "The user is removed at once, and its API keys and sessions are revoked; its userName becomes free. This cannot be undone.",
		button: "Delete", action: func(slug, id string) string { return workspacePath(slug, "users", "invited", id, "delete") },
	}
	deleteSuspendedQuestion = userQuestion{
		list: "suspended", title: "Delete user", question: "Delete suspended user %s of workspace %s for good?",
		detail: "The user is removed at once, whatever the workspace's deleteMode, with its API keys and sessions; " +
			"the application is told to re-point what it attributes to the user to a placeholder. " +
			"An identity provider that still has the user may provision it again, as a new user. This cannot be undone.",
		button: "Delete", action: func(slug, id string) string { return workspacePath(slug, "users", "suspended", id, "delete") },
	}
)

// ask shows the question of a user action, with the error of the action
// if it was refused.
func (q *req) ask(uq userQuestion, status int, failed *apiError) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	u, e := q.findListed(slug, uq.list, id)
	if e != nil {
		q.failAPI(e)
		return
	}
	name := u.ID
	if u.UserName != "" {
		name = fmt.Sprintf("%s (%s)", u.UserName, u.ID)
	}
	d := confirmData{
		Question: fmt.Sprintf(uq.question, name, slug),
		Detail:   uq.detail,
		Action:   uq.action(slug, id),
		Button:   uq.button,
		Back:     workspacePath(slug, "users"),
	}
	q.render(status, "confirm", view{Title: uq.title, Section: "workspaces", Error: failed, Data: d})
}

func confirmPurge(q *req) { q.ask(purgeQuestion, http.StatusOK, nil) }

func purgeUser(q *req) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	if e := q.api("POST", admin.Path("workspaces", slug, "users", id, "purge"), nil, nil, nil); e != nil {
		q.ask(purgeQuestion, e.Status, e)
		return
	}
	q.redirect(workspacePath(slug, "users"), fmt.Sprintf("Purged user %s.", id))
}

func confirmDeleteInvited(q *req) { q.ask(deleteInvitedQuestion, http.StatusOK, nil) }

func deleteInvited(q *req) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	if e := q.api("DELETE", admin.Path("workspaces", slug, "users", "invited", id), nil, nil, nil); e != nil {
		q.ask(deleteInvitedQuestion, e.Status, e)
		return
	}
	q.redirect(workspacePath(slug, "users"), fmt.Sprintf("Deleted invited user %s.", id))
}

func confirmDeleteSuspended(q *req) { q.ask(deleteSuspendedQuestion, http.StatusOK, nil) }

func deleteSuspended(q *req) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	if e := q.api("DELETE", admin.Path("workspaces", slug, "users", "suspended", id), nil, nil, nil); e != nil {
		q.ask(deleteSuspendedQuestion, e.Status, e)
		return
	}
	q.redirect(workspacePath(slug, "users"), fmt.Sprintf("Deleted user %s for good.", id))
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
	var u admin.User
	if e := q.api("POST", admin.Path("workspaces", slug, "users"), nil, body, &u); e != nil {
		q.showUsers(e.Status, e, f)
		return
	}
	q.redirect(workspacePath(slug, "users"), fmt.Sprintf("Invited %s (%s).", u.UserName, u.ID))
}
