package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/audit"
	"github.com/scimd/scimd/internal/httpapi"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/tenant"
)

// The SCIM configuration of a workspace is store.WorkspaceConfig, by the
// JSON names administrators know from scimd workspace set:
//
//   - GET returns it;
//   - PUT replaces it: settings left out take their default values;
//   - PATCH changes the settings given and keeps the others;
//   - DELETE resets it to the defaults with scimEnabled false, so that
//     the workspace's identity providers are refused (403) until it is
//     enabled again. Its tokens are kept, so that enabling SCIM again
//     (PATCH {"scimEnabled": true}) resumes provisioning without handing
//     out new tokens; revoke them to cut them off for good.
//
// Every change is checked as a whole before anything is stored, and made
// in one transaction on the current configuration, so that concurrent
// changes to different settings are both kept.

// configSchema is the schema of store.WorkspaceConfig, made from the
// settings of package tenant: each one's type, bounds, allowed values,
// doc and default.
func configSchema() map[string]any {
	def := store.DefaultWorkspaceConfig()
	defaults := configMap(def)
	props := map[string]any{}
	for _, st := range tenant.Settings() {
		var p map[string]any
		switch st.Kind() {
		case tenant.Bool:
			p = map[string]any{"type": "boolean"}
		case tenant.Text:
			p = map[string]any{"type": "string"}
			if st.Enum != nil {
				p["enum"] = st.Enum
			}
		case tenant.Number:
			p = map[string]any{"type": "integer", "minimum": st.Min}
			if st.Max > 0 {
				p["maximum"] = st.Max
			}
		case tenant.OptionalNumber:
			p = map[string]any{"type": []string{"integer", "null"}, "minimum": st.Min}
		case tenant.RoleList:
			p = map[string]any{"type": []string{"array", "null"},
				"items": httpapi.Object([]string{"name", "rank"}, map[string]any{"name": httpapi.Type("string", ""), "rank": httpapi.Type("integer", "higher grants more")})}
		case tenant.MappingList:
			p = map[string]any{"type": []string{"array", "null"},
				"items": httpapi.Object([]string{"role"}, map[string]any{"group": httpapi.Type("string", "displayName or glob"), "externalId": httpapi.Type("string", ""), "role": httpapi.Type("string", "one of roles")})}
		case tenant.NameList:
			p = map[string]any{"type": []string{"array", "null"}, "items": httpapi.Type("string", "")}
		default:
			panic("admin: setting " + st.Key + " has no JSON schema")
		}
		desc := st.Help()
		if st.Kind() == tenant.RoleList {
			desc += " (" + st.Shown(def) + ")"
		}
		if st.Name != "" {
			desc += "; a " + st.Name + " name is " + tenant.NameRule
		}
		if st.Example != "" {
			desc += "; e.g. " + st.Example
		}
		b, _ := json.Marshal(defaults[st.Key])
		p["title"] = st.Label
		p["description"] = desc + ". Default " + string(b)
		props[st.Key] = p
	}
	return map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"description":          "A workspace's SCIM configuration, by the names scimd workspace set uses. In a request, settings left out keep their value (PATCH) or take their default (PUT, POST).",
		"properties":           props,
	}
}

// mergeConfig sets the settings of a JSON object on c. Settings not in
// raw keep their values; an empty or null raw changes nothing. prefix
// names where the object was in the request, for messages.
func mergeConfig(c *store.WorkspaceConfig, raw json.RawMessage, prefix string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	err := httpapi.DecodeJSON(raw, c)
	var e *Error
	if prefix != "" && errors.As(err, &e) {
		e.Message = strings.Replace(e.Message, `field "`, `field "`+prefix, 1)
		e.Message = strings.Replace(e.Message, "the request body", strings.TrimSuffix(prefix, "."), 1)
	}
	if errors.As(err, &e) && strings.HasPrefix(e.Message, "unknown field") {
		e.Message += "; the settings are " + strings.Join(tenant.ConfigKeys(), ", ")
	}
	return err
}

