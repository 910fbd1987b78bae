package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/webhook"
)

func TestWebhooks(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "workspaces/acme/webhooks", `{"url":"https://example.com/hooks/scimd"}`).want(http.StatusCreated)
	id, _ := r["id"].(string)
	secret, _ := r["secret"].(string)
	if !strings.HasPrefix(id, "wh_") || r["url"] != "https://example.com/hooks/scimd" || r["event_types"] != nil || r["enabled"] != true {
		t.Fatalf("created %v", r)
	}
	if _, err := webhook.ParseSecret(secret); err != nil || !strings.HasPrefix(secret, webhook.SecretPrefix) {
		t.Fatalf("secret %q: %v", secret, err)
	}
	if w, err := e.st.Webhook(e.ctx, e.acmeID, id); err != nil || w.Secret != secret {
		t.Fatalf("stored %+v, %v", w, err)
	}
	e.now = e.now.Add(time.Second)
	r = e.do("POST", "workspaces/acme/webhooks", `{"url":"http://127.0.0.1:9000/x?a=b","event_types":["user.created","group.*"],"enabled":false}`).want(http.StatusCreated)
	second := r["id"].(string)
	if fmt.Sprint(r["event_types"]) != "[user.created group.*]" || r["enabled"] != false {
		t.Errorf("created %v", r)
	}

	list := e.do("GET", "workspaces/acme/webhooks", "").want(http.StatusOK)["webhooks"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["id"] != id || list[1].(map[string]any)["id"] != second {
		t.Fatalf("webhooks %v", list)
	}
	for _, x := range list {
		if _, ok := x.(map[string]any)["secret"]; ok {
			t.Error("a listing shows a webhook's secret")
		}
	}
	if r := e.do("GET", "workspaces/acme/webhooks/"+id, "").want(http.StatusOK); r["id"] != id || r["secret"] != nil {
		t.Errorf("webhook %v", r)
	}

	// scimd disabled the second; enabling it clears the reason.
	if _, err := e.st.UpdateWebhook(e.ctx, e.acmeID, second, func(w *store.Webhook) error {
		w.DisabledReason = "the endpoint answered 410 Gone"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "workspaces/acme/webhooks/"+second, "").want(http.StatusOK); r["disabled_reason"] != "the endpoint answered 410 Gone" {
		t.Errorf("webhook %v", r)
	}
	r = e.do("PATCH", "workspaces/acme/webhooks/"+second, `{"enabled":true,"event_types":null}`).want(http.StatusOK)
	if r["enabled"] != true || r["event_types"] != nil || r["disabled_reason"] != nil || r["url"] != "http://127.0.0.1:9000/x?a=b" {
		t.Errorf("patched %v", r)
	}
	r = e.do("PATCH", "workspaces/acme/webhooks/"+second, `{"url":"https://example.org/h","event_types":["user.*"]}`).want(http.StatusOK)
	if r["enabled"] != true || fmt.Sprint(r["event_types"]) != "[user.*]" || r["url"] != "https://example.org/h" {
		t.Errorf("patched %v", r)
	}

	r = e.do("POST", "workspaces/acme/webhooks/"+id+"/rotate-secret", "").want(http.StatusOK)
	if next, _ := r["secret"].(string); next == secret || !strings.HasPrefix(next, webhook.SecretPrefix) {
		t.Errorf("rotated secret %q", next)
	} else if w, _ := e.st.Webhook(e.ctx, e.acmeID, id); w.Secret != next {
		t.Errorf("stored secret %q, want the new one", w.Secret)
	}

	e.do("DELETE", "workspaces/acme/webhooks/"+id, "").want(http.StatusNoContent)
	e.do("GET", "workspaces/acme/webhooks/"+id, "").wantError(http.StatusNotFound, CodeWebhookNotFound)
	e.do("DELETE", "workspaces/acme/webhooks/"+id, "").wantError(http.StatusNotFound, CodeWebhookNotFound)

	entries := e.audit("webhook.*")
	var actions []string
	for _, a := range entries {
		actions = append(actions, a.Action)
		if strings.Contains(string(a.Payload), "whsec_") {
			t.Errorf("the audit log holds a secret: %s", a.Payload)
		}
	}
	if want := "webhook.delete webhook.delete webhook.rotate webhook.update webhook.update webhook.create webhook.create"; strings.Join(actions, " ") != want {
		t.Errorf("audit actions %v, want %s", actions, want)
	}
}

func TestWebhookErrors(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		body, code, says string
	}{
		{`{}`, CodeInvalidValue, "url is required"},
		{`{"url":"ftp://example.com/x"}`, CodeInvalidValue, "http or https"},
		{`{"url":"/hooks"}`, CodeInvalidValue, "absolute"},
		{`{"url":"example.com/hooks"}`, CodeInvalidValue, "absolute"},
		{`{"url":"https:///hooks"}`, CodeInvalidValue, "no host"},
		{`{"url":"https://example.com/x#frag"}`, CodeInvalidValue, "fragment"},
		{`{"url":"https://exa mple.com/"}`, CodeInvalidValue, "not a URL"},
		{`{"url":"https://example.com/","event_types":[]}`, CodeInvalidValue, "empty"},
		{`{"url":"https://example.com/","event_types":["User.Created"]}`, CodeInvalidValue, "noun.verb"},
		{`{"url":"https://example.com/","event_types":["*"]}`, CodeInvalidValue, "noun.verb"},
		{`{"url":"https://example.com/","event_types":["user"]}`, CodeInvalidValue, "noun.verb"},
		{`{"url":"https://example.com/","event_types":"user.created"}`, CodeInvalidValue, "list"},
		{`{"url":"https://example.com/","secret":"whsec_mine"}`, CodeInvalidJSON, "unknown field"},
		{`{"url":"https://example.com/","enabled":"yes"}`, CodeInvalidJSON, "enabled"},
	} {
		msg := e.do("POST", "workspaces/acme/webhooks", tt.body).wantError(http.StatusBadRequest, tt.code)
		if !strings.Contains(msg, tt.says) {
			t.Errorf("%s: %q does not say %q", tt.body, msg, tt.says)
		}
	}
	e.do("POST", "workspaces/nope/webhooks", `{"url":"https://example.com/"}`).wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	e.do("GET", "workspaces/nope/webhooks", "").wantError(http.StatusNotFound, CodeWorkspaceNotFound)
	if list, _ := e.st.Webhooks(e.ctx, e.acmeID); len(list) != 0 {
		t.Errorf("%d webhooks after refused creates", len(list))
	}

	id := e.do("POST", "workspaces/acme/webhooks", `{"url":"https://example.com/"}`).want(http.StatusCreated)["id"].(string)
	e.do("PATCH", "workspaces/acme/webhooks/"+id, `{"url":"mailto:x@example.com"}`).wantError(http.StatusBadRequest, CodeInvalidValue)
	e.do("PATCH", "workspaces/acme/webhooks/"+id, `{"event_types":[]}`).wantError(http.StatusBadRequest, CodeInvalidValue)
	e.do("PATCH", "workspaces/acme/webhooks/wh_nope", `{"enabled":false}`).wantError(http.StatusNotFound, CodeWebhookNotFound)
	// Another workspace's webhook is not acme's.
	e.do("POST", "workspaces", `{"slug":"other"}`).want(http.StatusCreated)
	e.do("GET", "workspaces/other/webhooks/"+id, "").wantError(http.StatusNotFound, CodeWebhookNotFound)
	e.do("PATCH", "workspaces/other/webhooks/"+id, `{"enabled":false}`).wantError(http.StatusNotFound, CodeWebhookNotFound)
	e.do("DELETE", "workspaces/other/webhooks/"+id, "").wantError(http.StatusNotFound, CodeWebhookNotFound)
	e.do("POST", "workspaces/other/webhooks/"+id+"/rotate-secret", "").wantError(http.StatusNotFound, CodeWebhookNotFound)
	if w, _ := e.st.Webhook(e.ctx, e.acmeID, id); !w.Enabled {
		t.Error("the webhook was changed through another workspace")
	}
}

