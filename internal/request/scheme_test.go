package request_test

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"

	"github.com/scimd/scimd/internal/request"
)

func TestScheme(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		proto string // X-Forwarded-Proto; "-" for none
		tls   bool
		want  string
	}{
		{"-", false, "http"},
		{"-", true, "https"},
		{"https", false, "https"},
		{"HTTPS", false, "https"},
		{"https, http", false, "https"}, // the proxy nearest the client first
		{" http ,https", true, "http"},
		{"http", true, "http"},
		{"ftp", false, "http"},
		{"ftp", true, "https"},
		{"", true, "https"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.proto != "-" {
			r.Header.Set("X-Forwarded-Proto", tt.proto)
		}
		if tt.tls {
			r.TLS = &tls.ConnectionState{}
		} else {
			r.TLS = nil
		}
		if got := request.Scheme(r); got != tt.want {
			t.Errorf("X-Forwarded-Proto %q, TLS %v: %q, want %q", tt.proto, tt.tls, got, tt.want)
		}
	}
}
