package appapi_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/pgtest"
	"github.com/scimd/scimd/internal/store/postgres"
)

// benchEnv is acme with 1,000 API keys of 100 users, each verified once
// so that the cache holds them, and the bodies that verify them.
func benchEnv(b *testing.B) (*env, [][]byte) {
	e := newEnv(b)
	var bodies [][]byte
	for i := range 100 {
		u := e.user(fmt.Sprintf("user%d@acme.test", i))
		for range 10 {
			secret, _, err := e.iss.IssueAPIKey(e.ctx, e.acme.ID, u, "ci", time.Time{})
			if err != nil {
				b.Fatal(err)
			}
			body := []byte(`{"token":"` + secret + `"}`)
			if r := e.verify(secret); r["valid"] != true {
				b.Fatalf("verify = %v", r)
			}
			bodies = append(bodies, body)
		}
	}
	return e, bodies
}

// BenchmarkVerifyHandler measures POST /v1/verify in the handler, without
// the network, in parallel.
func BenchmarkVerifyHandler(b *testing.B) {
	e, bodies := benchEnv(b)
	auth := "Bearer " + e.app
	var n atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(n.Add(1)) * 7919
		for pb.Next() {
			i++
			req := httptest.NewRequest("POST", "/v1/verify", bytes.NewReader(bodies[i%len(bodies)]))
			req.Header.Set("Authorization", auth)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !bytes.HasPrefix(rec.Body.Bytes(), []byte(`{"valid":true`)) {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
}

// BenchmarkVerifyHTTP measures POST /v1/verify over loopback HTTP/1.1
// with keep-alive, from 1, 4 and 8 clients in the same process, so that
// clients and server share the cores. It reports verifications a second
// and the 50th and 99th percentiles of latency.
func BenchmarkVerifyHTTP(b *testing.B) {
	e, bodies := benchEnv(b)
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	for _, clients := range []int{1, 4, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchHTTP(b, e, srv, bodies, clients, false) })
	}
	// Go's HTTP client costs about as much CPU as the server, on the
	// same cores. A client that writes requests prepared in advance and
	// reads responses barely parsed leaves them to the server, as
	// clients on other machines would.
	for _, clients := range []int{4, 8} {
		b.Run(fmt.Sprintf("raw-clients=%d", clients), func(b *testing.B) { benchHTTP(b, e, srv, bodies, clients, true) })
	}
}

func benchHTTP(b *testing.B, e *env, srv *httptest.Server, bodies [][]byte, clients int, raw bool) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	url, auth := srv.URL+"/v1/verify", "Bearer "+e.app
	var requests [][]byte // for raw clients
	for _, body := range bodies {
		requests = append(requests, fmt.Appendf(nil, "POST /v1/verify HTTP/1.1\r\nHost: scimd\r\nAuthorization: %s\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", auth, len(body), body))
	}

	var (
		next    atomic.Int64
		mu      sync.Mutex
		latency []time.Duration
		wg      sync.WaitGroup
		failed  atomic.Value
	)
	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			lat := make([]time.Duration, 0, b.N/clients+1)
			defer func() {
				mu.Lock()
				latency = append(latency, lat...)
				mu.Unlock()
			}()
			if raw {
				conn, err := net.Dial("tcp", srv.Listener.Addr().String())
				if err != nil {
					failed.Store(err)
					return
				}
				defer conn.Close()
				rd := bufio.NewReader(conn)
				for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
					t0 := time.Now()
					if _, err := conn.Write(requests[(int(i)+c*7919)%len(requests)]); err != nil {
						failed.Store(err)
						return
					}
					if err := readRaw(rd); err != nil {
						failed.Store(err)
						return
					}
					lat = append(lat, time.Since(t0))
				}
				return
			}
			buf := make([]byte, 0, 1024)
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				req, _ := http.NewRequest("POST", url, bytes.NewReader(bodies[(int(i)+c*7919)%len(bodies)]))
				req.Header.Set("Authorization", auth)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Store(err)
					return
				}
				w := bytes.NewBuffer(buf[:0])
				io.Copy(w, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != http.StatusOK || !strings.HasPrefix(w.String(), `{"valid":true`) {
					failed.Store(fmt.Errorf("%d %s", resp.StatusCode, w))
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(latency)
	pct := func(p float64) float64 {
		return float64(latency[min(len(latency)-1, int(p*float64(len(latency))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(len(latency))/elapsed.Seconds(), "verify/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// readRaw reads a response to a verification: 200, with a body that says
// valid, of the Content-Length given.
func readRaw(rd *bufio.Reader) error {
	status, err := rd.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status %q", status)
	}
	n := -1
	for {
		line, err := rd.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if n < 0 {
		return errors.New("no Content-Length")
	}
	body, err := rd.Peek(n)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(body, []byte(`{"valid":true`)) {
		return fmt.Errorf("body %s", body)
	}
	_, err = rd.Discard(n)
	return err
}

// BenchmarkIssueAPIKey measures POST /v1/workspaces/{slug}/users/{id}/api-keys
// in the handler, without the network, in parallel, over 100 users, on
// SQLite and on PostgreSQL. It reports keys issued a second.
func BenchmarkIssueAPIKey(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run("store="+backend, func(b *testing.B) {
			var e *env
			if backend == "sqlite" {
				e = newEnv(b)
			} else {
				st, err := postgres.Open(context.Background(), pgtest.URL(b))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { st.Close() })
				e = newEnvOn(b, st)
			}
			paths := make([]string, 100)
			for i := range paths {
				paths[i] = "/v1/workspaces/acme/users/" + e.user(fmt.Sprintf("user%d@acme.test", i)) + "/api-keys"
			}
			auth, body := "Bearer "+e.app, []byte(`{"name":"ci"}`)
			var n atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				i := int(n.Add(1)) * 7919
				for pb.Next() {
					i++
					req := httptest.NewRequest("POST", paths[i%len(paths)], bytes.NewReader(body))
					req.Header.Set("Authorization", auth)
					req.Header.Set("Content-Type", "application/json")
					rec := httptest.NewRecorder()
					e.h.ServeHTTP(rec, req)
					if rec.Code != http.StatusCreated {
						b.Fatalf("%d %s", rec.Code, rec.Body)
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "keys/s")
		})
	}
}
