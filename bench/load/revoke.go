package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scimd/scimd/internal/access"
	"github.com/scimd/scimd/internal/delivery"
	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/webhook"
)

// webhookPath is the path of the tool's webhook receiver. The workspace's
// webhooks to it are the tool's: those an interrupted run left behind are
// deleted by the next, so that the dispatcher does not retry them.
const webhookPath = "/scimd-load/webhook"

// revokeWarmup deactivations run unmeasured before the others: the first
// delivery may wait for the dispatcher to move over a backlog of events
// that a reused database has gathered since it last ran.
const revokeWarmup = 5

// revokeTimeout bounds one deactivation: creating the user and its key,
// the PATCH, the first refusal and the webhook.
const revokeTimeout = 30 * time.Second

// deactivateBody is the PATCH that Okta sends to deactivate a user.
var deactivateBody = []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],` +
	`"Operations":[{"op":"replace","value":{"active":false}}]}`)

// deactivation is what one deactivation took, each from sending the PATCH.
type deactivation struct {
	patch   time.Duration // until its response
	refused time.Duration // until the response of the first refused verification
	webhook time.Duration // until the user.deactivated webhook arrived
	reason  string        // of the refusal
	// stale counts verifications sent after the PATCH's response that
	// were answered valid: the server promises none.
	stale int
	early bool // the refusal arrived before the PATCH's response
}

// revoke measures, cfg.revokes times, one at a time, what deactivating a
// user with an API key does for the application: it creates the user with
// SCIM and issues it a key, verifies the key in a tight loop from another
// goroutine, sends the PATCH that deactivates the user while that loop
// runs, and waits for the first refused verification and for the
// user.deactivated webhook at a local receiver, delivered by a dispatcher
// running beside the server as in scimd serve. It reports three rows: the
// PATCH's response time, and the time from sending it to the refusal and
// to the webhook.
func (b *bench) revoke(ctx context.Context) ([]result, error) {
	st, wsID := b.t.st, b.t.wsID
	hooks, err := st.Webhooks(ctx, wsID)
	if err != nil {
		return nil, err
	}
	for _, h := range hooks {
		if u, err := url.Parse(h.URL); err == nil && u.Path == webhookPath {
			if err := st.DeleteWebhook(ctx, wsID, h.ID); err != nil {
				return nil, fmt.Errorf("delete the webhook of an earlier run: %w", err)
			}
		}
	}
	secret := webhook.NewSecret()
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		return nil, err
	}
	rc := &receiver{secret: key, waiting: map[string]chan time.Time{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	wh := store.Webhook{
		ID: id.New(id.Webhook), WorkspaceID: wsID, URL: srv.URL + webhookPath, Secret: secret,
		EventTypes: []string{"user.deactivated"}, Enabled: true, Created: time.Now(),
	}
	if err := st.CreateWebhook(ctx, &wh); err != nil {
		return nil, fmt.Errorf("create the webhook: %w", err)
	}
	defer func() {
		if err := st.DeleteWebhook(context.WithoutCancel(ctx), wsID, wh.ID); err != nil {
			fmt.Fprintf(b.log, "revoke: delete webhook %s: %v\n", wh.ID, err)
		}
	}()
	d := delivery.New(delivery.Config{}, st, webhook.NewSender(webhook.Config{}), nil, nil, nil)
	if err := d.Start(ctx); err != nil {
		return nil, fmt.Errorf("start delivering events: %w", err)
	}
	dctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(dctx)
	}()
	defer func() {
		stop()
		<-done
	}()

	fmt.Fprintf(b.log, "running revoke: %d deactivations after %d unmeasured\n", b.cfg.revokes, revokeWarmup)
	iss := access.NewIssuer(access.Config{Store: st, Hasher: b.t.hasher})
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var patch, refused, hook []time.Duration
	var cpu cpuSample
	var start time.Time
	stale, early, reasons := 0, 0, map[string]int{}
	for i := range revokeWarmup + b.cfg.revokes {
		if i == revokeWarmup {
			cpu, start = sampleCPU(), time.Now()
		}
		name := "bench.revoke." + run + "." + strconv.Itoa(i) + "@example.com"
		m, err := b.deactivate(ctx, iss, rc, name)
		if ctx.Err() != nil {
			break // interrupted: report what was measured
		}
		if err != nil {
			return nil, fmt.Errorf("deactivate %s: %w", name, err)
		}
		if err := rc.failure(); err != nil {
			return nil, fmt.Errorf("webhook receiver: %w", err)
		}
		if i < revokeWarmup {
			continue
		}
		patch, refused, hook = append(patch, m.patch), append(refused, m.refused), append(hook, m.webhook)
		stale += m.stale
		if m.early {
			early++
		}
		reasons[m.reason]++
		if n := len(patch); n%50 == 0 {
			fmt.Fprintf(b.log, "revoke: %d of %d\n", n, b.cfg.revokes)
		}
	}
	if len(patch) == 0 {
		return nil, nil
	}
	var rs []string
	for _, r := range slices.Sorted(maps.Keys(reasons)) {
		rs = append(rs, fmt.Sprintf("%q %d", r, reasons[r]))
	}
	note := fmt.Sprintf("%d deactivations, one at a time, after %d unmeasured; refusals by reason: %s; "+
		"refusals that arrived before the PATCH's response: %d; verifications sent after the PATCH's response "+
		"and answered valid: %d. One client verified the key in a loop from before each PATCH, in the server's "+
		"process, on the same cores", len(patch), revokeWarmup, strings.Join(rs, ", "), early, stale)
	others := othersCPU(cpu, sampleCPU(), time.Since(start))
	row := func(label string, lat []time.Duration) result {
		slices.Sort(lat)
		return result{label: label, requests: len(lat), lat: lat, others: others}
	}
	out := []result{
		row("revoke: PATCH active=false, response", patch),
		row("revoke: PATCH sent → first refused /v1/verify", refused),
		row("revoke: PATCH sent → user.deactivated webhook", hook),
	}
	out[len(out)-1].note = note
	for _, r := range out {
		fmt.Fprintf(b.log, "%s: p50 %s, p99 %s, max %s\n", r.label, ms(r.percentile(0.5)), ms(r.percentile(0.99)), ms(r.percentile(1)))
	}
	return out, nil
}

// deactivate creates a user named name with an API key and deactivates
// it, measuring what follows.
func (b *bench) deactivate(ctx context.Context, iss *access.Issuer, rc *receiver, name string) (deactivation, error) {
	var m deactivation
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	var u struct {
		ID string `json:"id"`
	}
	if err := b.t.api.call(ctx, "POST", "/Users", userDoc(name), http.StatusCreated, &u); err != nil {
		return m, err
	}
	secret, _, err := iss.IssueAPIKey(ctx, b.t.wsID, u.ID, "load", time.Now().Add(time.Hour))
	if err != nil {
		return m, fmt.Errorf("issue an API key: %w", err)
	}
	hook := rc.expect(u.ID)
	defer rc.forget(u.ID)

	// The loop verifies from before the PATCH, so that the key is in
	// the verifier's cache, as a key in use is, and so that the first
	// refusal is seen within one verification of when it begins.
	type outcome struct {
		refused time.Time   // when the refusal arrived
		valid   []time.Time // when each verification answered valid was sent
		reason  string
		err     error
	}
	ready := make(chan struct{})
	end := make(chan outcome, 1)
	go func() {
		var o outcome
		body := verifyBody(secret)
		var buf bytes.Buffer
		for {
			sent := time.Now()
			status, err := b.t.app.do(ctx, "POST", "/verify", body, &buf)
			at := time.Now()
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("verify: status %d: %.300s", status, buf.Bytes())
			}
			if err != nil {
				o.err = err
				end <- o
				return
			}
			if isValid(buf.Bytes()) == nil {
				if o.valid == nil {
					close(ready)
				}
				o.valid = append(o.valid, sent)
				continue
			}
			var r struct {
				Reason string `json:"reason"`
			}
			if err := json.Unmarshal(buf.Bytes(), &r); err != nil || o.valid == nil {
				o.err = fmt.Errorf("verify: refused before the PATCH: %.300s", buf.Bytes())
			}
			o.refused, o.reason = at, r.Reason
			end <- o
			return
		}
	}()
	select {
	case <-ready:
	case o := <-end:
		return m, o.err
	}

	var buf bytes.Buffer
	sent := time.Now()
	status, err := b.t.api.do(ctx, "PATCH", "/Users/"+u.ID, deactivateBody, &buf)
	answered := time.Now()
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("PATCH: status %d: %.300s", status, buf.Bytes())
	}
	if err != nil {
		return m, err // the loop ends with ctx
	}
	o := <-end
	if o.err != nil {
		return m, o.err
	}
	m.patch, m.refused, m.reason = answered.Sub(sent), o.refused.Sub(sent), o.reason
	m.early = o.refused.Before(answered)
	for _, t := range o.valid {
		if t.After(answered) {
			m.stale++
		}
	}
	select {
	case at := <-hook:
		m.webhook = at.Sub(sent)
	case <-ctx.Done():
		return m, errors.New("no user.deactivated webhook arrived")
	}
	return m, nil
}

// receiver receives the webhooks, checks their signatures and tells who
// waits for a user's user.deactivated when it arrived.
type receiver struct {
	secret []byte

	mu       sync.Mutex
	waiting  map[string]chan time.Time // by user id
	firstErr error
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = webhook.Verify(rc.secret, r.Header, body, at)
	}
	var p struct {
		Type string `json:"type"`
		Data struct {
			Subject string `json:"subject"`
		} `json:"data"`
	}
	if err == nil {
		err = json.Unmarshal(body, &p)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil {
		if rc.firstErr == nil {
			rc.firstErr = err
		}
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ch := rc.waiting[p.Data.Subject]; ch != nil && p.Type == "user.deactivated" {
		select {
		case ch <- at:
		default: // a repeat
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// expect returns the channel on which the arrival of the user's webhook
// is told.
func (rc *receiver) expect(userID string) <-chan time.Time {
	ch := make(chan time.Time, 1)
	rc.mu.Lock()
	rc.waiting[userID] = ch
	rc.mu.Unlock()
	return ch
}

func (rc *receiver) forget(userID string) {
	rc.mu.Lock()
	delete(rc.waiting, userID)
	rc.mu.Unlock()
}

// failure returns the first webhook the receiver could not accept.
func (rc *receiver) failure() error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.firstErr
}
