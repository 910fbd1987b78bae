package server_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/server"
	"github.com/scimd/scimd/internal/store"
)

// A client address that keeps failing to authenticate is refused with
// 429 before its tokens are read, until its budget refills; other
// addresses are not. The 429 waits for the budget, at most a second.
func TestAuthFailureLimit(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.AuthFailureLimit, cfg.AuthFailureBurst = 1, 3
	e := newOpsEnv(t, cfg)
	bad := "scim_" + strings.Repeat("x", 40)
	for _, tok := range []string{"", bad, e.token + "x"} {
		e.wantStatus("a failure within the budget", tok, http.StatusUnauthorized, "")
	}
	start := time.Now()
	r := e.doToken(e.token, "GET", "/scim/v2/Users", nil)
	wantError(t, r, http.StatusTooManyRequests, "")
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("the 429 came after %v, want about a second", d)
	}
	if got := r.header.Get("Retry-After"); got != "1" || !strings.Contains(r.body["detail"].(string), "failed authentications from 127.0.0.1") {
		t.Errorf("Retry-After %q, detail %v", got, r.body["detail"])
	}
	e.wantStatus("a bad token over the budget", bad, http.StatusTooManyRequests, "")

	// Another address is not held back.
	other := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	req, _ := http.NewRequest("GET", e.srv.URL+"/scim/v2/Users", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	if resp, err := other.Do(req); err != nil {
		t.Error(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusOK {
		t.Errorf("from another address: %d, want 200", resp.StatusCode)
	}

	// Successes cost nothing; the budget refills at the limit.
	e.clock.advance(time.Second)
	for range 3 {
		e.wantStatus("once a failure's worth refilled", e.token, http.StatusOK, "")
	}
	e.wantStatus("the failure it holds", bad, http.StatusUnauthorized, "")
	e.wantStatus("and then", e.token, http.StatusTooManyRequests, "")
}

func TestAuthFailureLimitOff(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.AuthFailureLimit = 0
	e := newOpsEnv(t, cfg)
	for range 50 {
		e.wantStatus("without a limit", "scim_nope", http.StatusUnauthorized, "")
	}
	e.wantStatus("a good token", e.token, http.StatusOK, "")
}

// Refused requests are audited as one entry per minute, address or
// token, and kind of refusal, with their count.
func TestRefusalsAudited(t *testing.T) {
	t.Parallel()
	cfg := server.DefaultConfig()
	cfg.AuthFailureLimit, cfg.AuthFailureBurst = 1, 5
	cfg.RateLimit, cfg.RateBurst = 1, 2
	e := newOpsEnv(t, cfg)
	idp, rec := e.mint("acme", "idp", 0)
	for range 5 {
		e.wantStatus("bad token", "scim_nope", http.StatusUnauthorized, "")
	}
	for range 2 {
		e.wantStatus("over the address's budget", "scim_nope", http.StatusTooManyRequests, "")
	}
	e.clock.advance(5 * time.Second) // refills both budgets
	for range 2 {
		e.wantStatus("within the token's rate", idp, http.StatusOK, "")
	}
	for range 4 {
		e.wantStatus("over the token's rate", idp, http.StatusTooManyRequests, "")
	}
	// The minute's counts are written when the next one starts.
	if got := refusalEntries(t, e.st); len(got) != 0 {
		t.Fatalf("entries before the minute is over: %+v", got)
	}
	e.clock.advance(time.Minute)
	e.wantStatus("in the next minute", "", http.StatusUnauthorized, "")

	var got []store.AuditEntry
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		got = refusalEntries(t, e.st)
	}
	want := map[string]int{
		"request.unauthorized address:127.0.0.1 401": 5,
		"request.throttled address:127.0.0.1 429":    2,
		"request.throttled token:" + rec.ID + " 429": 4,
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(got), len(want), got)
	}
	for _, a := range got {
		var p struct {
			Count int    `json:"count"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(a.Payload, &p); err != nil {
			t.Fatal(err)
		}
		k := a.Action + " " + a.Actor + " " + strconv.Itoa(a.Status)
		if n, ok := want[k]; !ok || p.Count != n || p.Error == "" || a.Channel != "scim" {
			t.Errorf("entry %s: %+v, payload %s; want count %d", k, a, a.Payload, n)
		}
		if strings.HasPrefix(a.Actor, "token:") != (a.WorkspaceID != "") {
			t.Errorf("entry %s: workspace %q", k, a.WorkspaceID)
		}
	}
}

func refusalEntries(t *testing.T, st store.Store) []store.AuditEntry {
	t.Helper()
	p, err := st.QueryAudit(context.Background(), store.AuditQuery{Action: "request.*"})
	if err != nil {
		t.Fatal(err)
	}
	return p.Entries
}
