package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/client/admin"
)

// proc is a scimd command running in a process of its own, as a user
// runs it, with the environment the test gives it.
type proc struct {
	cmd         *exec.Cmd
	out, errOut *lockedBuffer
	done        chan struct{} // closed when it has exited
	err         error         // from Wait, once done
}

// startProc starts "scimd args..." with env added to the environment,
// and kills it, if it still runs, when t ends.
func startProc(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{out: &lockedBuffer{}, errOut: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], args...)
	p.cmd.Env = append(append(os.Environ(), runMainEnv+"=1"), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.errOut
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("%v still runs after 60s\n%s%s", p.cmd.Args, p.out, p.errOut)
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

// await waits until the process prints a line matching re on stdout,
// and returns the match.
func (p *proc) await(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(p.out.String()); m != nil {
			return m
		}
		select {
		case <-p.done:
			t.Fatalf("%v exited (%v) before printing %s:\n%s%s", p.cmd.Args[1:], p.err, re, p.out, p.errOut)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v did not print %s within 30s:\n%s%s", p.cmd.Args[1:], re, p.out, p.errOut)
		}
	}
}

// runProc runs a scimd command to its end and returns its exit code,
// stdout and stderr.
func runProc(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	p := startProc(t, env, args...)
	code := p.wait(t)
	return code, p.out.String(), p.errOut.String()
}

// TestStrictSettings checks that a flag or environment variable whose
// value does not parse, or does not make sense, stops the command with a
// message naming it and saying what it accepts; and that serve reports
// every problem at once, before it touches the database.
func TestStrictSettings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"duration in the environment", []string{"SCIMD_TOKEN_TTL=30x"}, []string{"serve"},
			[]string{`SCIMD_TOKEN_TTL="30x": want a duration such as 90s, 15m, 12h, 30d or 1d12h`}},
		{"boolean in the environment", []string{"SCIMD_WEBHOOK_BLOCK_PRIVATE=yes"}, []string{"serve"},
			[]string{`SCIMD_WEBHOOK_BLOCK_PRIVATE="yes": want true or false (or 1, 0, t, f)`}},
		{"every variable at once", []string{"SCIMD_RATE_LIMIT=fast", "SCIMD_RATE_BURST=1.5", "SCIMD_AUDIT_READS=maybe", "SCIMD_AUDIT_RETENTION=forever"}, []string{"serve"},
			[]string{`SCIMD_RATE_LIMIT="fast": want a number`, `SCIMD_RATE_BURST="1.5": want a whole number`,
				`SCIMD_AUDIT_READS="maybe": want true or false`, `SCIMD_AUDIT_RETENTION="forever": want a duration`}},
		{"duration flag", nil, []string{"serve", "--token-ttl", "30 days"},
			[]string{`invalid value "30 days" for flag -token-ttl: want a duration such as 90s, 15m, 12h, 30d or 1d12h`}},
		{"boolean flag", nil, []string{"serve", "--audit-reads=yes"},
			[]string{`"yes" for -audit-reads: want true or false`}},
		{"every problem at once", []string{"SCIMD_LOG_FORMAT=xml"},
			[]string{"serve", "--addr", "8080", "--public-url", "scim.example.com", "--request-timeout", "0", "--token-ttl", "-1d", "--rate-limit", "-1", "--base-path", "scim"},
			[]string{`--log-format "xml": want text or json`, `--addr "8080": want HOST:PORT`, `--public-url "scim.example.com": want an absolute http or https URL`,
				"--request-timeout 0s: must be positive", "--token-ttl -1d: must not be negative", "--rate-limit -1: must not be negative", `--base-path "scim": want a path starting with /`}},
		{"a base path that hides the application API", nil, []string{"serve", "--base-path", "/v1/workspaces"},
			[]string{`--base-path "/v1/workspaces": the SCIM base path /v1/workspaces would hide the application API's /v1/workspaces/{slug}/`}},
		{"the same address twice", nil, []string{"serve", "--addr", "127.0.0.1:8080", "--admin-addr", "127.0.0.1:8080"},
			[]string{`--admin-addr "127.0.0.1:8080": the same as --addr`}},
		{"smtp settings without a server", []string{"SCIMD_SMTP_FROM=scimd@example.com"}, []string{"serve"},
			[]string{"--smtp-from and --smtp-username need --smtp-addr"}},
		{"TLS and first-run files", []string{"SCIMD_TLS_CERT=/nonexistent/cert.pem"},
			[]string{"serve", "--bootstrap-token-file", "/nonexistent/tokens", "--db-wait", "-1s"},
			[]string{"--tls-cert and --tls-key go together", "--bootstrap-token-file /nonexistent/tokens: its directory /nonexistent does not exist",
				"--db-wait -1s: must not be negative"}},
		{"TLS files that do not load", nil, []string{"serve", "--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"},
			[]string{"--tls-cert /nonexistent/cert.pem, --tls-key /nonexistent/key.pem: open /nonexistent/cert.pem: no such file"}},
		{"an unknown database", nil, []string{"serve", "--db", "mysql://db/scimd"},
			[]string{`--db "mysql://db/scimd": want sqlite:PATH or postgres://USER@HOST/DB`}},
		{"another command's variable", []string{"SCIMD_TOKEN_TTL=1y"}, []string{"token", "list", "--workspace", "default"},
			[]string{`SCIMD_TOKEN_TTL="1y": want a duration`}},
		{"another command's flag", nil, []string{"token", "rotate", "--workspace", "default", "--overlap", "a day"},
			[]string{`invalid value "a day" for flag -overlap: want a duration`}},
		{"an int flag", nil, []string{"user", "list", "--workspace", "default", "--limit", "ten"},
			[]string{`invalid value "ten" for flag -limit: want a whole number`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			db := filepath.Join(dir, "scimd.db")
			args := tt.args
			if !strings.Contains(strings.Join(args, " "), "--db") {
				args = append(args, "--db", "sqlite:"+db)
			}
			code, _, stderr := runProc(t, append(tt.env, "SCIMD_ADDR=127.0.0.1:0"), args...)
			if code == 0 {
				t.Fatalf("scimd %s: exit 0, want a failure\n%s", strings.Join(args, " "), stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("scimd %s: stderr lacks %q:\n%s", strings.Join(args, " "), w, stderr)
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("scimd %s made %v before failing", strings.Join(args, " "), entries)
			}
		})
	}
}

