// Package idp holds the identity-provider guides of this directory, for
// the set-up page that shows them to a customer's IT administrator: the
// guides are written once, here, for both the repository and the page.
package idp

import (
	"embed"
	"io/fs"
	"slices"
	"strings"
)

//go:embed *.md
var files embed.FS

// Guide is the set-up guide of one identity provider.
type Guide struct {
	// Key names it in URLs: its file's name without .md, e.g. "okta".
	Key string
	// Name is the provider's, from the guide's title.
	Name string
	// Text is the guide in Markdown.
	Text string
}

// Guides returns every provider's guide, by name; the index (README.md)
// is not one.
func Guides() []Guide {
	names, _ := fs.Glob(files, "*.md")
	var gs []Guide
	for _, n := range names {
		if n == "README.md" {
			continue
		}
		b, _ := files.ReadFile(n)
		text := string(b)
		title, _, _ := strings.Cut(text, "\n")
		gs = append(gs, Guide{Key: strings.TrimSuffix(n, ".md"), Name: strings.TrimPrefix(title, "# "), Text: text})
	}
	slices.SortFunc(gs, func(a, b Guide) int { return strings.Compare(a.Name, b.Name) })
	return gs
}
