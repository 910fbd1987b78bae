package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/client"
)

// whoami is an application's handler behind the middleware: it answers
// who the request is from.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	u, ok := client.UserFrom(r.Context())
	v, vok := client.VerificationFrom(r.Context())
	if !ok || !vok || v.User.ID != u.ID {
		http.Error(w, "no user", http.StatusInternalServerError)
		return
	}
	w.Write([]byte(u.UserName + " " + v.Credential.Kind))
})

// get sends a request to h with the Authorization header auth, unless
// "", and returns the status, the body and WWW-Authenticate.
func get(h http.Handler, auth string) (int, string, string) {
	r := httptest.NewRequest("GET", "/me", nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, strings.TrimSpace(w.Body.String()), w.Header().Get("WWW-Authenticate")
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newClient()
	key := e.key(c).Secret
	session, err := c.IssueSession(e.ctx, e.ada, "browser", 0)
	if err != nil {
		t.Fatal(err)
	}
	revoked := e.key(c)
	if _, err := c.RevokeAPIKey(e.ctx, e.ada, revoked.ID); err != nil {
		t.Fatal(err)
	}
	h := c.Middleware(whoami)
	tests := []struct {
		name, auth string
		status     int
		body       string
		challenge  string
	}{
		{"API key", "Bearer " + key, http.StatusOK, "ada@acme.test api_key", ""},
		{"session, scheme in lower case", "bearer " + session.Secret, http.StatusOK, "ada@acme.test session", ""},
		{"no header", "", http.StatusUnauthorized, "a bearer token is required", `Bearer realm="scimd"`},
		{"basic", "Basic YWRhOnB3", http.StatusUnauthorized, "a bearer token is required", `Bearer realm="scimd"`},
		{"empty bearer", "Bearer ", http.StatusUnauthorized, "a bearer token is required", `Bearer realm="scimd"`},
		{"unknown", "Bearer scimd_key_nope", http.StatusUnauthorized, "the bearer token is not valid: unknown",
			`Bearer realm="scimd", error="invalid_token", error_description="unknown"`},
		{"revoked", "Bearer " + revoked.Secret, http.StatusUnauthorized, "the bearer token is not valid: revoked",
			`Bearer realm="scimd", error="invalid_token", error_description="revoked"`},
		{"the app token itself", "Bearer " + e.ws.AppToken, http.StatusUnauthorized, "the bearer token is not valid: unknown",
			`Bearer realm="scimd", error="invalid_token", error_description="unknown"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, challenge := get(h, tt.auth)
			if status != tt.status || body != tt.body || challenge != tt.challenge {
				t.Errorf("got %d %q %q, want %d %q %q", status, body, challenge, tt.status, tt.body, tt.challenge)
			}
		})
	}

	// A server that cannot answer lets nothing through.
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "unavailable", "message": "try again"}})
	}))
	defer down.Close()
	dc, err := client.New(down.URL, e.ws.AppToken, client.WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _ := get(dc.Middleware(whoami), "Bearer "+key); status != http.StatusServiceUnavailable {
		t.Errorf("with the server down: %d, want 503", status)
	}
}

// TestCachedMiddleware shows what the cache is for: after one
// verification over the network, the middleware verifies from memory,
// and still refuses a key as soon as its user is deactivated.
func TestCachedMiddleware(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newClient(client.WithCache(time.Hour), client.WithLogger(discard))
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	watching := make(chan error, 1)
	go func() { watching <- c.Watch(ctx) }()
	key := e.key(c).Secret
	h := c.Middleware(whoami)

	// Verifications before Watch has found the feed's end go to the
	// server; after it, the first does and the rest are remembered.
	waitFor(t, "the cache to be used", func() bool {
		get(h, "Bearer "+key)
		before := e.verifications.Load()
		get(h, "Bearer "+key)
		return e.verifications.Load() == before
	})
	n := e.verifications.Load()
	for range 100 {
		if status, body, _ := get(h, "Bearer "+key); status != http.StatusOK {
			t.Fatalf("%d %s", status, body)
		}
	}
	if got := e.verifications.Load() - n; got != 0 {
		t.Errorf("%d verifications over the network for 100 cached requests", got)
	}

	e.srv.SetActive(e.ws, e.ada, false)
	waitFor(t, "the deactivated user's key to be refused", func() bool {
		status, _, _ := get(h, "Bearer "+key)
		return status == http.StatusUnauthorized
	})

	cancel()
	if err := <-watching; err != context.Canceled {
		t.Errorf("Watch returned %v when its context ended", err)
	}
}

// TestCacheMaxAge shows the cache's safety net: without events, an entry
// is used for maxAge, then verified again.
func TestCacheMaxAge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const maxAge = 200 * time.Millisecond
	c := e.newClient(client.WithCache(maxAge))
	key := e.key(c).Secret
	verify := func() {
		t.Helper()
		if v, err := c.Verify(e.ctx, key); err != nil || !v.Valid {
			t.Fatalf("%+v, %v", v, err)
		}
	}
	start := time.Now()
	verify()
	verify()
	if n := e.verifications.Load(); n != 1 && time.Since(start) < maxAge {
		t.Errorf("%d verifications over the network within maxAge, want 1", n)
	}
	time.Sleep(maxAge)
	verify()
	if n := e.verifications.Load(); n < 2 {
		t.Errorf("%d verifications over the network after maxAge, want 2", n)
	}
}

// TestInvalidate passes events to the cache as an application that gets
// webhooks does, and checks which make the next verification go to the
// server.
func TestInvalidate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.newClient(client.WithCache(time.Hour))
	k := e.key(c)
	members := func(ids ...string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"group": map[string]string{"id": "grp_1"}, "members": ids})
		return b
	}
	tests := []struct {
		event client.Event
		drops bool
	}{
		{client.Event{Type: "user.deactivated", Subject: e.ada}, true},
		{client.Event{Type: "user.deleted", Subject: e.ada}, true},
		{client.Event{Type: "user.roles_changed", Subject: e.ada}, true},
		{client.Event{Type: "user.updated", Subject: e.ada}, true},
		{client.Event{Type: "user.deactivated", Subject: "usr_other"}, false},
		{client.Event{Type: "api_key.revoked", Subject: k.ID}, true},
		{client.Event{Type: "session.revoked", Subject: k.ID}, true},
		{client.Event{Type: "api_key.revoked", Subject: "cred_other"}, false},
		{client.Event{Type: "api_key.created", Subject: "cred_other"}, false},
		{client.Event{Type: "group.member_added", Subject: "grp_1", Data: members(e.ada)}, true},
		{client.Event{Type: "group.member_removed", Subject: "grp_1", Data: members("usr_other", e.ada)}, true},
		{client.Event{Type: "group.member_removed", Subject: "grp_1", Data: members("usr_other")}, false},
		{client.Event{Type: "group.updated", Subject: "grp_1"}, true},
		{client.Event{Type: "group.deleted", Subject: "grp_1"}, true},
		{client.Event{Type: "group.created", Subject: "grp_1"}, false},
		{client.Event{Type: "token.created", Subject: "tok_1"}, false},
	}
	for _, tt := range tests {
		c.Verify(e.ctx, k.Secret) // cached
		before := e.verifications.Load()
		c.Invalidate(tt.event)
		c.Verify(e.ctx, k.Secret)
		if dropped := e.verifications.Load() > before; dropped != tt.drops {
			t.Errorf("%s %s: dropped %v, want %v", tt.event.Type, tt.event.Subject, dropped, tt.drops)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