// TestDeliveryLog lists a webhook's deliveries by status and page, and
// redelivers a dead one.
func TestDeliveryLog(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "workspaces/acme/webhooks", `{"url":"https://example.com/"}`).want(http.StatusCreated)["id"].(string)
	other := e.do("POST", "workspaces/acme/webhooks", `{"url":"https://example.org/"}`).want(http.StatusCreated)["id"].(string)
	// The events' seqs, named 1, 2 and 3 below: the workspace's outbox
	// may hold others already, such as its token's creation.
	name := map[int64]string{}
	seq := map[int]int64{}
	for i := range 3 {
		evs, err := e.st.AppendEvents(e.ctx, e.acmeID, []store.NewEvent{{Type: "user.created", Subject: fmt.Sprintf("usr_%d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		name[evs[0].Seq], seq[i+1] = fmt.Sprint(i+1), evs[0].Seq
	}
	if res, err := e.st.FanOut(e.ctx, 100); err != nil || res.Deliveries != 6 {
		t.Fatalf("fan out: %+v, %v", res, err)
	}
	// The first event's delivery to the webhook fails for good.
	due, err := e.st.ClaimDeliveries(context.Background(), 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var dead string
	for _, d := range due {
		o := store.DeliveryOutcome{Status: 204, Delivered: true}
		if d.WebhookID == id && d.EventSeq == seq[1] {
			o, dead = store.DeliveryOutcome{Status: 500, Error: "webhook: endpoint answered 500 Internal Server Error"}, d.ID
		}
		if d.EventSeq == seq[3] {
			o = store.DeliveryOutcome{Status: 503, Error: "busy", Retry: time.Now().Add(time.Hour)}
		}
		if err := e.st.FinishDelivery(e.ctx, d.Delivery, o); err != nil {
			t.Fatal(err)
		}
	}

	page := func(query string) ([]any, string) {
		t.Helper()
		r := e.do("GET", "workspaces/acme/webhooks/"+id+"/deliveries"+query, "").want(http.StatusOK)
		next, _ := r["next_cursor"].(string)
		return r["deliveries"].([]any), next
	}
	seqs := func(ds []any) string {
		var s []string
		for _, d := range ds {
			s = append(s, name[int64(d.(map[string]any)["event_seq"].(float64))])
		}
		return strings.Join(s, ",")
	}
	for _, tt := range []struct{ query, want string }{
		{"", "3,2,1"},
		{"?status=dead", "1"},
		{"?status=delivered", "2"},
		{"?status=pending", "3"},
	} {
		if ds, _ := page(tt.query); seqs(ds) != tt.want {
			t.Errorf("deliveries%s: events %s, want %s", tt.query, seqs(ds), tt.want)
		}
	}
	ds, next := page("?limit=2")
	if seqs(ds) != "3,2" || next == "" {
		t.Fatalf("first page %v, next %q", ds, next)
	}
	if ds, next := page("?limit=2&cursor=" + next); seqs(ds) != "1" || next != "" {
		t.Errorf("second page %v, next %q", ds, next)
	}
	ds, _ = page("?status=dead")
	d := ds[0].(map[string]any)
	if d["id"] != dead || d["status"] != "dead" || d["attempts"] != 1.0 || d["last_status"] != 500.0 || d["last_error"] == nil || d["next_attempt"] != nil {
		t.Errorf("dead delivery %v", d)
	}
	e.do("GET", "workspaces/acme/webhooks/"+id+"/deliveries?status=lost", "").wantError(http.StatusBadRequest, CodeInvalidParameter)
	e.do("GET", "workspaces/acme/webhooks/"+id+"/deliveries?limit=0", "").wantError(http.StatusBadRequest, CodeInvalidParameter)
	e.do("GET", "workspaces/acme/webhooks/"+id+"/deliveries?cursor=nope", "").wantError(http.StatusBadRequest, CodeInvalidCursor)
	e.do("GET", "workspaces/acme/webhooks/wh_nope/deliveries", "").wantError(http.StatusNotFound, CodeWebhookNotFound)

	r := e.do("POST", "workspaces/acme/webhooks/"+id+"/deliveries/"+dead+"/redeliver", "").want(http.StatusOK)
	if r["status"] != "pending" || r["attempts"] != 0.0 || r["next_attempt"] == nil || r["warning"] != nil {
		t.Errorf("redelivered %v", r)
	}
	due, err = e.st.ClaimDeliveries(e.ctx, 10, time.Minute)
	if err != nil || len(due) != 1 || due[0].ID != dead {
		t.Fatalf("claimed %+v, %v; want the redelivery due at once", due, err)
	}
	// The log keeps every attempt: the one before the redelivery too.
	if err := e.st.FinishDelivery(e.ctx, due[0].Delivery, store.DeliveryOutcome{Error: "webhook: connection refused", Retry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ds, _ = page("?status=pending")
	var log []string
	for _, d := range ds {
		if d := d.(map[string]any); d["id"] == dead {
			for _, a := range d["attempt_log"].([]any) {
				a := a.(map[string]any)
				log = append(log, fmt.Sprint(a["status"], " ", a["error"], " ", a["at"] != nil))
			}
		}
	}
	if want := []string{"500 webhook: endpoint answered 500 Internal Server Error true", "<nil> webhook: connection refused true"}; !slices.Equal(log, want) {
		t.Errorf("attempt log %q, want %q", log, want)
	}
	e.do("POST", "workspaces/acme/webhooks/"+other+"/deliveries/"+dead+"/redeliver", "").wantError(http.StatusNotFound, CodeDeliveryNotFound)
	e.do("POST", "workspaces/acme/webhooks/"+id+"/deliveries/dlv_nope/redeliver", "").wantError(http.StatusNotFound, CodeDeliveryNotFound)

	// A redelivery to a disabled webhook says that it waits.
	e.do("PATCH", "workspaces/acme/webhooks/"+id, `{"enabled":false}`).want(http.StatusOK)
	r = e.do("POST", "workspaces/acme/webhooks/"+id+"/deliveries/"+dead+"/redeliver", "").want(http.StatusOK)
	if w, _ := r["warning"].(string); !strings.Contains(w, "disabled") {
		t.Errorf("redelivered to a disabled webhook %v, want a warning", r)
	}
	if entries := e.audit("delivery.redeliver"); len(entries) != 4 || entries[0].Target != dead || entries[0].WorkspaceID != e.acmeID {
		t.Errorf("audit %+v", entries)
	}
}

// TestSendTestEvent checks that a test event reaches the one webhook it is
// sent to, through the outbox and a claim as any event, and that its
// delivery shows the body sent and every attempt.
func TestSendTestEvent(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "workspaces/acme/webhooks", `{"url":"https://example.com/"}`).want(http.StatusCreated)["id"].(string)
	other := e.do("POST", "workspaces/acme/webhooks", `{"url":"https://example.org/"}`).want(http.StatusCreated)["id"].(string)

	r := e.do("POST", "workspaces/acme/webhooks/"+id+"/test", "").want(http.StatusCreated)
	dlv, _ := r["id"].(string)
	if r["webhook_id"] != id || r["event_type"] != eventtype.WebhookTest || r["status"] != "pending" || r["next_attempt"] == nil || r["warning"] != nil {
		t.Fatalf("test delivery %v", r)
	}
	if _, err := e.st.FanOut(e.ctx, 100); err != nil {
		t.Fatal(err)
	}
	due, err := e.st.ClaimDeliveries(e.ctx, 10, time.Minute)
	if err != nil || len(due) != 1 || due[0].ID != dlv || due[0].WebhookID != id {
		t.Fatalf("claimed %+v, %v; want the test delivery alone", due, err)
	}
	if err := eventtype.CheckData(eventtype.WebhookTest, due[0].Event.Data); err != nil {
		t.Error(err)
	}
	sent, err := webhook.Payload(due[0].Event, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishDelivery(e.ctx, due[0].Delivery, store.DeliveryOutcome{Status: 500, Error: "webhook: endpoint answered 500 Internal Server Error: try later", Retry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if ds := e.do("GET", "workspaces/acme/webhooks/"+other+"/deliveries", "").want(http.StatusOK)["deliveries"].([]any); len(ds) != 0 {
		t.Errorf("the other webhook has deliveries %v", ds)
	}
	ds := e.do("GET", "workspaces/acme/webhooks/"+id+"/deliveries", "").want(http.StatusOK)["deliveries"].([]any)
	if len(ds) != 1 || ds[0].(map[string]any)["id"] != dlv {
		t.Errorf("deliveries %v, want the test's", ds)
	}

	resp := e.do("GET", "workspaces/acme/webhooks/"+id+"/deliveries/"+dlv, "")
	d := resp.want(http.StatusOK)
	var body struct {
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(resp.body, &body); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body.Payload); err != nil || !bytes.Equal(compact.Bytes(), sent) {
		t.Errorf("payload %s, want what was sent: %s", body.Payload, sent)
	}
	log := d["attempt_log"].([]any)
	if len(log) != 1 || log[0].(map[string]any)["status"] != 500.0 || log[0].(map[string]any)["error"] != "webhook: endpoint answered 500 Internal Server Error: try later" {
		t.Errorf("attempt log %v", log)
	}
	e.do("GET", "workspaces/acme/webhooks/"+other+"/deliveries/"+dlv, "").wantError(http.StatusNotFound, CodeDeliveryNotFound)
	e.do("GET", "workspaces/acme/webhooks/"+id+"/deliveries/dlv_nope", "").wantError(http.StatusNotFound, CodeDeliveryNotFound)
	e.do("POST", "workspaces/acme/webhooks/wh_nope/test", "").wantError(http.StatusNotFound, CodeWebhookNotFound)

	// A disabled webhook's test waits, and says so.
	e.do("PATCH", "workspaces/acme/webhooks/"+other, `{"enabled":false}`).want(http.StatusOK)
	if w, _ := e.do("POST", "workspaces/acme/webhooks/"+other+"/test", "").want(http.StatusCreated)["warning"].(string); !strings.Contains(w, "disabled") {
		t.Errorf("test of a disabled webhook: warning %q", w)
	}
	entries := e.audit("webhook.test")
	if len(entries) != 3 || entries[2].Target != id || entries[2].WorkspaceID != e.acmeID || payload(t, entries[2])["delivery_id"] != dlv {
		t.Errorf("audit %+v", entries)
	}
}
