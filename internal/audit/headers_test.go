package audit

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestCorrelationID(t *testing.T) {
	for _, tt := range []struct {
		name string
		h    http.Header
		want string
	}{
		{"none: Okta's SCIM client", header("User-Agent", "Okta SCIM Client 1.0.0", "Accept", "application/scim+json"), ""},
		{"X-Request-Id", header("X-Request-Id", " abc-123 "), "abc-123"},
		{"X-Correlation-Id", header("x-correlation-id", "corr-1"), "corr-1"},
		{"client-request-id", header("client-request-id", "6e8f1b1c-1b0e-4b8e-9f5a-6f8c0f1d2e3a"), "6e8f1b1c-1b0e-4b8e-9f5a-6f8c0f1d2e3a"},
		{"request id before trace id", header("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "X-Request-Id", "r1"), "r1"},
		{"traceparent", header("traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"traceparent, zero trace id", header("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"), "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
		{"traceparent, malformed", header("traceparent", "garbage"), "garbage"},
		{"AWS", header("X-Amzn-Trace-Id", "Self=1-5759e988-bd862e3fe1be46a994272793;Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"), "1-5759e988-bd862e3fe1be46a994272793"},
		{"Google", header("X-Cloud-Trace-Context", "105445aa7843bc8bf206b12000100000/1;o=1"), "105445aa7843bc8bf206b12000100000"},
		{"Okta relayed", header("X-Okta-Request-Id", "reqd-hLExFwQJ2ZEpocgBDeaA"), "reqd-hLExFwQJ2ZEpocgBDeaA"},
		{"control characters dropped", header("X-Request-Id", "a\x01b\u00e9c\nd"), "abcd"},
		{"only junk: next header", header("X-Request-Id", "\u00e9\u00e9", "X-Correlation-Id", "c2"), "c2"},
		{"bounded", header("X-Request-Id", strings.Repeat("x", 1000)), strings.Repeat("x", maxHeaderValue)},
	} {
		if got := CorrelationID(tt.h); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestHeaders(t *testing.T) {
	h := header(
		"Authorization", "Bearer scim_secret",
		"Cookie", "session=1",
		"User-Agent", "Microsoft Azure AD SCIM provisioning",
		"If-Match", `W/"3"`,
		"X-Forwarded-For", "203.0.113.7",
		"Client-Request-Id", "id-1",
		"Content-Type", "application/scim+json",
		"Accept", "*/*",
	)
	want := map[string]string{
		"user-agent":        "Microsoft Azure AD SCIM provisioning",
		"if-match":          `W/"3"`,
		"x-forwarded-for":   "203.0.113.7",
		"client-request-id": "id-1",
		"content-type":      "application/scim+json",
	}
	if got := Headers(h); !reflect.DeepEqual(got, want) {
		t.Errorf("Headers:\n got %v\nwant %v", got, want)
	}
	if got := Headers(header("Authorization", "Bearer x")); got != nil {
		t.Errorf("Headers without any worth keeping: %v", got)
	}
}

func TestAction(t *testing.T) {
	for _, tt := range []struct {
		method, rt string
		item       bool
		want       string
	}{
		{"GET", "User", false, "user.list"},
		{"HEAD", "User", true, "user.get"},
		{"POST", "Group", false, "group.create"},
		{"PUT", "User", true, "user.replace"},
		{"PATCH", "Group", true, "group.patch"},
		{"DELETE", "User", true, "user.delete"},
		{"OPTIONS", "User", true, "user.options"},
	} {
		if got := Action(tt.method, tt.rt, tt.item); got != tt.want {
			t.Errorf("Action(%s, %s, %v) = %q, want %q", tt.method, tt.rt, tt.item, got, tt.want)
		}
	}
	if got := TokenActor("tok_1"); got != "token:tok_1" {
		t.Errorf("TokenActor: %q", got)
	}
}
