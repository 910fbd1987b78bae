package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/schema"
)

// maxSchemaDocument bounds a pasted or uploaded schema document. The
// admin API takes request bodies of up to 64 KiB, and the document
// travels inside one with the declaration's other fields.
const maxSchemaDocument = 60 << 10

// maxSchemaForm bounds the whole form: a pasted document, a file and the
// other fields, with room for multipart's framing, so that a document
// somewhat too large is still read and refused with its size.
const maxSchemaForm = 2*maxSchemaDocument + 16<<10

type schemasData struct {
	Slug    string
	Schemas []schemaRow
	// Form is what the declaration form was sent with, after a refusal.
	Form schemaForm
}

// schemaRow is a declared extension as listed.
type schemaRow struct {
	admin.SchemaExtension
	Attributes int
}

// schemaForm is the form that declares or replaces an extension. Its
// action names the form's place on the page, so that the answer to a
// refusal opens there, with the error beside what was sent.
type schemaForm struct {
	Action, Button string // where it is sent, and its button
	Error          *apiError
	ResourceType   string
	Required       bool
	Document       string
}

// MaxKiB is the largest document the form takes, for its hint.
func (schemaForm) MaxKiB() int { return maxSchemaDocument >> 10 }

type schemaData struct {
	Slug string
	admin.SchemaExtension
	Name, Description string
	Attributes        []attributeRow
	Form              schemaForm
}

// attributeRow is a row of an extension's attributes: an attribute, or
// a sub-attribute of a complex one, after it.
type attributeRow struct {
	*schema.Attribute
	Path string // name, or parent.name
	Sub  bool
}

func attributeRows(as []*schema.Attribute) []attributeRow {
	var rows []attributeRow
	for _, a := range as {
		rows = append(rows, attributeRow{Attribute: a, Path: a.Name})
		for _, sub := range a.SubAttributes {
			rows = append(rows, attributeRow{Attribute: sub, Path: a.Name + "." + sub.Name, Sub: true})
		}
	}
	return rows
}

// readSchemaDocument reads the schema document of a declaration, as the
// API answers it: every characteristic spelt out.
func readSchemaDocument(e admin.SchemaExtension) (schema.Schema, error) {
	var d schema.Schema
	err := json.Unmarshal(e.Schema, &d)
	return d, err
}

// schemasPage lists a workspace's declared extension schemas, with the
// form that declares one.
func schemasPage(q *req) {
	q.showSchemas(http.StatusOK, nil, schemaForm{ResourceType: "User"})
}

// showSchemas renders the list of extensions, with the error of a
// refused declaration if there was one, and the form as it was sent.
func (q *req) showSchemas(status int, failed *apiError, f schemaForm) {
	slug := q.r.PathValue("slug")
	var list admin.SchemaExtensionList
	if e := q.api("GET", admin.Path("workspaces", slug, "schemas"), nil, nil, &list); e != nil {
		q.failAPI(e)
		return
	}
	d := schemasData{Slug: slug, Form: f}
	d.Form.Action, d.Form.Button, d.Form.Error = workspacePath(slug, "schemas")+"#declare", "Declare", failed
	for _, s := range list.Schemas {
		doc, err := readSchemaDocument(s)
		if err != nil {
			q.failAPI(q.c.unreadable("GET", admin.Path("workspaces", slug, "schemas"), err))
			return
		}
		d.Schemas = append(d.Schemas, schemaRow{SchemaExtension: s, Attributes: len(doc.Attributes)})
	}
	q.render(status, "schemas", view{Title: "Extension schemas of " + slug, Section: "workspaces", Data: d})
}

// schemaPage shows a declared extension with its attributes, and the
// form that replaces it, filled in with it.
func schemaPage(q *req) {
	q.showSchema(http.StatusOK, nil, nil)
}

// showSchema renders an extension's page, with the error of a refused
// change and the form as it was sent, if there was one.
func (q *req) showSchema(status int, failed *apiError, f *schemaForm) {
	slug, urn := q.r.PathValue("slug"), q.r.PathValue("urn")
	d := schemaData{Slug: slug}
	if e := q.api("GET", admin.Path("workspaces", slug, "schemas", urn), nil, nil, &d.SchemaExtension); e != nil {
		q.failAPI(e)
		return
	}
	doc, err := readSchemaDocument(d.SchemaExtension)
	if err != nil {
		q.failAPI(q.c.unreadable("GET", admin.Path("workspaces", slug, "schemas", urn), err))
		return
	}
	d.Name, d.Description, d.Attributes = doc.Name, doc.Description, attributeRows(doc.Attributes)
	if f != nil {
		d.Form = *f
	} else {
		d.Form = schemaForm{ResourceType: d.ResourceType, Required: d.Required, Document: indent(d.Schema)}
	}
	d.Form.Action, d.Form.Button, d.Form.Error = workspacePath(slug, "schemas", d.URN)+"#replace", "Replace", failed
	q.render(status, "schema", view{Title: d.URN + " in " + slug, Section: "workspaces", Data: d})
}

// indent lays a JSON document out for people to edit.
func indent(doc json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Indent(&b, doc, "", "  "); err != nil {
		return string(doc)
	}
	return b.String()
}

