package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serveIn runs "scimd serve" in the test with args, and returns its
// stdout and stderr, and a channel that receives what it returned. It
// is stopped when t ends.
func serveIn(t *testing.T, args ...string) (out, logs *lockedBuffer, done <-chan error) {
	t.Helper()
	out, logs = &lockedBuffer{}, &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		defer close(ended)
		errc <- run(ctx, append([]string{"serve"}, args...), out, logs)
	}()
	t.Cleanup(func() {
		cancel()
		<-ended
	})
	return out, logs, errc
}

// awaitOutput waits for re in out, failing if serve ends first.
func awaitOutput(t *testing.T, out, logs *lockedBuffer, done <-chan error, re *regexp.Regexp) []string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended (%v) before printing %s:\n%s%s", err, re, out, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not print %s within 30s:\n%s%s", re, out, logs)
		}
	}
}

// workspaces returns the slugs of the workspaces in db.
func workspaces(t *testing.T, db string, flags ...string) []string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append([]string{"workspace", "list", "--json", "--db", db}, flags...), &out, &errOut); err != nil {
		t.Fatalf("workspace list: %v\n%s", err, errOut.String())
	}
	var list struct {
		Workspaces []struct {
			Slug string `json:"slug"`
		} `json:"workspaces"`
	}
	if err := json.Unmarshal(out.Bytes(), &list); err != nil {
		t.Fatalf("workspace list: %v\n%s", err, out.String())
	}
	var slugs []string
	for _, w := range list.Workspaces {
		slugs = append(slugs, w.Slug)
	}
	return slugs
}

// TestListenBeforeFirstRun checks that serve listens before the first
// run makes its tokens: on an address in use, it fails and the database
// has no workspace and no token; on a free one, the first run happens
// then.
func TestListenBeforeFirstRun(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	db := "sqlite:" + filepath.Join(t.TempDir(), "scimd.db")
	for _, flags := range [][]string{
		{"--addr", busy.Addr().String()},
		{"--addr", "127.0.0.1:0", "--admin-addr", busy.Addr().String()},
	} {
		var out, logs bytes.Buffer
		err := run(context.Background(), append([]string{"serve", "--db", db}, flags...), &out, &logs)
		if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), flags[len(flags)-2]) {
			t.Errorf("serve %v: %v, want an error naming the flag, with address already in use", flags, err)
		}
		if strings.Contains(out.String(), "scim_") || strings.Contains(out.String(), "scimd_admin_") {
			t.Errorf("serve %v printed tokens:\n%s", flags, out.String())
		}
		if ws := workspaces(t, db); len(ws) != 0 {
			t.Errorf("after serve %v failed: workspaces %v", flags, ws)
		}
	}
	out, logs, done := serveIn(t, "--db", db, "--addr", "127.0.0.1:0")
	awaitOutput(t, out, logs, done, firstRunRE)
}

var servingRE = regexp.MustCompile(`serving SCIM 2\.0 at (\S+)/scim/v2 `)

// TestBootstrapTokenFile checks --bootstrap-token-file: the first run
// writes its tokens to a new file of mode 0600 rather than to stdout; a
// later run leaves the file alone; a first run whose file exists fails
// before making tokens.
func TestBootstrapTokenFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "scimd.db")
	file := filepath.Join(dir, "first-run")
	ctx, cancel := context.WithCancel(context.Background())
	out, logs := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--bootstrap-token-file", file}, out, logs)
	}()
	u := awaitOutput(t, out, logs, done, regexp.MustCompile(`serving SCIM 2\.0 at (\S+)/scim/v2 [\s\S]*They are in (\S+), readable`))
	if u[2] != file || strings.Contains(out.String(), "scim_") || strings.Contains(out.String(), "scimd_admin_") {
		t.Errorf("stdout:\n%s", out)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v", fi, err)
	}
	b, _ := os.ReadFile(file)
	m := regexp.MustCompile(`(?m)^SCIM_TOKEN=(scim_\S+)\n[\s\S]*^SCIMD_ADMIN_TOKEN=(scimd_admin_\S+)$`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("token file:\n%s", b)
	}
	// The tokens work.
	s := &testServer{url: u[1], scim: m[1]}
	if code, _ := s.scimDo(t, "GET", "/Users", nil); code != http.StatusOK {
		t.Errorf("SCIM token from the file: %d", code)
	}
	remote := &cli{t: t, server: u[1], admin: m[2]}
	remote.must("workspace", "show", "default")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, logs)
	}

	// Not the first run: the file stays as it is.
	out, logs, served := serveIn(t, "--db", db, "--addr", "127.0.0.1:0", "--bootstrap-token-file", file)
	awaitOutput(t, out, logs, served, servingRE)
	if again, _ := os.ReadFile(file); !bytes.Equal(again, b) || strings.Contains(out.String(), "Created") {
		t.Errorf("a later run changed the token file or made tokens:\n%s\n%s", again, out)
	}

	// A first run whose file exists fails before making tokens.
	empty := "sqlite:" + filepath.Join(dir, "empty.db")
	var out2, logs2 bytes.Buffer
	err = run(context.Background(), []string{"serve", "--db", empty, "--addr", "127.0.0.1:0", "--bootstrap-token-file", file}, &out2, &logs2)
	if err == nil || !strings.Contains(err.Error(), "--bootstrap-token-file") || !strings.Contains(err.Error(), "file exists") {
		t.Errorf("first run with an existing token file: %v", err)
	}
	if ws := workspaces(t, empty); len(ws) != 0 {
		t.Errorf("first run with an existing token file made workspaces %v", ws)
	}
}

