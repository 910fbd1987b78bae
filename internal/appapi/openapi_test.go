package appapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/appapi"
	"github.com/scimd/scimd/internal/httpapi/httpapitest"
)

// TestOpenAPIMatchesRoutes keeps the document and the routes in
// agreement: it needs no token, every route is documented, every
// documented operation answers as documented, and no other method does.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	doc := e.doAs("", "GET", "openapi.json", "")
	doc.want(http.StatusOK)
	var d struct {
		Paths map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(doc.body, &d); err != nil {
		t.Fatal(err)
	}
	for _, p := range appapi.Paths() {
		if d.Paths[p] == nil {
			t.Errorf("%s is served but not documented", p)
		}
	}
	_, key, err := e.iss.IssueAPIKey(e.ctx, e.acme.ID, e.ada, "ci", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer("{slug}", "acme", "{id}", e.ada, "{cred}", key.ID)
	httpapitest.CheckServed(t, doc.body, fill, func(method, path, body string) (int, []byte) {
		r := e.do(method, strings.TrimPrefix(path, appapi.Prefix), body)
		return r.status, r.body
	})
	if !slices.Contains(appapi.Paths(), appapi.Prefix+"/openapi.json") {
		t.Errorf("Paths() lacks the document")
	}
}
