package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
)

type bulkOperation struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId,omitempty"`
	Version string          `json:"version,omitempty"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// bulk serves POST /Bulk (RFC 7644 §3.7). Operations run in order, each on
// its own, except that an operation whose data refers to another's
// resource as "bulkId:x" runs after the operation with bulkId x, even one
// later in the request (§3.7.1, §3.7.2), with the reference replaced by
// the created resource's id. The order is found in one pass over the
// references, a depth-first topological sort, so that a request costs
// time linear in its operations however they refer to each other.
func (s *Server) bulk(r *http.Request) (response, error) {
	var req struct {
		Schemas      []string        `json:"schemas"`
		FailOnErrors int             `json:"failOnErrors"`
		Operations   []bulkOperation `json:"Operations"`
	}
	if err := s.decode(r, &req); err != nil {
		return response{}, err
	}
	if len(req.Operations) > s.cfg.MaxBulkOperations {
		return response{}, scimerr.New(http.StatusRequestEntityTooLarge, "",
			"a bulk request may have at most %d operations; this one has %d", s.cfg.MaxBulkOperations, len(req.Operations))
	}
	b := newBulkRun(req.Operations, req.FailOnErrors)
	for i := range req.Operations {
		b.visit(i, func(i int, data json.RawMessage) {
			op := req.Operations[i]
			res, err := s.bulkOne(r, op, data)
			if err == nil && op.BulkID != "" && res.status == http.StatusCreated {
				b.created[op.BulkID] = res.target
			}
			b.done(i, res, err)
		})
		if b.stopped {
			break
		}
	}
	ops := []any{}
	for _, res := range b.results {
		if res != nil {
			ops = append(ops, res)
		}
	}
	return okBody(map[string]any{
		"schemas":    []string{schema.BulkResponseURN},
		"Operations": ops,
	}), nil
}

// bulkRun is the state of a bulk request's operations.
type bulkRun struct {
	ops     []bulkOperation
	definer map[string]int    // bulkId → the operation that creates it
	created map[string]string // bulkId → the id of the resource created
	refs    [][]string        // the bulkIds each operation refers to
	data    []any             // each operation's data, decoded if it refers to bulkIds
	state   []visitState
	results []map[string]any
	// failOnErrors, if above 0, is how many failed operations stop the
	// request (§3.7.3).
	failOnErrors int
	errs         int
	stopped      bool
}

type visitState uint8

const (
	unvisited visitState = iota
	visiting             // its references are being run: meeting it again is a cycle
	visited
)

func newBulkRun(ops []bulkOperation, failOnErrors int) *bulkRun {
	b := &bulkRun{
		ops:          ops,
		failOnErrors: failOnErrors,
		definer:      map[string]int{},
		created:      map[string]string{},
		refs:         make([][]string, len(ops)),
		data:         make([]any, len(ops)),
		state:        make([]visitState, len(ops)),
		results:      make([]map[string]any, len(ops)),
	}
	for i, op := range ops {
		if op.BulkID != "" && strings.EqualFold(op.Method, http.MethodPost) {
			if _, dup := b.definer[op.BulkID]; !dup {
				b.definer[op.BulkID] = i
			}
		}
		if !bytes.Contains(op.Data, []byte(`"bulkId:`)) {
			continue
		}
		var v any
		if err := decodeJSON(op.Data, &v); err != nil {
			continue // reported when the operation runs
		}
		b.data[i] = v
		walkStrings(v, func(s string) string {
			if ref, ok := strings.CutPrefix(s, "bulkId:"); ok && !slices.Contains(b.refs[i], ref) {
				b.refs[i] = append(b.refs[i], ref)
			}
			return s
		})
	}
	return b
}

// visit runs operation i with run, after the operations it refers to,
// with its references replaced by the ids created.
func (b *bulkRun) visit(i int, run func(int, json.RawMessage)) {
	switch b.state[i] {
	case visited:
		return
	case visiting:
		return // a cycle, which the operation that met it reports
	}
	b.state[i] = visiting
	defer func() { b.state[i] = visited }()
	for _, ref := range b.refs[i] {
		j, ok := b.definer[ref]
		if !ok {
			b.done(i, response{}, scimerr.New(http.StatusConflict, "",
				"operation %s refers to bulkId %q, which no POST operation in this request has", b.name(i), ref))
			return
		}
		if b.state[j] == visiting {
			b.done(i, response{}, scimerr.New(http.StatusConflict, "",
				"operation %s refers to bulkId %q, which refers back to it: circular references are not resolved", b.name(i), ref))
			return
		}
		b.visit(j, run)
		if b.stopped {
			return
		}
		if _, ok := b.created[ref]; !ok {
			b.done(i, response{}, scimerr.New(http.StatusConflict, "",
				"operation %s refers to bulkId %q, whose operation failed with status %s", b.name(i), ref, b.results[j]["status"]))
			return
		}
	}
	data := b.ops[i].Data
	if v := b.data[i]; v != nil {
		v = walkStrings(v, func(s string) string {
			if ref, ok := strings.CutPrefix(s, "bulkId:"); ok {
				return b.created[ref]
			}
			return s
		})
		data, _ = json.Marshal(v)
	}
	run(i, data)
}

