package token_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/token"
)

func TestKindRoundTrip(t *testing.T) {
	h := token.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	ws := id.New(id.Workspace)
	for _, tt := range []struct {
		kind   token.Kind
		prefix string
	}{
		{token.App, "scimd_app_"},
		{token.APIKey, "scimd_key_"},
		{token.Session, "scimd_sess_"},
		{token.SetupLink, "scimd_setup_"},
	} {
		tok, hash, err := h.MintKind(tt.kind, ws)
		if err != nil {
			t.Fatalf("MintKind(%s): %v", tt.kind, err)
		}
		if !strings.HasPrefix(tok, tt.prefix) || tt.kind.Prefix() != tt.prefix {
			t.Errorf("%s: token %q, Prefix %q; want prefix %q", tt.kind, tok, tt.kind.Prefix(), tt.prefix)
		}
		kind, got, err := token.ParseKind(tok)
		if err != nil || kind != tt.kind || got != ws {
			t.Errorf("ParseKind(%s token) = %q, %q, %v; want %q, %q", tt.kind, kind, got, err, tt.kind, ws)
		}
		if !bytes.Equal(h.HashKind(tt.kind, ws, tok), hash) {
			t.Errorf("%s: hash is not reproducible", tt.kind)
		}
		again, _, _ := h.MintKind(tt.kind, ws)
		if again == tok {
			t.Errorf("%s: two mints gave the same token", tt.kind)
		}
	}
	if _, _, err := h.MintKind("password", ws); err == nil {
		t.Error("MintKind of an unknown kind succeeded")
	}
	if _, _, err := h.MintKind(token.App, "usr_"+ws[3:]); err == nil {
		t.Error("MintKind for a user id succeeded")
	}
}

// TestKindsStandApart checks that no secret can stand in for another:
// none parses as another kind, and the hash of each in the others'
// domains, or bound to another workspace or installation, differs.
func TestKindsStandApart(t *testing.T) {
	h := token.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	ws, other := id.New(id.Workspace), id.New(id.Workspace)
	scim, scimHash, err := h.Mint(ws)
	if err != nil {
		t.Fatal(err)
	}
	admin, adminHash := h.MintAdmin()
	type secret struct {
		kind token.Kind
		tok  string
		hash []byte
	}
	var secrets []secret
	for _, k := range []token.Kind{token.App, token.APIKey, token.Session, token.SetupLink} {
		tok, hash, err := h.MintKind(k, ws)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, secret{k, tok, hash})
	}

	for _, s := range secrets {
		if _, err := token.Parse(s.tok); err == nil {
			t.Errorf("a %s secret parses as a SCIM token", s.kind)
		}
		if err := token.ParseAdmin(s.tok); err == nil {
			t.Errorf("a %s secret parses as an admin token", s.kind)
		}
		if bytes.Equal(h.Hash(ws, s.tok), s.hash) || bytes.Equal(h.HashAdmin(s.tok), s.hash) {
			t.Errorf("a %s secret hashes the same as a SCIM or admin token", s.kind)
		}
		if bytes.Equal(h.HashKind(s.kind, other, s.tok), s.hash) {
			t.Errorf("a %s secret's hash does not depend on the workspace", s.kind)
		}
		if bytes.Equal(token.NewHasher([]byte("another installation's secret..")).HashKind(s.kind, ws, s.tok), s.hash) {
			t.Errorf("a %s secret's hash does not depend on the installation secret", s.kind)
		}
		for _, o := range secrets {
			if o.kind != s.kind && bytes.Equal(h.HashKind(o.kind, ws, s.tok), s.hash) {
				t.Errorf("a %s secret hashes the same as a %s", s.kind, o.kind)
			}
		}
	}
	for _, tok := range []string{scim, admin} {
		if _, _, err := token.ParseKind(tok); err == nil {
			t.Errorf("ParseKind(%.12s…) succeeded", tok)
		}
	}
	for _, k := range []token.Kind{token.App, token.APIKey, token.Session, token.SetupLink} {
		if bytes.Equal(h.HashKind(k, ws, scim), scimHash) || bytes.Equal(h.HashKind(k, ws, admin), adminHash) {
			t.Errorf("a SCIM or admin token hashes the same in the %s domain", k)
		}
	}
}

// TestHashKindIsHMAC checks the hash against crypto/hmac, with secrets
// shorter than, as long as, and longer than SHA-256's block.
func TestHashKindIsHMAC(t *testing.T) {
	ws := id.New(id.Workspace)
	for _, n := range []int{1, 32, 63, 64, 65, 200} {
		secret := bytes.Repeat([]byte{byte(n)}, n)
		h := token.NewHasher(secret)
		for _, k := range []token.Kind{token.App, token.APIKey, token.Session, token.SetupLink} {
			for _, tok := range []string{"", "scimd_key_short", strings.Repeat("x", 500)} {
				m := hmac.New(sha256.New, secret)
				m.Write([]byte(map[token.Kind]string{token.App: "scimd app token", token.APIKey: "scimd api key", token.Session: "scimd session", token.SetupLink: "scimd setup link"}[k]))
				m.Write([]byte{0})
				m.Write([]byte(ws))
				m.Write([]byte{0})
				m.Write([]byte(tok))
				if got, want := h.HashKind(k, ws, tok), m.Sum(nil); !bytes.Equal(got, want) {
					t.Errorf("secret of %d bytes, %s, token of %d bytes: hash %x, want %x", n, k, len(tok), got, want)
				}
			}
		}
	}
}

func TestParseKindMalformed(t *testing.T) {
	h := token.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	good, _, err := h.MintKind(token.APIKey, id.New(id.Workspace))
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{
		"",
		"scimd_key_",
		good[:len(good)-1],                     // truncated
		good + "A",                             // too long
		good[:len(good)-1] + "*",               // not base64url
		strings.Replace(good, "key", "kee", 1), // unknown prefix
		"SCIMD_KEY_" + good[len("scimd_key_"):],
	} {
		if kind, ws, err := token.ParseKind(tok); err == nil {
			t.Errorf("ParseKind(%q) = %q, %q; want an error", tok, kind, ws)
		}
	}
}

func BenchmarkParseHashKind(b *testing.B) {
	h := token.NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	tok, _, _ := h.MintKind(token.APIKey, id.New(id.Workspace))
	b.ReportAllocs()
	for b.Loop() {
		k, ws, err := token.ParseKind(tok)
		if err != nil {
			b.Fatal(err)
		}
		h.HashKind(k, ws, tok)
	}
}
