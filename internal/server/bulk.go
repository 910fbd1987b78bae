package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
)

type bulkOperation struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId,omitempty"`
	Version string          `json:"version,omitempty"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// bulk serves POST /Bulk (RFC 7644 §3.7). Operations run in order, each on
// its own; "bulkId:x" references in data resolve to the id of the resource
// that the operation with bulkId x created, and an operation whose
// reference is not yet resolvable waits until it is (§3.7.1).
func (s *Server) bulk(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Schemas      []string        `json:"schemas"`
		FailOnErrors int             `json:"failOnErrors"`
		Operations   []bulkOperation `json:"Operations"`
	}
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Operations) > s.cfg.MaxBulkOperations {
		s.fail(w, r, scimerr.New(http.StatusRequestEntityTooLarge, "",
			"a bulk request may have at most %d operations; this one has %d", s.cfg.MaxBulkOperations, len(req.Operations)))
		return
	}
	results := make([]map[string]any, len(req.Operations))
	ids := map[string]string{}
	pending := make([]int, len(req.Operations))
	for i := range pending {
		pending[i] = i
	}
	errs := 0
	for len(pending) > 0 {
		var waiting []int
		for _, i := range pending {
			op := req.Operations[i]
			data, ok := resolveBulkIDs(op.Data, ids)
			if !ok {
				waiting = append(waiting, i)
				continue
			}
			res := s.bulkOne(r, op, data)
			if op.BulkID != "" && res["status"] == "201" {
				ids[op.BulkID] = res["id"].(string)
			}
			delete(res, "id")
			results[i] = res
			if st, _ := strconv.Atoi(res["status"].(string)); st >= 400 {
				errs++
				if req.FailOnErrors > 0 && errs >= req.FailOnErrors {
					s.writeBulk(w, results)
					return
				}
			}
		}
		if len(waiting) == len(pending) {
			for _, i := range waiting {
				op := req.Operations[i]
				results[i] = bulkError(op, scimerr.New(http.StatusConflict, "",
					"operation %q refers to a bulkId that no operation in this request created", op.BulkID))
			}
			break
		}
		pending = waiting
	}
	s.writeBulk(w, results)
}

func (s *Server) writeBulk(w http.ResponseWriter, results []map[string]any) {
	ops := []any{}
	for _, r := range results {
		if r != nil {
			ops = append(ops, r)
		}
	}
	s.writeJSON(w, http.StatusOK, map[string]any{
		"schemas":    []string{schema.BulkResponseURN},
		"Operations": ops,
	})
}

// resolveBulkIDs replaces "bulkId:x" strings in data with created ids; ok
// is false while one is not yet known.
func resolveBulkIDs(data json.RawMessage, ids map[string]string) (json.RawMessage, bool) {
	if !strings.Contains(string(data), `"bulkId:`) {
		return data, true
	}
	var v any
	if err := decodeJSON(data, &v); err != nil {
		return data, true // reported when the operation runs
	}
	ok := true
	var walk func(any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case string:
			if ref, found := strings.CutPrefix(v, "bulkId:"); found {
				if id, known := ids[ref]; known {
					return id
				}
				ok = false
			}
		case map[string]any:
			for k, e := range v {
				v[k] = walk(e)
			}
		case []any:
			for i, e := range v {
				v[i] = walk(e)
			}
		}
		return v
	}
	v = walk(v)
	if !ok {
		return nil, false
	}
	out, _ := json.Marshal(v)
	return out, true
}

func bulkError(op bulkOperation, err error) map[string]any {
	e := scimerr.From(err)
	res := map[string]any{"method": op.Method, "status": strconv.Itoa(e.Status), "response": errorBody(e)}
	if op.BulkID != "" {
		res["bulkId"] = op.BulkID
	}
	return res
}

