package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scimd/scimd/client"
	"github.com/scimd/scimd/internal/scimdtest"
)

// BenchmarkMiddleware measures requests through the middleware with a
// valid API key, verified over loopback HTTP by a real server each time
// (uncached), or from the cache while Watch follows the feed (cached).
// Requests per second are 1e9 / ns/op.
func BenchmarkMiddleware(b *testing.B) {
	srv := scimdtest.Start(b)
	ws := srv.NewWorkspace("acme")
	user := srv.CreateUser(ws, "ada@acme.test")
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	for _, bm := range []struct {
		name string
		opts []client.Option
	}{
		{"uncached", nil},
		{"cached", []client.Option{client.WithCache(time.Minute)}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			c, err := client.New(srv.URL, ws.AppToken, append(bm.opts, client.WithWorkspace("acme"), client.WithHTTPClient(hc))...)
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go c.Watch(ctx)
			k, err := c.IssueAPIKey(ctx, user, "bench", time.Time{})
			if err != nil {
				b.Fatal(err)
			}
			h := c.Middleware(ok)
			auth := "Bearer " + k.Secret
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				// One request, served again and again: the middleware
				// does not change it.
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Authorization", auth)
				for pb.Next() {
					var w statusWriter
					h.ServeHTTP(&w, r)
					if w.status != 0 {
						b.Errorf("status %d", w.status)
						return
					}
				}
			})
		})
	}
}

// statusWriter is a ResponseWriter that keeps only the status.
type statusWriter struct{ status int }

func (w *statusWriter) Header() http.Header         { return http.Header{} }
func (w *statusWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *statusWriter) WriteHeader(status int)      { w.status = status }
