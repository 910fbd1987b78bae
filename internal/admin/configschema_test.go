package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// TestConfigSchemaBounds: what the Config schema of openapi.json says of
// each setting's type, bounds and allowed values is what PATCH
// scim-config takes and refuses.
func TestConfigSchemaBounds(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		Components struct {
			Schemas struct {
				Config struct {
					Properties map[string]struct {
						Type    any      `json:"type"`
						Enum    []string `json:"enum"`
						Minimum *int     `json:"minimum"`
						Maximum *int     `json:"maximum"`
					} `json:"properties"`
				} `json:"Config"`
			} `json:"schemas"`
		} `json:"components"`
	}
	r := e.doAs("", "GET", "openapi.json", "")
	r.want(http.StatusOK)
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	props := doc.Components.Schemas.Config.Properties
	if len(props) == 0 {
		t.Fatal("the Config schema has no properties")
	}
	type value struct {
		json string
		ok   bool
	}
	for key, p := range props {
		var values []value
		for _, v := range p.Enum {
			values = append(values, value{fmt.Sprintf("%q", v), true})
		}
		if p.Enum != nil {
			values = append(values, value{`"not-` + p.Enum[0] + `"`, false})
		}
		if p.Minimum != nil {
			values = append(values, value{fmt.Sprint(*p.Minimum), true}, value{fmt.Sprint(*p.Minimum - 1), false})
		}
		if p.Maximum != nil {
			values = append(values, value{fmt.Sprint(*p.Maximum), true}, value{fmt.Sprint(*p.Maximum + 1), false})
		}
		types, _ := p.Type.([]any)
		if slices.Contains(types, "null") {
			values = append(values, value{"null", true})
		}
		for _, v := range values {
			body := fmt.Sprintf(`{%q: %s}`, key, v.json)
			r := e.do("PATCH", "workspaces/acme/scim-config", body)
			if v.ok {
				r.want(http.StatusOK)
			} else {
				r.wantError(http.StatusBadRequest, CodeInvalidValue)
			}
		}
		e.do("PUT", "workspaces/acme/scim-config", "{}").want(http.StatusOK)
	}
}
