// Package docs holds scimd's documentation; its test keeps the pages'
// links working and the README a front page.
package docs

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// maxReadmeLines keeps the README a front page: reference material goes
// to a page of docs/.
const maxReadmeLines = 250

// root is the repository, seen from this package.
const root = ".."

// linkRE finds inline Markdown links and images: [text](target).
var linkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// pages returns the Markdown files whose links are checked, relative to
// root: the README, the changelog, every page under docs/, and the
// READMEs of bench/ and examples/.
func pages(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "CHANGELOG.md", filepath.Join("bench", "README.md"), filepath.Join("examples", "README.md")}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// page is what the test needs of a Markdown file: its links, outside
// code blocks, and the anchors of its headings.
type page struct {
	links   []string
	anchors map[string]bool
	lines   int
}

func readPage(t *testing.T, path string) page {
	t.Helper()
	f, err := os.Open(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := page{anchors: map[string]bool{}}
	inCode := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		p.lines++
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode = !inCode
			continue
		}
		if inCode {
			continue
		}
		if h, ok := strings.CutPrefix(line, "#"); ok {
			p.anchors[anchor(strings.TrimLeft(h, "# "))] = true
		}
		for _, m := range linkRE.FindAllStringSubmatch(stripCodeSpans(line), -1) {
			p.links = append(p.links, m[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return p
}

// stripCodeSpans drops `code spans`, whose brackets are not links.
func stripCodeSpans(line string) string {
	var b strings.Builder
	in := false
	for _, r := range line {
		if r == '`' {
			in = !in
			continue
		}
		if !in {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchor is the fragment GitHub gives a heading: lower case, spaces as
// hyphens, and punctuation other than hyphens and underscores dropped.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestLinks: every relative link of the documentation names a file or
// directory that exists and, for a page, a heading that it has.
func TestLinks(t *testing.T) {
	t.Parallel()
	read := map[string]page{}
	get := func(path string) page {
		if p, ok := read[path]; ok {
			return p
		}
		p := readPage(t, path)
		read[path] = p
		return p
	}
	for _, from := range pages(t) {
		for _, link := range get(from).links {
			if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
				continue
			}
			target, frag, _ := strings.Cut(link, "#")
			path := from
			if target != "" {
				path = filepath.Join(filepath.Dir(from), target)
				if _, err := os.Stat(filepath.Join(root, path)); err != nil {
					t.Errorf("%s: link %q: %s does not exist", from, link, path)
					continue
				}
			}
			if frag != "" && strings.HasSuffix(path, ".md") && !get(path).anchors[frag] {
				t.Errorf("%s: link %q: %s has no heading with anchor #%s", from, link, path, frag)
			}
		}
	}
}

// TestReadmeIsAFrontPage: the README stays short enough to read; what
// it cannot say in that space belongs in docs/.
func TestReadmeIsAFrontPage(t *testing.T) {
	t.Parallel()
	if n := readPage(t, "README.md").lines; n > maxReadmeLines {
		t.Errorf("README.md has %d lines, more than %d: move reference material to a page of docs/ and link it", n, maxReadmeLines)
	}
}
