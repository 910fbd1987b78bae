package server

import (
	"encoding/json"
	"fmt"
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

// collection serves /Users and /Groups: base is scimd's resource type,
// which the workspace's may extend.
func (s *Server) collection(base *schema.ResourceType) handler {
	return func(r *http.Request) (response, error) {
		rt := typesOf(r.Context()).of(base)
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
				return response{}, err
			}
			if req.Count, err = intParam(q.Get("count"), "count"); err != nil {
				return response{}, err
			}
			return s.list(r, []*schema.ResourceType{rt}, req)
		case http.MethodPost:
			return s.create(r, rt)
		}
		return response{}, notAllowed("GET, POST", "%s is not allowed on %s", r.Method, rt.Endpoint)
	}
}

// item serves /Users/{id} and /Groups/{id}.
func (s *Server) item(base *schema.ResourceType) handler {
	return func(r *http.Request) (response, error) {
		rt := typesOf(r.Context()).of(base)
		id := r.PathValue("id")
		setAction(r, audit.Action(r.Method, rt.ID, true), id)
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			return s.get(r, rt, id)
		case http.MethodPut:
			return s.replace(r, rt, id)
		case http.MethodPatch:
			return s.patch(r, rt, id)
		case http.MethodDelete:
			c, err := s.svc.Delete(s.writing(r, http.StatusNoContent), workspace(r.Context()), rt, id, r.Header.Get("If-Match"))
			if err != nil {
				return response{}, err
			}
			return response{status: http.StatusNoContent, change: &c}, nil
		}
		return response{}, notAllowed("GET, PUT, PATCH, DELETE", "%s is not allowed on a %s", r.Method, rt.ID)
	}
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
	if rt.ID == schema.GroupType.ID {
		name = "members"
	}
	return sel.Includes(rt.Schema, rt.Schema.Attr(name))
}

// resource is the response with one resource, its ETag and, when it was
// created, its location.
func (s *Server) resource(r *http.Request, rt *schema.ResourceType, res *store.Resource, sel schema.Selection, status int) response {
	base := s.baseURL(r)
	out := response{status: status, etag: provision.ETag(res.Version), body: sel.Apply(rt, resourceJSON(rt, res, base))}
	if status == http.StatusCreated {
		out.location = base + rt.Endpoint + "/" + res.ID
	}
	return out
}

// written is the response to a write that answers with the resource.
func (s *Server) written(r *http.Request, rt *schema.ResourceType, wrote provision.Result, sel schema.Selection, status int) response {
	out := s.resource(r, rt, wrote.Resource, sel, status)
	out.change = &wrote.Change
	return out
}

// writeRequest reads the request of a write: the attributes to answer
// with, and the body into body.
func (s *Server) writeRequest(r *http.Request, rt *schema.ResourceType, body any) (schema.Selection, error) {
	sel, err := selection(rt, r)
	if err != nil {
		return sel, err
	}
	return sel, s.decode(r, body)
}

func (s *Server) get(r *http.Request, rt *schema.ResourceType, id string) (response, error) {
	sel, err := selection(rt, r)
	if err != nil {
		return response{}, err
	}
	if rt.ID == schema.UserType.ID && sel.Default() {
		return s.getUser(r, rt, id, sel)
	}
	res, err := s.svc.Get(r.Context(), workspace(r.Context()), rt, id, loads(rt, sel))
	if err != nil {
		return response{}, err
	}
	if provision.NotModified(r.Header.Get("If-None-Match"), res.Version) {
		return response{status: http.StatusNotModified, etag: provision.ETag(res.Version)}, nil
	}
	return s.resource(r, rt, res, sel, http.StatusOK), nil
}

// getUser answers GET /Users/{id} without attribute selection, the
// commonest request there is, from the cache of rendered users when it
// can (see userCache).
func (s *Server) getUser(r *http.Request, rt *schema.ResourceType, id string, sel schema.Selection) (response, error) {
	ws, base := workspace(r.Context()).ID, s.baseURL(r)
	gen := s.users.generation()
	e := s.users.lookup(ws, id, rt, base)
	if e == nil {
		res, err := s.svc.Get(r.Context(), workspace(r.Context()), rt, id, true)
		if err != nil {
			return response{}, err
		}
		body, err := json.Marshal(sel.Apply(rt, resourceJSON(rt, res, base)))
		if err != nil {
			return response{}, scimerr.Internal(fmt.Errorf("render %s %s: %w", rt.ID, id, err))
		}
		e = &cachedUser{rt: rt, base: base, version: res.Version, body: body, fetched: s.users.now()}
		s.users.put(gen, ws, id, e)
	}
	if provision.NotModified(r.Header.Get("If-None-Match"), e.version) {
		return response{status: http.StatusNotModified, etag: provision.ETag(e.version)}, nil
	}
	return response{status: http.StatusOK, etag: provision.ETag(e.version), rendered: e.body}, nil
}