// freeAddr returns an address on loopback that nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// forward accepts connections on ln and joins each to a new connection
// to target, until ln closes.
func forward(ln net.Listener, target string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			up, err := net.Dial("tcp", target)
			if err != nil {
				return
			}
			defer up.Close()
			go io.Copy(up, c)
			io.Copy(c, up)
		}()
	}
}

// TestWaitForDatabase checks --db-wait: serve waits for a PostgreSQL
// server that is not up yet, and serves once it is; and gives up with a
// clear error after the wait.
func TestWaitForDatabase(t *testing.T) {
	t.Parallel()
	dbURL := testDB(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte(hex.EncodeToString(bytes.Repeat([]byte{7}, 32))), 0o600)

	t.Run("up later", func(t *testing.T) {
		t.Parallel()
		addr, target := freeAddr(t), u.Host
		late := *u
		late.Host = addr
		out, logs, done := serveIn(t, "--db", late.String(), "--secret-file", secret, "--addr", "127.0.0.1:0", "--db-wait", "60s")
		for start := time.Now(); strings.Count(logs.String(), "waiting for the database") < 2; time.Sleep(20 * time.Millisecond) {
			select {
			case err := <-done:
				t.Fatalf("serve ended before the database was up: %v\n%s", err, logs)
			default:
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("serve did not say it waits:\n%s%s", out, logs)
			}
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go forward(ln, target)
		awaitOutput(t, out, logs, done, servingRE)
		if !strings.Contains(logs.String(), "attempt=2") {
			t.Errorf("serve's log lacks its attempts:\n%s", logs)
		}
	})
	t.Run("never up", func(t *testing.T) {
		t.Parallel()
		never := *u
		never.Host = freeAddr(t)
		start := time.Now()
		var out, logs bytes.Buffer
		err := run(context.Background(), []string{"serve", "--db", never.String(), "--secret-file", secret, "--addr", "127.0.0.1:0", "--db-wait", "1s"}, &out, &logs)
		if err == nil || !strings.Contains(err.Error(), "could not be reached within --db-wait 1s") || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("serve on a database never up: %v", err)
		}
		if time.Since(start) < time.Second {
			t.Errorf("serve gave up after %v, before --db-wait 1s", time.Since(start))
		}
		var noWait bytes.Buffer
		err = run(context.Background(), []string{"serve", "--db", never.String(), "--secret-file", secret, "--addr", "127.0.0.1:0", "--db-wait", "0"}, &out, &noWait)
		if err == nil || strings.Contains(noWait.String(), "waiting") {
			t.Errorf("serve --db-wait 0 on a database never up: %v\n%s", err, noWait.String())
		}
	})
}

