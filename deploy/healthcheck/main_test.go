package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	health := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	})
	plain := httptest.NewServer(health)
	defer plain.Close()
	// A certificate of an authority the probe does not know, as scimd's
	// would be for a name other than the loopback address it asks.
	tlsSrv := httptest.NewTLSServer(health)
	defer tlsSrv.Close()
	closed := httptest.NewServer(health)
	closed.Close()

	for _, tc := range []struct {
		url  string
		want string // "" for healthy
	}{
		{plain.URL + "/healthz", ""},
		{tlsSrv.URL + "/healthz", ""},
		{strings.Replace(tlsSrv.URL, "127.0.0.1", "localhost", 1) + "/healthz", ""},
		{plain.URL + "/nothing", "404 Not Found"},
		{closed.URL + "/healthz", "connection refused"},
		{"http://%zz", "invalid URL escape"},
	} {
		err := check(tc.url)
		if tc.want == "" && err != nil {
			t.Errorf("check %s: %v, want healthy", tc.url, err)
		}
		if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("check %s: %v, want an error saying %q", tc.url, err, tc.want)
		}
	}
}
