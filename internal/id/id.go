// Package id mints the opaque identifiers of scimd's objects: a type prefix
// and 80 random bits, e.g. "usr_5xq2m7kd3c9wefha".
package id

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// Prefixes of the identifiers scimd mints.
const (
	Workspace = "ws_"
	User      = "usr_"
	Group     = "grp_"
	Token     = "tok_"
	// Credentials are users' API keys and sessions.
	Credential = "cred_"
	// Events are entries of a workspace's outbox.
	Event = "evt_"
	// Webhooks are endpoints that receive a workspace's events, and
	// deliveries are the sending of one event to one webhook.
	Webhook  = "wh_"
	Delivery = "dlv_"
	// Request ids are made for requests that came without a correlation
	// id of their own.
	Request = "req_"
)

// Size is the number of random bytes in an identifier.
const Size = 10

// Encoding is lower-case base32 without padding: 10 bytes make 16 letters
// and digits, safe in URLs and easy to read aloud.
var Encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// New returns a new identifier with the given prefix.
func New(prefix string) string {
	var b [Size]byte
	rand.Read(b[:])
	return prefix + Encoding.EncodeToString(b[:])
}

// Bytes returns the random part of an identifier with the given prefix.
func Bytes(prefix, s string) ([]byte, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return nil, false
	}
	b, err := Encoding.DecodeString(rest)
	if err != nil || len(b) != Size {
		return nil, false
	}
	return b, true
}
