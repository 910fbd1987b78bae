package request_test

import (
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/scimd/scimd/internal/request"
)

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkWrap measures what request.Wrap adds to a request: the id, the
// log line (text and JSON, formatted and then discarded), recovery and
// the metrics. "nolog" leaves the log line out, so that the difference
// is what the line costs.
func BenchmarkWrap(b *testing.B) {
	noContent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	m := request.NewMetrics()
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", noContent},
		{"nolog", request.Wrap(noContent, request.Config{Metrics: m})},
		{"text", request.Wrap(noContent, request.Config{Metrics: m, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})},
		{"json", request.Wrap(noContent, request.Config{Metrics: m, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r, _ := http.NewRequest("GET", "/scim/v2/Users/usr_1", nil)
			r.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				bc.h.ServeHTTP(w, r)
			}
		})
	}
}
