package webhook_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/webhook"
)

var (
	testSecret  = []byte("0123456789abcdef0123456789abcdef")
	testPayload = []byte(`{"type":"user.created","timestamp":"2025-06-01T12:00:00Z","data":{"seq":1}}`)
	testTime    = time.Date(2025, 6, 1, 12, 0, 1, 0, time.UTC)
)

func TestSendHeaders(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()

	res := webhook.NewSender(webhook.Config{}).Send(context.Background(), srv.URL+"/hooks", testSecret, "evt_1", testTime, testPayload)
	if !res.OK() || res.Err != nil || res.Status != http.StatusOK {
		t.Fatalf("Send = %+v, want 200 OK", res)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/hooks" {
		t.Errorf("request %s %s, want POST /hooks", got.Method, got.URL.Path)
	}
	if string(body) != string(testPayload) {
		t.Errorf("body %s, want %s", body, testPayload)
	}
	for name, want := range map[string]string{
		"webhook-id":        "evt_1",
		"webhook-timestamp": strconv.FormatInt(testTime.Unix(), 10),
		"Content-Type":      "application/json",
		"User-Agent":        "scimd",
	} {
		if v := got.Header.Get(name); v != want {
			t.Errorf("%s: %q, want %q", name, v, want)
		}
	}
	if err := webhook.Verify(testSecret, got.Header, body, testTime); err != nil {
		t.Errorf("Verify(what was sent): %v", err)
	}
}

func TestSendStatus(t *testing.T) {
	var redirected atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { redirected.Add(1) }))
	defer target.Close()

	tests := []struct {
		status     int
		header     map[string]string
		ok, gone   bool
		errHas     string
		retryAfter time.Duration
	}{
		{status: 200, ok: true},
		{status: 202, ok: true},
		{status: 204, ok: true},
		{status: 301, header: map[string]string{"Location": target.URL}, errHas: "redirects are not followed"},
		{status: 307, header: map[string]string{"Location": target.URL}, errHas: "307 Temporary Redirect to " + target.URL},
		{status: 400, errHas: "400 Bad Request"},
		{status: 401, errHas: "401 Unauthorized"},
		{status: 404, errHas: "404 Not Found"},
		{status: 410, gone: true, errHas: "410 Gone"},
		{status: 429, header: map[string]string{"Retry-After": "7"}, errHas: "429 Too Many Requests", retryAfter: 7 * time.Second},
		{status: 500, errHas: "500 Internal Server Error"},
		{status: 502, errHas: "502 Bad Gateway"},
		{status: 503, header: map[string]string{
			"Date":        "Sun, 01 Jun 2025 12:00:00 GMT",
			"Retry-After": "Sun, 01 Jun 2025 12:02:30 GMT",
		}, errHas: "503 Service Unavailable", retryAfter: 150 * time.Second},
		{status: 503, header: map[string]string{
			"Date":        "Sun, 01 Jun 2025 12:00:00 GMT",
			"Retry-After": "Sun, 01 Jun 2025 11:00:00 GMT",
		}, errHas: "503"},
		{status: 503, header: map[string]string{"Retry-After": "soon"}, errHas: "503"},
	}
	s := webhook.NewSender(webhook.Config{})
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status)+" "+tt.header["Retry-After"], func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			res := s.Send(context.Background(), srv.URL, testSecret, "evt_1", testTime, testPayload)
			if res.Status != tt.status || res.OK() != tt.ok || res.Gone() != tt.gone || res.RetryAfter != tt.retryAfter {
				t.Errorf("Send = %+v; want status %d, OK %v, Gone %v, RetryAfter %s", res, tt.status, tt.ok, tt.gone, tt.retryAfter)
			}
			switch {
			case tt.ok && res.Err != nil:
				t.Errorf("Err = %v, want nil", res.Err)
			case !tt.ok && (res.Err == nil || !strings.Contains(res.Err.Error(), tt.errHas)):
				t.Errorf("Err = %v, want one that says %q", res.Err, tt.errHas)
			}
		})
	}
	if n := redirected.Load(); n != 0 {
		t.Errorf("redirects followed %d times, want none", n)
	}
}

