package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/scimd/scimd/internal/provision"
	"github.com/scimd/scimd/internal/request"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
)

// contentType is the media type of every response (RFC 7644 §3.1).
const contentType = "application/scim+json"

// timeFormat renders meta timestamps: xsd:dateTime in UTC with the store's
// microsecond precision, so a rendered time filters back exactly.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// A response is what a SCIM handler answers with, for serve to render.
type response struct {
	status   int
	etag     string // the ETag header, if any
	location string // the Location header, if any
	body     any    // the JSON body; nil for none
	rendered []byte // or the JSON body, rendered
	// For the audit log: the resource a write wrote, if the path does
	// not name it, and the change it made.
	target string
	change *provision.Change
}

// okBody is a 200 response with body.
func okBody(body any) response {
	return response{status: http.StatusOK, body: body}
}

// A handler serves a SCIM request: it returns the response, or the error
// to answer with instead.
type handler func(r *http.Request) (response, error)

// serve runs h and renders what it returns: every SCIM endpoint answers
// through here, errors as RFC 7644 §3.12 error messages.
func (s *Server) serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		res, err := h(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if res.target != "" || res.change != nil {
			rec := recordOf(r.Context())
			rec.target = cmp.Or(res.target, rec.target)
			rec.change = res.change
		}
		if res.etag != "" {
			w.Header().Set("ETag", res.etag)
		}
		if res.location != "" {
			w.Header().Set("Location", res.location)
		}
		switch {
		case res.rendered != nil:
			writeBody(w, res.status, res.rendered)
		case res.body != nil:
			s.writeJSON(w, res.status, res.body)
		default:
			w.WriteHeader(res.status)
		}
	})
}

// only restricts a handler to one method (405 otherwise).
func only(method string, h handler) handler {
	return func(r *http.Request) (response, error) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			return response{}, notAllowed(method, "%s is not allowed here; use %s", r.Method, method)
		}
		return h(r)
	}
}

// methodError is the error for a request whose method the path does not
// serve (405), with the methods it does for the Allow header.
type methodError struct {
	err   *scimerr.Error
	allow string
}

func (e *methodError) Error() string { return e.err.Error() }
func (e *methodError) Unwrap() error { return e.err }

func notAllowed(allow, format string, args ...any) error {
	return &methodError{scimerr.New(http.StatusMethodNotAllowed, "", format, args...), allow}
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode response", "err", err)
		status = http.StatusInternalServerError
		b = []byte(`{"schemas":["` + schema.ErrorURN + `"],"status":"500","detail":"internal server error"}`)
	}
	writeBody(w, status, b)
}

// writeBody answers with status and the JSON body b.
func writeBody(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// fail renders any error as a SCIM error response (RFC 7644 §3.12).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := scimerr.From(err)
	recordOf(r.Context()).err = e
	if e.Status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err)
	}
	var me *methodError
	if errors.As(err, &me) {
		w.Header().Set("Allow", me.allow)
	}
	s.writeJSON(w, e.Status, errorBody(e))
}

// errorBody is the SCIM error message for e; the cause stays out of it.
func errorBody(e *scimerr.Error) map[string]any {
	body := map[string]any{
		"schemas": []string{schema.ErrorURN},
		"status":  strconv.Itoa(e.Status),
	}
	if e.ScimType != "" {
		body["scimType"] = e.ScimType
	}
	if e.Detail != "" {
		body["detail"] = e.Detail
	}
	return body
}

// decode reads a JSON object from the request body, which serve caps at
// MaxBodyBytes. It accepts application/scim+json and application/json
// (RFC 7644 §3.1), and a missing Content-Type, which some clients omit.
func (s *Server) decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != contentType && mt != "application/json") {
			return scimerr.New(http.StatusUnsupportedMediaType, "",
				"Content-Type %q is not supported; send application/scim+json or application/json", ct)
		}
	}
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return scimerr.New(http.StatusRequestEntityTooLarge, "", "the request body is larger than %d bytes", s.cfg.MaxBodyBytes)
	}
	if err != nil {
		return scimerr.BadRequest(scimerr.InvalidSyntax, "could not read the request body")
	}
	return decodeJSON(body, v)
}

// decodeJSON decodes exactly one JSON value, keeping numbers exact.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return scimerr.BadRequest(scimerr.InvalidSyntax, "the request body is not valid: %s must not be a JSON %s", orBody(te.Field), te.Value)
		}
		if errors.Is(err, io.EOF) {
			return scimerr.BadRequest(scimerr.InvalidSyntax, "the request body is empty")
		}
		return scimerr.BadRequest(scimerr.InvalidSyntax, "the request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return scimerr.BadRequest(scimerr.InvalidSyntax, "the request body has data after the JSON value")
	}
	return nil
}

func orBody(field string) string {
	if field == "" {
		return "the body"
	}
	return field
}

// baseURL returns the absolute URL of the SCIM base path, for
// meta.location and $ref.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/")
	}
	return request.Scheme(r) + "://" + r.Host + s.cfg.BasePath
}

// resourceJSON renders a stored resource as SCIM JSON (before attribute
// selection).
// admitsAny reports whether s's declaration admits any of the values
// stored under it in ext: values it no longer admits stay stored but are
// not shown (schema.Declared), and a resource showing none of them does
// not carry the extension.
func admitsAny(s *schema.Schema, ext map[string]any) bool {
	for k, v := range ext {
		if a := s.Attr(k); a != nil && schema.Declared(a, v) != nil {
			return true
		}
	}
	return false
}

func resourceJSON(rt *schema.ResourceType, r *store.Resource, base string) map[string]any {
	doc := make(map[string]any, len(r.Doc)+5)
	schemas := []string{rt.Schema.ID}
	for k, v := range r.Doc {
		doc[k] = v
	}
	for _, e := range rt.Extensions {
		if ext, ok := r.Doc[e.Schema.ID].(map[string]any); ok && admitsAny(e.Schema, ext) {
			schemas = append(schemas, e.Schema.ID)
		}
	}
	schemas = append(schemas, rt.KeptURNs(r.Doc)...)
	doc["schemas"] = schemas
	doc["id"] = r.ID
	loc := base + rt.Endpoint + "/" + r.ID
	doc["meta"] = map[string]any{
		"resourceType": rt.ID,
		"created":      r.Created.UTC().Format(timeFormat),
		"lastModified": r.LastModified.UTC().Format(timeFormat),
		"location":     loc,
		"version":      provision.ETag(r.Version),
	}
	if len(r.Members) > 0 {
		list := make([]any, len(r.Members))
		for i, m := range r.Members {
			list[i] = map[string]any{
				"value":   m.Value,
				"display": m.Display,
				"type":    m.Type,
				"$ref":    base + endpoint(m.Type) + "/" + m.Value,
			}
		}
		doc["members"] = list
	}
	if len(r.Groups) > 0 {
		list := make([]any, len(r.Groups))
		for i, g := range r.Groups {
			typ := "indirect"
			if g.Direct {
				typ = "direct"
			}
			list[i] = map[string]any{
				"value":   g.Value,
				"display": g.Display,
				"type":    typ,
				"$ref":    base + schema.GroupType.Endpoint + "/" + g.Value,
			}
		}
		doc["groups"] = list
	}
	return doc
}

func endpoint(resourceType string) string {
	if resourceType == schema.GroupType.ID {
		return schema.GroupType.Endpoint
	}
	return schema.UserType.Endpoint
}
