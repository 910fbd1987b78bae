package audit

import "bytes"

// idps are the identity providers told apart, in metrics and in the
// console, each with the words of its User-Agent that name it, in lower
// case.
var idps = []struct {
	name  string
	words [][]byte
}{
	{"okta", [][]byte{[]byte("okta")}},
	{"entra", [][]byte{[]byte("microsoft"), []byte("azure"), []byte("entra")}},
	{"onelogin", [][]byte{[]byte("onelogin")}},
	{"google", [][]byte{[]byte("google")}},
	{"jumpcloud", [][]byte{[]byte("jumpcloud")}},
	{"keycloak", [][]byte{[]byte("keycloak")}},
}

// IdentityProvider names the identity provider that sent a User-Agent:
// okta, entra, onelogin, google, jumpcloud, keycloak, or else "other".
// Only the start of the User-Agent is read, where products name
// themselves, so that lower-casing it needs no allocation.
func IdentityProvider(ua string) string {
	var buf [128]byte
	low := buf[:min(len(ua), len(buf))]
	for i := range low {
		c := ua[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	for _, p := range idps {
		for _, w := range p.words {
			if bytes.Contains(low, w) {
				return p.name
			}
		}
	}
	return "other"
}
