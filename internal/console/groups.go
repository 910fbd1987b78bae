package console

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

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
	// Extensions are the user's attributes under extension schemas, by
	// URN.
	Extensions []extensionValues
}

type extensionValues struct {
	URN    string
	Values []attributeValue
}

type attributeValue struct {
	Name, Value string
}

// extensions picks the attributes under extension URNs out of a user's
// SCIM attributes (RFC 7643 §3.3: an extension's attributes are an
// object under its URN), sorted by URN and name; values other than
// strings are shown as JSON.
func extensions(doc map[string]any) []extensionValues {
	var out []extensionValues
	for _, urn := range slices.Sorted(maps.Keys(doc)) {
		obj, ok := doc[urn].(map[string]any)
		if !ok || !strings.HasPrefix(strings.ToLower(urn), "urn:") {
			continue
		}
		x := extensionValues{URN: urn}
		for _, name := range slices.Sorted(maps.Keys(obj)) {
			v, ok := obj[name].(string)
			if !ok {
				b, _ := json.Marshal(obj[name])
				v = string(b)
			}
			x.Values = append(x.Values, attributeValue{Name: name, Value: v})
		}
		out = append(out, x)
	}
	return out
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
	d.Extensions = extensions(d.SCIM)
	q.render(http.StatusOK, "user", view{Title: d.UserName + " in " + slug, Section: "workspaces", Data: d})
}
