package audit

import "testing"

func TestIdentityProvider(t *testing.T) {
	for ua, want := range map[string]string{
		"Okta SCIM Client 1.0.0":               "okta",
		"Microsoft Azure AD SCIM provisioning": "entra",
		"OneLogin SCIM":                        "onelogin",
		"Google-Auto-Provisioning":             "google",
		"JumpCloud SCIM":                       "jumpcloud",
		"Keycloak/26.0":                        "keycloak",
		"curl/8.5.0":                           "other",
		"":                                     "other",
	} {
		if got := IdentityProvider(ua); got != want {
			t.Errorf("IdentityProvider(%q) = %q, want %q", ua, got, want)
		}
	}
}
