package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
)

// collection serves /Users and /Groups.
func (s *Server) collection(rt *schema.ResourceType) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setAction(r, audit.Action(r.Method, rt.ID, false), "")
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			q := r.URL.Query()
			req := searchRequest{
				Filter:     q.Get("filter"),
				SortBy:     q.Get("sortBy"),
				SortOrder:  q.Get("sortOrder"),
				Attributes: q.Get("attributes"),
				Excluded:   q.Get("excludedAttributes"),
			}
			if v, ok := q["cursor"]; ok {
				req.Cursor = &v[0]
			}
			var err error
			if req.StartIndex, err = intParam(q.Get("startIndex"), "startIndex"); err != nil {
				s.fail(w, r, err)
				return
			}
			if req.Count, err = intParam(q.Get("count"), "count"); err != nil {
				s.fail(w, r, err)
				return
			}
			s.list(w, r, []*schema.ResourceType{rt}, req)
		case http.MethodPost:
			s.create(w, r, rt)
		default:
			w.Header().Set("Allow", "GET, POST")
			s.fail(w, r, scimerr.New(http.StatusMethodNotAllowed, "", "%s is not allowed on %s", r.Method, rt.Endpoint))
		}
	})
}

// item serves /Users/{id} and /Groups/{id}.
func (s *Server) item(rt *schema.ResourceType) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		setAction(r, audit.Action(r.Method, rt.ID, true), id)
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			s.get(w, r, rt, id)
		case http.MethodPut:
			s.replace(w, r, rt, id)
		case http.MethodPatch:
			s.patch(w, r, rt, id)
		case http.MethodDelete:
			if err := s.svc.Delete(s.writing(r, http.StatusNoContent), workspace(r.Context()), rt, id, r.Header.Get("If-Match")); err != nil {
				s.fail(w, r, err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Allow", "GET, PUT, PATCH, DELETE")
			s.fail(w, r, scimerr.New(http.StatusMethodNotAllowed, "", "%s is not allowed on a %s", r.Method, rt.ID))
		}
	})
}

func intParam(v, name string) (*int, error) {
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, scimerr.BadRequest(scimerr.InvalidValue, "%s must be an integer, not %q", name, v)
	}
	return &n, nil
}

// selection parses the attributes and excludedAttributes parameters.
func selection(rt *schema.ResourceType, r *http.Request) (schema.Selection, error) {
	q := r.URL.Query()
	return rt.ParseSelection(q.Get("attributes"), q.Get("excludedAttributes"))
}

// loads reports whether a response with sel shows members or groups, which
// are read only when shown.
func loads(rt *schema.ResourceType, sel schema.Selection) bool {
	name := "groups"
	if rt == schema.GroupType {
		name = "members"
	}
	return sel.Includes(rt.Schema, rt.Schema.Attr(name))
}