func (s *Server) create(r *http.Request, rt *schema.ResourceType) (response, error) {
	if err := allowCreate(r.Context(), rt); err != nil {
		return response{}, err
	}
	var body map[string]any
	sel, err := s.writeRequest(r, rt, &body)
	if err != nil {
		return response{}, err
	}
	wrote, err := s.svc.Create(s.writing(r, http.StatusCreated), workspace(r.Context()), rt, body)
	if err != nil {
		return response{}, err
	}
	out := s.written(r, rt, wrote, sel, http.StatusCreated)
	out.target = wrote.Resource.ID
	return out, nil
}

func (s *Server) replace(r *http.Request, rt *schema.ResourceType, id string) (response, error) {
	var body map[string]any
	sel, err := s.writeRequest(r, rt, &body)
	if err != nil {
		return response{}, err
	}
	wrote, err := s.svc.Replace(s.writing(r, http.StatusOK), workspace(r.Context()), rt, id, r.Header.Get("If-Match"), body)
	if err != nil {
		return response{}, err
	}
	return s.written(r, rt, wrote, sel, http.StatusOK), nil
}

// patchRequest is a PatchOp message (RFC 7644 §3.5.2).
type patchRequest struct {
	Schemas    []string          `json:"schemas"`
	Operations []patch.Operation `json:"Operations"`
}

