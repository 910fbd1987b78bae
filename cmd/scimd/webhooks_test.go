package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWebhookDeliveryLog has an endpoint refuse each event once: the
// delivery log that scimd webhook deliveries prints shows both attempts,
// the failed one and the retry that succeeded.
func TestWebhookDeliveryLog(t *testing.T) {
	t.Parallel()
	const secret = "the installation secret of the hooks, at least 32 bytes"
	db := "sqlite:" + filepath.Join(t.TempDir(), "scimd.db")
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		id := r.Header.Get("webhook-id")
		if seen[id]++; seen[id] == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)

	srv, tok := serveFirstRun(t, db, secret)
	out := runScimdOutput(t, secret, "webhook", "create", "--workspace", "default", "--url", hook.URL, "--events", "user.created", "--db", db)
	wh := regexp.MustCompile(`wh_[a-z0-9]+`).FindString(out)
	if wh == "" {
		t.Fatalf("no webhook id in %q", out)
	}
	c := &scimClient{token: tok}
	c.must(t, http.StatusCreated, "POST", srv.url+"/Users", map[string]any{"userName": "hook@example.com"})

	// The retry comes 5 seconds after the first attempt.
	var log []struct {
		Status *int   `json:"status"`
		Error  string `json:"error"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var page struct {
			Deliveries []struct {
				Status     string          `json:"status"`
				AttemptLog json.RawMessage `json:"attempt_log"`
			} `json:"deliveries"`
		}
		raw := runScimdOutput(t, secret, "webhook", "deliveries", "--workspace", "default", wh, "--json", "--db", db)
		if err := json.Unmarshal([]byte(raw), &page); err != nil {
			t.Fatalf("deliveries --json: %v\n%s", err, raw)
		}
		if len(page.Deliveries) == 1 && page.Deliveries[0].Status == "delivered" {
			if err := json.Unmarshal(page.Deliveries[0].AttemptLog, &log); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivered delivery within 30s: %s", raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(log) != 2 || log[0].Status == nil || *log[0].Status != 503 || !strings.Contains(log[0].Error, "503") ||
		log[1].Status == nil || *log[1].Status != 204 || log[1].Error != "" {
		t.Errorf("attempt log %+v, want the 503 and then the 204", log)
	}

	table := runScimdOutput(t, secret, "webhook", "deliveries", "--workspace", "default", wh, "--db", db)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^dlv_\S+ +evt_\S+ +user\.created +delivered +2 .* 204 `),
		regexp.MustCompile(`(?m)^ +attempt 1 +\S.* 503 `),
		regexp.MustCompile(`(?m)^ +attempt 2 +\S.* 204 `),
	} {
		if !want.MatchString(table) {
			t.Errorf("deliveries table lacks %s:\n%s", want, table)
		}
	}
}