// setSchema declares an extension from a pasted or uploaded document, or
// replaces the declaration with the document's URN. A refusal shows the
// API's message with what was sent kept in the form, an uploaded file's
// text in the box, since a file field cannot be filled in again.
func setSchema(q *req) {
	f, problem := q.schemaForm()
	// A change sent from an extension's page goes back to it when
	// refused.
	back := func(status int, e *apiError) {
		if q.r.PathValue("urn") != "" {
			q.showSchema(status, e, &f)
			return
		}
		q.showSchemas(status, e, f)
	}
	if problem != nil {
		back(problem.Status, problem)
		return
	}
	slug := q.r.PathValue("slug")
	var doc struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(f.Document), &doc); err != nil {
		back(http.StatusBadRequest, &apiError{Status: http.StatusBadRequest, Code: "invalid_json",
			Message: "The schema document is not a JSON object: " + err.Error()})
		return
	}
	if doc.ID == "" {
		back(http.StatusBadRequest, &apiError{Status: http.StatusBadRequest, Code: "invalid_value",
			Message: `The schema document has no "id": give the extension's URN there, such as urn:ietf:params:scim:schemas:extension:acme:2.0:User.`})
		return
	}
	set := admin.SchemaExtensionSet{ResourceType: f.ResourceType, Required: f.Required, Schema: json.RawMessage(f.Document)}
	var s admin.SchemaExtension
	if e := q.api("PUT", admin.Path("workspaces", slug, "schemas", doc.ID), nil, set, &s); e != nil {
		back(e.Status, e)
		return
	}
	notice := fmt.Sprintf("Declared %s for %s.", s.URN, s.ResourceType)
	if !s.Created.Equal(s.Updated) {
		notice = fmt.Sprintf("Replaced the declaration of %s for %s.", s.URN, s.ResourceType)
	}
	if len(s.Notes) > 0 {
		notice += " " + strings.Join(s.Notes, " ")
	}
	// The page opens at its notice: without a fragment of its own, the
	// browser would keep the form's.
	q.redirect(workspacePath(slug, "schemas", s.URN)+"#main", notice)
}

// schemaForm reads the declaration form, a multipart one for its file
// field. The document is the uploaded file's or, without one, the
// pasted text.
func (q *req) schemaForm() (schemaForm, *apiError) {
	bad := func(code, format string, args ...any) *apiError {
		return &apiError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
	}
	tooLarge := &apiError{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
		Message: fmt.Sprintf("The form is larger than the console takes: a schema document may have at most %d KiB.", maxSchemaDocument>>10)}
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, maxSchemaForm)
	err := q.r.ParseMultipartForm(maxSchemaForm)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return schemaForm{ResourceType: "User"}, tooLarge
	case errors.Is(err, http.ErrNotMultipart):
		// A form without a file field (as a test or a script may send)
		// is read as it comes.
		if err = q.r.ParseForm(); errors.As(err, &mbe) {
			return schemaForm{ResourceType: "User"}, tooLarge
		}
	}
	if err != nil {
		return schemaForm{ResourceType: "User"}, bad("invalid_form", "The form could not be read: %v", err)
	}
	f := schemaForm{
		ResourceType: q.r.PostFormValue("resource_type"),
		Required:     q.r.PostFormValue("required") != "",
		Document:     strings.TrimSpace(q.r.PostFormValue("document")),
	}
	file, header, err := q.r.FormFile("file")
	if err != nil && !errors.Is(err, http.ErrMissingFile) {
		return f, bad("invalid_form", "The file could not be read: %v", err)
	}
	if err == nil && header.Size > 0 {
		if f.Document != "" {
			return f, bad("invalid_form", "Both a file and a pasted document were sent: paste the document or upload a file, not both.")
		}
		text, err := readUpload(file)
		if err != nil {
			return f, bad("invalid_form", "The file %s could not be read: %v", header.Filename, err)
		}
		f.Document = strings.TrimSpace(text)
		if header.Size > maxSchemaDocument {
			f.Document = ""
			return f, bad("too_large", "The file %s has %d bytes: a schema document may have at most %d KiB.", header.Filename, header.Size, maxSchemaDocument>>10)
		}
	}
	if len(f.Document) > maxSchemaDocument {
		return f, bad("too_large", "The document has %d bytes: a schema document may have at most %d KiB.", len(f.Document), maxSchemaDocument>>10)
	}
	if f.Document == "" {
		return f, bad("invalid_form", "No schema document: paste one or choose a file.")
	}
	return f, nil
}

func readUpload(f multipart.File) (string, error) {
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSchemaDocument+1))
	return string(b), err
}

func confirmDeleteSchema(q *req) { q.askDeleteSchema(http.StatusOK, nil) }

// askDeleteSchema asks whether to delete a declaration, with the error
// of the deletion if it was refused.
func (q *req) askDeleteSchema(status int, failed *apiError) {
	slug, urn := q.r.PathValue("slug"), q.r.PathValue("urn")
	var s admin.SchemaExtension
	if e := q.api("GET", admin.Path("workspaces", slug, "schemas", urn), nil, nil, &s); e != nil {
		if failed == nil {
			failed = e
		}
		q.failAPI(failed)
		return
	}
	d := confirmData{
		Question: fmt.Sprintf("Delete the declaration of %s for %s in workspace %s?", s.URN, s.ResourceType, slug),
		Detail:   "Identity providers' attributes under this URN are ignored from then on; values already stored are kept, and come back if it is declared again.",
		Action:   workspacePath(slug, "schemas", s.URN, "delete"),
		Button:   "Delete",
		Back:     workspacePath(slug, "schemas", s.URN),
	}
	q.render(status, "confirm", view{Title: "Delete extension schema", Section: "workspaces", Error: failed, Data: d})
}

func deleteSchema(q *req) {
	slug, urn := q.r.PathValue("slug"), q.r.PathValue("urn")
	if e := q.api("DELETE", admin.Path("workspaces", slug, "schemas", urn), nil, nil, nil); e != nil {
		q.askDeleteSchema(e.Status, e)
		return
	}
	q.redirect(workspacePath(slug, "schemas"), fmt.Sprintf("Deleted the declaration of %s.", urn))
}