// patch applies a PatchOp. Users come back whole (200); Groups answer 204
// unless the request names attributes, so that a member change on a large
// group never reads its members (RFC 7644 §3.5.2 allows either).
func (s *Server) patch(r *http.Request, rt *schema.ResourceType, id string) (response, error) {
	var body map[string]json.RawMessage
	sel, err := s.writeRequest(r, rt, &body)
	if err != nil {
		return response{}, err
	}
	var req patchRequest
	for k, v := range body {
		// Member names are case-insensitive; some clients send "operations".
		if strings.EqualFold(k, "Operations") {
			if err := decodeJSON(v, &req.Operations); err != nil {
				return response{}, scimerr.BadRequest(scimerr.InvalidSyntax, "\"Operations\" must be a list of {op, path, value} objects")
			}
		}
	}
	q := r.URL.Query()
	respond := rt.ID == schema.UserType.ID || q.Has("attributes") || q.Has("excludedAttributes")
	status := http.StatusNoContent
	if respond {
		status = http.StatusOK
	}
	wrote, err := s.svc.Patch(s.writing(r, status), workspace(r.Context()), rt, id, r.Header.Get("If-Match"), req.Operations, respond && loads(rt, sel))
	if err != nil {
		return response{}, err
	}
	if !respond {
		return response{status: http.StatusNoContent, etag: provision.ETag(wrote.Resource.Version), change: &wrote.Change}, nil
	}
	return s.written(r, rt, wrote, sel, http.StatusOK), nil
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
func (s *Server) search(base *schema.ResourceType) handler {
	return func(r *http.Request) (response, error) {
		ts := typesOf(r.Context())
		var rt *schema.ResourceType
		if base != nil {
			rt = ts.of(base)
		}
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
		if err := s.decode(r, &body); err != nil {
			return response{}, err
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
			types = ts.all()
		}
		return s.list(r, types, req)
	}
}

// list answers a query (RFC 7644 §3.4.2) over one or more resource types.
// A filter always yields a 200 ListResponse, even when nothing matches.
func (s *Server) list(r *http.Request, types []*schema.ResourceType, req searchRequest) (response, error) {
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
		return response{}, scimerr.BadRequest(scimerr.InvalidValue, "sortOrder must be \"ascending\" or \"descending\"")
	}
	if req.Cursor != nil && req.SortBy != "" {
		return response{}, scimerr.BadRequest(scimerr.InvalidValue, "cursor paging follows creation order and cannot be combined with sortBy; use startIndex to page a sorted listing")
	}
	if req.Cursor != nil && len(types) > 1 {
		return response{}, scimerr.BadRequest(scimerr.InvalidCursor, "cursor paging is not supported across resource types")
	}
	base := s.baseURL(r)
	ws := workspace(r.Context()).ID
	var resources [][]byte
	total := 0
	offset := start - 1
	var next string
	parsed := 0
	var firstErr error
	for _, rt := range types {
		q := store.Query{Offset: offset, Count: count - len(resources), Cursor: req.Cursor, Descending: desc, MaxExamined: s.cfg.MaxExamined, Type: rt}
		var err error
		if req.Filter != "" {
			if q.Filter, err = filter.Parse(rt, req.Filter); err != nil {
				if firstErr == nil {
					firstErr = err
				}
				if len(types) > 1 {
					continue // the filter names attributes this type lacks
				}
				return response{}, err
			}
		}
		parsed++
		if req.SortBy != "" {
			p, err := rt.ParsePath(req.SortBy)
			if err != nil {
				if len(types) > 1 {
					continue
				}
				return response{}, scimerr.BadRequest(scimerr.InvalidValue, "cannot sort by %q: unknown attribute", req.SortBy)
			}
			if p.Target().Type == schema.Any {
				return response{}, scimerr.BadRequest(scimerr.InvalidValue,
					"cannot sort by %q, an attribute of an extension that is not declared; declare the extension (scimd schema set) to sort by it", req.SortBy)
			}
			q.SortBy = &p
		}
		sel, err := rt.ParseSelection(req.Attributes, req.Excluded)
		if err != nil {
			if len(types) > 1 {
				continue
			}
			return response{}, err
		}
		q.Load = loads(rt, sel)
		// Users listed whole are rendered as GET renders them: from the
		// cache, or into it (see getUser).
		cached := rt.ID == schema.UserType.ID && sel.Default()
		gen := s.users.generation()
		var held map[string]*cachedUser // what the store need not decode
		if cached {
			held = make(map[string]*cachedUser)
			q.Held = func(id string, version int64) bool {
				if e := s.users.lookup(ws, id, rt, base); e != nil && e.version == version {
					held[id] = e
					return true
				}
				return false
			}
		}
		page, err := s.svc.List(r.Context(), workspace(r.Context()), rt, q)
		if err != nil {
			return response{}, err
		}
		total += page.Total
		offset = max(offset-page.Total, 0)
		next = page.NextCursor
		for _, res := range page.Resources {
			if e := held[res.ID]; e != nil {
				resources = append(resources, e.body)
				continue
			}
			b, err := json.Marshal(sel.Apply(rt, resourceJSON(rt, res, base)))
			if err != nil {
				return response{}, scimerr.Internal(fmt.Errorf("render %s %s: %w", rt.ID, res.ID, err))
			}
			if cached {
				s.users.put(gen, ws, res.ID, &cachedUser{rt: rt, base: base, version: res.Version, body: b, fetched: s.users.now()})
			}
			resources = append(resources, b)
		}
	}
	if parsed == 0 && firstErr != nil {
		return response{}, firstErr
	}
	startIndex := 0
	if req.Cursor == nil {
		startIndex = start
	}
	return response{status: http.StatusOK, rendered: listBody(resources, total, startIndex, next)}, nil
}

// listBody renders a ListResponse (RFC 7644 §3.4.2) of rendered
// resources, with startIndex if it is not 0, else nextCursor if it is
// not "": written out rather than marshaled, so that the resources, most
// of it, are copied rather than checked again.
func listBody(resources [][]byte, total, startIndex int, nextCursor string) []byte {
	n := 128
	for _, r := range resources {
		n += len(r) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"Resources":[`...)
	for i, r := range resources {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	b = append(b, `],"itemsPerPage":`...)
	b = strconv.AppendInt(b, int64(len(resources)), 10)
	if startIndex == 0 && nextCursor != "" {
		b = append(b, `,"nextCursor":`...)
		b = strconv.AppendQuote(b, nextCursor)
	}
	b = append(b, `,"schemas":["`+schema.ListResponseURN+`"]`...)
	if startIndex != 0 {
		b = append(b, `,"startIndex":`...)
		b = strconv.AppendInt(b, int64(startIndex), 10)
	}
	b = append(b, `,"totalResults":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	return append(b, '}')
}
