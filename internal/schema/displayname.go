package schema

import "strings"

// UserDisplayName returns the name to show for a user document: its
// displayName (RFC 7643 §4.1.1: "the name of the user, suitable for
// display"), else its givenName and familyName, else name.formatted, else
// "". Identity providers that send no displayName mostly send name.
func UserDisplayName(doc map[string]any) string {
	if s, _ := doc["displayName"].(string); s != "" {
		return s
	}
	name, _ := doc["name"].(map[string]any)
	given, _ := name["givenName"].(string)
	family, _ := name["familyName"].(string)
	if s := strings.TrimSpace(given + " " + family); s != "" {
		return s
	}
	s, _ := name["formatted"].(string)
	return s
}

// PrimaryEmail returns a user document's primary email address (RFC 7643
// §4.1.2: the one marked primary), else its first, else "".
func PrimaryEmail(doc map[string]any) string {
	list, _ := doc["emails"].([]any)
	first := ""
	for _, e := range list {
		m, _ := e.(map[string]any)
		v, _ := m["value"].(string)
		if p, _ := m["primary"].(bool); p && v != "" {
			return v
		}
		if first == "" {
			first = v
		}
	}
	return first
}
