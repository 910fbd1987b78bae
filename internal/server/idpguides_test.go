package server_test

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// idpGuides names, for each set-up guide in docs/idp, the identity provider
// whose scenarios in testdata/idp replay what that guide configures.
var idpGuides = map[string]string{
	"okta.md":             "okta",
	"entra-id.md":         "entra",
	"onelogin.md":         "onelogin",
	"jumpcloud.md":        "jumpcloud",
	"keycloak.md":         "keycloak-scim (libre.sh / mitodl event-listener plugin)",
	"google-workspace.md": "google-workspace",
	"auth0.md":            "auth0",
}

// TestIdPGuidesHaveFixtures: every guide in docs/idp is backed by replayed
// requests of its identity provider, and the index links every guide, so
// that a guide cannot describe a set-up that no test exercises.
func TestIdPGuidesHaveFixtures(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "docs", "idp")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	index, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	scenarios := map[string]int{}
	for _, sc := range loadIdPFixtures(t) {
		scenarios[sc.IdP]++
	}
	var guides []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".md") || name == "README.md" {
			continue
		}
		guides = append(guides, name)
		idp, ok := idpGuides[name]
		if !ok {
			t.Errorf("docs/idp/%s: no identity provider in idpGuides; add it with the name its scenarios in testdata/idp use", name)
			continue
		}
		if scenarios[idp] == 0 {
			t.Errorf("docs/idp/%s: testdata/idp has no scenario of %q", name, idp)
		}
		if !strings.Contains(string(index), "("+name+")") {
			t.Errorf("docs/idp/README.md does not link %s", name)
		}
	}
	for name := range idpGuides {
		if !slices.Contains(guides, name) {
			t.Errorf("idpGuides names docs/idp/%s, which does not exist", name)
		}
	}
}

// TestAuth0Action runs the post-login Action of docs/idp/auth0.md, as the
// guide prints it, with Node against the server: a first login creates
// the user, a later one replaces it, matched by Auth0's user_id. Where
// node is not installed it is skipped; TestIdPFixtures replays the same
// requests everywhere.
func TestAuth0Action(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	action := codeBlock(t, filepath.Join("..", "..", "docs", "idp", "auth0.md"), "js")
	script := action + `
const login = (family) => exports.onExecutePostLogin({
  secrets: { SCIMD_BASE_URL: process.env.SCIMD_BASE_URL, SCIMD_TOKEN: process.env.SCIMD_TOKEN },
  user: { user_id: "auth0|65b0c0ffee", email: "ana.lima@example.com",
          given_name: "Ana", family_name: family, name: "Ana " + family },
});
(async () => { await login("Lima"); await login("Lima Souza"); })();
`
	file := filepath.Join(t.TempDir(), "action.js")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	cmd := exec.Command(node, file)
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1", "SCIMD_BASE_URL="+e.srv.URL+e.base, "SCIMD_TOKEN="+e.token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	// The Action logs what fails, and lets the login go on.
	if len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("the Action logged:\n%s", out)
	}
	res := e.must(http.StatusOK, http.MethodGet, e.base+"/Users?filter="+url.QueryEscape(`externalId eq "auth0|65b0c0ffee"`), nil)
	users, _ := res.body["Resources"].([]any)
	if len(users) != 1 {
		t.Fatalf("%d users with the Auth0 user_id, want 1: %s", len(users), res.raw)
	}
	u, _ := users[0].(map[string]any)
	for path, want := range map[string]any{
		"userName":        "ana.lima@example.com",
		"name.familyName": "Lima Souza",
		"displayName":     "Ana Lima Souza",
		"active":          true,
	} {
		if got := attrAt(u, path); got != want {
			t.Errorf("%s is %#v, want %#v", path, got, want)
		}
	}
}

// codeBlock returns the one fenced code block of a language in a
// Markdown file.
func codeBlock(t *testing.T, path, lang string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		blocks []string
		cur    strings.Builder
		in     bool
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && line == "```"+lang:
			in = true
			cur.Reset()
		case in && line == "```":
			in = false
			blocks = append(blocks, cur.String())
		case in:
			cur.WriteString(line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 1 {
		t.Fatalf("%s has %d %s code blocks, want 1", path, len(blocks), lang)
	}
	return blocks[0]
}
