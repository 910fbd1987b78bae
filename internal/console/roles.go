package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/roles"
)

// The roles page edits a workspace's roles, role mappings and group
// allowlist as rows of a form, without JavaScript: a few empty rows to
// fill in, a box to tick to remove a row, and a button for more rows.
// Each mapping and allowlist entry shows the groups it matches, as the
// admin API previews them; Preview shows those of the rows as typed,
// before they are saved.

// emptyRows is how many empty rows each list offers, and adds.
const emptyRows = 2

// roleRow, mappingRow and allowRow are rows of the form, as shown and as
// sent.
type (
	roleRow struct {
		Name, Rank string
	}
	mappingRow struct {
		// By is "group" (a displayName or glob) or "externalId".
		By, Pattern, Role string
		Match             *admin.MappingMatch
	}
	allowRow struct {
		Pattern string
		Match   *admin.AllowlistMatch
	}
)

type rolesData struct {
	Slug      string
	Roles     []roleRow
	Mappings  []mappingRow
	Allowlist []allowRow
	// RoleNames are the roles a mapping may name: those of the rows.
	RoleNames []string
	// Draft says that the rows are not saved yet.
	Draft bool
	// Checked and Total count the groups the preview checked, and all.
	Checked, Total int
	// WasRoles, WasMappings and WasAllowlist are the lists as the API
	// gave them, as JSON, sent back with the form so that only the lists
	// the operator changed are sent.
	WasRoles, WasMappings, WasAllowlist string
}

// rolesPage shows the workspace's roles, mappings and allowlist as rows,
// with the groups each pattern matches.
func rolesPage(q *req) {
	slug := q.r.PathValue("slug")
	var w admin.Workspace
	if e := q.api("GET", admin.Path("workspaces", slug), nil, nil, &w); e != nil {
		q.failAPI(e)
		return
	}
	rs := w.Config.Roles
	if len(rs) == 0 {
		rs = defaultRoles()
	}
	d := rolesData{Slug: slug, WasRoles: jsonText(rs), WasMappings: jsonText(nonNil(w.Config.RoleMappings)), WasAllowlist: jsonText(nonNil(w.Config.GroupAllowlist))}
	for _, r := range rs {
		d.Roles = append(d.Roles, roleRow{Name: r.Name, Rank: strconv.Itoa(r.Rank)})
	}
	for _, m := range w.Config.RoleMappings {
		row := mappingRow{By: "group", Pattern: m.Group, Role: m.Role}
		if m.ExternalID != "" {
			row.By, row.Pattern = "externalId", m.ExternalID
		}
		d.Mappings = append(d.Mappings, row)
	}
	for _, a := range w.Config.GroupAllowlist {
		d.Allowlist = append(d.Allowlist, allowRow{Pattern: a})
	}
	e := q.preview(&d, nil)
	status := http.StatusOK
	if e != nil {
		status = e.Status
	}
	q.showRoles(status, e, d, 0)
}

// defaultRoles are the roles of a workspace that names none.
func defaultRoles() []admin.Role {
	var out []admin.Role
	for _, r := range roles.DefaultRoles() {
		out = append(out, admin.Role{Name: r.Name, Rank: r.Rank})
	}
	return out
}

// jsonText is v as compact JSON, for comparing lists; without the HTML
// escapes, since the template escapes what it shows.
func jsonText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// showRoles renders the page with more empty rows at the end of each
// list.
func (q *req) showRoles(status int, failed *apiError, d rolesData, more int) {
	for range emptyRows + more {
		d.Roles = append(d.Roles, roleRow{})
		d.Mappings = append(d.Mappings, mappingRow{By: "group"})
		d.Allowlist = append(d.Allowlist, allowRow{})
	}
	for _, r := range d.Roles {
		if r.Name != "" && !slices.Contains(d.RoleNames, r.Name) {
			d.RoleNames = append(d.RoleNames, r.Name)
		}
	}
	q.render(status, "roles", view{Title: "Roles and groups of " + d.Slug, Section: "workspaces", Error: failed, Data: d})
}

// draft is what rows of the form make: the lists to save or preview.
type draft struct {
	roles     []admin.Role
	mappings  []admin.RoleMapping
	allowlist []string
	// mappingRow and allowRow are, for each entry of the lists, its
	// row in rolesData.
	mappingRow, allowRow []int
}

