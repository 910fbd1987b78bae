package webhook_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/webhook"
)

// The test vector of the specification's reference libraries.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignSpecVector(t *testing.T) {
	secret, err := webhook.ParseSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(vectorTimestamp, 0)
	if got := webhook.Sign(secret, vectorID, ts, []byte(vectorPayload)); got != vectorSignature {
		t.Errorf("Sign = %s, want %s", got, vectorSignature)
	}
	h := http.Header{}
	h.Set(webhook.HeaderID, vectorID)
	h.Set(webhook.HeaderTimestamp, strconv.Itoa(vectorTimestamp))
	h.Set(webhook.HeaderSignature, vectorSignature)
	if err := webhook.Verify(secret, h, []byte(vectorPayload), ts); err != nil {
		t.Errorf("Verify(spec vector): %v", err)
	}
}

func TestSecrets(t *testing.T) {
	a, b := webhook.NewSecret(), webhook.NewSecret()
	if a == b {
		t.Error("NewSecret returned the same secret twice")
	}
	if !strings.HasPrefix(a, webhook.SecretPrefix) {
		t.Errorf("NewSecret = %q, want prefix %q", a, webhook.SecretPrefix)
	}
	if key, err := webhook.ParseSecret(a); err != nil || len(key) != 32 {
		t.Errorf("ParseSecret(NewSecret()) = %d bytes, %v; want 32 bytes", len(key), err)
	}

	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	tests := []struct {
		secret string
		size   int // 0: an error
	}{
		{vectorSecret, 24},
		{strings.TrimPrefix(vectorSecret, webhook.SecretPrefix), 24},
		{"whsec_" + b64(64), 64},
		{"", 0},
		{"whsec_", 0},
		{"whsec_" + b64(23), 0},
		{"whsec_" + b64(65), 0},
		{"whsec_not base64!", 0},
		{"whsec_" + base64.RawStdEncoding.EncodeToString(make([]byte, 32)), 0}, // padding missing
	}
	for _, tt := range tests {
		key, err := webhook.ParseSecret(tt.secret)
		switch {
		case tt.size == 0 && err == nil:
			t.Errorf("ParseSecret(%q) = %d bytes, want an error", tt.secret, len(key))
		case tt.size != 0 && (err != nil || len(key) != tt.size):
			t.Errorf("ParseSecret(%q) = %d bytes, %v; want %d bytes", tt.secret, len(key), err, tt.size)
		}
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	payload := []byte(`{"type":"user.created","timestamp":"2025-06-01T12:00:00Z","data":{}}`)
	sent := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	good := webhook.Sign(secret, "evt_1", sent, payload)
	other := webhook.Sign([]byte("another secret, another endpoint"), "evt_1", sent, payload)

	tests := []struct {
		name    string
		change  func(h http.Header)
		secret  []byte
		payload []byte
		now     time.Time // zero: when it was sent
		want    error
	}{
		{name: "good"},
		{name: "received 5 minutes later", now: sent.Add(webhook.Tolerance)},
		{name: "received 5 minutes earlier", now: sent.Add(-webhook.Tolerance)},
		{name: "one good signature of several", change: func(h http.Header) {
			h.Set(webhook.HeaderSignature, other+" v1a,"+strings.Repeat("A", 88)+" v2,"+good[3:]+" v1,!!! "+good)
		}},
		{name: "extra spaces", change: func(h http.Header) { h.Set(webhook.HeaderSignature, "  "+other+"   "+good+" ") }},

		{name: "tampered payload", payload: []byte(`{"type":"user.deleted","timestamp":"2025-06-01T12:00:00Z","data":{}}`), want: webhook.ErrSignature},
		{name: "wrong secret", secret: []byte("another secret, another endpoint, x"), want: webhook.ErrSignature},
		{name: "tampered id", change: func(h http.Header) { h.Set(webhook.HeaderID, "evt_2") }, want: webhook.ErrSignature},
		{name: "tampered timestamp", change: func(h http.Header) {
			h.Set(webhook.HeaderTimestamp, strconv.FormatInt(sent.Unix()+1, 10))
		}, want: webhook.ErrSignature},
		{name: "only other signatures", change: func(h http.Header) { h.Set(webhook.HeaderSignature, other) }, want: webhook.ErrSignature},
		{name: "good digest, other version", change: func(h http.Header) { h.Set(webhook.HeaderSignature, "v2,"+good[3:]) }, want: webhook.ErrSignature},
		{name: "no version", change: func(h http.Header) { h.Set(webhook.HeaderSignature, good[3:]) }, want: webhook.ErrSignature},
		{name: "truncated signature", change: func(h http.Header) { h.Set(webhook.HeaderSignature, good[:len(good)-4]) }, want: webhook.ErrSignature},

		{name: "too old", now: sent.Add(webhook.Tolerance + time.Second), want: webhook.ErrTimestamp},
		{name: "from the future", now: sent.Add(-webhook.Tolerance - time.Second), want: webhook.ErrTimestamp},
		{name: "timestamp with a sign", change: func(h http.Header) {
			h.Set(webhook.HeaderTimestamp, "+"+strconv.FormatInt(sent.Unix(), 10))
		}, want: webhook.ErrTimestamp},
		{name: "timestamp in RFC 3339", change: func(h http.Header) {
			h.Set(webhook.HeaderTimestamp, sent.Format(time.RFC3339))
		}, want: webhook.ErrTimestamp},

		{name: "no id", change: func(h http.Header) { h.Del(webhook.HeaderID) }, want: webhook.ErrMissingHeader},
		{name: "no timestamp", change: func(h http.Header) { h.Del(webhook.HeaderTimestamp) }, want: webhook.ErrMissingHeader},
		{name: "no signature", change: func(h http.Header) { h.Del(webhook.HeaderSignature) }, want: webhook.ErrMissingHeader},
		{name: "empty signature", change: func(h http.Header) { h.Set(webhook.HeaderSignature, "") }, want: webhook.ErrMissingHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set(webhook.HeaderID, "evt_1")
			h.Set(webhook.HeaderTimestamp, strconv.FormatInt(sent.Unix(), 10))
			h.Set(webhook.HeaderSignature, good)
			if tt.change != nil {
				tt.change(h)
			}
			sec, body, now := secret, payload, sent
			if tt.secret != nil {
				sec = tt.secret
			}
			if tt.payload != nil {
				body = tt.payload
			}
			if !tt.now.IsZero() {
				now = tt.now
			}
			err := webhook.Verify(sec, h, body, now)
			if tt.want == nil && err != nil {
				t.Errorf("Verify: %v, want success", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Verify: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyEmptySecret(t *testing.T) {
	// An empty key is a key anyone has: a message "signed" with it must
	// not pass.
	sent := time.Unix(vectorTimestamp, 0)
	h := http.Header{}
	h.Set(webhook.HeaderID, vectorID)
	h.Set(webhook.HeaderTimestamp, strconv.Itoa(vectorTimestamp))
	h.Set(webhook.HeaderSignature, webhook.Sign(nil, vectorID, sent, []byte(vectorPayload)))
	if err := webhook.Verify(nil, h, []byte(vectorPayload), sent); err == nil {
		t.Error("Verify with an empty secret succeeded")
	}
}

func TestPayload(t *testing.T) {
	event := func(data string) store.Event {
		return store.Event{
			Seq:         42,
			ID:          "evt_1",
			WorkspaceID: "ws_1",
			Type:        "user.deactivated",
			Occurred:    time.Date(2025, 6, 1, 14, 0, 0, 123456000, time.FixedZone("CEST", 2*60*60)),
			Subject:     "usr_1",
			Data:        []byte(data),
		}
	}
	const meta = `"eventId":"evt_1","seq":42,"subject":"usr_1","workspace":"acme"`
	tests := []struct {
		name string
		data string
		want string // "": an error
	}{
		{
			name: "data merged with the event's metadata, in UTC, compact, keys sorted",
			data: `{"reason": "left", "user": {"id": "usr_1", "active": false}, "note": "<b> & </b>"}`,
			want: `{"type":"user.deactivated","timestamp":"2025-06-01T12:00:00.123456Z","data":{` +
				`"eventId":"evt_1","note":"<b> & </b>","reason":"left","seq":42,"subject":"usr_1",` +
				`"user":{"id":"usr_1","active":false},"workspace":"acme"}}`,
		},
		{
			name: "metadata wins over data of the same names",
			data: `{"workspace": "other", "seq": 1, "eventId": "evt_2", "subject": "usr_2"}`,
			want: `{"type":"user.deactivated","timestamp":"2025-06-01T12:00:00.123456Z","data":{` + meta + `}}`,
		},
		{name: "empty data", data: ``, want: `{"type":"user.deactivated","timestamp":"2025-06-01T12:00:00.123456Z","data":{` + meta + `}}`},
		{name: "null data", data: `null`, want: `{"type":"user.deactivated","timestamp":"2025-06-01T12:00:00.123456Z","data":{` + meta + `}}`},
		{name: "empty object", data: `{}`, want: `{"type":"user.deactivated","timestamp":"2025-06-01T12:00:00.123456Z","data":{` + meta + `}}`},
		{name: "array", data: `[1, 2]`},
		{name: "string", data: `"user"`},
		{name: "malformed", data: `{"reason":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := webhook.Payload(event(tt.data), "acme")
			if tt.want == "" {
				if err == nil {
					t.Errorf("Payload = %s, want an error", got)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("Payload = %s, %v\nwant      %s", got, err, tt.want)
			}
		})
	}
}
