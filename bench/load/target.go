package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/appapi"
	"github.com/scimd/scimd/internal/front"
	reqlog "github.com/scimd/scimd/internal/request" // beside this package's request
	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/store/sqlite"
	"github.com/scimd/scimd/internal/tenant"
	"github.com/scimd/scimd/internal/token"
)

// target is the server under test and the clients for its workspaces.
type target struct {
	describe string
	api      *api // the workspace the workloads run in
	small    *api // a workspace with only small groups; nil if unavailable
	// app is the application API of api's workspace, with an app token;
	// nil against -url.
	app    *api
	st     store.Store
	wsID   string        // workspace of api, with st
	hasher *token.Hasher // with st
	// seed is the store users are seeded through, by seedWorkers
	// goroutines; with st.
	seed        store.Store
	seedWorkers int
	// analyze, if not nil, updates the database's statistics after
	// seeding and setup, before measuring.
	analyze func(context.Context) error
	close   func()
}

// newTarget starts an in-process server or checks the URLs of running ones.
func newTarget(ctx context.Context, c config, log io.Writer) (*target, error) {
	hc := newHTTPClient(c.concurrency)
	if c.url != "" {
		var bases []string
		for u := range strings.SplitSeq(c.url, ",") {
			if u = strings.TrimSpace(u); u == "" {
				continue
			}
			if err := checkLoopback(u); err != nil {
				return nil, err
			}
			bases = append(bases, strings.TrimSuffix(u, "/"))
		}
		if len(bases) == 0 {
			return nil, errors.New("-url: no URL given")
		}
		describe := "server at " + bases[0]
		if len(bases) > 1 {
			describe = fmt.Sprintf("%d servers at %s, round-robin", len(bases), strings.Join(bases, ", "))
		}
		t := &target{
			describe: describe,
			api:      newAPI(hc, bases, c.token),
			close:    hc.CloseIdleConnections,
		}
		if c.smallToken != "" {
			t.small = newAPI(hc, bases, c.smallToken)
		}
		return t, nil
	}
	if isPostgres(c.db) {
		return newPostgresTarget(ctx, c, hc, log)
	}

	path, tmp := c.db, ""
	if path == "" {
		var err error
		if tmp, err = os.MkdirTemp("", "scimd-load-"); err != nil {
			return nil, err
		}
		path = filepath.Join(tmp, "scimd.db")
	}
	cleanup := func() {
		if tmp != "" {
			os.RemoveAll(tmp)
		}
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		cleanup()
		return nil, err
	}
	secret, err := loadSecret(path + ".key")
	if err != nil {
		st.Close()
		cleanup()
		return nil, err
	}
	t, err := startServer(ctx, st, secret, hc, log)
	if err != nil {
		st.Close()
		cleanup()
		return nil, err
	}
	t.describe = "in-process server over SQLite " + path
	// SQLite has one writer: more seeding goroutines only queue.
	t.seed, t.seedWorkers = st, runtime.GOMAXPROCS(0)
	stop := t.close
	t.close = func() {
		stop()
		st.Close()
		cleanup()
	}
	fmt.Fprintf(log, "%s at %s\n", t.describe, t.api.bases[0])
	return t, nil
}

// startServer starts the server over st on a loopback port, with the
// workspaces and tokens the workloads use. Its close stops the server but
// leaves st open.
func startServer(ctx context.Context, st store.Store, secret []byte, hc *http.Client, log io.Writer) (*target, error) {
	h := token.NewHasher(secret)
	ten := tenant.New(st, h)
	tok, wsID, err := benchToken(ctx, st, ten, "bench")
	if err != nil {
		return nil, err
	}
	small, _, err := benchToken(ctx, st, ten, "bench-small")
	if err != nil {
		return nil, err
	}
	appTok, _, err := access.NewIssuer(access.Config{Store: st, Hasher: h}).CreateAppToken(ctx, wsID, "load", time.Now().Add(24*time.Hour))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	cfg := server.DefaultConfig()
	cfg.RateLimit = 0 // the clients are the load to measure
	// As scimd serve mounts them: the application API beside SCIM, with
	// the request ids and metrics around them (the log lines discarded).
	app := appapi.New(appapi.Config{Store: st, Hasher: h})
	scim := server.New(cfg, st, h, nil)
	metrics := reqlog.NewMetrics()
	handler, err := front.New(front.Config{SCIM: scim, App: app, Metrics: metrics})
	if err == nil {
		err = scim.Registerer().Register(metrics)
	}
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	root := "http://" + ln.Addr().String()
	appAPI := newAPI(hc, []string{root + appapi.Prefix}, appTok)
	appAPI.contentType = "application/json"
	return &target{
		api:    newAPI(hc, []string{root + "/scim/v2"}, tok),
		small:  newAPI(hc, []string{root + "/scim/v2"}, small),
		app:    appAPI,
		st:     st,
		wsID:   wsID,
		hasher: h,
		close: func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
			app.Close()
			scim.Close()
			hc.CloseIdleConnections()
		},
	}, nil
}

