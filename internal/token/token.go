// Package token mints SCIM bearer tokens and computes the keyed hashes that
// are all scimd stores of them.
//
// A token is "scim_" followed by the base64url encoding of the workspace's
// 10-byte id and 32 random bytes (256 bits). Carrying the workspace lets the
// hash be bound to it: the stored hash is HMAC-SHA256 under the
// installation's secret of the workspace id and the token, looked up by
// (workspace, hash). A token is therefore useless against another
// installation or another workspace, and a database row moved between
// workspaces stops matching.
//
// An admin token, for the installation's administration rather than a
// workspace's SCIM endpoints, is "scimd_admin_" followed by 32 random
// bytes in base64url, hashed in a domain of its own: neither kind parses,
// or hashes, as the other, so neither can stand in for the other.
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

// Prefix starts every SCIM token, so that secret scanners can find leaked
// ones.
const Prefix = "scim_"

const randomSize = 32

// ErrMalformed is returned for a string that is not a scimd SCIM token.
var ErrMalformed = errors.New("malformed token")

// Hasher hashes tokens under an installation's secret.
type Hasher struct {
	key []byte
}

// NewHasher returns a Hasher for the installation secret. The secret should
// be at least 32 random bytes.
func NewHasher(secret []byte) *Hasher {
	return &Hasher{key: append([]byte(nil), secret...)}
}

// Mint returns a new token for the workspace and its hash.
func (h *Hasher) Mint(workspaceID string) (string, []byte, error) {
	ws, ok := id.Bytes(id.Workspace, workspaceID)
	if !ok {
		return "", nil, errors.New("token: bad workspace id " + workspaceID)
	}
	raw := make([]byte, 0, len(ws)+randomSize)
	raw = append(raw, ws...)
	raw = raw[:len(ws)+randomSize]
	rand.Read(raw[len(ws):])
	tok := Prefix + base64.RawURLEncoding.EncodeToString(raw)
	return tok, h.Hash(workspaceID, tok), nil
}

// Parse returns the workspace a token claims to belong to. Only a hash
// lookup tells whether the token is real.
func Parse(tok string) (workspaceID string, err error) {
	rest, ok := strings.CutPrefix(tok, Prefix)
	if !ok {
		return "", ErrMalformed
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(raw) != id.Size+randomSize {
		return "", ErrMalformed
	}
	return id.Workspace + id.Encoding.EncodeToString(raw[:id.Size]), nil
}

// Hash returns the keyed hash of tok bound to the workspace.
func (h *Hasher) Hash(workspaceID, tok string) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte("scimd scim token\x00"))
	m.Write([]byte(workspaceID))
	m.Write([]byte{0})
	m.Write([]byte(tok))
	return m.Sum(nil)
}

// AdminPrefix starts every admin token.
const AdminPrefix = "scimd_admin_"

// MintAdmin returns a new admin token and its hash.
func (h *Hasher) MintAdmin() (string, []byte) {
	raw := make([]byte, randomSize)
	rand.Read(raw)
	tok := AdminPrefix + base64.RawURLEncoding.EncodeToString(raw)
	return tok, h.HashAdmin(tok)
}

// ParseAdmin checks that tok has the form of an admin token. Only a hash
// lookup tells whether the token is real.
func ParseAdmin(tok string) error {
	rest, ok := strings.CutPrefix(tok, AdminPrefix)
	if !ok {
		return ErrMalformed
	}
	if raw, err := base64.RawURLEncoding.DecodeString(rest); err != nil || len(raw) != randomSize {
		return ErrMalformed
	}
	return nil
}

// HashAdmin returns the keyed hash of an admin token.
func (h *Hasher) HashAdmin(tok string) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte("scimd admin token\x00"))
	m.Write([]byte(tok))
	return m.Sum(nil)
}

// Key returns a 32-byte key for purpose, derived from the installation
// secret: HMAC-SHA256 of "scimd key", a zero byte and purpose. Keys of
// different purposes are independent of each other and of every token
// hash, whose domains never start with "scimd key\x00", so a key can
// neither be used to forge a token hash nor be learnt from one. Being
// derived, a key is the same on every replica and across restarts.
func (h *Hasher) Key(purpose string) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte("scimd key\x00"))
	m.Write([]byte(purpose))
	return m.Sum(nil)
}
