package filter

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF    tokKind = iota
	tWord           // attribute path, operator, keyword, true, false or null
	tString         // JSON string; text is the decoded value
	tNumber         // JSON number; text is the literal
	tLParen         // (
	tRParen         // )
	tLBrack         // [
	tRBrack         // ]
	tSub            // ".name", as in emails[type eq "work"].value; text is the name
)

// token is a lexical token. pos and end are byte offsets into the filter.
type token struct {
	kind     tokKind
	pos, end int
	text     string
}

// lex splits a filter into tokens, ending with a tEOF token.
func lex(s string) ([]token, error) {
	toks := make([]token, 0, len(s)/4+1)
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			return append(toks, token{kind: tEOF, pos: i, end: i}), nil
		}
		start := i
		c := s[i]
		switch {
		case c == '(' || c == ')' || c == '[' || c == ']':
			i++
			toks = append(toks, token{kind: punct[c], pos: start, end: i, text: s[start:i]})
		case c == '"':
			v, n, err := lexString(s, start)
			if err != nil {
				return nil, err
			}
			if strings.IndexByte(v, 0) >= 0 {
				// No stored value can hold NUL (PostgreSQL text cannot).
				return nil, errAt(start, "string contains a NUL character")
			}
			i = n
			toks = append(toks, token{kind: tString, pos: start, end: i, text: v})
		case c == '-' || isDigit(c):
			// Take letters too, so that "12abc" is reported as one bad
			// number rather than a number followed by a word.
			i++
			for i < len(s) && (isWordChar(s[i]) || s[i] == '+') {
				i++
			}
			lit := s[start:i]
			if !isJSONNumber(lit) {
				return nil, errAt(start, "invalid number %q", lit)
			}
			if f, err := strconv.ParseFloat(lit, 64); err != nil && math.IsInf(f, 0) {
				return nil, errAt(start, "number %s is out of range", lit)
			}
			toks = append(toks, token{kind: tNumber, pos: start, end: i, text: lit})
		case c == '.':
			i++
			for i < len(s) && isWordChar(s[i]) {
				i++
			}
			if i == start+1 {
				return nil, errAt(start, "expected a sub-attribute name after \".\"")
			}
			toks = append(toks, token{kind: tSub, pos: start, end: i, text: s[start+1 : i]})
		case isWordStart(c):
			for i < len(s) && isWordChar(s[i]) {
				i++
			}
			toks = append(toks, token{kind: tWord, pos: start, end: i, text: s[start:i]})
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return nil, errAt(start, "unexpected character %q", r)
		}
	}
}

var punct = [256]tokKind{'(': tLParen, ')': tRParen, '[': tLBrack, ']': tRBrack}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// isWordStart reports whether c can start an attribute path or keyword:
// ATTRNAME starts with ALPHA (RFC 7644 §3.4.2.2, Figure 1), and "$ref"
// (RFC 7643 §2.3.7) with "$".
func isWordStart(c byte) bool { return isAlpha(c) || c == '$' }

// isWordChar reports whether c can continue a word. Besides nameChar this
// admits the "." of subAttr and the ":" and "." of schema URNs
// ("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName").
func isWordChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '_' || c == '$' || c == '.' || c == ':'
}

// isName reports whether s is an ATTRNAME (or "$ref"-like name).
func isName(s string) bool {
	if s == "" || !isWordStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' && c != '$' {
			return false
		}
	}
	return true
}

// isJSONNumber reports whether s is a number as defined by RFC 8259 §6.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i == len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i == len(s)
}

// lexString decodes the JSON string (RFC 8259 §7) that starts with the quote
// at s[start], returning its value and the offset after the closing quote.
func lexString(s string, start int) (string, int, error) {
	i := start + 1
	// Fast path: no escapes.
	for i < len(s) && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20 {
		i++
	}
	if i < len(s) && s[i] == '"' {
		return s[start+1 : i], i + 1, nil
	}
	var b strings.Builder
	b.WriteString(s[start+1 : i])
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), i + 1, nil
		case c < 0x20:
			return "", 0, errAt(i, "control character %q in string; escape it", rune(c))
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 == len(s) {
			break
		}
		esc := i
		i += 2
		switch s[i-1] {
		case '"', '\\', '/':
			b.WriteByte(s[i-1])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(s, i)
			if !ok {
				return "", 0, errAt(esc, "invalid escape in string: \\u needs four hex digits")
			}
			i += 4
			if 0xD800 <= r && r < 0xDC00 {
				// A UTF-16 surrogate pair encodes one rune.
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2, ok := hex4(s, i+2); ok && 0xDC00 <= r2 && r2 < 0xE000 {
						r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
						i += 6
					}
				}
			}
			if 0xD800 <= r && r < 0xE000 {
				r = utf8.RuneError // a lone surrogate, as encoding/json does
			}
			b.WriteRune(r)
		default:
			r, _ := utf8.DecodeRuneInString(s[i-1:])
			return "", 0, errAt(esc, "invalid escape \\%c in string", r)
		}
	}
	return "", 0, errAt(start, "unterminated string")
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case isDigit(c):
			r = r<<4 | rune(c-'0')
		case 'a' <= c|0x20 && c|0x20 <= 'f':
			r = r<<4 | rune(c|0x20-'a'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