// benchToken creates the workspace if needed and a short-lived token for it.
func benchToken(ctx context.Context, st store.Store, ten *tenant.Service, slug string) (tok, wsID string, err error) {
	if _, err := ten.CreateWorkspace(ctx, slug); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return "", "", err
	}
	w, err := st.WorkspaceBySlug(ctx, slug)
	if err != nil {
		return "", "", err
	}
	tok, _, err = ten.CreateToken(ctx, slug, "load", 24*time.Hour)
	return tok, w.ID, err
}

// loadSecret reads the installation secret next to the database, as scimd
// does, creating it if missing, so that scimd serve works on the same file.
func loadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		s, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(s) < 32 {
			return nil, fmt.Errorf("secret file %s: want at least 32 bytes as hex", path)
		}
		return s, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	s := make([]byte, 32)
	rand.Read(s)
	return s, os.WriteFile(path, []byte(hex.EncodeToString(s)+"\n"), 0o600)
}

// checkLoopback refuses URLs that do not point at this machine: the tool
// generates heavy load and must not be aimed at anyone else's server.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("-url: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("-url %q: want an http or https URL", raw)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-url %q: only loopback targets (localhost, 127.0.0.0/8, ::1) are allowed", raw)
	}
	return nil
}

func newAPI(hc *http.Client, bases []string, tok string) *api {
	return &api{hc: hc, bases: bases, auth: "Bearer " + tok}
}

func newHTTPClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: 2 * time.Minute, // setup requests may be slow on large data
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// api sends SCIM requests to one workspace, spread round-robin over the
// base URLs of servers that share a database, or, with contentType
// application/json, requests to its application API.
type api struct {
	hc          *http.Client
	bases       []string
	next        atomic.Uint64
	auth        string
	contentType string // of request bodies; "": SCIM JSON
}

// base returns the base URL for the next request.
func (a *api) base() string {
	if len(a.bases) == 1 {
		return a.bases[0]
	}
	return a.bases[(a.next.Add(1)-1)%uint64(len(a.bases))]
}

// do sends a request and reads the response into buf, which it returns
// with the status. body, if not nil, is sent as a.contentType.
func (a *api) do(ctx context.Context, method, path string, body []byte, buf *bytes.Buffer) (int, error) {
	status, _, err := a.exchange(ctx, method, path, body, buf)
	return status, err
}

// exchange is do, also returning the response's header.
func (a *api) exchange(ctx context.Context, method, path string, body []byte, buf *bytes.Buffer) (int, http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base()+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", a.auth)
	req.Header.Set("Accept", "application/scim+json")
	if body != nil {
		ct := a.contentType
		if ct == "" {
			ct = "application/scim+json"
		}
		req.Header.Set("Content-Type", ct)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, err
}

// call sends a request whose status must be want and decodes the response
// into out, if not nil.
func (a *api) call(ctx context.Context, method, path string, in any, want int, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	status, err := a.do(ctx, method, path, body, &buf)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if status != want {
		return &statusError{method: method, path: path, status: status, body: buf.String()}
	}
	if out != nil {
		if err := json.Unmarshal(buf.Bytes(), out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

type statusError struct {
	method, path string
	status       int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %.300s", e.method, e.path, e.status, e.body)
}

func isStatus(err error, status int) bool {
	var se *statusError
	return errors.As(err, &se) && se.status == status
}

// listResponse is the part of a SCIM ListResponse the tool reads.
type listResponse struct {
	TotalResults int `json:"totalResults"`
	Resources    []struct {
		ID string `json:"id"`
	} `json:"Resources"`
}

// find returns the id of the only resource matching a filter, or "".
func (a *api) find(ctx context.Context, endpoint, filter string) (string, error) {
	var lr listResponse
	err := a.call(ctx, "GET", endpoint+"?attributes=id&filter="+url.QueryEscape(filter), nil, http.StatusOK, &lr)
	if err != nil || len(lr.Resources) == 0 {
		return "", err
	}
	return lr.Resources[0].ID, nil
}

// total returns totalResults of a query.
func (a *api) total(ctx context.Context, endpoint, filter string) (int, error) {
	path := endpoint + "?count=0"
	if filter != "" {
		path += "&filter=" + url.QueryEscape(filter)
	}
	var lr listResponse
	err := a.call(ctx, "GET", path, nil, http.StatusOK, &lr)
	return lr.TotalResults, err
}
