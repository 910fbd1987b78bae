package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
)

// workspaceView is a workspace as the API shows it. The configuration is
// kept as the API's JSON values, which the form shows and sends back
// changed.
type workspaceView struct {
	ID      string                     `json:"id"`
	Slug    string                     `json:"slug"`
	Created time.Time                  `json:"created"`
	Config  map[string]json.RawMessage `json:"config"`
}

// SCIMEnabled reports the workspace's scimEnabled, for the list.
func (w workspaceView) SCIMEnabled() bool {
	return string(w.Config["scimEnabled"]) == "true"
}

func dashboard(q *req) {
	var list struct {
		Workspaces []workspaceView `json:"workspaces"`
	}
	if e := q.api("GET", "/workspaces", nil, nil, &list); e != nil {
		q.failAPI(e)
		return
	}
	q.render(http.StatusOK, "workspaces", view{Title: "Workspaces", Section: "workspaces", Data: dashboardData{Workspaces: list.Workspaces}})
}

type dashboardData struct {
	Workspaces []workspaceView
	Slug       string // what the create form was sent with
}

func createWorkspace(q *req) {
	if !q.form() {
		return
	}
	slug := strings.TrimSpace(q.r.PostForm.Get("slug"))
	var w workspaceView
	if e := q.api("POST", "/workspaces", nil, map[string]any{"slug": slug}, &w); e != nil {
		var list struct {
			Workspaces []workspaceView `json:"workspaces"`
		}
		q.api("GET", "/workspaces", nil, nil, &list)
		q.render(e.Status, "workspaces", view{Title: "Workspaces", Section: "workspaces", Error: e,
			Data: dashboardData{Workspaces: list.Workspaces, Slug: slug}})
		return
	}
	q.redirect(workspacePath(w.Slug), fmt.Sprintf("Created workspace %s.", w.Slug))
}

// workspaceData is what the workspace page shows.
type workspaceData struct {
	Workspace workspaceView
	SCIMURL   string
	Settings  []settingField
	Tokens    []admin.Token
	Webhooks  []admin.Webhook
	// What the forms were sent with, after a refusal.
	TokenName, TokenExpires string
	WebhookURL, EventTypes  string
}

// workspacePage shows a workspace: where its identity providers connect,
// its SCIM configuration, its tokens and its webhooks.
func workspacePage(q *req) {
	q.showWorkspace(http.StatusOK, nil, nil, func(*workspaceData) {})
}

// showWorkspace renders the workspace page with the API's current state,
// and, after a refused action, its error and the form values the operator
// sent (sent, for the settings; edit, for the other forms).
func (q *req) showWorkspace(status int, failed *apiError, sent url.Values, edit func(*workspaceData)) {
	slug := q.r.PathValue("slug")
	d := workspaceData{SCIMURL: q.c.scimURL}
	if e := q.api("GET", admin.Path("workspaces", slug), nil, nil, &d.Workspace); e != nil {
		q.failAPI(e)
		return
	}
	var tokens struct {
		Tokens []admin.Token `json:"tokens"`
	}
	var hooks struct {
		Webhooks []admin.Webhook `json:"webhooks"`
	}
	e := q.api("GET", admin.Path("workspaces", slug, "tokens"), nil, nil, &tokens)
	if e == nil {
		e = q.api("GET", admin.Path("workspaces", slug, "webhooks"), nil, nil, &hooks)
	}
	if e != nil {
		q.failAPI(e)
		return
	}
	d.Tokens, d.Webhooks = tokens.Tokens, hooks.Webhooks
	d.Settings = settingFields(d.Workspace.Config, sent)
	edit(&d)
	q.render(status, "workspace", view{Title: d.Workspace.Slug, Section: "workspaces", Error: failed, Data: d})
}