func TestSendBody(t *testing.T) {
	tests := []struct {
		name    string
		maxBody int
		body    string
		want    string
	}{
		{"short", 0, `{"error":"no such hook"}`, `{"error":"no such hook"}`},
		{"cut at the default 4 KiB", 0, strings.Repeat("x", 10000), strings.Repeat("x", 4096)},
		{"cut at MaxBody", 10, strings.Repeat("y", 100), strings.Repeat("y", 10)},
		{"cut inside a character", 3, "abé", "ab"},
		{"invalid UTF-8 and NUL dropped", 0, "a\xffb\x00c", "abc"},
		{"empty", 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			res := webhook.NewSender(webhook.Config{MaxBody: tt.maxBody}).Send(context.Background(), srv.URL, testSecret, "evt_1", testTime, testPayload)
			if res.Status != http.StatusInternalServerError || res.Body != tt.want {
				t.Errorf("Send = status %d, body %q; want 500, %q", res.Status, res.Body, tt.want)
			}
		})
	}
}

func TestSendFailures(t *testing.T) {
	// hang answers nothing until the client gives up, or the test ends.
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	var hits atomic.Int32
	ok := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer ok.Close()

	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	isTimeout := func(err error) bool {
		var ne net.Error
		return errors.As(err, &ne) && ne.Timeout()
	}
	tests := []struct {
		name   string
		ctx    context.Context
		url    string
		secret []byte // nil: testSecret
		msgID  string
		check  func(error) bool // nil: any error
	}{
		{name: "timeout", url: hang.URL, msgID: "evt_1", check: isTimeout},
		{name: "context canceled", ctx: canceled, url: ok.URL, msgID: "evt_1", check: func(err error) bool { return errors.Is(err, context.Canceled) }},
		{name: "connection refused", url: closed.URL, msgID: "evt_1"},
		{name: "not a URL", url: "http://[::1", msgID: "evt_1"},
		{name: "not HTTP", url: "ftp://" + strings.TrimPrefix(ok.URL, "http://"), msgID: "evt_1"},
		{name: "empty secret", url: ok.URL, secret: []byte{}, msgID: "evt_1"},
		{name: "message id with a full stop", url: ok.URL, msgID: "evt.1"},
		{name: "empty message id", url: ok.URL, msgID: ""},
	}
	s := webhook.NewSender(webhook.Config{Timeout: 200 * time.Millisecond})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, secret := context.Background(), testSecret
			if tt.ctx != nil {
				ctx = tt.ctx
			}
			if tt.secret != nil {
				secret = tt.secret
			}
			res := s.Send(ctx, tt.url, secret, tt.msgID, testTime, testPayload)
			if res.OK() || res.Err == nil || res.Status != 0 {
				t.Fatalf("Send = %+v, want a failure without a status", res)
			}
			if tt.check != nil && !tt.check(res.Err) {
				t.Errorf("Err = %v, not the error expected", res.Err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests that should not have been sent reached the server", n)
	}
}

func TestBlockPrivate(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	port := u.Port()

	// Refused addresses are refused before the connection is made, so
	// none of these sends a packet.
	refused := []string{
		srv.URL, // 127.0.0.1
		"http://localhost:" + port,
		"http://[::1]:" + port,
		"http://[::ffff:127.0.0.1]:" + port,
		"http://0.0.0.0:" + port,
		"http://10.1.2.3/",
		"http://172.16.0.1/",
		"http://192.168.1.1/",
		"http://169.254.169.254/latest/meta-data/",
		"http://100.100.100.200/",
		"http://[fd00::1]/",
		"http://[64:ff9b::a01:203]/", // NAT64 for 10.1.2.3
	}
	blocking := webhook.NewSender(webhook.Config{BlockPrivate: true, Timeout: 5 * time.Second})
	for _, target := range refused {
		res := blocking.Send(context.Background(), target, testSecret, "evt_1", testTime, testPayload)
		if !errors.Is(res.Err, webhook.ErrPrivateAddress) {
			t.Errorf("Send(%s) with BlockPrivate: %+v, want ErrPrivateAddress", target, res)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d refused requests reached the server", n)
	}

	// A public address is dialed. Whether it answers depends on the
	// network the test runs on; the guard must not be what stops it.
	res := webhook.NewSender(webhook.Config{BlockPrivate: true, Timeout: 200 * time.Millisecond}).
		Send(context.Background(), "http://192.0.2.1:9/", testSecret, "evt_1", testTime, testPayload)
	if errors.Is(res.Err, webhook.ErrPrivateAddress) {
		t.Errorf("Send to a public address with BlockPrivate: %v", res.Err)
	}

	// By default, loopback is allowed.
	if res := webhook.NewSender(webhook.Config{}).Send(context.Background(), srv.URL, testSecret, "evt_1", testTime, testPayload); !res.OK() {
		t.Errorf("Send to loopback without BlockPrivate: %+v", res)
	}
}
