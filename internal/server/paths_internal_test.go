package server

import (
	"strings"
	"testing"
)

func TestCleanPath(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		path, base, want string
		ok               bool
	}{
		{"/scim/v2/Users", "/scim/v2", "/scim/v2/Users", true},
		{"/scim/v2/Users/", "/scim/v2", "/scim/v2/Users", true},
		{"/scim/v2//Users", "/scim/v2", "/scim/v2/Users", true},
		{"/scim/v2//Users//usr_1/", "/scim/v2", "/scim/v2/Users/usr_1", true},
		{"/scim/v2/.search", "/scim/v2", "/scim/v2/.search", true},
		{"/scim/v2/Users/.search/", "/scim/v2", "/scim/v2/Users/.search", true},
		{"/scim/v2/", "/scim/v2", "/scim/v2", true},
		{"/scim/v2/Users/../Groups", "/scim/v2", "", false},
		{"/scim/v2/./Users", "/scim/v2", "", false},
		{"/scim/v2/..", "/scim/v2", "", false},
		{"/healthz/", "/scim/v2", "/healthz/", true}, // not under the base path
		{"/scim/v20/Users/", "/scim/v2", "/scim/v20/Users/", true},
		{"//Users/", "", "/Users", true},
		{"/", "", "/", true},
		{"/Users/../x", "", "", false},
	} {
		got, ok := cleanPath(tt.path, tt.base)
		if got != tt.want || ok != tt.ok {
			t.Errorf("cleanPath(%q, %q) = %q, %v; want %q, %v", tt.path, tt.base, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzCleanPath checks that a cleaned path under the base path has no
// empty, . or .. segment and cleans to itself.
func FuzzCleanPath(f *testing.F) {
	for _, p := range []string{"/scim/v2/Users/", "/scim/v2//Users", "/scim/v2/a/../b", "/scim/v2/.search", "/x//y"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		const base = "/scim/v2"
		got, ok := cleanPath(path, base)
		under := strings.HasPrefix(path, base+"/") || path == base
		if !under {
			if got != path || !ok {
				t.Fatalf("cleanPath(%q) = %q, %v: changed a path outside the base path", path, got, ok)
			}
			return
		}
		if !ok {
			return
		}
		for i, seg := range strings.Split(got, "/")[1:] {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("cleanPath(%q) = %q: segment %d is %q", path, got, i+1, seg)
			}
		}
		if again, ok := cleanPath(got, base); again != got || !ok {
			t.Fatalf("cleanPath(%q) = %q, but that cleans to %q, %v", path, got, again, ok)
		}
	})
}
