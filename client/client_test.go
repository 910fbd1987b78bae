package client_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimd/scimd/client"
	"github.com/scimd/scimd/internal/scimdtest"
)

// env is a running scimd with the workspace acme and its user ada.
type env struct {
	t   *testing.T
	ctx context.Context
	srv *scimdtest.Server
	ws  scimdtest.Workspace
	ada string // ada's id
	// verifications counts the POST /v1/verify requests of clients
	// made by newClient.
	verifications atomic.Int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), srv: scimdtest.Start(t)}
	e.ws = e.srv.NewWorkspace("acme")
	e.ada = e.srv.CreateUser(e.ws, "ada@acme.test")
	return e
}

// newClient returns a client of acme's app token, which counts its
// verifications.
func (e *env) newClient(opts ...client.Option) *client.Client {
	e.t.Helper()
	hc := &http.Client{Transport: countingTransport{&e.verifications}}
	c, err := client.New(e.srv.URL, e.ws.AppToken, append([]client.Option{client.WithWorkspace("acme"), client.WithHTTPClient(hc)}, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

type countingTransport struct{ n *atomic.Int64 }

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/verify") {
		t.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// key issues an API key to ada.
func (e *env) key(c *client.Client) client.NewCredential {
	e.t.Helper()
	k, err := c.IssueAPIKey(e.ctx, e.ada, "laptop", time.Time{})
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

func TestNew(t *testing.T) {
	t.Parallel()
	const app = "scimd_app_x"
	tests := []struct {
		url, token string
		wantErr    string
	}{
		{"https://scimd.example.com", app, ""},
		{"https://scimd.example.com/", app, ""},
		{"https://scimd.example.com/v1", app, ""},
		{"http://127.0.0.1:8080/prefix/v1/", app, ""},
		{"scimd.example.com", app, "want the server's URL"},
		{"ftp://scimd.example.com", app, "want the server's URL"},
		{"https://scimd.example.com?x=1", app, "want the server's URL"},
		{"https://scimd.example.com", "scimd_0123", "does not start with scimd_app_"},
		{"https://scimd.example.com", "scimd_admin_0123", "not a SCIM or admin token"},
		{"https://scimd.example.com", "", "does not start with scimd_app_"},
	}
	for _, tt := range tests {
		_, err := client.New(tt.url, tt.token)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("New(%q): %v", tt.url, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("New(%q, %q): %v, want an error with %q", tt.url, tt.token, err, tt.wantErr)
		}
		if err != nil && tt.token != "" && strings.Contains(err.Error(), tt.token) {
			t.Errorf("the error shows the token: %v", err)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The URL of the API works as the server's.
	c, err := client.New(e.srv.URL+"/v1/", e.ws.AppToken, client.WithWorkspace("acme"))
	if err != nil {
		t.Fatal(err)
	}
	k := e.key(c)
	if !strings.HasPrefix(k.Secret, "scimd_key_") || k.Kind != "api_key" || k.UserID != e.ada || k.State != client.StateActive || k.Expires != nil {
		t.Fatalf("issued %+v", k)
	}
	v, err := c.Verify(e.ctx, k.Secret)
	if err != nil {
		t.Fatal(err)
	}
	u := v.User
	if !v.Valid || v.Reason != "" || v.Workspace != "acme" || u.ID != e.ada || u.UserName != "ada@acme.test" || !u.Active ||
		!slices.Equal(u.Roles, []string{"viewer"}) || !u.HasRole("viewer") || u.HasRole("admin") || u.Groups == nil || u.Teams == nil {
		t.Errorf("verified %+v", v)
	}
	if v.Credential.ID != k.ID || v.Credential.Kind != "api_key" || v.Credential.Name != "laptop" {
		t.Errorf("credential %+v, want %+v", v.Credential, k.Credential)
	}

	e.srv.SetActive(e.ws, e.ada, false)
	tests := []struct {
		name, secret, reason string
	}{
		{"deactivated user's key", k.Secret, client.ReasonRevoked},
		{"unknown key", "scimd_key_" + strings.Repeat("A", 64), client.ReasonUnknown},
		{"not a key", "hello", client.ReasonUnknown},
		{"empty", "", client.ReasonUnknown},
	}
	for _, tt := range tests {
		v, err := c.Verify(e.ctx, tt.secret)
		if err != nil || v.Valid || v.Reason != tt.reason || v.User.ID != "" {
			t.Errorf("%s: %+v, %v; want not valid, %s", tt.name, v, err, tt.reason)
		}
	}
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newClient()
	expires := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	k, err := c.IssueAPIKey(e.ctx, e.ada, "ci", expires)
	if err != nil {
		t.Fatal(err)
	}
	if k.Expires == nil || !k.Expires.Equal(expires) {
		t.Errorf("key expires %v, want %v", k.Expires, expires)
	}
	s, err := c.IssueSession(e.ctx, e.ada, "Firefox", 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Secret, "scimd_sess_") || s.Kind != "session" || s.Expires == nil || s.Expires.Sub(s.Created).Round(time.Minute) != 8*time.Hour {
		t.Errorf("session %+v", s)
	}
	if v, err := c.Verify(e.ctx, s.Secret); err != nil || !v.Valid || v.Credential.Kind != "session" {
		t.Errorf("session verifies as %+v, %v", v, err)
	}

	keys, err := c.APIKeys(e.ctx, e.ada)
	if err != nil || len(keys) != 1 || keys[0].ID != k.ID || keys[0].State != client.StateActive {
		t.Errorf("API keys %+v, %v", keys, err)
	}
	revoked, err := c.RevokeSession(e.ctx, e.ada, s.ID)
	if err != nil || revoked.State != client.StateRevoked || revoked.Revoked == nil {
		t.Errorf("revoked %+v, %v", revoked, err)
	}
	if v, err := c.Verify(e.ctx, s.Secret); err != nil || v.Valid || v.Reason != client.ReasonRevoked {
		t.Errorf("revoked session verifies as %+v, %v", v, err)
	}
	sessions, err := c.Sessions(e.ctx, e.ada)
	if err != nil || len(sessions) != 1 || sessions[0].State != client.StateRevoked {
		t.Errorf("sessions %+v, %v", sessions, err)
	}
	if _, err := c.RevokeAPIKey(e.ctx, e.ada, k.ID); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Verify(e.ctx, k.Secret); err != nil || v.Valid {
		t.Errorf("revoked key verifies as %+v, %v", v, err)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other := e.srv.NewWorkspace("globex")
	bob := e.srv.CreateUser(e.ws, "bob@acme.test")
	e.srv.SetActive(e.ws, bob, false)
	tests := []struct {
		name   string
		call   func(c *client.Client) error
		opts   []client.Option
		status int
		code   string
	}{
		{"unknown user", func(c *client.Client) error {
			_, err := c.IssueAPIKey(e.ctx, "nobody", "x", time.Time{})
			return err
		}, nil, http.StatusNotFound, "user_not_found"},
		{"inactive user", func(c *client.Client) error {
			_, err := c.IssueSession(e.ctx, bob, "x", 0)
			return err
		}, nil, http.StatusConflict, "user_inactive"},
		{"unknown credential", func(c *client.Client) error {
			_, err := c.RevokeAPIKey(e.ctx, e.ada, "cred_nope")
			return err
		}, nil, http.StatusNotFound, "credential_not_found"},
		{"session too long", func(c *client.Client) error {
			_, err := c.IssueSession(e.ctx, e.ada, "x", 31*24*time.Hour)
			return err
		}, nil, http.StatusBadRequest, "invalid_value"},
		{"another workspace", func(c *client.Client) error {
			_, err := c.APIKeys(e.ctx, e.ada)
			return err
		}, []client.Option{client.WithWorkspace(other.Slug)}, http.StatusForbidden, "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(e.newClient(tt.opts...))
			var ae *client.Error
			if !errors.As(err, &ae) || ae.Status != tt.status || ae.Code != tt.code || ae.Message == "" {
				t.Errorf("got %v, want %d %s", err, tt.status, tt.code)
			}
		})
	}

	// A revoked app token.
	c, err := client.New(e.srv.URL, "scimd_app_"+strings.Repeat("A", 64))
	if err != nil {
		t.Fatal(err)
	}
	var ae *client.Error
	if _, err := c.Verify(e.ctx, "scimd_key_x"); !errors.As(err, &ae) || ae.Code != "unauthorized" {
		t.Errorf("verify with a bad app token: %v", err)
	}
	// Without a workspace, what needs one says so.
	c, _ = client.New(e.srv.URL, e.ws.AppToken)
	if _, err := c.APIKeys(e.ctx, e.ada); err == nil || !strings.Contains(err.Error(), "WithWorkspace") {
		t.Errorf("APIKeys without a workspace: %v", err)
	}
	// Something that is not scimd.
	other404 := httptest.NewServer(http.NotFoundHandler())
	defer other404.Close()
	c, _ = client.New(other404.URL, e.ws.AppToken)
	if _, err := c.Verify(e.ctx, "scimd_key_x"); err == nil || errors.As(err, &ae) || !strings.Contains(err.Error(), "a scimd server?") {
		t.Errorf("verify against another server: %v", err)
	}
}

// discard is a logger for clients that are meant to fail.
var discard = slog.New(slog.DiscardHandler)
