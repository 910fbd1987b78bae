package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// scimd serve --base-path /v1/auth/scim/v2 serves SCIM there, beside the
// application API under /v1, and every surface answers with a request id.
func TestServeBasePathUnderV1(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--base-path", "/v1/auth/scim/v2")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		method, path, token, body string
		status                    int
		contentType               string
	}{
		{"POST", "/v1/auth/scim/v2/Users", s.scim, `{"userName": "kim@example.com"}`, 201, "application/scim+json"},
		{"POST", "/v1/auth/scim/v2//Users/", s.scim, `{"userName": "lee@example.com"}`, 201, "application/scim+json"},
		{"GET", "/v1/auth/scim/v2/Users?filter=userName%20eq%20%22kim@example.com%22", s.scim, "", 200, "application/scim+json"},
		{"GET", "/v1/auth/scim/v2/ServiceProviderConfig", "", "", 200, "application/scim+json"},
		{"GET", "/v1/auth/scim/v2/../../verify", s.scim, "", 404, "application/scim+json"},
		{"POST", "/v1/verify", s.scim, `{"token": "nonsense"}`, 401, "application/json"},
		{"GET", "/admin/v1/workspaces", s.admin, "", 200, "application/json"},
	} {
		req, err := http.NewRequest(tt.method, s.url+tt.path, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		if tt.body != "" {
			req.Header.Set("Content-Type", tt.contentType)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.contentType {
			t.Errorf("%s %s: %d %s %s, want %d %s", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.status, tt.contentType)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s %s: no X-Request-Id", tt.method, tt.path)
		}
	}
	if logs := s.logs.String(); !strings.Contains(logs, "path=/admin/v1/workspaces status=200") || !strings.Contains(logs, "path=/v1/verify status=401") {
		t.Errorf("the log lacks the admin API's and the application API's requests:\n%s", logs)
	}
}

// TestBannerAtRootBasePath: with SCIM at the root, the banner's URL and
// curl line have no doubled slash.
func TestBannerAtRootBasePath(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--base-path", "/")
	out := s.out.String()
	if !strings.Contains(out, "serving SCIM 2.0 at "+s.url+" ") || !strings.Contains(out, s.url+"/Users\n") || strings.Contains(out, "//Users") {
		t.Errorf("banner with --base-path /:\n%s", out)
	}
}
