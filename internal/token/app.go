package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/scimd/scimd/internal/id"
)

// Kind is a kind of secret that belongs to a workspace other than its
// SCIM token: the application's own token, its users' API keys and
// sessions, and the links that open its set-up page.
//
// Each is a prefix followed by the base64url encoding of the workspace's
// id and 32 random bytes, like a SCIM token, and each is hashed in a
// domain of its own bound to the workspace: no kind parses, or hashes, as
// another, so none can stand in for another.
type Kind string

// Kinds of secret, named as the store names what they are kept as.
const (
	// App authenticates an application to the application API of its
	// workspace; stored as a token of kind "app".
	App Kind = "app"
	// APIKey is a long-lived key a user's programs use; stored as a
	// credential of kind "api_key".
	APIKey Kind = "api_key"
	// Session is a signed-in user's session; stored as a credential of
	// kind "session".
	Session Kind = "session"
	// SetupLink opens a workspace's set-up page to a customer's IT
	// administrator, who sees the workspace's SCIM base URL and mints
	// its SCIM token there; stored as a token of kind "setup".
	SetupLink Kind = "setup"
)

// Prefixes of the kinds, so that secret scanners can find leaked ones and
// people can tell them apart.
const (
	AppPrefix     = "scimd_app_"
	APIKeyPrefix  = "scimd_key_"
	SessionPrefix = "scimd_sess_"
	SetupPrefix   = "scimd_setup_"
)

// kinds lists every Kind with its prefix and hash domain.
var kinds = [...]struct {
	kind   Kind
	prefix string
	domain string
}{
	{App, AppPrefix, "scimd app token\x00"},
	{APIKey, APIKeyPrefix, "scimd api key\x00"},
	{Session, SessionPrefix, "scimd session\x00"},
	{SetupLink, SetupPrefix, "scimd setup link\x00"},
}

// Prefix returns the prefix of the kind's secrets, or "" for an unknown
// kind.
func (k Kind) Prefix() string {
	for _, d := range kinds {
		if d.kind == k {
			return d.prefix
		}
	}
	return ""
}

func (k Kind) domain() string {
	for _, d := range kinds {
		if d.kind == k {
			return d.domain
		}
	}
	return ""
}

// MintKind returns a new secret of the kind for the workspace and its
// hash.
func (h *Hasher) MintKind(k Kind, workspaceID string) (string, []byte, error) {
	prefix := k.Prefix()
	if prefix == "" {
		return "", nil, errors.New("token: unknown kind " + string(k))
	}
	ws, ok := id.Bytes(id.Workspace, workspaceID)
	if !ok {
		return "", nil, errors.New("token: bad workspace id " + workspaceID)
	}
	raw := make([]byte, len(ws)+randomSize)
	copy(raw, ws)
	rand.Read(raw[len(ws):])
	tok := prefix + base64.RawURLEncoding.EncodeToString(raw)
	return tok, h.HashKind(k, workspaceID, tok), nil
}

// ParseKind returns the kind of a secret and the workspace it claims to
// belong to. Only a hash lookup tells whether the secret is real.
func ParseKind(tok string) (Kind, string, error) {
	for _, d := range kinds {
		rest, ok := strings.CutPrefix(tok, d.prefix)
		if !ok {
			continue
		}
		if len(rest) != encodedLen {
			return "", "", ErrMalformed
		}
		// Decoded in arrays, on the stack: secrets are parsed on every
		// request that carries one.
		var src [encodedLen]byte
		var raw [id.Size + randomSize]byte
		copy(src[:], rest)
		if _, err := base64.RawURLEncoding.Decode(raw[:], src[:]); err != nil {
			return "", "", ErrMalformed
		}
		var ws [len(id.Workspace) + idEncodedLen]byte
		copy(ws[:], id.Workspace)
		id.Encoding.Encode(ws[len(id.Workspace):], raw[:id.Size])
		return d.kind, string(ws[:]), nil
	}
	return "", "", ErrMalformed
}

const (
	// encodedLen is the length of a secret after its prefix: 42 bytes
	// in base64url without padding.
	encodedLen = ((id.Size+randomSize)*8 + 5) / 6
	// idEncodedLen is the length of an id after its prefix.
	idEncodedLen = (id.Size*8 + 4) / 5
)

// HashKind returns the keyed hash of a secret of the kind, bound to the
// workspace: HMAC-SHA256 under the installation secret of the kind's
// domain, the workspace id, a zero byte and the secret.
func (h *Hasher) HashKind(k Kind, workspaceID, tok string) []byte {
	sum := h.hashKind(k, workspaceID, tok)
	return sum[:]
}

// hashKind computes the HMAC of RFC 2104 in arrays rather than through
// crypto/hmac, which allocates some ten objects a call: secrets are
// hashed on every request that carries one. A message too long for the
// arrays, which no secret of this package is, takes crypto/hmac.
func (h *Hasher) hashKind(k Kind, workspaceID, tok string) [sha256.Size]byte {
	const block = 64 // SHA-256's block size
	domain := k.domain()
	var msg [block + 192]byte
	n := block + len(domain) + len(workspaceID) + 1 + len(tok)
	if n > len(msg) || len(h.key) > block {
		m := hmac.New(sha256.New, h.key)
		m.Write([]byte(domain))
		m.Write([]byte(workspaceID))
		m.Write([]byte{0})
		m.Write([]byte(tok))
		var sum [sha256.Size]byte
		m.Sum(sum[:0])
		return sum
	}
	// Inner: H((K ^ ipad) || message).
	copy(msg[:], h.key) // keys up to a block are zero-padded
	for i := range block {
		msg[i] ^= 0x36
	}
	p := block
	p += copy(msg[p:], domain)
	p += copy(msg[p:], workspaceID)
	msg[p] = 0
	p++
	p += copy(msg[p:], tok)
	inner := sha256.Sum256(msg[:p])
	// Outer: H((K ^ opad) || inner).
	var outer [block + sha256.Size]byte
	copy(outer[:], h.key)
	for i := range block {
		outer[i] ^= 0x5c
	}
	copy(outer[block:], inner[:])
	return sha256.Sum256(outer[:])
}