// newCert writes a self-signed certificate for 127.0.0.1, named cn, to
// certFile and keyFile, replacing them at once as certbot does, and
// returns it.
func newCert(t *testing.T, cn, certFile, keyFile string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for f, block := range map[string]*pem.Block{keyFile: {Type: "EC PRIVATE KEY", Bytes: kb}, certFile: {Type: "CERTIFICATE", Bytes: der}} {
		tmp := f + ".new"
		if err := os.WriteFile(tmp, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestTLS checks --tls-cert and --tls-key: serve prints https URLs and
// serves the certificate, and serves a new one once the files are
// replaced, or at once on SIGHUP.
func TestTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := x509.NewCertPool()
	first := newCert(t, "first", certFile, keyFile)
	pool.AddCert(first)
	p := startProc(t, nil, "serve", "--db", "sqlite:"+filepath.Join(dir, "scimd.db"), "--addr", "127.0.0.1:0",
		"--admin-addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	m := p.await(t, regexp.MustCompile(`admin API at (https://\S+)/admin/v1[\s\S]*serving SCIM 2\.0 at (https://\S+)/scim/v2 [\s\S]*shown once, [^)]*\):\s+(scim_\S+)[\s\S]*shown once, [^)]*\):\s+(scimd_admin_\S+)`))
	adminURL, scimURL, scimToken, adminToken := m[1]+"/admin/v1/workspaces", m[2]+"/scim/v2/Users", m[3], m[4]
	// served returns the name of the certificate url's server shows a
	// new connection, after checking that the request works.
	served := func(target, bearer string) string {
		t.Helper()
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
		req, _ := http.NewRequest("GET", target, nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", target, resp.Status)
		}
		return resp.TLS.PeerCertificates[0].Subject.CommonName
	}
	if got := served(scimURL, scimToken); got != "first" {
		t.Errorf("SCIM listener serves %q, want first", got)
	}
	if got := served(adminURL, adminToken); got != "first" {
		t.Errorf("admin listener serves %q, want first", got)
	}

	// Locations are https URLs, with no proxy to say so.
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", strings.TrimSuffix(scimURL, "/Users")+"/ServiceProviderConfig", nil)
	req.Header.Set("Authorization", "Bearer "+scimToken)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var spc struct {
		Meta struct {
			Location string `json:"location"`
		} `json:"meta"`
	}
	json.NewDecoder(resp.Body).Decode(&spc)
	resp.Body.Close()
	if !strings.HasPrefix(spc.Meta.Location, "https://127.0.0.1:") {
		t.Errorf("meta.location over TLS: %q", spc.Meta.Location)
	}

	// Renewed: served from the next check.
	pool.AddCert(newCert(t, "second", certFile, keyFile))
	eventually(t, "the second certificate", func() bool { return served(scimURL, scimToken) == "second" })

	// Replaced without changing the files' times: served on SIGHUP.
	before := []time.Time{}
	for _, f := range []string{certFile, keyFile} {
		fi, _ := os.Stat(f)
		before = append(before, fi.ModTime())
	}
	pool.AddCert(newCert(t, "third", certFile, keyFile))
	for i, f := range []string{certFile, keyFile} {
		os.Chtimes(f, before[i], before[i])
	}
	time.Sleep(3 * certCheckInterval)
	if got := served(scimURL, scimToken); got != "second" {
		t.Fatalf("with the files' times unchanged, serves %q, want second until SIGHUP", got)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the third certificate", func() bool { return served(scimURL, scimToken) == "third" })
	// SIGHUP did not stop it; a bad pair keeps the certificate served.
	os.WriteFile(keyFile, []byte("not a key"), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(3 * certCheckInterval)
	if got := served(adminURL, adminToken); got != "third" {
		t.Errorf("after a bad key, serves %q, want third", got)
	}
	if !strings.Contains(p.errOut.String(), "TLS certificate not reloaded") {
		t.Errorf("no error logged for the bad key:\n%s", p.errOut)
	}
}

// TestHangUpWithoutTLS checks that SIGHUP, which reloads the certificate,
// leaves a server without one serving rather than ending it.
func TestHangUpWithoutTLS(t *testing.T) {
	t.Parallel()
	p := startProc(t, nil, "serve", "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(t.TempDir(), "scimd.db"))
	s := &testServer{}
	m := p.await(t, firstRunRE)
	s.url, s.scim = m[1], m[2]
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "SIGHUP logged", func() bool { return strings.Contains(p.errOut.String(), "SIGHUP: nothing to reload") })
	if code, _ := s.scimDo(t, "GET", "/Users", nil); code != http.StatusOK {
		t.Errorf("after SIGHUP: %d", code)
	}
}
