package console

import (
	"net/http"

	"github.com/scimd/scimd/client/admin"
)

type activityData struct {
	Slug string
	admin.Activity
}

// activityPage tells what provisioning does in a workspace: its SCIM
// requests of the last day by token, each token's last request and
// identity provider, and the tokens that expire soon.
func activityPage(q *req) {
	slug := q.r.PathValue("slug")
	d := activityData{Slug: slug}
	if e := q.api("GET", admin.Path("workspaces", slug, "activity"), nil, nil, &d.Activity); e != nil {
		q.failAPI(e)
		return
	}
	q.render(http.StatusOK, "activity", view{Title: "Activity of " + slug, Section: "workspaces", Data: d})
}
