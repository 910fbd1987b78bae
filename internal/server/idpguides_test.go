package server_test

import (
	"os"
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
