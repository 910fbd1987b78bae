package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Route is one operation of an API: its method and path, and what the
// OpenAPI document says of it.
type Route struct {
	Method string
	// Path is under the API's prefix, with ServeMux wildcards:
	// /workspaces/{slug}.
	Path string
	Operation
}

// Operation is what the OpenAPI document says of a route.
type Operation struct {
	Summary, Description string
	// Public routes need no token.
	Public bool
	Query  []Param
	// Request names the component schema of the body, if any. Optional
	// says that the body may be left out, Form that it may also be a
	// form (application/x-www-form-urlencoded).
	Request        string
	Optional, Form bool
	// Responses maps each status of success to the component schema of
	// its body, "" for none.
	Responses map[int]string
	// Errors are the codes the route answers with, beside those that
	// every route of its kind does: unauthorized unless Public, those of
	// a body with Request (invalid_json, invalid_value,
	// unsupported_media_type, body_too_large), and those of the
	// wildcards of Path.
	Errors []string
}

// Param is a query parameter.
type Param struct {
	Name, Description string
	Schema            map[string]any
}

// OK, Created and NoContent describe responses of success for a route.
func OK(schema string) map[int]string      { return map[int]string{http.StatusOK: schema} }
func Created(schema string) map[int]string { return map[int]string{http.StatusCreated: schema} }
func NoContent() map[int]string            { return map[int]string{http.StatusNoContent: ""} }

// OpenAPI returns the OpenAPI 3.1 document of the routes, whose bodies
// are the component schemas given; it adds Error, the body of every
// error response, and OpenAPI, for the document itself. It fails if the
// routes say what the API does not: a wildcard it does not describe, an
// error code it does not list, a schema that is not given.
func (a *API) OpenAPI(routes []Route, schemas map[string]any) (map[string]any, error) {
	all := map[string]any{
		"Error":   errorSchema(a.Errors),
		"OpenAPI": map[string]any{"type": "object", "description": "an OpenAPI 3.1 document"},
	}
	for name, s := range schemas {
		all[name] = s
	}
	var errs []error
	paths := map[string]any{}
	for _, rt := range routes {
		item, _ := paths[a.Prefix+rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[a.Prefix+rt.Path] = item
		}
		m := strings.ToLower(rt.Method)
		if item[m] != nil {
			errs = append(errs, fmt.Errorf("%s %s: declared twice", rt.Method, rt.Path))
		}
		op, err := a.operation(rt)
		errs = append(errs, err)
		item[m] = op
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       a.Title,
			"version":     "1",
			"description": a.Description,
		},
		"paths":    paths,
		"security": []any{map[string]any{a.Scheme: []any{}}},
		"components": map[string]any{
			"securitySchemes": map[string]any{
				a.Scheme: map[string]any{"type": "http", "scheme": "bearer", "description": a.SchemeDescription},
			},
			"schemas": all,
		},
	}
	errs = append(errs, danglingRefs(doc, all)...)
	return doc, errors.Join(errs...)
}

// wildcardRE finds the wildcards of a path, with the segment before
// each: workspaces/{slug}.
var wildcardRE = regexp.MustCompile(`([^/]*)/\{([a-z_]+)\}`)

