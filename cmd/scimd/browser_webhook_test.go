package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWebhookPagesInBrowser: an operator sends a test event to a webhook
// whose endpoint refuses the first attempt, sees the delivery in the log,
// and opens it to find both attempts, the refusal's answer and the body
// sent. Every page fits a phone's screen.
func TestWebhookPagesInBrowser(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if calls.Add(1) == 1 {
			http.Error(w, "not yet: the receiver is starting", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(hook.Close)
	p := startProc(t, nil, "serve", "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(t.TempDir(), "scimd.db"))
	m := p.await(t, firstRunRE)
	root, adminToken := m[1], m[3]
	admin := func(method, path string, body any) map[string]any {
		t.Helper()
		want := http.StatusOK
		if method == "POST" {
			want = http.StatusCreated
		}
		return sendJSON(t, adminToken, "application/json", method, root+"/admin/v1"+path, body, want)
	}
	wh := admin("POST", "/workspaces/default/webhooks", map[string]any{"url": hook.URL + "/hooks/scimd", "event_types": []string{"user.*"}})["id"].(string)

	b := newBrowser(t, exe, root)
	b.signIn(adminToken)

	page := "/admin/workspaces/default/webhooks/" + wh
	b.visit(page, http.StatusOK)
	b.press(`form[action="`+page+`/test"] button`, http.StatusOK)
	b.sees("Sent test event evt_", "webhook.test")

	// The first attempt is refused; the retry, 5 s later, succeeds.
	var dlv string
	for deadline := time.Now().Add(patience); ; time.Sleep(100 * time.Millisecond) {
		ds := admin("GET", "/workspaces/default/webhooks/"+wh+"/deliveries", nil)["deliveries"].([]any)
		if len(ds) == 1 && ds[0].(map[string]any)["status"] == "delivered" {
			dlv = ds[0].(map[string]any)["id"].(string)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the test event was not delivered: %v", ds)
		}
	}
	b.visit(page, http.StatusOK)
	b.sees("delivered", dlv)
	b.look("webhook")
	b.visit(page+"/deliveries/"+dlv, http.StatusOK)
	b.sees("503", "not yet: the receiver is starting", "200", `"type": "webhook.test"`, `"webhook": {`)
	if n := inTab(b, "count attempts", chromedp.Evaluate[int]("document.querySelectorAll('table.attempts tbody tr').length")); n != 2 {
		t.Errorf("the delivery's page lists %d attempts, want 2:\n%s", n, b.text("table.attempts"))
	}
	b.look("delivery")
}
