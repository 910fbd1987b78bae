// Command appcache measures package client's middleware against a running
// scimd, over loopback HTTP: how many requests a second it verifies with
// and without its cache, and how long after an identity provider's
// deactivation (the SCIM PATCH's response) the cached middleware first
// refuses the user's key.
//
//	scimd serve --addr 127.0.0.1:8080 &
//	go run ./bench/appcache -url http://127.0.0.1:8080 -admin-token scimd_admin_…
//
// It creates a workspace of its own with the admin API, and its users
// with SCIM. See bench/README.md.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimd/scimd/client"
	"github.com/scimd/scimd/client/admin"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "scimd's URL")
	adminURL := flag.String("admin-url", "", "the admin API's server, if not -url (serve --admin-addr)")
	adminToken := flag.String("admin-token", os.Getenv("SCIMD_ADMIN_TOKEN"), "an admin token (env SCIMD_ADMIN_TOKEN)")
	duration := flag.Duration("duration", 5*time.Second, "how long each throughput run lasts")
	workers := flag.Int("concurrency", 8, "concurrent requests in the throughput runs")
	trials := flag.Int("trials", 200, "deactivations to time")
	flag.Parse()
	if *adminURL == "" {
		*adminURL = *url
	}
	if err := run(*url, *adminURL, *adminToken, *duration, *workers, *trials); err != nil {
		fmt.Fprintln(os.Stderr, "appcache:", err)
		os.Exit(1)
	}
}

func run(url, adminURL, adminToken string, duration time.Duration, workers, trials int) error {
	ctx := context.Background()
	adm := &admin.Client{URL: adminURL + admin.Prefix, Token: adminToken}
	slug := fmt.Sprintf("appcache-%d", time.Now().UnixNano())
	if _, err := adm.CreateWorkspace(ctx, slug, nil); err != nil {
		return err
	}
	defer adm.DeleteWorkspace(ctx, slug)
	scimTok, err := adm.CreateSCIMToken(ctx, slug, admin.TokenRequest{Name: "appcache"})
	if err != nil {
		return err
	}
	appTok, err := adm.CreateAppToken(ctx, slug, admin.TokenRequest{Name: "appcache"})
	if err != nil {
		return err
	}
	idp := &scim{url: url + "/scim/v2", token: scimTok.Secret}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * workers}}
	uncached, err := client.New(url, appTok.Secret, client.WithWorkspace(slug), client.WithHTTPClient(hc))
	if err != nil {
		return err
	}
	var verifications atomic.Int64 // of the cached client, over the network
	cached, err := client.New(url, appTok.Secret, client.WithWorkspace(slug), client.WithCache(time.Minute),
		client.WithHTTPClient(&http.Client{Transport: counting{hc.Transport, &verifications}}))
	if err != nil {
		return err
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go cached.Watch(wctx)

	fmt.Printf("GOMAXPROCS %d, %d concurrent requests for %s each\n\n", runtime.GOMAXPROCS(0), workers, duration)
	user, err := idp.createUser("throughput@appcache.test")
	if err != nil {
		return err
	}
	key, err := uncached.IssueAPIKey(ctx, user, "throughput", time.Time{})
	if err != nil {
		return err
	}
	fmt.Println("| middleware | verifications/s |")
	fmt.Println("|---|---|")
	for _, m := range []struct {
		name string
		c    *client.Client
	}{{"uncached", uncached}, {"cached", cached}} {
		n, err := throughput(m.c.Middleware(ok), key.Secret, workers, duration)
		if err != nil {
			return err
		}
		fmt.Printf("| %s | %.0f |\n", m.name, float64(n)/duration.Seconds())
	}

	h := cached.Middleware(ok)
	var lat []time.Duration
	for i := range trials {
		user, err := idp.createUser(fmt.Sprintf("user%d@appcache.test", i))
		if err != nil {
			return err
		}
		key, err := uncached.IssueAPIKey(ctx, user, "trial", time.Time{})
		if err != nil {
			return err
		}
		// Wait for a request answered from the cache: until Watch has
		// found the feed's end, none is.
		for {
			before := verifications.Load()
			if status(h, key.Secret) != http.StatusOK {
				return fmt.Errorf("user %s's new key is refused", user)
			}
			if verifications.Load() == before {
				break
			}
		}
		if err := idp.setActive(user, false); err != nil {
			return err
		}
		answered := time.Now()
		for status(h, key.Secret) == http.StatusOK {
			if time.Since(answered) > 10*time.Second {
				return fmt.Errorf("the deactivated user %s's key is still let through after 10s", user)
			}
		}
		lat = append(lat, time.Since(answered))
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[max(0, int(float64(len(lat))*p+0.5)-1)] }
	fmt.Printf("\nfrom a SCIM deactivation's response to the cached middleware's first 401, %d trials:\n", len(lat))
	fmt.Printf("p50 %s, p90 %s, p99 %s, max %s\n", pct(0.5), pct(0.9), pct(0.99), lat[len(lat)-1])
	return nil
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})

// status sends h a request with the key and returns its status.
func status(h http.Handler, key string) int {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// throughput sends h requests with the key from workers goroutines for
// d, and returns how many it answered.
func throughput(h http.Handler, key string, workers int, d time.Duration) (int64, error) {
	var (
		n    atomic.Int64
		bad  atomic.Int64
		wg   sync.WaitGroup
		stop = time.Now().Add(d)
	)
	for range workers {
		wg.Go(func() {
			for time.Now().Before(stop) {
				if status(h, key) != http.StatusOK {
					bad.Add(1)
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	if bad.Load() > 0 {
		return 0, fmt.Errorf("%d of %d requests refused", bad.Load(), n.Load())
	}
	return n.Load(), nil
}

// counting counts the requests to POST /v1/verify.
type counting struct {
	rt http.RoundTripper
	n  *atomic.Int64
}

func (c counting) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/v1/verify" {
		c.n.Add(1)
	}
	return c.rt.RoundTrip(r)
}

// scim is an identity provider.
type scim struct{ url, token string }

func (s *scim) do(method, path string, body any) (map[string]any, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode >= 300 {
		return nil, fmt.Errorf("SCIM %s %s: %s %v", method, path, resp.Status, out)
	}
	return out, nil
}

func (s *scim) createUser(userName string) (string, error) {
	u, err := s.do("POST", "/Users", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName, "active": true})
	if err != nil {
		return "", err
	}
	id, _ := u["id"].(string)
	return id, nil
}

// setActive sends the PATCH identity providers send (RFC 7644 §3.5.2).
func (s *scim) setActive(id string, active bool) error {
	_, err := s.do("PATCH", "/Users/"+id, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "value": map[string]any{"active": active}}}})
	return err
}
