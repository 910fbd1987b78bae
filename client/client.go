package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls scimd's application API with an app token. It is safe for
// concurrent use.
type Client struct {
	base      string // the server's URL, without a trailing slash
	auth      string // the Authorization header
	workspace string
	hc        *http.Client
	log       *slog.Logger
	cache     *cache
}

// An Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests with hc rather than a client of the
// package's own. An hc with a Timeout shorter than a long poll's wait
// (30 seconds) cuts Feed's requests short; prefer contexts.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.hc = hc }
}

// WithWorkspace names the app token's workspace by its slug. Issuing,
// listing and revoking credentials, the event feed and Watch need it;
// Verify does not.
func WithWorkspace(slug string) Option {
	return func(c *Client) { c.workspace = slug }
}

// WithLogger logs what Watch cannot do, such as reach the server, to l;
// the default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) { c.log = l }
}

// DefaultCacheMaxAge is how long WithCache(0) remembers a verification.
const DefaultCacheMaxAge = 30 * time.Second

// WithCache makes Verify remember valid verifications for up to maxAge
// (0: DefaultCacheMaxAge), and answer from memory while it does; never
// beyond the credential's own expiry. Run Watch, or pass webhook events
// to Invalidate, so that a deactivation, deletion, revocation or change
// of roles is seen at once rather than after maxAge: maxAge is a safety
// net for events that do not arrive.
func WithCache(maxAge time.Duration) Option {
	return func(c *Client) {
		if maxAge <= 0 {
			maxAge = DefaultCacheMaxAge
		}
		c.cache = newCache(maxAge, time.Now)
	}
}

// New returns a client of the scimd server at baseURL, such as
// https://scimd.example.com (the URL of its API, ending in /v1, works
// too), authenticating with appToken.
func New(baseURL, appToken string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("scimd client: base URL %q: want the server's URL, such as https://scimd.example.com", baseURL)
	}
	if !strings.HasPrefix(appToken, appTokenPrefix) {
		return nil, fmt.Errorf("scimd client: the app token does not start with %s: the application API takes an app token of the workspace, not a SCIM or admin token", appTokenPrefix)
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), apiPrefix)
	u.RawPath = ""
	c := &Client{base: strings.TrimSuffix(u.String(), "/"), auth: "Bearer " + appToken}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

const (
	appTokenPrefix = "scimd_app_"
	apiPrefix      = "/v1"
)

// Error is an error answer of the API: {"error": {"code", "message"}}.
// Code is stable, for programs to branch on (such as "user_not_found"
// or "user_inactive"); Message says what to fix, for people, and may
// change.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("scimd: %d %s: %s", e.Status, e.Code, e.Message)
}

// errorBody is the JSON of an error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// errNoWorkspace is what the calls that need a workspace return without
// one.
var errNoWorkspace = errors.New("scimd client: no workspace: create the client with client.WithWorkspace(slug)")

// workspacePath returns the path of a resource of the client's workspace.
func (c *Client) workspacePath(segments ...string) (string, error) {
	if c.workspace == "" {
		return "", errNoWorkspace
	}
	var b strings.Builder
	b.WriteString("/workspaces/")
	b.WriteString(url.PathEscape(c.workspace))
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String(), nil
}

// do sends a request for path, below /v1, with query, and with in as its
// JSON body unless in is nil, and decodes the answer into out unless out
// is nil. An error answer of the API is returned as an *Error.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	u := c.base + apiPrefix + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("scimd: %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("scimd: %w", err)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("scimd: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("scimd: %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e errorBody
		if json.Unmarshal(b, &e) != nil || e.Error.Code == "" {
			return fmt.Errorf("scimd: %s %s: %s; is %s a scimd server?", method, apiPrefix+path, resp.Status, c.base)
		}
		return &Error{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("scimd: %s %s: %w", method, apiPrefix+path, err)
		}
	}
	return nil
}