// writeResource writes one resource with its ETag and location.
func (s *Server) writeResource(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType, res *store.Resource, sel schema.Selection, status int) {
	base := s.baseURL(r)
	doc := sel.Apply(rt, resourceJSON(rt, res, base))
	w.Header().Set("ETag", provision.ETag(res.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", base+rt.Endpoint+"/"+res.ID)
	}
	s.writeJSON(w, status, doc)
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType, id string) {
	sel, err := selection(rt, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.svc.Get(r.Context(), workspace(r.Context()), rt, id, loads(rt, sel))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if provision.NotModified(r.Header.Get("If-None-Match"), res.Version) {
		w.Header().Set("ETag", provision.ETag(res.Version))
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.writeResource(w, r, rt, res, sel, http.StatusOK)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType) {
	if err := allowCreate(r.Context(), rt); err != nil {
		s.fail(w, r, err)
		return
	}
	sel, err := selection(rt, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body map[string]any
	if err := s.decode(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.svc.Create(s.writing(r, http.StatusCreated), workspace(r.Context()), rt, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	recordOf(r.Context()).target = res.ID
	s.writeResource(w, r, rt, res, sel, http.StatusCreated)
}

func (s *Server) replace(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType, id string) {
	sel, err := selection(rt, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body map[string]any
	if err := s.decode(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.svc.Replace(s.writing(r, http.StatusOK), workspace(r.Context()), rt, id, r.Header.Get("If-Match"), body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeResource(w, r, rt, res, sel, http.StatusOK)
}

// patchRequest is a PatchOp message (RFC 7644 §3.5.2).
type patchRequest struct {
	Schemas    []string          `json:"schemas"`
	Operations []patch.Operation `json:"Operations"`
}

// patch applies a PatchOp. Users come back whole (200); Groups answer 204
// unless the request names attributes, so that a member change on a large
// group never reads its members (RFC 7644 §3.5.2 allows either).
func (s *Server) patch(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType, id string) {
	sel, err := selection(rt, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body map[string]json.RawMessage
	if err := s.decode(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	var req patchRequest
	for k, v := range body {
		// Member names are case-insensitive; some clients send "operations".
		if strings.EqualFold(k, "Operations") {
			if err := decodeJSON(v, &req.Operations); err != nil {
				s.fail(w, r, scimerr.BadRequest(scimerr.InvalidSyntax, "\"Operations\" must be a list of {op, path, value} objects"))
				return
			}
		}
	}
	q := r.URL.Query()
	respond := rt == schema.UserType || q.Has("attributes") || q.Has("excludedAttributes")
	status := http.StatusNoContent
	if respond {
		status = http.StatusOK
	}
	res, err := s.svc.Patch(s.writing(r, status), workspace(r.Context()), rt, id, r.Header.Get("If-Match"), req.Operations, respond && loads(rt, sel))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !respond {
		w.Header().Set("ETag", provision.ETag(res.Version))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.writeResource(w, r, rt, res, sel, http.StatusOK)
}

// searchRequest holds listing parameters from a query string or a
// SearchRequest body (RFC 7644 §3.4.3).
type searchRequest struct {
	Filter     string
	SortBy     string
	SortOrder  string
	StartIndex *int
	Count      *int
	Attributes string
	Excluded   string
	Cursor     *string
}

// search serves POST .search on a resource type, or on the root when rt is
// nil (all resource types).
func (s *Server) search(rt *schema.ResourceType) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt != nil {
			setAction(r, resourceAction(rt, "search"), "")
		} else {
			setAction(r, "search", "")
		}
		var body struct {
			Schemas            []string `json:"schemas"`
			Attributes         []string `json:"attributes"`
			ExcludedAttributes []string `json:"excludedAttributes"`
			Filter             string   `json:"filter"`
			SortBy             string   `json:"sortBy"`
			SortOrder          string   `json:"sortOrder"`
			StartIndex         *int     `json:"startIndex"`
			Count              *int     `json:"count"`
			Cursor             *string  `json:"cursor"`
		}
		if err := s.decode(w, r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		req := searchRequest{
			Filter:     body.Filter,
			SortBy:     body.SortBy,
			SortOrder:  body.SortOrder,
			StartIndex: body.StartIndex,
			Count:      body.Count,
			Attributes: strings.Join(body.Attributes, ","),
			Excluded:   strings.Join(body.ExcludedAttributes, ","),
			Cursor:     body.Cursor,
		}
		types := []*schema.ResourceType{rt}
		if rt == nil {
			types = schema.ResourceTypes
		}
		s.list(w, r, types, req)
	})
}

// list answers a query (RFC 7644 §3.4.2) over one or more resource types.
// A filter always yields a 200 ListResponse, even when nothing matches.
func (s *Server) list(w http.ResponseWriter, r *http.Request, types []*schema.ResourceType, req searchRequest) {
	count := s.cfg.DefaultPageSize
	if req.Count != nil {
		// RFC 7644 §3.4.2.4: a negative count is 0; larger than the
		// maximum is the maximum.
		count = min(max(*req.Count, 0), s.cfg.MaxPageSize)
	}
	start := 1
	if req.StartIndex != nil && *req.StartIndex > 1 {
		start = *req.StartIndex
	}
	var desc bool
	switch strings.ToLower(req.SortOrder) {
	case "", "ascending":
	case "descending":
		desc = true
	default:
		s.fail(w, r, scimerr.BadRequest(scimerr.InvalidValue, "sortOrder must be \"ascending\" or \"descending\""))
		return
	}
	if req.Cursor != nil && req.SortBy != "" {
		s.fail(w, r, scimerr.BadRequest(scimerr.InvalidValue, "cursor paging follows creation order and cannot be combined with sortBy; use startIndex to page a sorted listing"))
		return
	}
	if req.Cursor != nil && len(types) > 1 {
		s.fail(w, r, scimerr.BadRequest(scimerr.InvalidCursor, "cursor paging is not supported across resource types"))
		return
	}
	base := s.baseURL(r)
	resources := []any{}
	total := 0
	offset := start - 1
	var next string
	parsed := 0
	var firstErr error
	for _, rt := range types {
		q := store.Query{Offset: offset, Count: count - len(resources), Cursor: req.Cursor, Descending: desc}
		var err error
		if req.Filter != "" {
			if q.Filter, err = filter.Parse(rt, req.Filter); err != nil {
				if firstErr == nil {
					firstErr = err
				}
				if len(types) > 1 {
					continue // the filter names attributes this type lacks
				}
				s.fail(w, r, err)
				return
			}
		}
		parsed++
		if req.SortBy != "" {
			p, err := rt.ParsePath(req.SortBy)
			if err != nil {
				if len(types) > 1 {
					continue
				}
				s.fail(w, r, scimerr.BadRequest(scimerr.InvalidValue, "cannot sort by %q: unknown attribute", req.SortBy))
				return
			}
			q.SortBy = &p
		}
		sel, err := rt.ParseSelection(req.Attributes, req.Excluded)
		if err != nil {
			if len(types) > 1 {
				continue
			}
			s.fail(w, r, err)
			return
		}
		q.Load = loads(rt, sel)
		page, err := s.svc.List(r.Context(), workspace(r.Context()), rt, q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		total += page.Total
		offset = max(offset-page.Total, 0)
		next = page.NextCursor
		for _, res := range page.Resources {
			resources = append(resources, sel.Apply(rt, resourceJSON(rt, res, base)))
		}
	}
	if parsed == 0 && firstErr != nil {
		s.fail(w, r, firstErr)
		return
	}
	body := map[string]any{
		"schemas":      []string{schema.ListResponseURN},
		"totalResults": total,
		"itemsPerPage": len(resources),
		"Resources":    resources,
	}
	if req.Cursor == nil {
		body["startIndex"] = start
	} else if next != "" {
		body["nextCursor"] = next
	}
	s.writeJSON(w, http.StatusOK, body)
}
