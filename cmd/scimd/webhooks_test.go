package main

import (
	"bytes"
	"encoding/json"
	"io"
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

// TestWebhookTestEvent sends a test event with scimd webhook test, on
// SQLite and PostgreSQL: the endpoint receives it, though the webhook
// asked for user events only, and scimd webhook delivery shows the
// attempt and the very body the endpoint got.
func TestWebhookTestEvent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"SQLite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "scimd.db") }},
		{"PostgreSQL", testDB},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const secret = "the installation secret of the tests, at least 32 bytes"
			db := tt.db(t)
			got := make(chan []byte, 10)
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				got <- body
				io.WriteString(w, "thanks")
			}))
			t.Cleanup(hook.Close)
			serveFirstRun(t, db, secret)
			out := runScimdOutput(t, secret, "webhook", "create", "--workspace", "default", "--url", hook.URL, "--events", "user.*", "--db", db)
			wh := regexp.MustCompile(`wh_[a-z0-9]+`).FindString(out)

			out = runScimdOutput(t, secret, "webhook", "test", "--workspace", "default", wh, "--db", db)
			if !regexp.MustCompile(`(?m)^dlv_\S+ +evt_\S+ +webhook\.test +pending +0 `).MatchString(out) {
				t.Fatalf("webhook test printed:\n%s", out)
			}
			dlv := regexp.MustCompile(`dlv_[a-z0-9]+`).FindString(out)
			var sent []byte
			select {
			case sent = <-got:
			case <-time.After(patience):
				t.Fatal("the endpoint got nothing")
			}
			var d struct {
				Status     string          `json:"status"`
				Payload    json.RawMessage `json:"payload"`
				AttemptLog []struct {
					Status   *int   `json:"status"`
					Response string `json:"response"`
				} `json:"attempt_log"`
			}
			for deadline := time.Now().Add(patience); d.Status != "delivered"; time.Sleep(50 * time.Millisecond) {
				raw := runScimdOutput(t, secret, "webhook", "delivery", "--workspace", "default", wh, dlv, "--json", "--db", db)
				if err := json.Unmarshal([]byte(raw), &d); err != nil {
					t.Fatalf("delivery --json: %v\n%s", err, raw)
				}
				if time.Now().After(deadline) {
					t.Fatalf("not delivered: %s", raw)
				}
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, d.Payload); err != nil || compact.String() != string(sent) {
				t.Errorf("payload shown %s, want what the endpoint got: %s", d.Payload, sent)
			}
			if len(d.AttemptLog) != 1 || d.AttemptLog[0].Status == nil || *d.AttemptLog[0].Status != 200 || d.AttemptLog[0].Response != "thanks" {
				t.Errorf("attempt log %+v, want one 200 answered with thanks", d.AttemptLog)
			}
			text := runScimdOutput(t, secret, "webhook", "delivery", "--workspace", "default", wh, dlv, "--db", db)
			for _, want := range []*regexp.Regexp{
				regexp.MustCompile(`(?m)^` + dlv + ` +evt_\S+ +webhook\.test +delivered +1 `),
				regexp.MustCompile(`(?m)^ +attempt 1 +\S.* 200 thanks`),
				regexp.MustCompile(`(?m)^payload:\n\{\n  "type": "webhook.test",`),
			} {
				if !want.MatchString(text) {
					t.Errorf("webhook delivery lacks %s:\n%s", want, text)
				}
			}
			select {
			case b := <-got:
				t.Errorf("the endpoint got more: %s", b)
			default:
			}
		})
	}
}
