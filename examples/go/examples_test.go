// The tests of this module run scimd as it is installed, the scimd binary
// over SQLite, and use it as applications do: from this module, outside
// scimd's, with package client; and with the Node and Python examples.
package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/scimd/scimd/client"
)

// The running scimd, with the workspace acme.
var (
	scimdURL  string
	scimToken string
	appToken  string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "scimd-examples")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stop, err := startScimd(dir)
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
		stop()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// startScimd builds scimd from this repository, makes the workspace acme
// with the command line, and serves it.
func startScimd(dir string) (stop func(), err error) {
	bin := filepath.Join(dir, "scimd")
	build := exec.Command("go", "build", "-o", bin, "./cmd/scimd")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/scimd: %v\n%s", err, out)
	}
	db := "sqlite:" + filepath.Join(dir, "scimd.db")
	scimd := func(args ...string) (string, error) {
		out, err := exec.Command(bin, append(args, "--db", db)...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("scimd %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return strings.TrimSpace(lines[len(lines)-1]), nil // the token, alone on the last line
	}
	if _, err := scimd("workspace", "create", "acme"); err != nil {
		return nil, err
	}
	if scimToken, err = scimd("token", "create", "--workspace", "acme", "--name", "idp"); err != nil {
		return nil, err
	}
	if appToken, err = scimd("app-token", "create", "--workspace", "acme", "--name", "app"); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	serve := exec.Command(bin, "serve", "--addr", addr, "--db", db)
	serve.Stdout, serve.Stderr = io.Discard, &stderr
	if err := serve.Start(); err != nil {
		return nil, err
	}
	stop = func() {
		serve.Process.Signal(os.Interrupt)
		serve.Wait()
	}
	scimdURL = "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Get(scimdURL + "/scim/v2/ServiceProviderConfig"); err == nil {
			resp.Body.Close()
			return stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("scimd serve did not answer within 30s:\n%s", &stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// scim sends a SCIM request as the identity provider and returns the
// answer's JSON.
func scim(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, scimdURL+"/scim/v2"+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+scimToken)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %v %v", method, path, resp.StatusCode, out, err)
	}
	return out
}

func createUser(t *testing.T, userName string) string {
	t.Helper()
	return scim(t, "POST", "/Users", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName, "active": true,
	})["id"].(string)
}

func setActive(t *testing.T, id string, active bool) {
	t.Helper()
	scim(t, "PATCH", "/Users/"+id, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "value": map[string]any{"active": active}}},
	})
}

func newClient(t *testing.T, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(scimdURL, appToken, append(opts, client.WithWorkspace("acme"))...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestVerifyAfterDeactivation verifies a key as valid and, once the
// identity provider deactivates its user, as not: with Verify, and with
// the cached middleware, which learns of it from the event feed.
func TestVerifyAfterDeactivation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newClient(t, client.WithCache(time.Hour))
	go c.Watch(ctx)
	plain := newClient(t)
	id := createUser(t, "ada@acme.test")
	k, err := c.IssueAPIKey(ctx, id, "laptop", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := plain.Verify(ctx, k.Secret)
	if err != nil || !v.Valid || v.User.ID != id || v.User.UserName != "ada@acme.test" || !v.User.Active {
		t.Fatalf("before deactivation: %+v, %v", v, err)
	}
	h := c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := client.UserFrom(r.Context())
		io.WriteString(w, u.UserName)
	}))
	get := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+k.Secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := get(); w.Code != http.StatusOK || w.Body.String() != "ada@acme.test" {
		t.Fatalf("through the middleware: %d %s", w.Code, w.Body)
	}

	setActive(t, id, false)
	if v, err := plain.Verify(ctx, k.Secret); err != nil || v.Valid {
		t.Errorf("after deactivation: %+v, %v", v, err)
	}
	for deadline := time.Now().Add(10 * time.Second); get().Code != http.StatusUnauthorized; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the cached middleware still lets the deactivated user's key through")
		}
	}
}

// run runs a program of the examples, with the server in its
// environment, and returns its output and exit code.
func run(t *testing.T, dir string, env []string, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append(env, "SCIMD_URL="+scimdURL, "SCIMD_APP_TOKEN="+appToken, "SCIMD_WORKSPACE=acme")...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return strings.TrimSpace(string(out)), code
}