func (a *API) operation(rt Route) (map[string]any, error) {
	var errs []error
	op := map[string]any{
		"operationId": operationID(rt),
		"summary":     rt.Summary,
	}
	if rt.Description != "" {
		op["description"] = rt.Description
	}
	if rt.Public {
		op["security"] = []any{}
	}
	codes := slices.Clone(rt.Errors)
	if !rt.Public {
		codes = append(codes, CodeUnauthorized)
	}
	var params []any
	for _, m := range wildcardRE.FindAllStringSubmatch(rt.Path, -1) {
		wc, ok := a.Wildcards[m[1]+"/{"+m[2]+"}"]
		if !ok {
			errs = append(errs, fmt.Errorf("%s %s: wildcard %s/{%s} is not described", rt.Method, rt.Path, m[1], m[2]))
		}
		codes = append(codes, wc.Errors...)
		params = append(params, map[string]any{"name": m[2], "in": "path", "required": true, "description": wc.Description, "schema": Type("string", "")})
	}
	for _, p := range rt.Query {
		params = append(params, map[string]any{"name": p.Name, "in": "query", "description": p.Description, "schema": p.Schema})
	}
	if params != nil {
		op["parameters"] = params
	}
	if rt.Request != "" {
		content := map[string]any{MediaJSON: map[string]any{"schema": Ref(rt.Request)}}
		if rt.Form {
			content[MediaForm] = map[string]any{"schema": Ref(rt.Request)}
		}
		op["requestBody"] = map[string]any{"required": !rt.Optional, "content": content}
		codes = append(codes, CodeInvalidJSON, CodeInvalidValue, CodeUnsupportedMediaType, CodeBodyTooLarge)
	}
	if len(rt.Responses) == 0 {
		errs = append(errs, fmt.Errorf("%s %s: no response of success", rt.Method, rt.Path))
	}
	responses := map[string]any{}
	for status, schema := range rt.Responses {
		r := map[string]any{"description": http.StatusText(status)}
		if schema != "" {
			r["content"] = map[string]any{MediaJSON: map[string]any{"schema": Ref(schema)}}
		}
		responses[strconv.Itoa(status)] = r
	}
	byStatus := map[int][]string{}
	for _, c := range a.Errors {
		if slices.Contains(codes, c.Code) {
			byStatus[c.Status] = append(byStatus[c.Status], c.Code+": "+c.Meaning)
		}
	}
	for _, c := range codes {
		if !slices.ContainsFunc(a.Errors, func(e ErrorCode) bool { return e.Code == c }) {
			errs = append(errs, fmt.Errorf("%s %s: error code %s is not listed", rt.Method, rt.Path, c))
		}
	}
	for status, meanings := range byStatus {
		responses[strconv.Itoa(status)] = errorResponse(strings.Join(meanings, "; "))
	}
	responses["default"] = errorResponse("an error; code says which, message what to fix")
	op["responses"] = responses
	return op, errors.Join(errs...)
}

func errorResponse(desc string) map[string]any {
	return map[string]any{"description": desc, "content": map[string]any{MediaJSON: map[string]any{"schema": Ref("Error")}}}
}

// errorSchema is the schema of an error response, which lists the codes.
func errorSchema(codes []ErrorCode) map[string]any {
	var names []string
	for _, c := range codes {
		names = append(names, c.Code)
	}
	return Object([]string{"error"}, map[string]any{
		"error": Object([]string{"code", "message"}, map[string]any{
			"code":    Type("string", "stable machine-readable code: "+strings.Join(names, ", ")),
			"message": Type("string", "what went wrong and what to fix, for people"),
		}),
	})
}

// operationID names an operation after its method and path:
// post_workspaces_slug_tokens.
func operationID(rt Route) string {
	p := strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(rt.Path)
	return strings.ToLower(rt.Method) + p
}

// danglingRefs returns an error for each $ref in v to a schema that is
// not in schemas.
func danglingRefs(v any, schemas map[string]any) []error {
	var errs []error
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok {
			if _, ok := schemas[strings.TrimPrefix(ref, refPrefix)]; !ok {
				errs = append(errs, fmt.Errorf("$ref %s: no such schema", ref))
			}
		}
		for _, x := range v {
			errs = append(errs, danglingRefs(x, schemas)...)
		}
	case []any:
		for _, x := range v {
			errs = append(errs, danglingRefs(x, schemas)...)
		}
	}
	return errs
}

// Schemas, for the component schemas of an API.

const refPrefix = "#/components/schemas/"

// Ref refers to a component schema.
func Ref(name string) map[string]any { return map[string]any{"$ref": refPrefix + name} }

// Object is an object with the properties, of which required are.
func Object(required []string, props map[string]any) map[string]any {
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// Type is a value of a JSON type: "string", "integer", "boolean".
func Type(t, desc string) map[string]any {
	s := map[string]any{"type": t}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

// Nullable is a value of a JSON type, or null.
func Nullable(t, desc string) map[string]any {
	return map[string]any{"type": []string{t, "null"}, "description": desc}
}

// ArrayOf is an array of a component schema.
func ArrayOf(item string) map[string]any {
	return map[string]any{"type": "array", "items": Ref(item)}
}

// Time is a time, in RFC 3339.
func Time(desc string) map[string]any {
	s := map[string]any{"type": "string", "format": "date-time"}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

// NullableTime is a time, or null.
func NullableTime(desc string) map[string]any {
	return map[string]any{"type": []string{"string", "null"}, "format": "date-time", "description": desc}
}

// MustOpenAPI is OpenAPI for routes and schemas written in the program,
// not configured: a problem is a bug, which stops the program (and any
// test that serves the API) at once.
func (a *API) MustOpenAPI(routes []Route, schemas map[string]any) map[string]any {
	doc, err := a.OpenAPI(routes, schemas)
	if err != nil {
		panic(a.Name + ": route table: " + err.Error())
	}
	return doc
}