// updateConfig changes a workspace's configuration with fn in one
// transaction, and records the change for the audit entry.
func (h *Handler) updateConfig(c *call, slug string, fn func(*store.WorkspaceConfig) error) (store.Workspace, error) {
	c.target = slug
	var before store.WorkspaceConfig
	w, err := h.tenant.UpdateConfig(c.r.Context(), slug, func(cur *store.WorkspaceConfig) error {
		// Decoding JSON into cur writes through its pointer and into
		// its slices' arrays.
		before = cur.Clone()
		return fn(cur)
	})
	if err != nil {
		return w, workspaceErr(slug, err)
	}
	c.workspaceID, c.target = w.ID, w.ID
	c.detail("slug", slug)
	if d := audit.Diff(configMap(before), configMap(w.Config)); d != nil {
		c.detail("diff", d)
	}
	return w, nil
}

// configMap returns a configuration as a JSON object, for audit.Diff.
func configMap(c store.WorkspaceConfig) map[string]any {
	b, _ := json.Marshal(c)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func getConfig(h *Handler, c *call) (int, any, error) {
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, w.Config, nil
}

func putConfig(h *Handler, c *call) (int, any, error) {
	var raw json.RawMessage
	if err := h.api.Decode(c.w, c.r, &raw, false); err != nil {
		return 0, nil, err
	}
	next := store.DefaultWorkspaceConfig()
	if err := mergeConfig(&next, raw, ""); err != nil {
		return 0, nil, err
	}
	w, err := h.updateConfig(c, c.pathValue("slug"), func(cur *store.WorkspaceConfig) error {
		*cur = next
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, w.Config, nil
}

func patchConfig(h *Handler, c *call) (int, any, error) {
	var raw json.RawMessage
	if err := h.api.Decode(c.w, c.r, &raw, false); err != nil {
		return 0, nil, err
	}
	// Decoding once before the transaction reports a malformed body
	// without touching the store.
	probe := store.DefaultWorkspaceConfig()
	if err := mergeConfig(&probe, raw, ""); err != nil {
		return 0, nil, err
	}
	w, err := h.updateConfig(c, c.pathValue("slug"), func(cur *store.WorkspaceConfig) error {
		return mergeConfig(cur, raw, "")
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, w.Config, nil
}

func resetConfig(h *Handler, c *call) (int, any, error) {
	w, err := h.updateConfig(c, c.pathValue("slug"), func(cur *store.WorkspaceConfig) error {
		*cur = store.DefaultWorkspaceConfig()
		cur.SCIMEnabled = false
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, w.Config, nil
}

// rotateConfigToken rotates the token named by token_id, or else the
// newest active token of the workspace: the one its identity provider
// most likely uses.
func rotateConfigToken(h *Handler, c *call) (int, any, error) {
	slug := c.pathValue("slug")
	c.target = slug
	var body struct {
		TokenID string `json:"token_id"`
		Overlap string `json:"overlap"`
	}
	if err := h.api.Decode(c.w, c.r, &body, true); err != nil {
		return 0, nil, err
	}
	overlap, err := parseOverlap(body.Overlap)
	if err != nil {
		return 0, nil, err
	}
	if body.TokenID == "" {
		infos, err := h.tenant.ListTokens(c.r.Context(), slug)
		if err != nil {
			return 0, nil, workspaceErr(slug, err)
		}
		var newest time.Time
		for _, t := range infos {
			if t.State == tenant.StateActive && !t.Created.Before(newest) {
				body.TokenID, newest = t.ID, t.Created
			}
		}
		if body.TokenID == "" {
			return 0, nil, newError(http.StatusConflict, CodeNoActiveToken,
				"workspace %q has no active token to rotate; create one with POST %s/workspaces/%s/tokens", slug, Prefix, slug)
		}
	}
	return h.rotate(c, slug, body.TokenID, overlap)
}
