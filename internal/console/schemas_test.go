package console_test

import (
	"bytes"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/schema"
)

const (
	badgeURN = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	badgeDoc = `{"id": "` + badgeURN + `", "name": "AcmeUser", "description": "Acme's own attributes",
	"attributes": [
	  {"name": "badge", "type": "string", "uniqueness": "server", "caseExact": true},
	  {"name": "tier", "type": "string", "canonicalValues": ["gold", "silver"]},
	  {"name": "desk", "type": "complex", "subAttributes": [{"name": "floor", "type": "integer"}]}
	]}`
)

// postFile sends the declaration form as a browser does, multipart, with
// the file given (no file if name is "").
func (e *env) postFile(path string, fields url.Values, name, content string) *page {
	e.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		e.t.Fatal(err)
	}
	fw.Write([]byte(content))
	w.Close()
	req, err := http.NewRequest("POST", e.srv.URL+path, &b)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return e.do(req)
}

func TestSchemasDeclareByPaste(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signIn()
	schemaPath := "/admin/workspaces/acme/schemas/" + badgeURN

	e.get("/admin/workspaces/acme").want(http.StatusOK).has(`href="/admin/workspaces/acme/schemas"`)
	e.get("/admin/workspaces/acme/schemas").want(http.StatusOK).
		has("No extension schema is declared", `enctype="multipart/form-data"`, `name="document"`, `type="file"`)

	p := e.postFile("/admin/workspaces/acme/schemas", url.Values{"resource_type": {"User"}, "document": {badgeDoc}}, "", "").
		redirects(schemaPath + "#main")
	e.follow(p).want(http.StatusOK).has("Declared "+badgeURN+" for User.", "Acme&#39;s own attributes",
		"<code>badge</code>", "<code>tier</code>", "<code>gold</code>, <code>silver</code>",
		`<tr class="sub"><td><code>desk.floor</code>`, "integer", "<td data-label=\"Uniqueness\">server</td>",
		"<td data-label=\"Mutability\">readWrite</td>", "<td data-label=\"Returned\">default</td>",
		`<td data-label="Case-exact">yes</td>`, `<td data-label="Case-exact">—</td>`)
	if a := e.audited("schema.set"); a["target"] != badgeURN {
		t.Errorf("audit entry of the declaration: %v", a)
	}
	e.get("/admin/workspaces/acme/schemas").want(http.StatusOK).
		has(`<a href="`+schemaPath+`"><code>`+badgeURN+`</code></a>`, `<td data-label="Resource type">User</td>`,
			`<td data-label="Required">no</td>`, `<td data-label="Attributes">3</td>`)

	// Sent again from its page, marked required and with one attribute
	// more, it replaces the declaration.
	more := strings.Replace(badgeDoc, `"attributes": [`, `"attributes": [{"name": "region", "type": "string"},`, 1)
	p = e.postFile(schemaPath, url.Values{"resource_type": {"User"}, "required": {"1"}, "document": {more}}, "", "").redirects(schemaPath + "#main")
	e.follow(p).want(http.StatusOK).has("Replaced the declaration of "+badgeURN, "<code>region</code>", "yes: resources of the type are refused without it")
	e.get("/admin/workspaces/acme/schemas").has(`<td data-label="Required">yes</td>`, `<td data-label="Attributes">4</td>`)
	// Refused from its page, the page comes back with the error in its
	// form and what was sent kept.
	retyped := strings.Replace(more, `"name": "region", "type": "string"`, `"name": "region", "type": "strng"`, 1)
	e.postFile(schemaPath, url.Values{"resource_type": {"User"}, "document": {retyped}}, "", "").want(http.StatusBadRequest).
		has(`<section id="replace">`, `action="`+schemaPath+`#replace"`, "attributes[0].type", ">"+html.EscapeString(retyped)+"</textarea>", "<code>badge</code>")
	if s := e.apiOK("/workspaces/acme/schemas/" + badgeURN); s["required"] != true {
		t.Errorf("the API's declaration is not required: %v", s)
	}

	// A user provisioned with the extension shows its attributes.
	es, err := e.st.SchemaExtensions(e.ctx, e.acmeID)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := e.st.WorkspaceBySlug(e.ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	typ := schema.UserType.Extend(schema.Extension{Schema: es[0].Schema, Required: es[0].Required})
	r, err := newUsers(e).svc.Create(e.ctx, &ws, typ, map[string]any{"userName": "ada",
		"schemas": []any{schema.UserType.Schema.ID, badgeURN},
		badgeURN:  map[string]any{"badge": "<B-7>", "desk": map[string]any{"floor": 3}}})
	if err != nil {
		t.Fatal(err)
	}
	e.get("/admin/workspaces/acme/users/"+r.Resource.ID).want(http.StatusOK).
		has("Extension <code>"+badgeURN+"</code>", "<dt>badge</dt><dd>&lt;B-7&gt;</dd>", `<dt>desk</dt><dd>{&#34;floor&#34;:3}</dd>`).lacks("<B-7>")
}

func TestSchemasDeclareByUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signIn()
	groupURN := "urn:example:params:scim:schemas:extension:acme:2.0:Group"
	doc := `{"id": "` + groupURN + `", "attributes": [{"name": "costCenter", "type": "string"}]}`
	p := e.postFile("/admin/workspaces/acme/schemas", url.Values{"resource_type": {"Group"}, "document": {""}}, "group.json", doc).
		redirects("/admin/workspaces/acme/schemas/" + groupURN + "#main")
	e.follow(p).want(http.StatusOK).has("Declared "+groupURN+" for Group.", "<code>costCenter</code>")
	if s := e.apiOK("/workspaces/acme/schemas/" + groupURN); s["resource_type"] != "Group" {
		t.Errorf("the API's declaration: %v", s)
	}
}

func TestSchemasRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signIn()
	invalid := `{"id": "` + badgeURN + `", "attributes": [{"name": "badge", "type": "text"}]}`
	for _, tc := range []struct {
		name     string
		fields   url.Values
		file     string // uploaded as x.json if not ""
		status   int
		has      []string
		notKept  bool // the document is not shown again (too large)
		document string
	}{
		{name: "invalid document, the API's errors next to it", fields: url.Values{"resource_type": {"User"}, "document": {invalid}},
			status: http.StatusBadRequest, has: []string{"invalid_value", "attributes[0].type"}, document: invalid},
		{name: "invalid uploaded document, kept in the box", fields: url.Values{"resource_type": {"User"}}, file: invalid,
			status: http.StatusBadRequest, has: []string{"invalid_value", "attributes[0].type"}, document: invalid},
		{name: "not JSON", fields: url.Values{"resource_type": {"User"}, "document": {"id: urn:x"}},
			status: http.StatusBadRequest, has: []string{"invalid_json", "is not a JSON object"}, document: "id: urn:x"},
		{name: "uploaded file not JSON", fields: url.Values{"resource_type": {"User"}}, file: "<xml/>",
			status: http.StatusBadRequest, has: []string{"invalid_json", "is not a JSON object"}, document: "<xml/>"},
		{name: "no id", fields: url.Values{"resource_type": {"User"}, "document": {`{"attributes": []}`}},
			status: http.StatusBadRequest, has: []string{`has no &#34;id&#34;`}, document: `{"attributes": []}`},
		{name: "no resource type", fields: url.Values{"document": {badgeDoc}},
			status: http.StatusBadRequest, has: []string{"resource_type", "is not User or Group"}, document: badgeDoc},
		{name: "nothing", fields: url.Values{"resource_type": {"User"}},
			status: http.StatusBadRequest, has: []string{"No schema document: paste one or choose a file."}},
		{name: "both", fields: url.Values{"resource_type": {"User"}, "document": {badgeDoc}}, file: badgeDoc,
			status: http.StatusBadRequest, has: []string{"not both"}, document: badgeDoc},
		{name: "file too large", fields: url.Values{"resource_type": {"User"}}, file: strings.Repeat(" ", 61<<10) + badgeDoc,
			status: http.StatusBadRequest, has: []string{"too_large", "x.json has", "at most 60 KiB"}, notKept: true},
		{name: "form too large", fields: url.Values{"resource_type": {"User"}, "document": {strings.Repeat(" ", 200<<10)}},
			status: http.StatusRequestEntityTooLarge, has: []string{"too_large", "at most 60 KiB"}, notKept: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := ""
			if tc.file != "" {
				name = "x.json"
			}
			p := e.postFile("/admin/workspaces/acme/schemas", tc.fields, name, tc.file).want(tc.status).has(tc.has...).
				has(`action="/admin/workspaces/acme/schemas#declare"`)
			// The error is in the form, just above what was sent.
			form := strings.Index(p.body, `<section id="declare">`)
			alert := strings.Index(p.body, `role="alert"`)
			box := strings.Index(p.body, `<textarea`)
			if form < 0 || !(form < alert && alert < box) {
				t.Errorf("the error is not in the form above the document: form at %d, error at %d, document at %d", form, alert, box)
			}
			if tc.document != "" {
				p.has(">" + html.EscapeString(tc.document) + "</textarea>")
			}
			if tc.notKept {
				p.has("></textarea>")
			}
		})
	}
	if l := e.apiOK("/workspaces/acme/schemas"); len(l["schemas"].([]any)) != 0 {
		t.Errorf("a refused declaration was kept: %v", l)
	}
	// A form from another site is refused before anything is read.
	req, _ := http.NewRequest("POST", e.srv.URL+"/admin/workspaces/acme/schemas", strings.NewReader(url.Values{"resource_type": {"User"}, "document": {badgeDoc}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := e.do(req); p.status != http.StatusForbidden {
		t.Errorf("cross-site declaration: status %d", p.status)
	}
}

func TestSchemasDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signIn()
	schemaPath := "/admin/workspaces/acme/schemas/" + badgeURN
	e.postFile("/admin/workspaces/acme/schemas", url.Values{"resource_type": {"User"}, "document": {badgeDoc}}, "", "").redirects(schemaPath + "#main")

	e.get(schemaPath).has(`href="` + schemaPath + `/delete"`)
	e.get(schemaPath+"/delete").want(http.StatusOK).
		has("Delete the declaration of "+badgeURN+" for User in workspace acme?", `action="`+schemaPath+`/delete"`, `href="`+schemaPath+`"`)
	if l := e.apiOK("/workspaces/acme/schemas"); len(l["schemas"].([]any)) != 1 {
		t.Fatalf("asking deleted the declaration: %v", l)
	}
	e.follow(e.post(schemaPath+"/delete", nil).redirects("/admin/workspaces/acme/schemas")).want(http.StatusOK).
		has("Deleted the declaration of "+badgeURN+".", "No extension schema is declared")
	if a := e.audited("schema.delete"); a["target"] != badgeURN {
		t.Errorf("audit entry of the deletion: %v", a)
	}
	e.get(schemaPath).want(http.StatusNotFound).has("schema_not_found")
	e.get(schemaPath + "/delete").want(http.StatusNotFound)
	e.post(schemaPath+"/delete", nil).want(http.StatusNotFound).has("schema_not_found")
}
