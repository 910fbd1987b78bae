package idp

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGuides: every guide of the directory is one, with its provider's
// name, and the index is not.
func TestGuides(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	gs := Guides()
	if len(gs) != len(files)-1 {
		t.Fatalf("%d guides of %d files", len(gs), len(files))
	}
	for _, g := range gs {
		b, err := os.ReadFile(g.Key + ".md")
		if err != nil || string(b) != g.Text || g.Name == "" || g.Key == "README" {
			t.Errorf("guide %q (%s): %v", g.Key, g.Name, err)
		}
	}
	if gs[0].Name != "Auth0" {
		t.Errorf("first guide %q, want them by name", gs[0].Name)
	}
}