// A setting's kind says how its form field shows and sends it.
const (
	kindBool = "bool" // a checkbox: true or false
	kindText = "text" // a string
	kindJSON = "json" // any other JSON value, as JSON text; empty for null
	// kindValue is sent as kindJSON is, in a field of one line: for
	// numbers.
	kindValue = "value"
	// kindSelect is a string chosen from Options.
	kindSelect = "select"
	// kindRows is a list edited as rows on the roles page, and not in
	// the form.
	kindRows = "rows"
)

// fieldKind returns the kind of field that shows a setting of package
// tenant.
func fieldKind(st tenant.Setting) string {
	switch st.Kind() {
	case tenant.Bool:
		return kindBool
	case tenant.Text:
		if st.Enum != nil || st.OfRoles {
			return kindSelect
		}
		return kindText
	case tenant.Number, tenant.OptionalNumber:
		return kindValue
	case tenant.RoleList, tenant.MappingList, tenant.NameList:
		return kindRows
	}
	return kindJSON
}

// fieldHint is what the form says of a setting: what it does, and how
// to write a value that is not plain text. The API alone knows what
// values are valid; the hints only help.
func fieldHint(st tenant.Setting) string {
	h := st.Help()
	if fieldKind(st) == kindRows {
		return h
	}
	if st.Example != "" {
		h += "; e.g. " + st.Example
	}
	// An empty text field is the empty string; an empty other field is
	// null, which stands for what None says.
	if st.None != "" && st.Kind() != tenant.Text {
		h += "; empty for " + st.None
	}
	return h
}

// settingField is one field of the configuration form.
type settingField struct {
	Key, Label, Kind, Hint string
	// Options are a select's values.
	Options []string
	// Min and Max bound a number; Max 0 is no bound. Optional says that
	// it may be empty, for none.
	Min, Max int
	Optional bool
	// Summary is what a list edited as rows holds, in words.
	Summary string
	// Value is the setting's value as the field shows it; Was is the
	// value the API gave, sent back with the form so that only the
	// settings the operator changed are sent to the API.
	Value, Was string
}

// Checked reports whether a checkbox is ticked.
func (f settingField) Checked() bool { return f.Value == "true" }