// name names operation i in an error.
func (b *bulkRun) name(i int) string {
	if id := b.ops[i].BulkID; id != "" {
		return strconv.Quote(id)
	}
	return "#" + strconv.Itoa(i+1)
}

// done records the result of operation i, its response or its error,
// and stops the request once failOnErrors operations failed.
func (b *bulkRun) done(i int, res response, err error) {
	b.results[i] = bulkResult(b.ops[i], res, err)
	if err != nil {
		b.errs++
		b.stopped = b.failOnErrors > 0 && b.errs >= b.failOnErrors
	}
}

// bulkResult renders the result of a bulk operation (RFC 7644 §3.7.3):
// the status, location and version of its response, or the status and
// error message of its error.
func bulkResult(op bulkOperation, res response, err error) map[string]any {
	var out map[string]any
	if err != nil {
		e := scimerr.From(err)
		out = map[string]any{"method": op.Method, "status": strconv.Itoa(e.Status), "response": errorBody(e)}
	} else {
		out = map[string]any{"method": strings.ToUpper(op.Method), "status": strconv.Itoa(res.status)}
		if res.location != "" {
			out["location"] = res.location
		}
		if res.etag != "" {
			out["version"] = res.etag
		}
	}
	if op.BulkID != "" {
		out["bulkId"] = op.BulkID
	}
	return out
}

// walkStrings replaces each string of a decoded JSON value with f's.
func walkStrings(v any, f func(string) string) any {
	switch v := v.(type) {
	case string:
		return f(v)
	case map[string]any:
		for k, e := range v {
			v[k] = walkStrings(e, f)
		}
	case []any:
		for i, e := range v {
			v[i] = walkStrings(e, f)
		}
	}
	return v
}

// bulkOne runs one operation. Each operation has its own audit entry.
func (s *Server) bulkOne(r *http.Request, op bulkOperation, data json.RawMessage) (response, error) {
	method := strings.ToUpper(op.Method)
	ev := event{method: method, path: op.Path, action: "bulk", status: bulkStatus(method), start: time.Now()}
	if rt, id, err := bulkPath(op.Path); err == nil {
		ev.action, ev.target = audit.Action(method, rt.ID, id != ""), id
	}
	res, err := s.bulkDo(r.WithContext(s.auditWrite(r, ev)), op, data)
	rec := recordOf(r.Context())
	if s.cfg.Audit == nil || rec.auth == nil {
		return res, err
	}
	rec.written = true
	if res.target != "" {
		ev.target = res.target
	}
	switch {
	case err != nil:
		ev.err = scimerr.From(err)
		ev.status = ev.err.Status
	case res.change.Audited:
		return res, nil // stored with the write
	default:
		ev.status, ev.change = res.status, res.change
	}
	s.writeAudit(r, rec, ev)
	return res, err
}

// bulkStatus is the status of a bulk operation with method that succeeds.
func bulkStatus(method string) int {
	switch method {
	case http.MethodPost:
		return http.StatusCreated
	case http.MethodDelete:
		return http.StatusNoContent
	}
	return http.StatusOK
}

// bulkDo runs one operation. Its response names the resource it wrote,
// as target, location and version.
func (s *Server) bulkDo(r *http.Request, op bulkOperation, data json.RawMessage) (response, error) {
	ctx := r.Context()
	ws := workspace(ctx)
	method := strings.ToUpper(op.Method)
	rt, id, err := bulkPath(op.Path)
	if err != nil {
		return response{}, err
	}
	rt = typesOf(ctx).of(rt)
	if (method == http.MethodPost) != (id == "") {
		return response{}, scimerr.BadRequest(scimerr.InvalidValue, "%s needs a path like %s", method, map[bool]string{true: "/Users", false: "/Users/{id}"}[method == http.MethodPost])
	}
	var wrote provision.Result
	switch method {
	case http.MethodPost, http.MethodPut:
		var body map[string]any
		if err := decodeJSON(data, &body); err != nil {
			return response{}, err
		}
		if method == http.MethodPost {
			if op.BulkID == "" {
				return response{}, scimerr.BadRequest(scimerr.InvalidValue, "a POST operation needs a bulkId")
			}
			if err := allowCreate(ctx, rt); err != nil {
				return response{}, err
			}
			wrote, err = s.svc.Create(ctx, ws, rt, body)
		} else {
			wrote, err = s.svc.Replace(ctx, ws, rt, id, op.Version, body)
		}
	case http.MethodPatch:
		var body patchRequest
		if err := decodeJSON(data, &body); err != nil {
			return response{}, err
		}
		wrote, err = s.svc.Patch(ctx, ws, rt, id, op.Version, body.Operations, false)
	case http.MethodDelete:
		wrote.Change, err = s.svc.Delete(ctx, ws, rt, id, op.Version)
	default:
		err = scimerr.BadRequest(scimerr.InvalidValue, "method %q is not one of POST, PUT, PATCH, DELETE", op.Method)
	}
	if err != nil {
		return response{}, err
	}
	res := response{status: bulkStatus(method), change: &wrote.Change}
	if wrote.Resource != nil {
		res.target = wrote.Resource.ID
		res.location = s.baseURL(r) + rt.Endpoint + "/" + wrote.Resource.ID
		res.etag = provision.ETag(wrote.Resource.Version)
	}
	return res, nil
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
