package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
)

// TestUserPageInBrowser: an operator maps a group to a role in the rows
// of the roles page, and sees on
// a user's page the role the user has, and why, change when the identity
// provider adds the user to the group; the groups page and the group's
// page show the mapping too. Every page fits a phone's screen.
func TestUserPageInBrowser(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	p := startProc(t, nil, "serve", "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(t.TempDir(), "scimd.db"))
	m := p.await(t, firstRunRE)
	root, scimToken, adminToken := m[1], m[2], m[3]
	send := func(tok, contentType, method, path string, body any, want int) map[string]any {
		t.Helper()
		return sendJSON(t, tok, contentType, method, root+path, body, want)
	}
	scim := func(method, path string, body any, want int) map[string]any {
		t.Helper()
		return send(scimToken, "application/scim+json", method, "/scim/v2"+path, body, want)
	}
	bob := scim("POST", "/Users", map[string]any{"schemas": []any{userURN}, "userName": "bob@example.com", "displayName": "Bob"}, http.StatusCreated)["id"].(string)
	eng := scim("POST", "/Groups", map[string]any{"schemas": []any{groupURN}, "displayName": "Engineering", "externalId": "00g1"}, http.StatusCreated)["id"].(string)

	b := newBrowser(t, exe, root)
	b.signIn(adminToken)

	// The operator maps Engineering to admin in the rows of the roles
	// page, by keyboard: the preview shows the group the row matches.
	b.visit("/admin/workspaces/default/roles", http.StatusOK)
	b.look("roles")
	b.fill(`input[name="mapping.0.pattern"]`, "Engineering")
	b.fill(`select[name="mapping.0.role"]`, "admin")
	b.press(`button[value="preview"]`, http.StatusOK)
	b.sees("Not saved yet")
	if got := b.text(`table.rows tbody tr:first-child td[data-label="Matches"]`); got != "Engineering" {
		t.Errorf("the preview of the row shows %q, want Engineering", got)
	}
	b.press(`button[value="save"]`, http.StatusOK)
	b.sees("Saved roleMappings")
	if got := b.text(`table.rows tbody tr:first-child td[data-label="Matches"]`); got != "Engineering" {
		t.Errorf("the saved row matches %q, want Engineering", got)
	}
	if got := send(adminToken, "application/json", "GET", "/admin/v1/workspaces/default/scim-config", nil, http.StatusOK)["roleMappings"]; fmt.Sprint(got) != "[map[group:Engineering role:admin]]" {
		t.Errorf("roleMappings %v after saving the row", got)
	}
	b.visit("/admin/workspaces/default", http.StatusOK)
	b.look("workspace-settings")

	b.visit("/admin/workspaces/default/users/"+bob, http.StatusOK)
	b.sees("bob@example.com", "viewer: the default role: no synced group of the user's is mapped to a role", "In no group.", "valid")
	b.look("user-viewer")

	scim("PATCH", "/Groups/"+eng, map[string]any{
		"schemas":    []any{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": bob}}}},
	}, http.StatusNoContent)

	b.visit("/admin/workspaces/default/users/"+bob, http.StatusOK)
	b.sees(`admin: role mapping "engineering" matches "engineering" of group "Engineering"`, "group:engineering", "direct",
		`Role admin: role mapping "engineering" matches`)
	b.look("user-admin")

	b.visit("/admin/workspaces/default/groups", http.StatusOK)
	b.sees("Engineering", "00g1", "admin", "1 groups match")
	b.look("groups")
	b.visit("/admin/workspaces/default/groups/"+eng, http.StatusOK)
	b.sees(`admin: role mapping "engineering" matches "engineering" of group "Engineering"`, "Bob")
	b.look("group")

	// The workspace's activity: the SCIM requests above, by token.
	b.visit("/admin/workspaces/default/activity", http.StatusOK)
	b.sees("SCIM requests", "other", "Go-http-client", "group.patch → 204")
	b.look("activity")
}

// sendJSON sends body as JSON of contentType with a bearer token, and
// returns the JSON answer, which must have the status want.
func sendJSON(t *testing.T, tok, contentType, method, target string, body any, want int) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, target, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %v, want %d", method, target, resp.StatusCode, out, want)
	}
	return out
}

// signIn signs the browser in to the console with an admin token.
func (b *browser) signIn(adminToken string) {
	b.t.Helper()
	b.visit("/admin/login", http.StatusOK)
	b.fill("#token", adminToken)
	b.press("form.card button", http.StatusOK)
}