// bulkOne runs one operation and returns its result entry; "id" carries
// the id of a created resource for bulkId resolution. Each operation has
// its own audit entry.
func (s *Server) bulkOne(r *http.Request, op bulkOperation, data json.RawMessage) map[string]any {
	start := time.Now()
	change := &provision.Change{}
	var opErr *scimerr.Error
	res := s.bulkDo(r.WithContext(provision.WithChange(r.Context(), change)), op, data, &opErr)
	rec := recordOf(r.Context())
	if s.cfg.Audit == nil || rec.auth == nil {
		return res
	}
	rec.written = true
	method := strings.ToUpper(op.Method)
	action, target := "bulk", ""
	if rt, id, err := bulkPath(op.Path); err == nil {
		action, target = audit.Action(method, rt.ID, id != ""), id
	}
	if id, ok := res["id"].(string); ok {
		target = id
	}
	status, _ := strconv.Atoi(res["status"].(string))
	s.writeAudit(r, rec, event{
		method: method, path: op.Path,
		action: action, target: target,
		status: status, start: start,
		change: change, err: opErr,
	})
	return res
}

// bulkDo runs one operation; the error of a failed one is also left in
// *failed.
func (s *Server) bulkDo(r *http.Request, op bulkOperation, data json.RawMessage, failed **scimerr.Error) (result map[string]any) {
	defer func() {
		if resp, ok := result["response"].(map[string]any); ok {
			*failed = &scimerr.Error{ScimType: str(resp["scimType"]), Detail: str(resp["detail"])}
		}
	}()
	ctx := r.Context()
	ws := workspace(ctx)
	method := strings.ToUpper(op.Method)
	rt, id, err := bulkPath(op.Path)
	if err != nil {
		return bulkError(op, err)
	}
	if (method == http.MethodPost) != (id == "") {
		return bulkError(op, scimerr.BadRequest(scimerr.InvalidValue, "%s needs a path like %s", method, map[bool]string{true: "/Users", false: "/Users/{id}"}[method == http.MethodPost]))
	}
	var res *store.Resource
	status := http.StatusOK
	switch method {
	case http.MethodPost, http.MethodPut:
		var body map[string]any
		if err := decodeJSON(data, &body); err != nil {
			return bulkError(op, err)
		}
		if method == http.MethodPost {
			if op.BulkID == "" {
				return bulkError(op, scimerr.BadRequest(scimerr.InvalidValue, "a POST operation needs a bulkId"))
			}
			if err := allowCreate(ctx, rt); err != nil {
				return bulkError(op, err)
			}
			res, err = s.svc.Create(ctx, ws, rt, body)
			status = http.StatusCreated
		} else {
			res, err = s.svc.Replace(ctx, ws, rt, id, op.Version, body)
		}
	case http.MethodPatch:
		var body patchRequest
		if err := decodeJSON(data, &body); err != nil {
			return bulkError(op, err)
		}
		res, err = s.svc.Patch(ctx, ws, rt, id, op.Version, body.Operations, false)
	case http.MethodDelete:
		err = s.svc.Delete(ctx, ws, rt, id, op.Version)
		status = http.StatusNoContent
	default:
		err = scimerr.BadRequest(scimerr.InvalidValue, "method %q is not one of POST, PUT, PATCH, DELETE", op.Method)
	}
	if err != nil {
		return bulkError(op, err)
	}
	out := map[string]any{"method": method, "status": strconv.Itoa(status)}
	if op.BulkID != "" {
		out["bulkId"] = op.BulkID
	}
	if res != nil {
		out["id"] = res.ID
		out["location"] = s.baseURL(r) + rt.Endpoint + "/" + res.ID
		out["version"] = provision.ETag(res.Version)
	}
	return out
}

func bulkPath(p string) (*schema.ResourceType, string, error) {
	p = "/" + strings.Trim(p, "/")
	for _, rt := range schema.ResourceTypes {
		if rest, ok := strings.CutPrefix(p, rt.Endpoint); ok && (rest == "" || rest[0] == '/') {
			return rt, strings.TrimPrefix(rest, "/"), nil
		}
	}
	return nil, "", scimerr.BadRequest(scimerr.InvalidPath, "bulk path %q names no resource type", p)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