// need returns the path of a program the examples need, skipping the
// test without it unless in CI, which installs it.
func need(t *testing.T, program string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed", program)
		}
		t.Skipf("%s is not installed", program)
	}
	return p
}

// TestExamples runs each language's verify and feed examples against the
// server, and sends its webhook receiver a webhook signed as scimd signs
// them, by the Standard Webhooks library.
func TestExamples(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	bob := createUser(t, "bob@acme.test")
	k, err := c.IssueAPIKey(ctx, bob, "ci", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := c.IssueAPIKey(ctx, bob, "old", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RevokeAPIKey(ctx, bob, revoked.ID); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin, "./verify")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./verify: %v\n%s", err, out)
	}

	for _, lang := range []struct {
		name, dir           string
		program             func(t *testing.T) string
		verify, feed, hooks []string
	}{
		{"go", ".", func(*testing.T) string { return filepath.Join(bin, "verify") }, nil, nil, nil},
		{"node", "../node", func(t *testing.T) string { return need(t, "node") }, []string{"verify.mjs"}, []string{"feed.mjs"}, []string{"webhook.mjs"}},
		{"python", "../python", func(t *testing.T) string { return need(t, "python3") }, []string{"verify.py"}, []string{"feed.py"}, []string{"webhook.py"}},
	} {
		t.Run(lang.name, func(t *testing.T) {
			prog := lang.program(t)
			want := fmt.Sprintf("valid: bob@acme.test (%s), roles [viewer], groups []", bob)
			if out, code := run(t, lang.dir, nil, prog, append(lang.verify, k.Secret)...); code != 0 || out != want {
				t.Errorf("verify a valid key: exit %d, %q; want %q", code, out, want)
			}
			if out, code := run(t, lang.dir, nil, prog, append(lang.verify, revoked.Secret)...); code != 1 || out != "not valid: revoked" {
				t.Errorf("verify a revoked key: exit %d, %q", code, out)
			}
			if lang.feed == nil {
				return
			}
			cursor := filepath.Join(t.TempDir(), "cursor")
			out, code := run(t, lang.dir, []string{"SCIMD_FEED_COUNT=3"}, prog, append(lang.feed, cursor)...)
			if lines := strings.Split(out, "\n"); code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "1 token.created ") || !strings.HasPrefix(lines[2], "3 ") {
				t.Errorf("feed: exit %d\n%s", code, out)
			}
			// It resumes from the cursor it saved.
			out, code = run(t, lang.dir, []string{"SCIMD_FEED_COUNT=1"}, prog, append(lang.feed, cursor)...)
			if code != 0 || !strings.HasPrefix(out, "4 ") {
				t.Errorf("feed resumed: exit %d\n%s", code, out)
			}
			testReceiver(t, lang.dir, prog, lang.hooks...)
		})
	}
}

// testReceiver starts a webhook receiver and sends it a webhook signed
// with its secret, then one signed with another.
func testReceiver(t *testing.T, dir, prog string, args ...string) {
	if strings.HasSuffix(args[0], ".mjs") {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "standardwebhooks")); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("examples/node needs npm ci")
			}
			t.Skip("examples/node needs npm ci")
		}
	}
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SCIMD_WEBHOOK_SECRET="+secret, "PORT="+port)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	if l := <-lines; !strings.HasPrefix(l, "listening on") {
		t.Fatalf("receiver says %q", l)
	}

	body := []byte(`{"type":"user.deactivated","timestamp":"2026-06-01T12:00:00Z","data":{"eventId":"evt_1","seq":7,"subject":"usr_1","workspace":"acme","user":{"id":"usr_1","active":false}}}`)
	send := func(secret string) int {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		sig, err := wh.Sign("evt_1", now, body)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", "http://"+addr+"/webhooks/scimd", bytes.NewReader(body))
		req.Header.Set("webhook-id", "evt_1")
		req.Header.Set("webhook-timestamp", fmt.Sprint(now.Unix()))
		req.Header.Set("webhook-signature", sig)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := send(secret); status != http.StatusNoContent {
		t.Errorf("a webhook signed with the secret: %d, want 204", status)
	} else if l := <-lines; l != "user.deactivated usr_1" {
		t.Errorf("receiver printed %q", l)
	}
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another secret of 32 bytes......"))
	if status := send(other); status != http.StatusUnauthorized {
		t.Errorf("a webhook signed with another secret: %d, want 401", status)
	}
}
