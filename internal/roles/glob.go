package roles

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxPatternLength bounds a group pattern, so that matching one against a
// group's name stays cheap.
const MaxPatternLength = 1024

// pattern is a group pattern folded for matching: a displayName or path
// to compare exactly, or a glob.
type pattern struct {
	text string // strings.ToLower of the pattern as written
	glob bool   // text has * or ?
}

// compilePattern checks a pattern and folds it. Only * and ? are special,
// so that a group named "Sales [EU]" or "CORP\Admins" can be named as it
// is.
func compilePattern(s string) (pattern, error) {
	switch {
	case s == "":
		return pattern{}, fmt.Errorf("is empty; name a group, or use * to match every group")
	case len(s) > MaxPatternLength:
		return pattern{}, fmt.Errorf("is %d bytes long, more than %d", len(s), MaxPatternLength)
	case !utf8.ValidString(s):
		return pattern{}, fmt.Errorf("%q is not valid UTF-8", s)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return pattern{}, fmt.Errorf("%q contains a control character", s)
	}
	return foldPattern(s), nil
}

func foldPattern(s string) pattern {
	return pattern{text: strings.ToLower(s), glob: strings.ContainsAny(s, "*?")}
}

// match reports whether name, already folded with strings.ToLower, matches
// the pattern. Folding both sides with strings.ToLower, as the filter
// package does, makes the comparison case-insensitive.
func (p pattern) match(name string) bool {
	if !p.glob {
		return p.text == name
	}
	return globMatch(p.text, name)
}

// globMatch reports whether name matches the glob pat, in which * matches
// any run of characters, "/" included, and ? any one character. It
// backtracks only to the last *, so it takes at most
// len(pat)*len(name) steps and never recurses.
func globMatch(pat, name string) bool {
	px, nx := 0, 0
	// Where to resume after a mismatch: the last * and the position in
	// name just after what it has absorbed so far. nextNx 0 means no *
	// has been seen.
	nextPx, nextNx := 0, 0
	for px < len(pat) || nx < len(name) {
		if px < len(pat) {
			switch c := pat[px]; c {
			case '*':
				nextPx = px
				nextNx = len(name) + 1
				if nx < len(name) {
					_, n := utf8.DecodeRuneInString(name[nx:])
					nextNx = nx + n
				}
				px++
				continue
			case '?':
				if nx < len(name) {
					_, n := utf8.DecodeRuneInString(name[nx:])
					px++
					nx += n
					continue
				}
			default:
				if nx < len(name) && name[nx] == c {
					px++
					nx++
					continue
				}
			}
		}
		if 0 < nextNx && nextNx <= len(name) {
			px, nx = nextPx, nextNx
			continue
		}
		return false
	}
	return true
}
