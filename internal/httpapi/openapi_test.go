package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/httpapi"
)

func docAPI() *httpapi.API {
	return &httpapi.API{
		Prefix: "/api", Title: "test API", Scheme: "testToken",
		Wildcards: map[string]httpapi.Wildcard{
			"things/{id}": {Description: "the thing's id", Errors: []string{"thing_not_found"}},
		},
		Errors: httpapi.ErrorCodes("no token",
			httpapi.ErrorCode{Code: "thing_not_found", Status: http.StatusNotFound, Meaning: "no thing has the id"},
			httpapi.ErrorCode{Code: "thing_exists", Status: http.StatusConflict, Meaning: "the name is taken"},
		),
	}
}

var thingSchemas = map[string]any{
	"Thing":       httpapi.Object([]string{"id"}, map[string]any{"id": httpapi.Type("string", "")}),
	"ThingCreate": httpapi.Object(nil, map[string]any{"name": httpapi.Type("string", "")}),
}

// TestOpenAPIDocument: what a route says is in its operation, with the
// errors its kind answers with.
func TestOpenAPIDocument(t *testing.T) {
	doc, err := docAPI().OpenAPI([]httpapi.Route{
		{Method: "POST", Path: "/things", Operation: httpapi.Operation{Summary: "Create", Request: "ThingCreate", Form: true,
			Responses: httpapi.Created("Thing"), Errors: []string{"thing_exists"}}},
		{Method: "DELETE", Path: "/things/{id}", Operation: httpapi.Operation{Summary: "Delete", Responses: httpapi.NoContent()}},
		{Method: "GET", Path: "/openapi.json", Operation: httpapi.Operation{Summary: "This", Public: true, Responses: httpapi.OK("OpenAPI")}},
	}, thingSchemas)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(doc)
	var d struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Security    []any
			Parameters  []struct{ Name, In, Description string }
			RequestBody struct {
				Required bool
				Content  map[string]any
			} `json:"requestBody"`
			Responses map[string]struct{ Description string }
		}
		Components struct{ Schemas map[string]any }
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	create := d.Paths["/api/things"]["post"]
	if create.OperationID != "post_things" || !create.RequestBody.Required || len(create.RequestBody.Content) != 2 {
		t.Errorf("POST /things: %+v", create)
	}
	for status, want := range map[string]string{
		"201": "Created",
		"400": "invalid_json: ",
		"401": "unauthorized: no token",
		"409": "thing_exists: the name is taken",
		"413": "body_too_large: ",
		"415": "unsupported_media_type: ",
	} {
		if got := create.Responses[status].Description; !strings.HasPrefix(got, want) {
			t.Errorf("POST /things: %s %q, want %q…", status, got, want)
		}
	}
	del := d.Paths["/api/things/{id}"]["delete"]
	if len(del.Parameters) != 1 || del.Parameters[0].Description != "the thing's id" || del.Responses["404"].Description != "thing_not_found: no thing has the id" {
		t.Errorf("DELETE /things/{id}: %+v", del)
	}
	if _, ok := del.Responses["400"]; ok {
		t.Errorf("DELETE /things/{id} has no body, but documents 400: %+v", del)
	}
	open := d.Paths["/api/openapi.json"]["get"]
	if open.Security == nil || len(open.Security) != 0 {
		t.Errorf("a public route needs no token: %+v", open)
	}
	if _, ok := open.Responses["401"]; ok {
		t.Errorf("a public route documents 401: %+v", open)
	}
	for _, name := range []string{"Error", "OpenAPI", "Thing", "ThingCreate"} {
		if d.Components.Schemas[name] == nil {
			t.Errorf("no schema %s", name)
		}
	}
}

// TestOpenAPIProblems: a route table that says what the API does not is
// refused, with a reason.
func TestOpenAPIProblems(t *testing.T) {
	ok := httpapi.Operation{Summary: "Get", Responses: httpapi.OK("Thing")}
	for _, tt := range []struct {
		name   string
		routes []httpapi.Route
		want   string
	}{
		{"undescribed wildcard", []httpapi.Route{{Method: "GET", Path: "/stuff/{id}", Operation: ok}}, "wildcard stuff/{id} is not described"},
		{"unknown code", []httpapi.Route{{Method: "GET", Path: "/things", Operation: httpapi.Operation{Summary: "Get", Responses: httpapi.OK("Thing"), Errors: []string{"oops"}}}}, "error code oops is not listed"},
		{"unknown schema", []httpapi.Route{{Method: "GET", Path: "/things", Operation: httpapi.Operation{Summary: "Get", Responses: httpapi.OK("Thingy")}}}, "$ref #/components/schemas/Thingy: no such schema"},
		{"unknown request", []httpapi.Route{{Method: "POST", Path: "/things", Operation: httpapi.Operation{Summary: "Get", Request: "Nope", Responses: httpapi.OK("Thing")}}}, "$ref #/components/schemas/Nope: no such schema"},
		{"twice", []httpapi.Route{{Method: "GET", Path: "/things", Operation: ok}, {Method: "GET", Path: "/things", Operation: ok}}, "GET /things: declared twice"},
		{"no response", []httpapi.Route{{Method: "GET", Path: "/things", Operation: httpapi.Operation{Summary: "Get"}}}, "GET /things: no response of success"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := docAPI().OpenAPI(tt.routes, thingSchemas)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}
