package audit

import (
	"net/http"
	"strings"
)

// correlationHeaders are the request headers that may carry the caller's
// id for a request, most specific first: explicit request ids, then trace
// ids, which load balancers add to every request.
//
// Identity providers send none of their own: Okta's SCIM client sends
// User-Agent "Okta SCIM Client 1.0.0", Accept, Content-Type and
// Authorization, and Microsoft Entra's provisioning service documents no
// request id header either. What arrives comes from proxies, gateways and
// other clients; a request without one should get an id from the server.
var correlationHeaders = []string{
	"X-Request-Id",           // nginx, Envoy, Heroku, many gateways and clients
	"X-Correlation-Id",       // common in API gateways
	"Client-Request-Id",      // Microsoft services' client-side id
	"X-Ms-Client-Request-Id", // Azure SDKs
	"Request-Id",             // .NET HttpClient diagnostics
	"X-Okta-Request-Id",      // Okta's id, on requests it relays
	"Traceparent",            // W3C Trace Context: the trace id
	"X-Amzn-Trace-Id",        // AWS load balancers: the Root field
	"X-Cloud-Trace-Context",  // Google Cloud load balancers: the trace id
}

// maxHeaderValue bounds a header value kept in an entry, correlation ids
// included: enough for any id format, too little to bloat the log.
const maxHeaderValue = 256

// CorrelationID returns the caller's id for the request, from the first
// of the correlation headers that has one: a request id as sent, or the
// trace id of a trace context, so that every request of one trace shares
// it. Only printable ASCII is kept, at most 256 bytes, so that the value
// is safe to log and to index. It returns "" when there is none.
func CorrelationID(h http.Header) string {
	for _, name := range correlationHeaders {
		v := clean(h.Get(name))
		switch name {
		case "Traceparent":
			v = traceParentID(v)
		case "X-Amzn-Trace-Id":
			v = amznRoot(v)
		case "X-Cloud-Trace-Context":
			v, _, _ = strings.Cut(v, "/")
		}
		if v != "" {
			return v
		}
	}
	return ""
}

// traceParentID returns the trace id of a W3C traceparent header
// (version-traceid-parentid-flags, https://www.w3.org/TR/trace-context/),
// or v itself if it is not one.
func traceParentID(v string) string {
	parts := strings.Split(v, "-")
	if len(parts) >= 4 && len(parts[1]) == 32 && isHex(parts[1]) && strings.Trim(parts[1], "0") != "" {
		return strings.ToLower(parts[1])
	}
	return v
}

// amznRoot returns the Root field of an X-Amzn-Trace-Id header
// ("Root=1-…;Parent=…;Sampled=1"), or v itself if it has none.
func amznRoot(v string) string {
	for f := range strings.SplitSeq(v, ";") {
		if k, r, ok := strings.Cut(f, "="); ok && strings.EqualFold(k, "Root") && r != "" {
			return r
		}
	}
	return v
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// clean keeps the printable ASCII of v, trimmed, at most maxHeaderValue
// bytes.
func clean(v string) string {
	v = strings.TrimSpace(v)
	ok := len(v) <= maxHeaderValue
	for i := 0; ok && i < len(v); i++ {
		ok = v[i] >= 0x20 && v[i] < 0x7f
	}
	if ok {
		return v // the usual case: no copy
	}
	var b strings.Builder
	for i := 0; i < len(v) && b.Len() < maxHeaderValue; i++ {
		if v[i] >= 0x20 && v[i] < 0x7f {
			b.WriteByte(v[i])
		}
	}
	return strings.TrimSpace(b.String())
}

// keptHeaders are the request headers an entry keeps, besides the
// correlation headers: who called (the client software and the address
// a proxy saw) and what the write was conditional on. Authorization and
// cookies are never kept.
var keptHeaders = []string{"User-Agent", "X-Forwarded-For", "If-Match", "If-None-Match", "Content-Type"}

// Headers returns the request headers worth keeping in an entry, by
// lower-case name, values cleaned as CorrelationID cleans them; nil if
// there are none.
func Headers(h http.Header) map[string]string {
	var m map[string]string
	for _, list := range [][]string{keptHeaders, correlationHeaders} {
		for _, name := range list {
			if v := clean(h.Get(name)); v != "" {
				if m == nil {
					m = make(map[string]string, 4)
				}
				m[strings.ToLower(name)] = v
			}
		}
	}
	return m
}
