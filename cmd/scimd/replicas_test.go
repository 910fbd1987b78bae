package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/pgtest"
)

// runMainEnv, when set, makes the test binary run as the scimd command, so
// that tests start real scimd processes without a toolchain or a build.
const runMainEnv = "SCIMD_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testDB returns the URL of a new, empty schema in the test database,
// dropped when t ends.
func testDB(t *testing.T) string {
	t.Helper()
	base, name := pgtest.Schema(t)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// scimd tells PostgreSQL from SQLite by the URL's scheme.
		t.Fatalf("SCIMD_TEST_POSTGRES must be a postgres:// URL for scimd's --db")
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// scimdEnv is the environment of scimd processes run by the tests.
func scimdEnv(secret string) []string {
	return append(os.Environ(), runMainEnv+"=1", "SCIMD_SECRET="+secret)
}

// replica is a running "scimd serve".
type replica struct {
	cmd    *exec.Cmd
	url    string // the SCIM base URL it printed
	stderr *bytes.Buffer
	done   chan struct{} // closed when the process has exited
	err    error         // from Wait, once done
}

var bannerRE = regexp.MustCompile(`^scimd is serving SCIM 2\.0 at (\S+) `)

// startReplica starts "scimd serve" on a port of its choosing. The
// channel receives nil once it serves, or why it did not.
func startReplica(t *testing.T, dbURL, secret string) (*replica, <-chan error) {
	t.Helper()
	r := &replica{stderr: new(bytes.Buffer), done: make(chan struct{})}
	r.cmd = exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--db", dbURL, "--log-format", "text")
	r.cmd.Env = scimdEnv(secret)
	r.cmd.Stderr = r.stderr
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan error, 1)
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := bannerRE.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
		io.Copy(io.Discard, stdout) // a line too long for the scanner
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	go func() {
		select {
		case r.url = <-urlc:
			ready <- nil
		case <-r.done:
			ready <- fmt.Errorf("scimd serve exited before serving: %v", r.err)
		case <-time.After(30 * time.Second):
			ready <- fmt.Errorf("scimd serve did not serve within 30s")
		}
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			r.cmd.Process.Kill()
			<-r.done
		}
		if t.Failed() {
			t.Logf("scimd serve (pid %d) stderr:\n%s", r.cmd.Process.Pid, r.stderr)
		}
	})
	return r, ready
}

// stop ends the replica with SIGTERM, as an orchestrator does, and checks
// that it shuts down gracefully: promptly, and with exit status 0.
func (r *replica) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: still running 20s after SIGTERM", r.url)
	}
	if r.err != nil {
		t.Errorf("%s: after SIGTERM: %v; want exit status 0", r.url, r.err)
	}
	if !strings.Contains(r.stderr.String(), "shutting down") {
		t.Errorf("%s: did not log that it was shutting down", r.url)
	}
}

type scimResult struct {
	status int
	body   map[string]any
	err    error
}

// scimClient sends SCIM requests with a token; safe for concurrent use.
type scimClient struct {
	token string
	http  http.Client
}