var lifetimeRE = regexp.MustCompile(`its SCIM token \(shown once, ([^)]*)\)`)

// TestSettingsTaken checks that what the environment and the command
// line say is what serve does: here the token lifetime the first run's
// banner reports, in days as people write them.
func TestSettingsTaken(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, nil, "expires in 365 days"},
		{[]string{"SCIMD_TOKEN_TTL=30d"}, nil, "expires in 30 days"},
		{[]string{"SCIMD_TOKEN_TTL="}, nil, "expires in 365 days"}, // empty is unset
		{[]string{"SCIMD_TOKEN_TTL=30d"}, []string{"--token-ttl", "2d"}, "expires in 2 days"},
		{nil, []string{"--token-ttl", "1d12h"}, "expires in 36h0m0s"},
		{[]string{"SCIMD_TOKEN_TTL=0"}, nil, "never expires"},
	} {
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:" + filepath.Join(t.TempDir(), "scimd.db")}, tt.args...)
		p := startProc(t, tt.env, args...)
		if got := p.await(t, lifetimeRE)[1]; got != tt.want {
			t.Errorf("%v scimd %s: %q, want %q", tt.env, strings.Join(tt.args, " "), got, tt.want)
		}
		p.cmd.Process.Kill()
	}
}

// TestCommandHelp checks that a command with subcommands, given none or
// -h, prints its help and exits 0, as -h of every command does.
func TestCommandHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"token"}, {"token", "-h"}, {"user"}, {"user", "--help"}, {"webhook"}, {"workspace", "-h"},
		{"app-token"}, {"admin-token", "help"},
	} {
		code, out, stderr := runProc(t, nil, args...)
		if code != 0 || !strings.Contains(out, "scimd "+args[0]+" ") || !strings.Contains(out, "Usage") {
			t.Errorf("scimd %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
		}
	}
	for _, args := range [][]string{{"serve", "-h"}, {"token", "create", "-h"}, {"audit", "--help"}} {
		code, out, stderr := runProc(t, nil, args...)
		if code != 0 || !strings.Contains(stderr, "Usage: scimd "+args[0]) || !strings.Contains(stderr, "-db string") {
			t.Errorf("scimd %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
		}
	}
	if code, _, stderr := runProc(t, nil, "token", "frobnicate"); code == 0 || !strings.Contains(stderr, `unknown command "token frobnicate"`) {
		t.Errorf("scimd token frobnicate: exit %d\n%s", code, stderr)
	}
}

// TestVersion checks scimd version: the version a release build sets
// with -ldflags "-X main.version=…", else the module's; the commit; the
// Go version.
func TestVersion(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	for _, tt := range []struct{ version, commit, want string }{
		// A test binary's module has no version, and records no commit.
		{"", "", "scimd (devel)\ncommit unknown\n"},
		{"v9.8.7", "0123abc", "scimd v9.8.7\ncommit 0123abc\n"},
	} {
		version, commit = tt.version, tt.commit
		var out bytes.Buffer
		if err := run(context.Background(), []string{"version"}, &out, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.String(), tt.want) || !regexp.MustCompile(`\ngo1\.\S+\n$`).MatchString(out.String()) {
			t.Errorf("scimd version with -X main.version=%s -X main.commit=%s:\n%s", tt.version, tt.commit, out.String())
		}
	}
}

// TestBlockPrivateFromEnvironment checks that SCIMD_WEBHOOK_BLOCK_PRIVATE
// takes what strconv.ParseBool takes: with 1, a webhook to loopback is
// refused; with 0, it is delivered.
func TestBlockPrivateFromEnvironment(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		value   string
		blocked bool
	}{{"1", true}, {"0", false}} {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			got := make(chan struct{}, 10)
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- struct{}{} }))
			defer hook.Close()
			p := startProc(t, []string{"SCIMD_WEBHOOK_BLOCK_PRIVATE=" + tt.value},
				"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(t.TempDir(), "scimd.db"))
			m := p.await(t, firstRunRE)
			s := &testServer{url: m[1], scim: m[2], admin: m[3]}
			c := &cli{t: t, server: s.url, admin: s.admin}
			id := regexp.MustCompile(`wh_\S+`).FindString(c.must("webhook", "create", "--workspace", "default", "--url", hook.URL))
			s.createUser(t, "hooked@example.com")
			if !tt.blocked {
				select {
				case <-got:
				case <-time.After(20 * time.Second):
					t.Fatal("no delivery to loopback with SCIMD_WEBHOOK_BLOCK_PRIVATE=0")
				}
				return
			}
			var page admin.DeliveryPage
			eventually(t, "a refused attempt", func() bool {
				c.mustJSON(&page, "webhook", "deliveries", "--workspace", "default", id)
				return len(page.Deliveries) > 0 && page.Deliveries[0].Attempts > 0
			})
			for _, d := range page.Deliveries {
				if d.Attempts > 0 && !strings.Contains(d.LastError, "not public") {
					t.Errorf("delivery to loopback with SCIMD_WEBHOOK_BLOCK_PRIVATE=1: %+v", d)
				}
			}
			if len(got) > 0 {
				t.Error("delivered to loopback with SCIMD_WEBHOOK_BLOCK_PRIVATE=1")
			}
		})
	}
}
