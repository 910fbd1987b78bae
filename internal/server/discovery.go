package server

import (
	"net/http"
	"strings"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
)

// Discovery endpoints (RFC 7644 §4) describe what this server really does;
// clients decide what to send from them. They need no token: they say
// nothing about any workspace.

func (s *Server) serviceProviderConfig(r *http.Request) (response, error) {
	base := s.baseURL(r)
	return okBody(map[string]any{
		"schemas":          []string{schema.ServiceProviderConfigURN},
		"documentationUri": "https://github.com/scimd/scimd",
		"patch":            map[string]any{"supported": true},
		"bulk": map[string]any{
			"supported":      true,
			"maxOperations":  s.cfg.MaxBulkOperations,
			"maxPayloadSize": s.cfg.MaxBodyBytes,
		},
		"filter": map[string]any{
			"supported":  true,
			"maxResults": s.cfg.MaxPageSize,
		},
		// Passwords are accepted and discarded (scimd is not a login
		// system), so changing them is not supported.
		"changePassword": map[string]any{"supported": false},
		"sort":           map[string]any{"supported": true},
		"etag":           map[string]any{"supported": true},
		// RFC 9865 §4.
		"pagination": map[string]any{
			"cursor":                  true,
			"index":                   true,
			"defaultPaginationMethod": "index",
			"defaultPageSize":         s.cfg.DefaultPageSize,
			"maxPageSize":             s.cfg.MaxPageSize,
		},
		"authenticationSchemes": []any{map[string]any{
			"type":        "oauthbearertoken",
			"name":        "Bearer token",
			"description": "A SCIM token of the workspace, sent as Authorization: Bearer <token> (RFC 6750).",
			"primary":     true,
		}},
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     base + "/ServiceProviderConfig",
		},
	}), nil
}

func resourceTypeJSON(rt *schema.ResourceType, base string) map[string]any {
	exts := []any{}
	for _, e := range rt.Extensions {
		exts = append(exts, map[string]any{"schema": e.Schema.ID, "required": e.Required})
	}
	return map[string]any{
		"schemas":          []string{schema.ResourceTypeURN},
		"id":               rt.ID,
		"name":             rt.ID,
		"endpoint":         rt.Endpoint,
		"description":      rt.Description,
		"schema":           rt.Schema.ID,
		"schemaExtensions": exts,
		"meta": map[string]any{
			"resourceType": "ResourceType",
			"location":     base + "/ResourceTypes/" + rt.ID,
		},
	}
}

func schemaJSON(sc *schema.Schema, base string) map[string]any {
	return map[string]any{
		"schemas":     []string{schema.SchemaURN},
		"id":          sc.ID,
		"name":        sc.Name,
		"description": sc.Description,
		"attributes":  sc.Attributes,
		"meta": map[string]any{
			"resourceType": "Schema",
			"location":     base + "/Schemas/" + sc.ID,
		},
	}
}

// listOf is a ListResponse of every item, on one page.
func listOf(items []any) response {
	return okBody(map[string]any{
		"schemas":      []string{schema.ListResponseURN},
		"totalResults": len(items),
		"startIndex":   1,
		"itemsPerPage": len(items),
		"Resources":    items,
	})
}

func (s *Server) resourceTypes(r *http.Request) (response, error) {
	var items []any
	for _, rt := range typesOf(r.Context()).all() {
		items = append(items, resourceTypeJSON(rt, s.baseURL(r)))
	}
	return listOf(items), nil
}

func (s *Server) resourceType(r *http.Request) (response, error) {
	id := r.PathValue("id")
	for _, rt := range typesOf(r.Context()).all() {
		if strings.EqualFold(rt.ID, id) {
			return okBody(resourceTypeJSON(rt, s.baseURL(r))), nil
		}
	}
	return response{}, scimerr.NotFound("no resource type %q", id)
}

func (s *Server) schemas(r *http.Request) (response, error) {
	var items []any
	for _, sc := range typesOf(r.Context()).schemas() {
		items = append(items, schemaJSON(sc, s.baseURL(r)))
	}
	return listOf(items), nil
}

func (s *Server) schema(r *http.Request) (response, error) {
	id := r.PathValue("id")
	for _, sc := range typesOf(r.Context()).schemas() {
		if strings.EqualFold(sc.ID, id) {
			return okBody(schemaJSON(sc, s.baseURL(r))), nil
		}
	}
	return response{}, scimerr.NotFound("no schema %q", id)
}