// settingFields returns the form's fields for a configuration, with the
// values of sent (a refused form) in place of the API's where given: the
// settings of package tenant first, then any others the API has, as
// JSON.
func settingFields(cfg map[string]json.RawMessage, sent url.Values) []settingField {
	var fields []settingField
	known := map[string]bool{}
	for _, st := range tenant.Settings() {
		known[st.Key] = true
		if raw, ok := cfg[st.Key]; ok {
			kind := fieldKind(st)
			f := settingField{Key: st.Key, Label: st.Label, Kind: kind, Hint: fieldHint(st), Value: formValue(kind, raw),
				Options: st.Enum, Min: st.Min, Max: st.Max, Optional: st.Kind() == tenant.OptionalNumber}
			if st.OfRoles {
				f.Options = roleNames(cfg["roles"])
			}
			if kind == kindRows {
				f.Summary = rowsSummary(st, raw)
			}
			fields = append(fields, f)
		}
	}
	var extra []string
	for k := range cfg {
		if !known[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range extra {
		fields = append(fields, settingField{Key: k, Kind: kindJSON, Value: formValue(kindJSON, cfg[k])})
	}
	for i := range fields {
		f := &fields[i]
		if f.Kind == kindRows {
			continue // not in the form
		}
		f.Was = f.Value
		if sent != nil && sent.Has("was."+f.Key) {
			f.Value, f.Was = sentValue(f.Kind, sent, f.Key), sent.Get("was."+f.Key)
		}
	}
	return fields
}

// roleNames are the names of the roles of a configuration's roles, or of
// the default roles if it has none.
func roleNames(raw json.RawMessage) []string {
	var rs []admin.Role
	if json.Unmarshal(raw, &rs) != nil || len(rs) == 0 {
		rs = defaultRoles()
	}
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return names
}

// rowsSummary says what a list setting holds, as scimd workspace show
// does.
func rowsSummary(st tenant.Setting, raw json.RawMessage) string {
	var c store.WorkspaceConfig
	if json.Unmarshal([]byte(`{"`+st.Key+`":`+string(raw)+`}`), &c) != nil {
		return string(raw)
	}
	return st.Shown(c)
}

// formValue is the text a field shows for a JSON value.
func formValue(kind string, raw json.RawMessage) string {
	switch kind {
	case kindBool:
		if string(raw) == "true" {
			return "true"
		}
		return "false"
	case kindText, kindSelect:
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		return ""
	}
	// Re-encoded without the HTML escapes of the API's JSON, so that the
	// operator sees "<" rather than "\u003c"; the template escapes it.
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return string(raw)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// sentValue is a field's value in a sent form: an unticked checkbox is
// not sent at all.
func sentValue(kind string, form url.Values, key string) string {
	if kind == kindBool {
		if form.Get(key) == "true" {
			return "true"
		}
		return "false"
	}
	return form.Get(key)
}

// jsonValue is what the API is sent for a field's text. Text that is not
// JSON is sent as a JSON string, for the API to refuse in its own words
// if the setting wants something else.
func jsonValue(kind, text string) any {
	switch kind {
	case kindBool:
		return text == "true"
	case kindText, kindSelect:
		return text
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	if json.Valid([]byte(text)) {
		return json.RawMessage(text)
	}
	return text
}

// saveConfig sends the API the settings the operator changed, as one
// PATCH of the SCIM configuration: all of them apply, or none.
func saveConfig(q *req) {
	if !q.form() {
		return
	}
	slug := q.r.PathValue("slug")
	form := q.r.PostForm
	kinds := map[string]string{}
	for _, st := range tenant.Settings() {
		kinds[st.Key] = fieldKind(st)
	}
	changes := map[string]any{}
	var names []string
	for k := range form {
		key, ok := strings.CutPrefix(k, "was.")
		if !ok {
			continue
		}
		kind := kinds[key]
		if kind == "" {
			kind = kindJSON
		}
		if v := sentValue(kind, form, key); v != form.Get(k) {
			changes[key] = jsonValue(kind, v)
			names = append(names, key)
		}
	}
	if len(changes) == 0 {
		q.redirect(workspacePath(slug), "Nothing changed.")
		return
	}
	if e := q.api("PATCH", admin.Path("workspaces", slug, "scim-config"), nil, changes, nil); e != nil {
		q.showWorkspace(e.Status, e, form, func(*workspaceData) {})
		return
	}
	slices.Sort(names)
	q.redirect(workspacePath(slug), "Saved "+strings.Join(names, ", ")+".")
}

func confirmReset(q *req) {
	q.confirmReset(http.StatusOK, nil)
}

// confirmReset asks before the SCIM configuration is reset, with the
// error of a refused attempt if there was one.
func (q *req) confirmReset(status int, failed *apiError) {
	slug := q.r.PathValue("slug")
	var w workspaceView
	if e := q.api("GET", admin.Path("workspaces", slug), nil, nil, &w); e != nil {
		if failed == nil {
			failed = e
		}
		q.failAPI(failed)
		return
	}
	d := confirmData{
		Question: fmt.Sprintf("Reset the SCIM configuration of workspace %s and disable SCIM?", w.Slug),
		Detail: "Every setting goes back to its default, and scimEnabled becomes false: the workspace's identity providers get 403 until SCIM is enabled again. " +
			"Its tokens are kept, so that ticking scimEnabled resumes provisioning. The reset's entry in the audit log keeps what each setting it changes was.",
		Action: workspacePath(slug, "config", "reset"),
		Button: "Reset and disable SCIM",
		Back:   workspacePath(slug),
	}
	q.render(status, "confirm", view{Title: "Reset the SCIM configuration", Section: "workspaces", Error: failed, Data: d})
}

func resetConfig(q *req) {
	slug := q.r.PathValue("slug")
	if e := q.api("DELETE", admin.Path("workspaces", slug, "scim-config"), nil, nil, nil); e != nil {
		q.confirmReset(e.Status, e)
		return
	}
	q.redirect(workspacePath(slug), "Reset the SCIM configuration to the defaults; SCIM is disabled.")
}

func confirmDeleteWorkspace(q *req) {
	q.confirmDeleteWorkspace(http.StatusOK, nil)
}

// confirmDeleteWorkspace asks before a workspace is deleted, naming what
// goes with it, as the API counts it now.
func (q *req) confirmDeleteWorkspace(status int, failed *apiError) {
	slug := q.r.PathValue("slug")
	var (
		w                 workspaceView
		tokens, appTokens struct {
			Tokens []admin.Token `json:"tokens"`
		}
		hooks struct {
			Webhooks []admin.Webhook `json:"webhooks"`
		}
		users struct {
			Total int `json:"total"`
		}
		invited, deleted struct {
			Users []admin.User `json:"users"`
		}
	)
	for _, c := range []struct {
		path  string
		query url.Values
		out   any
	}{
		{admin.Path("workspaces", slug), nil, &w},
		{admin.Path("workspaces", slug, "tokens"), nil, &tokens},
		{admin.Path("workspaces", slug, "app-tokens"), nil, &appTokens},
		{admin.Path("workspaces", slug, "webhooks"), nil, &hooks},
		{admin.Path("workspaces", slug, "users"), url.Values{"limit": {"1"}}, &users},
		{admin.Path("workspaces", slug, "users", "invited"), nil, &invited},
		{admin.Path("workspaces", slug, "users", "deleted"), nil, &deleted},
	} {
		if e := q.api("GET", c.path, c.query, nil, c.out); e != nil {
			if failed == nil {
				failed = e
			}
			q.failAPI(failed)
			return
		}
	}
	d := confirmData{
		Question: fmt.Sprintf("Delete workspace %s (%s)?", w.Slug, w.ID),
		Detail:   "These go with it, at once:",
		Lose: []string{
			fmt.Sprintf("%s, %s and %s, with their API keys and sessions; its groups", count(users.Total, "provisioned user"), count(len(invited.Users), "invited user"), count(len(deleted.Users), "soft-deleted user")),
			fmt.Sprintf("%s (%d active): its identity providers can no longer connect", count(len(tokens.Tokens), "SCIM token"), active(tokens.Tokens)),
			fmt.Sprintf("%s (%d active): its application can no longer use the application API", count(len(appTokens.Tokens), "app token"), active(appTokens.Tokens)),
			fmt.Sprintf("its events, and %s with the delivery logs: what is pending is not sent", count(len(hooks.Webhooks), "webhook")),
		},
		After:  fmt.Sprintf("Its entries in the audit log stay, under its id %s. This cannot be undone.", w.ID),
		Action: workspacePath(slug, "delete"),
		Button: "Delete " + w.Slug,
		Back:   workspacePath(slug),
	}
	q.render(status, "confirm", view{Title: "Delete workspace", Section: "workspaces", Error: failed, Data: d})
}

// count says how many there are of a noun, in English.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// active counts the active tokens of a list.
func active(tokens []admin.Token) int {
	n := 0
	for _, t := range tokens {
		if t.State == "active" {
			n++
		}
	}
	return n
}

func deleteWorkspace(q *req) {
	slug := q.r.PathValue("slug")
	var w workspaceView
	if e := q.api("GET", admin.Path("workspaces", slug), nil, nil, &w); e != nil {
		q.failAPI(e)
		return
	}
	if e := q.api("DELETE", admin.Path("workspaces", slug), nil, nil, nil); e != nil {
		q.confirmDeleteWorkspace(e.Status, e)
		return
	}
	q.redirect(Prefix, fmt.Sprintf("Deleted workspace %s; its audit log entries stay, under %s.", w.Slug, w.ID))
}