// readRows reads the rows of a sent form into d, leaving out empty rows
// and those ticked for removal, and returns the draft they make. A rank
// that is not a number is refused here, since the API is sent numbers.
func readRows(form url.Values, d *rolesData) (draft, error) {
	var dr draft
	rows := func(prefix string) int {
		n, _ := strconv.Atoi(form.Get(prefix + ".rows"))
		return min(max(n, 0), 1000)
	}
	removed := func(prefix string, i int) bool { return form.Get(fmt.Sprintf("%s.%d.remove", prefix, i)) == "true" }
	field := func(prefix string, i int, name string) string {
		return strings.TrimSpace(form.Get(fmt.Sprintf("%s.%d.%s", prefix, i, name)))
	}
	var bad []string
	for i := range rows("role") {
		r := roleRow{Name: field("role", i, "name"), Rank: field("role", i, "rank")}
		if removed("role", i) || r.Name == "" && r.Rank == "" {
			continue
		}
		d.Roles = append(d.Roles, r)
		rank, err := strconv.Atoi(r.Rank)
		if err != nil {
			bad = append(bad, fmt.Sprintf("role %q: rank %q is not a whole number", r.Name, r.Rank))
		}
		dr.roles = append(dr.roles, admin.Role{Name: r.Name, Rank: rank})
	}
	for i := range rows("mapping") {
		m := mappingRow{By: field("mapping", i, "by"), Pattern: field("mapping", i, "pattern"), Role: field("mapping", i, "role")}
		if removed("mapping", i) || m.Pattern == "" {
			continue
		}
		rm := admin.RoleMapping{Group: m.Pattern, Role: m.Role}
		if m.By == "externalId" {
			rm = admin.RoleMapping{ExternalID: m.Pattern, Role: m.Role}
		} else {
			m.By = "group"
		}
		dr.mappingRow = append(dr.mappingRow, len(d.Mappings))
		d.Mappings = append(d.Mappings, m)
		dr.mappings = append(dr.mappings, rm)
	}
	for i := range rows("allow") {
		a := allowRow{Pattern: field("allow", i, "pattern")}
		if removed("allow", i) || a.Pattern == "" {
			continue
		}
		dr.allowRow = append(dr.allowRow, len(d.Allowlist))
		d.Allowlist = append(d.Allowlist, a)
		dr.allowlist = append(dr.allowlist, a.Pattern)
	}
	if bad != nil {
		return dr, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return dr, nil
}

// preview asks the API which groups the mappings and allowlist entries
// of d match: those of dr, a draft, or with dr nil the workspace's.
func (q *req) preview(d *rolesData, dr *draft) *apiError {
	body := map[string]any{}
	mappingRow, allowRow := seq(len(d.Mappings)), seq(len(d.Allowlist))
	if dr != nil {
		body = map[string]any{"roles": nonNil(dr.roles), "roleMappings": nonNil(dr.mappings), "groupAllowlist": nonNil(dr.allowlist)}
		mappingRow, allowRow = dr.mappingRow, dr.allowRow
	}
	var m admin.GroupMatches
	if e := q.api("POST", admin.Path("workspaces", d.Slug, "group-matches"), nil, body, &m); e != nil {
		return e
	}
	d.Checked, d.Total = m.Checked, m.Total
	for i := range min(len(m.RoleMappings), len(mappingRow)) {
		d.Mappings[mappingRow[i]].Match = &m.RoleMappings[i]
	}
	for i := range min(len(m.GroupAllowlist), len(allowRow)) {
		d.Allowlist[allowRow[i]].Match = &m.GroupAllowlist[i]
	}
	return nil
}

// seq returns 0, 1, … n-1.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// nonNil makes a nil list an empty one, which the API takes as no
// entries rather than as the workspace's.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// saveRoles saves the rows, previews them, or adds empty rows, as the
// button pressed says. Only the lists that changed are sent, in one
// PATCH: all apply, or none.
func saveRoles(q *req) {
	if !q.form() {
		return
	}
	slug := q.r.PathValue("slug")
	form := q.r.PostForm
	d := rolesData{Slug: slug, Draft: true, WasRoles: form.Get("was.roles"), WasMappings: form.Get("was.roleMappings"), WasAllowlist: form.Get("was.groupAllowlist")}
	dr, err := readRows(form, &d)
	if err != nil {
		q.showRoles(http.StatusBadRequest, &apiError{Status: http.StatusBadRequest, Code: "invalid_form", Message: err.Error()}, d, 0)
		return
	}
	switch form.Get("action") {
	case "more", "preview":
		more := 0
		if form.Get("action") == "more" {
			more = emptyRows
		}
		status := http.StatusOK
		e := q.preview(&d, &dr)
		if e != nil {
			status = e.Status
		}
		q.showRoles(status, e, d, more)
		return
	}
	changes := map[string]any{}
	var names []string
	for _, c := range []struct {
		key, was string
		now      any
	}{
		{"roles", d.WasRoles, nonNil(dr.roles)},
		{"roleMappings", d.WasMappings, nonNil(dr.mappings)},
		{"groupAllowlist", d.WasAllowlist, nonNil(dr.allowlist)},
	} {
		if jsonText(c.now) != c.was {
			changes[c.key] = c.now
			names = append(names, c.key)
		}
	}
	page := workspacePath(slug, "roles")
	if len(changes) == 0 {
		q.redirect(page, "Nothing changed.")
		return
	}
	if e := q.api("PATCH", admin.Path("workspaces", slug, "scim-config"), nil, changes, nil); e != nil {
		if e.Status == http.StatusBadRequest {
			// The rows stay as sent, with what the API said of them.
			q.showRoles(e.Status, e, d, 0)
			return
		}
		q.failAPI(e)
		return
	}
	q.redirect(page, "Saved "+strings.Join(names, ", ")+"; the users' roles are recomputed.")
}
