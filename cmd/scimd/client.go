package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"regexp"
	"strings"
	"time"

	"github.com/scimd/scimd/client/admin"
	adminapi "github.com/scimd/scimd/internal/admin"
	"github.com/scimd/scimd/internal/console"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/token"
)

// The commands that administer an installation are clients of the admin
// API: of a running server's with --server, or, by default, of one
// served in this process over the database, so that a command does what
// the API does, with its checks, its messages and its audit entries.

// clientFlags are the flags of every command that uses the admin API,
// and its client once connected.
type clientFlags struct {
	common
	server     string
	adminToken string
	fs         *flag.FlagSet
	api        *apiClient
}

// commandFlags are the flags that the commands on an installation's
// things share: the client's, --workspace for those on a workspace's
// things, and --json.
type commandFlags struct {
	clientFlags
	slug   string
	asJSON bool
}

// scope says whether a command acts on a workspace's things, and so
// has --workspace.
type scope bool

const (
	onWorkspace    scope = true
	onInstallation scope = false
)

// jsonUsage is the help of --json of the commands that print the admin
// API's answer as it is.
const jsonUsage = "print the admin API's JSON"

// newCommandFlags registers the flags commands share on fs: the
// client's, --workspace with scope onWorkspace, and --json, with its
// help json, unless json is "" (a command with nothing to print).
func newCommandFlags(fs *flag.FlagSet, sc scope, json string) *commandFlags {
	f := &commandFlags{}
	f.register(fs)
	if sc == onWorkspace {
		fs.StringVar(&f.slug, "workspace", "", "workspace slug")
	}
	if json != "" {
		fs.BoolVar(&f.asJSON, "json", false, json)
	}
	return f
}

// do sends a request to the admin API as apiClient.do does, connecting
// first if need be.
func (o *clientFlags) do(ctx context.Context, method, path string, query url.Values, in, out any) (json.RawMessage, error) {
	api, err := o.client(ctx)
	if err != nil {
		return nil, err
	}
	return api.do(ctx, method, path, query, in, out)
}

// client returns the client of the admin API, connecting first if need
// be. Pass the errors of its typed methods through cliError.
func (o *clientFlags) client(ctx context.Context) (*apiClient, error) {
	if o.api == nil {
		api, err := o.connect(ctx)
		if err != nil {
			return nil, err
		}
		o.api = api
	}
	return o.api, nil
}

// close closes the client, if connected.
func (o *clientFlags) close() {
	if o.api != nil {
		o.api.close()
	}
}

func (o *clientFlags) register(fs *flag.FlagSet) {
	o.common.register(fs)
	o.fs = fs
	fs.StringVar(&o.server, "server", "",
		"use the admin API of the server at this URL, e.g. http://127.0.0.1:8081, rather than the database")
	fs.StringVar(&o.adminToken, "admin-token", "",
		"admin token for --server; prefer the environment, which other users cannot see")
	bindEnv(fs, "server", "admin-token")
}

// set reports whether a flag was given on the command line.
func (o *clientFlags) set(name string) bool {
	given := false
	o.fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// apiClient calls the admin API.
type apiClient struct {
	admin.Client
	close func() error
}

// connect returns a client of the server named by --server, or of the
// API served in this process over --db.
func (o *clientFlags) connect(ctx context.Context) (*apiClient, error) {
	if o.server != "" {
		return o.remote()
	}
	st, hasher, err := o.open(ctx)
	if err != nil {
		return nil, err
	}
	return o.local(st, hasher)
}

func (o *clientFlags) remote() (*apiClient, error) {
	for _, f := range []string{"db", "secret-file", "token-ttl"} {
		if o.set(f) {
			return nil, fmt.Errorf("--%s is for the database, and --server uses the server's: give one or the other", f)
		}
	}
	u, err := url.Parse(o.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q: want the server's URL, such as http://127.0.0.1:8080", o.server)
	}
	if o.adminToken == "" {
		return nil, errors.New("--server needs an admin token: set SCIMD_ADMIN_TOKEN (or --admin-token); scimd admin-token create makes one")
	}
	// The server's URL, or that of its API or its console, which the
	// banner prints: all lead to the API.
	p := strings.TrimSuffix(u.Path, "/")
	p = strings.TrimSuffix(p, admin.Prefix)
	p = strings.TrimSuffix(p, strings.TrimSuffix(console.Prefix, "/"))
	u.Path, u.RawPath = p+admin.Prefix, ""
	return &apiClient{
		Client: admin.Client{HTTP: &http.Client{Timeout: 60 * time.Second}, URL: u.String(), Token: o.adminToken},
		close:  func() error { return nil },
	}, nil
}

// local serves the API over st in this process, to the user running the
// command, who needs no admin token: whoever can open the database can
// change it anyway.
func (o *clientFlags) local(st store.Store, hasher *token.Hasher) (*apiClient, error) {
	ten := o.tenant(st, hasher)
	h := adminapi.New(adminapi.Config{Store: st, Hasher: hasher, Tenant: ten, Log: slog.New(slog.DiscardHandler)})
	return &apiClient{
		Client: admin.Client{HTTP: &http.Client{Transport: admin.InProcess(h.Local(operator()))}, URL: "http://scimd.local" + admin.Prefix},
		close: func() error {
			h.Close()
			return st.Close()
		},
	}, nil
}

// operator names the user running the command, as the audit log and the
// tokens it creates record them.
func operator() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		return "cli"
	}
	return "cli:" + name
}

// apiError is an error response of the API.
type apiError struct {
	Status  int
	Code    string
	Message string
}

// apiHint is how the API's messages end when they point to an endpoint,
// which the commands replace with the command that does the same.
var apiHint = regexp.MustCompile(`; GET ` + regexp.QuoteMeta(admin.Prefix) + `\S* lists them$`)

func (e *apiError) Error() string {
	msg := apiHint.ReplaceAllString(e.Message, "")
	switch e.Code {
	case adminapi.CodeWorkspaceNotFound:
		msg += " (see scimd workspace list)"
	case adminapi.CodeUnauthorized:
		msg = "the server refused the admin token: " + msg
	}
	return msg
}

// do sends a request to the admin API as admin.Client.Do does, and
// turns its error answers into messages for the command line.
func (c *apiClient) do(ctx context.Context, method, path string, query url.Values, in, out any) (json.RawMessage, error) {
	b, err := c.Do(ctx, method, path, query, in, out)
	if err != nil {
		return nil, cliError(err)
	}
	return b, nil
}

// cliError turns an error answer of the API into a message for the
// command line.
func cliError(err error) error {
	if e, ok := admin.IsError(err); ok {
		return &apiError{Status: e.Status, Code: e.Code, Message: e.Message}
	}
	return err
}

// printRaw prints a JSON response as it came, for --json.
func printRaw(w io.Writer, b json.RawMessage) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}