func (c *scimClient) do(method, target string, body any) scimResult {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return scimResult{err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return scimResult{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return scimResult{err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	res := scimResult{status: resp.StatusCode, err: err}
	if err == nil && len(raw) > 0 {
		res.err = json.Unmarshal(raw, &res.body)
	}
	return res
}

// must sends a request that must answer want, and returns the body.
func (c *scimClient) must(t *testing.T, want int, method, target string, body any) map[string]any {
	t.Helper()
	res := c.do(method, target, body)
	if res.err != nil || res.status != want {
		t.Fatalf("%s %s: %d %v %v; want %d", method, target, res.status, res.body, res.err, want)
	}
	return res.body
}

// caseVariant spells s with the case of its letters flipped where the bits
// of i say, so that concurrent requests send names that differ in case only.
func caseVariant(s string, i int) string {
	b := []byte(s)
	for j, bit := 0, 0; j < len(b); j++ {
		c := b[j]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			if i>>(bit%8)&1 == 1 {
				c ^= 0x20
			}
			b[j] = c
			bit++
		}
	}
	return string(b)
}

// TestReplicas runs three "scimd serve" processes on one PostgreSQL schema,
// as replicas behind a load balancer, and spreads concurrent requests over
// them: the database, not any one process, must keep userName and
// displayName unique and concurrent changes from being lost.
func TestReplicas(t *testing.T) {
	dbURL := testDB(t)
	const secret = "replicas-share-this-installation-secret"

	// Started together, as an orchestrator does: migrations and the
	// bootstrap of the workspace "default" race.
	const n = 3
	replicas := make([]*replica, n)
	readies := make([]<-chan error, n)
	for i := range n {
		replicas[i], readies[i] = startReplica(t, dbURL, secret)
	}
	for i := range n {
		if err := <-readies[i]; err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}

	// Minted by the command, while the replicas run, as an operator does.
	tc := exec.Command(os.Args[0], "token", "create", "--workspace", "default", "--name", "t", "--db", dbURL)
	tc.Env = scimdEnv(secret)
	var tcErr bytes.Buffer
	tc.Stderr = &tcErr
	out, err := tc.Output()
	if err != nil {
		t.Fatalf("scimd token create: %v\n%s", err, tcErr.Bytes())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	c := &scimClient{token: lines[len(lines)-1], http: http.Client{Timeout: 20 * time.Second}}
	at := func(i int, path string) string { return replicas[i%n].url + path }

	for i := range n {
		u, err := url.Parse(replicas[i].url)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/readyz"
		resp, err := c.http.Get(u.String())
		if err != nil {
			t.Fatalf("replica %d: /readyz: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("replica %d: /readyz answered %d, want 200", i, resp.StatusCode)
		}
	}

	t.Run("uniqueness", func(t *testing.T) {
		for _, tt := range []struct {
			endpoint, attr, name string
		}{
			{"/Users", "userName", "Ada.Lovelace@example.com"},
			{"/Groups", "displayName", "Analytical Engine Team"},
		} {
			const tries = 12
			results := make([]scimResult, tries)
			var wg sync.WaitGroup
			for i := range tries {
				wg.Go(func() {
					results[i] = c.do("POST", at(i, tt.endpoint), map[string]any{tt.attr: caseVariant(tt.name, i)})
				})
			}
			wg.Wait()
			created := 0
			for i, res := range results {
				switch {
				case res.err != nil:
					t.Errorf("POST %s %d: %v", tt.endpoint, i, res.err)
				case res.status == http.StatusCreated:
					created++
				case res.status == http.StatusConflict && res.body["scimType"] == "uniqueness":
				default:
					t.Errorf("POST %s %q: %d %v; want 201 or 409 uniqueness", tt.endpoint, caseVariant(tt.name, i), res.status, res.body)
				}
			}
			if created != 1 {
				t.Errorf("POST %s with %d spellings of %q: %d created, want 1", tt.endpoint, tries, tt.name, created)
			}
			filter := url.QueryEscape(fmt.Sprintf("%s eq %q", tt.attr, strings.ToUpper(tt.name)))
			list := c.must(t, http.StatusOK, "GET", at(1, tt.endpoint+"?filter="+filter), nil)
			if list["totalResults"] != 1.0 {
				t.Errorf("%s named %q: %v, want 1", tt.endpoint, tt.name, list["totalResults"])
			}
		}
	})

	t.Run("members", func(t *testing.T) {
		const users = 12
		ids := make([]string, users)
		for i := range users {
			ids[i] = c.must(t, http.StatusCreated, "POST", at(i, "/Users"), map[string]any{"userName": fmt.Sprintf("member%02d", i)})["id"].(string)
		}
		// Members 0-3 from the start; then, at once from every replica,
		// 4-11 are added and 0-2 removed, one PATCH each.
		var initial []any
		for _, id := range ids[:4] {
			initial = append(initial, map[string]any{"value": id})
		}
		group := c.must(t, http.StatusCreated, "POST", at(0, "/Groups"), map[string]any{"displayName": "Engineering", "members": initial})["id"].(string)
		patchOp := func(op map[string]any) map[string]any {
			return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": []any{op}}
		}
		var patches []map[string]any
		for _, id := range ids[4:] {
			patches = append(patches, patchOp(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}}))
		}
		for _, id := range ids[:3] {
			patches = append(patches, patchOp(map[string]any{"op": "remove", "path": fmt.Sprintf("members[value eq %q]", id)}))
		}
		results := make([]scimResult, len(patches))
		var wg sync.WaitGroup
		for i, p := range patches {
			wg.Go(func() { results[i] = c.do("PATCH", at(i, "/Groups/"+group), p) })
		}
		wg.Wait()
		for i, res := range results {
			if res.err != nil || res.status != http.StatusNoContent {
				t.Errorf("PATCH %v: %d %v %v; want 204", patches[i]["Operations"], res.status, res.body, res.err)
			}
		}
		for i := range n {
			g := c.must(t, http.StatusOK, "GET", at(i, "/Groups/"+group), nil)
			var got []string
			members, _ := g["members"].([]any)
			for _, m := range members {
				v, _ := m.(map[string]any)["value"].(string)
				got = append(got, v)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(ids[3:]))
			if !slices.Equal(got, want) {
				t.Errorf("replica %d: members %v, want %v", i, got, want)
			}
			meta, _ := g["meta"].(map[string]any)
			if v, want := meta["version"], fmt.Sprintf(`W/"%d"`, 1+len(patches)); v != want {
				t.Errorf("replica %d: version %v after %d changes, want %s", i, v, len(patches), want)
			}
		}
	})

	// Group members change by delta, which no interleaving can lose; a
	// multi-valued attribute of a user is read, changed and written back,
	// which only the row lock keeps from losing concurrent changes.
	t.Run("emails", func(t *testing.T) {
		user := c.must(t, http.StatusCreated, "POST", at(0, "/Users"), map[string]any{"userName": "grace.hopper"})["id"].(string)
		const adds = 9
		results := make([]scimResult, adds)
		var wg sync.WaitGroup
		for i := range adds {
			wg.Go(func() {
				results[i] = c.do("PATCH", at(i, "/Users/"+user), map[string]any{
					"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
					"Operations": []any{map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": fmt.Sprintf("grace%d@example.com", i)}}}},
				})
			})
		}
		wg.Wait()
		for i, res := range results {
			if res.err != nil || res.status != http.StatusOK {
				t.Errorf("PATCH add email %d: %d %v %v; want 200", i, res.status, res.body, res.err)
			}
		}
		u := c.must(t, http.StatusOK, "GET", at(2, "/Users/"+user), nil)
		emails, _ := u["emails"].([]any)
		meta, _ := u["meta"].(map[string]any)
		if len(emails) != adds || meta["version"] != fmt.Sprintf(`W/"%d"`, 1+adds) {
			t.Errorf("after %d concurrent adds: version %v, emails %v", adds, meta["version"], emails)
		}
	})

	// A deactivation through one replica is refused by every other's
	// verification endpoint within a second, and every event reaches a
	// webhook once, whichever replica wrote it and however many deliver.
	t.Run("effects", func(t *testing.T) {
		adminTok := runScimd(t, secret, "admin-token", "create", "--name", "replicas", "--db", dbURL)
		root := func(i int, path string) string {
			u, err := url.Parse(replicas[i%n].url)
			if err != nil {
				t.Fatal(err)
			}
			u.Path, u.RawQuery, _ = strings.Cut(path, "?")
			return u.String()
		}
		admin := &scimClient{token: adminTok, http: c.http}
		app := admin.mustJSON(t, http.StatusCreated, "POST", root(0, "/admin/v1/workspaces/default/app-tokens"), map[string]any{"name": "app"})["token"].(string)
		appc := &scimClient{token: app, http: c.http}

		var (
			mu       sync.Mutex
			received = map[string]int{}
		)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			received[r.Header.Get("webhook-id")]++
			mu.Unlock()
		}))
		defer hook.Close()
		admin.mustJSON(t, http.StatusCreated, "POST", root(1, "/admin/v1/workspaces/default/webhooks"), map[string]any{"url": hook.URL})

		user := c.must(t, http.StatusCreated, "POST", at(0, "/Users"), map[string]any{"userName": "leaver", "active": true})["id"].(string)
		key := appc.mustJSON(t, http.StatusCreated, "POST", root(1, "/v1/workspaces/default/users/"+user+"/api-keys"), map[string]any{"name": "k"})["key"].(string)
		verify := func(i int) bool {
			return appc.mustJSON(t, http.StatusOK, "POST", root(i, "/v1/verify"), map[string]any{"token": key})["valid"] == true
		}
		for i := range n {
			if !verify(i) { // and now each replica holds it in memory
				t.Fatalf("replica %d: the new key does not verify", i)
			}
		}
		c.must(t, http.StatusOK, "PATCH", at(0, "/Users/"+user), map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}},
		})
		if verify(0) {
			t.Errorf("replica 0, which deactivated the user, still verifies its key")
		}
		deadline := time.Now().Add(time.Second)
		for i := 1; i < n; i++ {
			for verify(i) {
				if time.Now().After(deadline) {
					t.Fatalf("replica %d still verifies the key a second after the deactivation", i)
				}
				time.Sleep(2 * time.Millisecond)
			}
		}

		// Events of the whole test so far, from every replica, each once.
		evs := appc.mustJSON(t, http.StatusOK, "GET", root(2, "/v1/workspaces/default/events?limit=1000"), nil)["events"].([]any)
		var since []string // events after the webhook was made
		for _, e := range evs {
			typ := e.(map[string]any)["type"].(string)
			if typ == "user.created" || typ == "user.deactivated" || typ == "api_key.created" || typ == "api_key.revoked" {
				since = append(since, e.(map[string]any)["id"].(string))
			}
		}
		deadline = time.Now().Add(patience)
		for {
			mu.Lock()
			missing := 0
			for _, id := range since[len(since)-4:] {
				if received[id] == 0 {
					missing++
				}
			}
			dups := 0
			for _, k := range received {
				if k > 1 {
					dups++
				}
			}
			mu.Unlock()
			if dups > 0 {
				t.Fatalf("%d events delivered more than once", dups)
			}
			if missing == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of the leaver's events not delivered after 10s", missing)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	for i, r := range replicas {
		t.Run(fmt.Sprintf("stop %d", i), r.stop)
	}
}

// runScimd runs a scimd command and returns the last line of its output.
func runScimd(t *testing.T, secret string, args ...string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(runScimdOutput(t, secret, args...)), "\n")
	return lines[len(lines)-1]
}

// runScimdOutput runs a scimd command that must succeed and returns its
// standard output.
func runScimdOutput(t *testing.T, secret string, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = scimdEnv(secret)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scimd %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out)
}

// mustJSON sends a JSON request (not SCIM) that must answer want.
func (c *scimClient) mustJSON(t *testing.T, want int, method, target string, body any) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(raw, &m)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s; want %d", method, target, resp.StatusCode, raw, want)
	}
	return m
}
