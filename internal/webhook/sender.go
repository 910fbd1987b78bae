package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// UserAgent is the User-Agent of every webhook request.
const UserAgent = "scimd"

// Config configures a Sender. Zero fields take the defaults.
type Config struct {
	// Timeout bounds one delivery: connecting, sending the request and
	// reading the answer. Default 10 s. The spec suggests 15 to 30 s for
	// receivers that work before they answer (spec, "Request
	// timeouts").
	Timeout time.Duration
	// MaxBody is how many bytes of a response's body Result.Body keeps;
	// the rest is not read. Default 4096: enough for an error message,
	// too little for a receiver to fill the sender's memory.
	MaxBody int
	// BlockPrivate refuses to connect to addresses that are not public:
	// loopback, private networks, link-local addresses (cloud metadata
	// services among them), carrier-grade NAT and other special-purpose
	// ranges of RFC 6890. Endpoint URLs come from the people who
	// configure webhooks, and without it they can make scimd POST to
	// the services on its own network (spec, "Server side request
	// forgery"). The check is on the address actually dialed, after name
	// resolution, so a name that resolves to a private address is
	// refused too. Default off, so that endpoints on loopback and
	// private networks work.
	BlockPrivate bool
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxBody <= 0 {
		c.MaxBody = 4096
	}
	return c
}

// Sender delivers webhooks over HTTP. It is safe for concurrent use, and
// keeps connections to endpoints open between deliveries.
//
// Requests go straight to the endpoints: proxies named in the
// environment (HTTPS_PROXY) are not used, so that BlockPrivate judges the
// endpoint's address rather than the proxy's.
type Sender struct {
	client  *http.Client
	maxBody int
}

// NewSender returns a Sender configured by cfg.
func NewSender(cfg Config) *Sender {
	cfg = cfg.withDefaults()
	d := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
	if cfg.BlockPrivate {
		d.Control = refuseNonPublic
	}
	tr := &http.Transport{
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &Sender{
		client: &http.Client{
			Transport: tr,
			Timeout:   cfg.Timeout,
			// A redirect is a failure: following it loads both sides
			// for nothing, and the endpoint's URL should be updated
			// instead (spec, "Delivery success and failure").
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		maxBody: cfg.MaxBody,
	}
}

// Result is how one delivery attempt went.
type Result struct {
	// Status is the response's status code; 0 if there was no response.
	Status int
	// Duration is how long the attempt took, body read included.
	Duration time.Duration
	// Err says why the attempt failed; nil if it succeeded.
	Err error
	// Body is the start of the response's body, at most Config.MaxBody
	// bytes, as valid UTF-8 without NUL characters (invalid bytes and
	// NULs are dropped), so that it can be shown and stored as text.
	Body string
	// RetryAfter is how long a failed response's Retry-After header
	// (RFC 9110 §10.2.3), as sent with 429 and 503, asks the sender to
	// wait; 0 without one. The spec asks that the next attempt take it
	// into account.
	RetryAfter time.Duration
}

// OK reports whether the endpoint accepted the webhook: a 2xx answer
// (spec, "Delivery success and failure").
func (r Result) OK() bool {
	return r.Err == nil && r.Status >= 200 && r.Status <= 299
}

// Gone reports whether the endpoint answered 410 Gone: it wants no more
// webhooks, and should be disabled rather than retried (spec, "Delivery
// success and failure").
func (r Result) Gone() bool {
	return r.Status == http.StatusGone
}

// Send POSTs payload to url, signed with secret, with the headers of the
// spec: webhook-id msgID, webhook-timestamp ts in unix seconds and
// webhook-signature. msgID must be the same on every attempt of one
// message, as receivers use it to ignore repeats, and must not contain a
// full stop; ts should be the time of this attempt, not of the event, so
// that a retry is not refused as a replay. ctx can end the attempt early.
func (s *Sender) Send(ctx context.Context, url string, secret []byte, msgID string, ts time.Time, payload []byte) Result {
	start := time.Now()
	r := s.send(ctx, url, secret, msgID, ts, payload)
	r.Duration = time.Since(start)
	return r
}

func (s *Sender) send(ctx context.Context, url string, secret []byte, msgID string, ts time.Time, payload []byte) Result {
	if len(secret) == 0 {
		return Result{Err: errors.New("webhook: empty secret")}
	}
	if msgID == "" || strings.Contains(msgID, ".") {
		return Result{Err: fmt.Errorf("webhook: message id %q: want one without full stops", msgID)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return Result{Err: fmt.Errorf("webhook: %w", err)}
	}
	req.Header.Set(HeaderID, msgID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(secret, msgID, ts, payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)

	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Err: fmt.Errorf("webhook: %w", err)}
	}
	defer resp.Body.Close()
	// A body that breaks off is no reason to doubt the status: the
	// receiver has answered, and the body is only for people to read.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, int64(s.maxBody)))
	r := Result{Status: resp.StatusCode, Body: text(body)}
	switch {
	case r.OK():
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		r.Err = fmt.Errorf("webhook: endpoint answered %s to %s: redirects are not followed; update the endpoint's URL", resp.Status, resp.Header.Get("Location"))
	case resp.StatusCode == http.StatusGone:
		r.Err = fmt.Errorf("webhook: endpoint answered %s: it wants no more webhooks", resp.Status)
	default:
		r.Err = fmt.Errorf("webhook: endpoint answered %s", resp.Status)
	}
	if r.Err != nil {
		r.RetryAfter = retryAfter(resp.Header)
	}
	return r
}

// text makes a response body fit to show and to store in a text column,
// which in PostgreSQL refuses invalid UTF-8 and NUL. Cutting the body
// short may split a character; its bytes are dropped with the rest.
func text(b []byte) string {
	return strings.ReplaceAll(strings.ToValidUTF8(string(b), ""), "\x00", "")
}

// retryAfter returns the wait a Retry-After header asks for: delay-seconds
// or an HTTP-date (RFC 9110 §10.2.3), the latter measured from the
// response's Date so that the two clocks need not agree.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	now, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		now = time.Now()
	}
	return max(at.Sub(now), 0)
}

// ErrPrivateAddress is within the error of a delivery that BlockPrivate
// refused; errors.Is tells it.
var ErrPrivateAddress = errors.New("refusing to connect to an address that is not public")

// nonPublic are ranges that IsGlobalUnicast and IsPrivate let through but
// that are not the public internet (RFC 6890's registries).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network": 0.0.0.0 reaches the local host
	netip.MustParsePrefix("100.64.0.0/10"),  // shared address space, RFC 6598: carrier NAT, cloud services
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking, RFC 2544
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved
	netip.MustParsePrefix("::/96"),          // IPv4-compatible, deprecated (RFC 4291 §2.5.5.1)
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64, RFC 8215
	netip.MustParsePrefix("fec0::/10"),      // site-local, deprecated (RFC 3879) but routed in places
}

// nat64 is the well-known NAT64 prefix (RFC 6052): its addresses stand for
// the IPv4 address in their last 32 bits, which is what must be judged.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// refuseNonPublic is a net.Dialer's Control: it runs for each address
// dialed, after name resolution and before the connection is made.
func refuseNonPublic(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !public(ap.Addr()) {
		return ErrPrivateAddress
	}
	return nil
}

func public(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	if !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
