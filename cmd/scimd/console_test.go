package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestConsoleServed: scimd serve serves the admin console wherever it
// serves the admin API, and the console shows the SCIM endpoints' base
// URL for identity providers.
func TestConsoleServed(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"SCIM listener", nil},
		{"admin listener", []string{"--admin-addr", "127.0.0.1:0"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			db := "sqlite:" + filepath.Join(t.TempDir(), "scimd.db")
			var out, logs lockedBuffer
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, tt.args...), &out, &logs)
			}()
			banner := regexp.MustCompile(`serving SCIM 2\.0 at (\S+) [\s\S]*the console at (\S+)/admin/ \(shown once[^)]*\):\s+(scimd_admin_\S+)`)
			var m []string
			for deadline := time.Now().Add(patience); m == nil; time.Sleep(10 * time.Millisecond) {
				m = banner.FindStringSubmatch(out.String())
				if time.Now().After(deadline) {
					t.Fatalf("no banner:\n%s\n%s", out.String(), logs.String())
				}
			}
			scimBase, bannerConsole, adminToken := m[1], m[2], m[3]
			scimRoot := strings.TrimSuffix(scimBase, "/scim/v2")
			consoleRoot := scimRoot
			if tt.args != nil {
				am := regexp.MustCompile(`admin API at (http://\S+)/admin/v1, its console at (http://\S+)/admin/ and metrics at /metrics\n`).FindStringSubmatch(out.String())
				if am == nil || am[1] != am[2] {
					t.Fatalf("no admin listener in the banner:\n%s", out.String())
				}
				consoleRoot = am[2]
				if resp, err := http.Get(scimRoot + "/admin/login"); err != nil {
					t.Error(err)
				} else if resp.Body.Close(); resp.StatusCode != http.StatusNotFound {
					t.Errorf("the SCIM listener serves the console with --admin-addr: %s", resp.Status)
				}
			}
			if bannerConsole != consoleRoot {
				t.Errorf("the banner names the console at %s/admin/, want %s/admin/", bannerConsole, consoleRoot)
			}

			jar, _ := cookiejar.New(nil)
			client := &http.Client{Jar: jar}
			resp, err := client.PostForm(consoleRoot+"/admin/login", url.Values{"token": {adminToken}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/admin/" {
				t.Fatalf("sign-in: %s at %s, want 200 at /admin/", resp.Status, resp.Request.URL)
			}
			resp, err = client.Get(consoleRoot + "/admin/workspaces/default")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `<code class="copy">`+scimBase+`</code>`) {
				t.Errorf("workspace page: %s, want 200 with the SCIM base URL %s:\n%s", resp.Status, scimBase, body)
			}
			// The admin API is still there, beside it.
			req, _ := http.NewRequest("GET", consoleRoot+"/admin/v1/workspaces", nil)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			if resp, err := http.DefaultClient.Do(req); err != nil {
				t.Error(err)
			} else if resp.Body.Close(); resp.StatusCode != http.StatusOK {
				t.Errorf("admin API: %s", resp.Status)
			}

			cancel()
			if err := <-done; err != nil {
				t.Fatalf("serve: %v\n%s", err, logs.String())
			}
		})
	}
}
