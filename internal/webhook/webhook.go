// Package webhook signs and sends webhooks as the Standard Webhooks
// specification describes them (https://www.standardwebhooks.com, version
// 1.0.0): a JSON body of type, timestamp and data, POSTed with the headers
// webhook-id, webhook-timestamp and webhook-signature, the last an
// HMAC-SHA256 of "{id}.{timestamp}.{body}" under a secret shared with the
// endpoint. Any Standard Webhooks library verifies what this package sends;
// Verify is this package's own verifier, for applications' tests and ours.
//
// The package holds no state: a dispatcher keeps the outbox position, the
// attempts and the endpoints, and calls Payload, Sender.Send and
// Schedule.Backoff.
package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// The headers of a webhook (spec, "Webhook headers").
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts a serialized secret (spec, "Signature scheme"), so
// that people and secret scanners can tell what it is.
const SecretPrefix = "whsec_"

// Secret sizes: the spec asks for 24 to 64 random bytes (192 to 512 bits).
// scimd makes 32: HMAC-SHA256 is no stronger than 256 bits whatever the
// key.
const (
	secretSize    = 32
	minSecretSize = 24
	maxSecretSize = 64
)

// Tolerance is how far a webhook's timestamp may be from the verifier's
// clock. A receiver that refuses older messages cannot be fed a recorded
// one again later (spec, "Verifying signatures").
const Tolerance = 5 * time.Minute

// Errors of Verify, to tell with errors.Is.
var (
	// ErrMissingHeader: one of the three webhook headers is missing.
	ErrMissingHeader = errors.New("missing webhook header")
	// ErrSignature: no signature matches the message and the secret.
	ErrSignature = errors.New("no matching webhook signature")
	// ErrTimestamp: the timestamp is malformed, or, on an authentic
	// message, further than Tolerance from now.
	ErrTimestamp = errors.New("webhook timestamp out of tolerance")
)

// NewSecret returns a new signing secret: SecretPrefix and the standard
// base64 encoding of 32 random bytes. Each endpoint should have its own
// (spec, "Additional considerations").
func NewSecret() string {
	b := make([]byte, secretSize)
	rand.Read(b)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ParseSecret returns the key of a serialized secret. The prefix may be
// left out, as the specification's reference libraries allow.
func ParseSecret(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if err != nil {
		return nil, fmt.Errorf("webhook secret: not base64: %w", err)
	}
	if len(b) < minSecretSize || len(b) > maxSecretSize {
		return nil, fmt.Errorf("webhook secret: %d bytes, want %d to %d", len(b), minSecretSize, maxSecretSize)
	}
	return b, nil
}

// Sign returns the signature of a message for the webhook-signature
// header: "v1," and the base64 of the HMAC-SHA256, under secret, of
// "{msgID}.{unix seconds of ts}.{payload}". msgID must not contain a full
// stop, or two different messages could sign the same (spec, "Signature
// scheme").
func Sign(secret []byte, msgID string, ts time.Time, payload []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, msgID, strconv.FormatInt(ts.Unix(), 10), payload))
}

func mac(secret []byte, msgID, ts string, payload []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(msgID))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(payload)
	return m.Sum(nil)
}

// Verify checks that payload, received with the headers h, was signed with
// secret no further than Tolerance from now. The signature header may hold
// several signatures separated by spaces, as it does while a sender
// rotates its secret; one matching "v1" signature is enough, and others
// (other secrets, other schemes such as "v1a") are skipped.
//
// The timestamp is judged only once the signature matches, so that
// ErrTimestamp means an authentic message that is stale or early: a replay
// or a clock that is off.
func Verify(secret []byte, h http.Header, payload []byte, now time.Time) error {
	if len(secret) == 0 {
		return errors.New("webhook: empty secret")
	}
	msgID, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	for _, f := range []struct{ name, value string }{{HeaderID, msgID}, {HeaderTimestamp, ts}, {HeaderSignature, sigs}} {
		if f.value == "" {
			return fmt.Errorf("%w: %s", ErrMissingHeader, f.name)
		}
	}
	// The signed text holds the header as sent, so it must be the plain
	// decimal the spec prescribes, without sign or spaces.
	if strings.Trim(ts, "0123456789") != "" {
		return fmt.Errorf("%w: %s %q is not unix seconds", ErrTimestamp, HeaderTimestamp, ts)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q: %w", ErrTimestamp, HeaderTimestamp, ts, err)
	}
	want := mac(secret, msgID, ts, payload)
	matched := false
	for _, sig := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		// hmac.Equal takes the same time wherever the first difference
		// is, so that a forger learns nothing from how long a refusal
		// takes.
		if err == nil && hmac.Equal(got, want) {
			matched = true
			break
		}
	}
	if !matched {
		return ErrSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("%w: %s is %s from now, more than %s", ErrTimestamp, HeaderTimestamp, d.Abs(), Tolerance)
	}
	return nil
}

// Payload returns the body of the webhook for e, in the shape the spec
// recommends (spec, "Payload structure"):
//
//	{"type": "user.deactivated", "timestamp": "2025-06-01T12:00:00.123456Z",
//	 "data": {...the event's data..., "workspace": "acme",
//	          "eventId": "evt_…", "seq": 42, "subject": "usr_…"}}
//
// timestamp is when the event occurred, in UTC (RFC 3339); the attempt's
// own time is the webhook-timestamp header. The event's data must be a
// JSON object (or empty); workspace, eventId, seq and subject are added to
// it, replacing keys of the same names, so that a receiver can trust them.
// eventId is also the webhook-id a dispatcher should send, and seq orders
// a workspace's events, which retries may deliver out of order. The JSON
// is compact, and its keys in data sorted, so that the same event always
// makes the same bytes.
func Payload(e store.Event, workspaceSlug string) ([]byte, error) {
	data := map[string]any{}
	if d := bytes.TrimSpace(e.Data); len(d) > 0 && !bytes.Equal(d, []byte("null")) {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(d, &fields); err != nil {
			return nil, fmt.Errorf("event %s: data is not a JSON object: %w", e.ID, err)
		}
		for k, v := range fields {
			data[k] = v
		}
	}
	data["workspace"] = workspaceSlug
	data["eventId"] = e.ID
	data["seq"] = e.Seq
	data["subject"] = e.Subject

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// The body is JSON for programs, never HTML: "<" stays "<".
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		Type      string         `json:"type"`
		Timestamp time.Time      `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}{e.Type, e.Occurred.UTC(), data})
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", e.ID, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
