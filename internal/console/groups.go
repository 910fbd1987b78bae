package console

import (
	"net/http"
	"net/url"

	"github.com/scimd/scimd/client/admin"
)

// groupsPageSize is how many groups a page of the list shows.
const groupsPageSize = "50"

type groupsData struct {
	Slug   string
	Filter string
	Cursor string // of this page; "" for the first
	admin.GroupPage
}

// groupsPage lists a workspace's groups, filtered by a SCIM filter the
// API parses, a page at a time, with what each gives its members.
func groupsPage(q *req) {
	slug := q.r.PathValue("slug")
	d := groupsData{Slug: slug, Filter: q.r.FormValue("filter"), Cursor: q.r.URL.Query().Get("cursor")}
	query := url.Values{"limit": {groupsPageSize}}
	if d.Filter != "" {
		query.Set("filter", d.Filter)
	}
	if d.Cursor != "" {
		query.Set("cursor", d.Cursor)
	}
	status, failed := http.StatusOK, (*apiError)(nil)
	if e := q.api("GET", admin.Path("workspaces", slug, "groups"), query, nil, &d.GroupPage); e != nil {
		if e.Status != http.StatusBadRequest {
			q.failAPI(e)
			return
		}
		status, failed = e.Status, e
	}
	q.render(status, "groups", view{Title: "Groups of " + slug, Section: "workspaces", Error: failed, Data: d})
}

type groupData struct {
	Slug   string
	Cursor string // of this page of members; "" for the first
	admin.GroupDetail
}

// groupPage shows a group with why it grants its roles and a page of its
// members.
func groupPage(q *req) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	d := groupData{Slug: slug, Cursor: q.r.URL.Query().Get("cursor")}
	query := url.Values{"limit": {groupsPageSize}}
	if d.Cursor != "" {
		query.Set("cursor", d.Cursor)
	}
	if e := q.api("GET", admin.Path("workspaces", slug, "groups", id), query, nil, &d.GroupDetail); e != nil {
		q.failAPI(e)
		return
	}
	q.render(http.StatusOK, "group", view{Title: d.DisplayName + " in " + slug, Section: "workspaces", Data: d})
}

type userData struct {
	Slug string
	admin.UserDetail
	Access admin.UserAccess
}

// userPage shows a user's whole picture and explains its access.
func userPage(q *req) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	d := userData{Slug: slug}
	e := q.api("GET", admin.Path("workspaces", slug, "users", id), nil, nil, &d.UserDetail)
	if e == nil {
		e = q.api("GET", admin.Path("workspaces", slug, "users", id, "access"), nil, nil, &d.Access)
	}
	if e != nil {
		q.failAPI(e)
		return
	}
	q.render(http.StatusOK, "user", view{Title: d.UserName + " in " + slug, Section: "workspaces", Data: d})
}
