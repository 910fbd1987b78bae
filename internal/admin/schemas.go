package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	api "github.com/scimd/scimd/client/admin"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// Operators declare extension schemas here; package schema reads their
// documents.

// maxSchemaExtensions bounds a workspace's declarations, each of which
// every SCIM request of the workspace carries along.
const maxSchemaExtensions = 20

func schemaOut(e store.SchemaExtension) (SchemaExtension, error) {
	doc, err := json.Marshal(e.Schema)
	if err != nil {
		return SchemaExtension{}, err
	}
	return SchemaExtension{URN: e.Schema.ID, ResourceType: e.ResourceType, Required: e.Required, Schema: doc,
		Created: e.Created.UTC(), Updated: e.Updated.UTC()}, nil
}

// declared returns the workspace of the path and its declarations.
func (h *Handler) declared(c *call) (store.Workspace, []store.SchemaExtension, error) {
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return w, nil, err
	}
	es, err := h.store.SchemaExtensions(c.r.Context(), w.ID)
	return w, es, err
}

func listSchemas(h *Handler, c *call) (int, any, error) {
	_, es, err := h.declared(c)
	if err != nil {
		return 0, nil, err
	}
	out := SchemaExtensionList{Schemas: []SchemaExtension{}}
	for _, e := range es {
		s, err := schemaOut(e)
		if err != nil {
			return 0, nil, err
		}
		out.Schemas = append(out.Schemas, s)
	}
	return http.StatusOK, out, nil
}

func getSchema(h *Handler, c *call) (int, any, error) {
	w, es, err := h.declared(c)
	if err != nil {
		return 0, nil, err
	}
	urn := c.pathValue("urn")
	for _, e := range es {
		if strings.EqualFold(e.Schema.ID, urn) {
			s, err := schemaOut(e)
			return http.StatusOK, s, err
		}
	}
	return 0, nil, schemaNotFound(w.Slug, urn, store.ErrNotFound)
}

// putSchema declares an extension, or changes its declaration.
func putSchema(h *Handler, c *call) (int, any, error) {
	var body api.SchemaExtensionSet
	if err := h.api.Decode(c.w, c.r, &body, false); err != nil {
		return 0, nil, err
	}
	urn := c.pathValue("urn")
	c.target = urn
	w, es, err := h.declared(c)
	if err != nil {
		return 0, nil, err
	}
	c.workspaceID = w.ID
	base := baseTypes[body.ResourceType]
	if base == nil {
		return 0, nil, badValue("resource_type %q is not User or Group", body.ResourceType)
	}
	if len(body.Schema) == 0 {
		return 0, nil, badValue("schema is missing: give the RFC 7643 §7 schema document")
	}
	s, err := schema.ParseDocument(body.Schema)
	if err != nil {
		return 0, nil, badValue("%s", err)
	}
	if !strings.EqualFold(s.ID, urn) {
		return 0, nil, badValue("the schema's id %q is not the URN of the path, %q", s.ID, urn)
	}
	if err := checkURN(s.ID, base, es); err != nil {
		return 0, nil, err
	}
	e, old, err := h.store.PutSchemaExtension(c.r.Context(), store.SchemaExtension{WorkspaceID: w.ID, ResourceType: body.ResourceType, Schema: s, Required: body.Required})
	var taken *store.ValueTakenError
	if errors.As(err, &taken) {
		return 0, nil, badValue("%s cannot have uniqueness \"server\": resources of the workspace share values of it; make them unique first", taken.Attribute)
	}
	if errors.Is(err, store.ErrAlreadyExists) {
		return 0, nil, &Error{Status: http.StatusConflict, Code: CodeSchemaDeclared,
			Message: fmt.Sprintf("%s is declared for another resource type; delete that declaration first", s.ID), Err: err}
	}
	if err != nil {
		return 0, nil, err
	}
	out, err := schemaOut(e)
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusCreated
	if old != nil {
		status = http.StatusOK
		out.Notes = schema.Compare(old.Schema, s)
		if old.Required != e.Required {
			c.detail("required_was", old.Required)
		}
	}
	c.detail("resource_type", e.ResourceType)
	c.detail("required", e.Required)
	c.detail("attributes", len(s.Attributes))
	if len(out.Notes) > 0 {
		c.detail("notes", out.Notes)
	}
	return status, out, nil
}

