package token_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/token"
)

func TestKindsAreApart(t *testing.T) {
	h := token.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	ws := id.New(id.Workspace)
	scim, scimHash, err := h.Mint(ws)
	if err != nil {
		t.Fatal(err)
	}
	admin, adminHash := h.MintAdmin()
	if !strings.HasPrefix(admin, token.AdminPrefix) || strings.HasPrefix(admin, token.Prefix) {
		t.Errorf("admin token %q", admin)
	}
	if err := token.ParseAdmin(admin); err != nil {
		t.Errorf("ParseAdmin(admin token): %v", err)
	}
	if got, err := token.Parse(scim); err != nil || got != ws {
		t.Errorf("Parse(SCIM token): %q, %v", got, err)
	}
	// Neither kind parses as the other.
	if _, err := token.Parse(admin); err == nil {
		t.Error("an admin token parses as a SCIM token")
	}
	if err := token.ParseAdmin(scim); err == nil {
		t.Error("a SCIM token parses as an admin token")
	}
	if err := token.ParseAdmin(token.AdminPrefix + "short"); err == nil {
		t.Error("a truncated admin token parses")
	}
	// Nor hashes as the other.
	if !bytes.Equal(h.HashAdmin(admin), adminHash) || !bytes.Equal(h.Hash(ws, scim), scimHash) {
		t.Error("hashes are not reproducible")
	}
	if bytes.Equal(h.HashAdmin(scim), scimHash) || bytes.Equal(h.Hash(ws, admin), adminHash) {
		t.Error("a token hashes the same in both domains")
	}
	other := token.NewHasher([]byte("another secret, another installation"))
	if bytes.Equal(other.HashAdmin(admin), adminHash) {
		t.Error("admin hashes do not depend on the installation secret")
	}
}

func TestKey(t *testing.T) {
	h := token.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	a, b := h.Key("console session"), h.Key("console flash")
	if len(a) != 32 || len(b) != 32 {
		t.Fatalf("key lengths %d, %d; want 32", len(a), len(b))
	}
	if !bytes.Equal(a, token.NewHasher([]byte("0123456789abcdef0123456789abcdef")).Key("console session")) {
		t.Error("a key differs between hashers of the same secret")
	}
	if bytes.Equal(a, b) {
		t.Error("keys of two purposes are equal")
	}
	if bytes.Equal(a, token.NewHasher([]byte("another secret, another installation")).Key("console session")) {
		t.Error("a key does not depend on the installation secret")
	}
}