// baseTypes are the resource types extensions are declared for, as
// scimd defines them.
var baseTypes = map[string]*schema.ResourceType{schema.UserType.ID: schema.UserType, schema.GroupType.ID: schema.GroupType}

// checkURN refuses a URN that begins another schema's of the resource
// type, or that another begins, followed by a colon: in an attribute
// path (urn:…:User:costCenter) the two could not be told apart. It also
// bounds how many extensions a workspace has.
func checkURN(urn string, base *schema.ResourceType, declared []store.SchemaExtension) error {
	others := []string{}
	for _, s := range base.Schemas() {
		others = append(others, s.ID)
	}
	known := false
	for _, e := range declared {
		if strings.EqualFold(e.Schema.ID, urn) {
			known = true
			continue
		}
		others = append(others, e.Schema.ID)
	}
	if !known && len(declared) >= maxSchemaExtensions {
		return badValue("the workspace has %d extension schemas declared, as many as it may", len(declared))
	}
	u := strings.ToLower(urn) + ":"
	for _, o := range others {
		o := strings.ToLower(o) + ":"
		if strings.HasPrefix(u, o) || strings.HasPrefix(o, u) {
			return badValue("%s and %s begin alike up to a colon, so attribute paths could not tell them apart; choose another URN", urn, strings.TrimSuffix(o, ":"))
		}
	}
	return nil
}

func deleteSchema(h *Handler, c *call) (int, any, error) {
	urn := c.pathValue("urn")
	c.target = urn
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	c.workspaceID = w.ID
	e, err := h.store.DeleteSchemaExtension(c.r.Context(), w.ID, urn)
	if err != nil {
		return 0, nil, schemaNotFound(w.Slug, urn, err)
	}
	c.target = e.Schema.ID
	c.detail("resource_type", e.ResourceType)
	return http.StatusNoContent, nil, nil
}

// schemaNotFound turns store.ErrNotFound for a declaration into a 404
// that names it.
func schemaNotFound(slug, urn string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: CodeSchemaNotFound,
			Message: fmt.Sprintf("workspace %s declares no schema %q; GET %s/workspaces/%s/schemas lists them", slug, urn, Prefix, slug), Err: err}
	}
	return err
}

// inferSampled bounds the resources of each type inferSchemas reads: the
// newest, found from the index of creation order.
const inferSampled = 1000

// inferSchemas proposes declarations for the extensions the workspace's
// resources carry without one (see schema.Infer). It reads what was
// kept whatever the workspace's undeclaredExtensions is now.
func inferSchemas(h *Handler, c *call) (int, any, error) {
	w, es, err := h.declared(c)
	if err != nil {
		return 0, nil, err
	}
	typ, urn := c.query("resource_type"), c.query("urn")
	user, group := store.ResourceTypes(es)
	out := UndeclaredSchemaList{Schemas: []UndeclaredSchema{}}
	found := false
	for _, rt := range []*schema.ResourceType{user, group} {
		if typ != "" && !strings.EqualFold(typ, rt.ID) {
			continue
		}
		found = true
		rt = rt.Keeping()
		page, err := h.store.ListResources(c.r.Context(), w.ID, rt.ID, store.Query{Count: inferSampled, Descending: true, Type: rt})
		if err != nil {
			return 0, nil, err
		}
		objects := map[string][]map[string]any{}
		for _, res := range page.Resources {
			for _, k := range rt.KeptURNs(res.Doc) {
				if urn == "" || k == urn {
					objects[k] = append(objects[k], res.Doc[k].(map[string]any))
				}
			}
		}
		for _, k := range slices.Sorted(maps.Keys(objects)) {
			doc, err := json.Marshal(schema.Infer(k, objects[k]))
			if err != nil {
				return 0, nil, err
			}
			out.Schemas = append(out.Schemas, UndeclaredSchema{URN: k, ResourceType: rt.ID, Resources: len(objects[k]), Sampled: len(page.Resources), Schema: doc})
		}
	}
	if !found {
		return 0, nil, badParam("resource_type %q is not User or Group", typ)
	}
	return http.StatusOK, out, nil
}
