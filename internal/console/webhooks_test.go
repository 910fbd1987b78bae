package console_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimd/scimd/internal/store"
)

// secretRE finds (the start of) a signing secret in a page.
var secretRE = regexp.MustCompile(`whsec_[A-Za-z0-9]{8,}`)

func TestCreateWebhook(t *testing.T) {
	e := newEnv(t)
	e.signIn()
	p := e.post("/admin/workspaces/acme/webhooks", url.Values{
		"url": {"https://example.com/hooks/scimd"}, "event_types": {"user.created, group.*"}, "enabled": {"true"},
	}).want(http.StatusCreated)
	p.has("the only time it is shown")
	wh := find(e.apiOK("/workspaces/acme/webhooks")["webhooks"], "url", "https://example.com/hooks/scimd")
	if wh == nil || wh["enabled"] != true || jsonText(e, wh["event_types"]) != `["user.created","group.*"]` {
		t.Fatalf("webhook %v", wh)
	}
	stored, err := e.st.Webhook(e.ctx, e.acmeID, wh["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	secret := stored.Secret
	if !strings.Contains(html.UnescapeString(p.body), `<code class="copy secret">`+secret+`</code>`) {
		t.Errorf("the page does not show the signing secret %s:\n%s", secret, p.body)
	}
	if a := e.audited("webhook.create"); a["status"] != 201.0 || a["target"] != wh["id"] {
		t.Errorf("audit entry %v", a)
	}
	for _, path := range []string{"/admin/workspaces/acme", "/admin/workspaces/acme/webhooks/" + wh["id"].(string), "/admin/audit"} {
		if p := e.get(path).want(http.StatusOK); strings.Contains(html.UnescapeString(p.body), secret) {
			t.Errorf("%s shows the signing secret", path)
		}
	}
	e.get("/admin/workspaces/acme").want(http.StatusOK).
		has("https://example.com/hooks/scimd", "user.created, group.*", `href="/admin/workspaces/acme/webhooks/`+wh["id"].(string)+`"`)

	// Unticked, disabled; no types, every event.
	e.post("/admin/workspaces/acme/webhooks", url.Values{"url": {"https://example.org/all"}}).want(http.StatusCreated)
	if wh := find(e.apiOK("/workspaces/acme/webhooks")["webhooks"], "url", "https://example.org/all"); wh == nil || wh["enabled"] != false || wh["event_types"] != nil {
		t.Errorf("webhook %v", wh)
	}
	e.get("/admin/workspaces/acme").want(http.StatusOK).has("every event")

	// Refused: the API's message, the form as sent, nothing created.
	p = e.post("/admin/workspaces/acme/webhooks", url.Values{"url": {"ftp://example.com/x"}, "event_types": {"User.Created"}}).
		want(http.StatusBadRequest).has("want an absolute http or https URL", `value="ftp://example.com/x"`, `value="User.Created"`)
	if secretRE.MatchString(p.body) {
		t.Errorf("a refused create shows a secret:\n%s", p.body)
	}
	if n := len(e.apiOK("/workspaces/acme/webhooks")["webhooks"].([]any)); n != 2 {
		t.Errorf("%d webhooks, want 2", n)
	}
	if a := e.audited("webhook.create"); a["status"] != 400.0 {
		t.Errorf("audit entry %v, want the refusal", a)
	}
}

func TestWebhookActions(t *testing.T) {
	e := newEnv(t)
	_, wh := e.api("POST", "/workspaces/acme/webhooks", `{"url":"https://example.com/hooks","event_types":["user.*"]}`)
	id := wh["id"].(string)
	// An event whose delivery failed for good, and one delivered.
	for _, typ := range []string{"user.created", "user.updated"} {
		if _, err := e.st.AppendEvents(e.ctx, e.acmeID, []store.NewEvent{{Type: typ, Subject: "usr_1"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.st.FanOut(e.ctx, 100); err != nil {
		t.Fatal(err)
	}
	due, err := e.st.ClaimDeliveries(e.ctx, 10, time.Minute)
	if err != nil || len(due) != 2 {
		t.Fatalf("claimed %d deliveries, %v", len(due), err)
	}
	var dead string
	for _, d := range due {
		o := store.DeliveryOutcome{Status: 204, Delivered: true}
		if d.EventType == "user.created" {
			o, dead = store.DeliveryOutcome{Status: 500, Error: "webhook: endpoint answered <b>500</b>"}, d.ID
		}
		if err := e.st.FinishDelivery(e.ctx, d.Delivery, o); err != nil {
			t.Fatal(err)
		}
	}
	e.signIn()
	page := "/admin/workspaces/acme/webhooks/" + id

	t.Run("delivery log", func(t *testing.T) {
		e.get(page).want(http.StatusOK).has(
			"https://example.com/hooks", "user.*",
			`<td class="state dead" data-label="Status">dead</td>`, `<td class="state delivered" data-label="Status">delivered</td>`,
			`href="`+page+`/deliveries/`+dead+`"`,
			"endpoint answered &lt;b&gt;500&lt;/b&gt;", "→ 500",
			`action="`+page+`/deliveries/`+dead+`/redeliver"`,
		)
		e.get(page+"?status=dead").want(http.StatusOK).has(dead, `<option value="dead" selected>`).lacks("user.updated")
		e.get(page + "?status=lost").want(http.StatusBadRequest).has("status=lost: want pending, delivered or dead")
	})

	t.Run("delivery", func(t *testing.T) {
		p := e.get(page + "/deliveries/" + dead).want(http.StatusOK)
		p.has(dead, "user.created", `<td class="bad" data-label="HTTP status">500</td>`,
			"<pre>webhook: endpoint answered &lt;b&gt;500&lt;/b&gt;</pre>",
			`<pre class="payload" tabindex="0" aria-label="Payload">{`, `&#34;type&#34;: &#34;user.created&#34;`,
			`action="`+page+`/deliveries/`+dead+`/redeliver"`)
		e.get(page + "/deliveries/dlv_nope").want(http.StatusNotFound).has("delivery_not_found")
		e.get("/admin/workspaces/acme/webhooks/wh_nope/deliveries/" + dead).want(http.StatusNotFound).has("webhook_not_found")
	})

	t.Run("send a test event", func(t *testing.T) {
		e.get(page).want(http.StatusOK).has(`action="`+page+`/test"`, "Send a test event")
		p := e.post(page+"/test", nil).redirects(page)
		e.follow(p).want(http.StatusOK).has("Sent test event evt_", "is pending.", "webhook.test")
		a := e.audited("webhook.test")
		if a["status"] != 201.0 || a["target"] != id {
			t.Fatalf("audit entry %v", a)
		}
		dlv, _ := a["payload"].(map[string]any)["delivery_id"].(string)
		// The delivery goes as any: claimed with its event, and its page
		// shows what the endpoint answered and what was sent.
		due, err := e.st.ClaimDeliveries(e.ctx, 10, time.Minute)
		if err != nil || len(due) != 1 || due[0].ID != dlv {
			t.Fatalf("claimed %+v, %v; want %s", due, err, dlv)
		}
		if err := e.st.FinishDelivery(e.ctx, due[0].Delivery, store.DeliveryOutcome{Status: 200, Delivered: true}); err != nil {
			t.Fatal(err)
		}
		e.get(page+"/deliveries/"+dlv).want(http.StatusOK).has(
			`<td class="state delivered" data-label="HTTP status">200</td>`, "&#34;type&#34;: &#34;webhook.test&#34;", "A test of webhook "+id)
		e.post("/admin/workspaces/acme/webhooks/wh_nope/test", nil).want(http.StatusNotFound).has("webhook_not_found")
	})

	t.Run("redeliver", func(t *testing.T) {
		p := e.post(page+"/deliveries/"+dead+"/redeliver", nil).redirects(page)
		e.follow(p).want(http.StatusOK).has("Delivery "+dead+" of event ", "is pending again.")
		status, d := e.api("GET", "/workspaces/acme/webhooks/"+id+"/deliveries?status=pending", "")
		if status != 200 || find(d["deliveries"], "id", dead) == nil {
			t.Errorf("pending deliveries %v, want %s", d, dead)
		}
		if a := e.audited("delivery.redeliver"); a["status"] != 200.0 || a["target"] != dead {
			t.Errorf("audit entry %v", a)
		}
		e.post(page+"/deliveries/dlv_nope/redeliver", nil).want(http.StatusNotFound).has("delivery_not_found", "Deliveries")
	})

	t.Run("disable and enable", func(t *testing.T) {
		p := e.post(page+"/enabled", url.Values{"enabled": {"false"}}).redirects(page)
		e.follow(p).want(http.StatusOK).has("Disabled webhook "+id+".", `<input type="hidden" name="enabled" value="true"><button>Enable</button>`)
		if _, w := e.api("GET", "/workspaces/acme/webhooks/"+id, ""); w["enabled"] != false {
			t.Errorf("webhook %v, want disabled", w)
		}
		if a := e.audited("webhook.update"); a["status"] != 200.0 || a["payload"].(map[string]any)["enabled"] != false {
			t.Errorf("audit entry %v", a)
		}
		// The API's warning of a redelivery to a disabled webhook.
		e.follow(e.post(page+"/deliveries/"+dead+"/redeliver", nil).redirects(page)).has("is disabled: the delivery waits")
		e.post(page+"/enabled", url.Values{"enabled": {"true"}}).redirects(page)
		if _, w := e.api("GET", "/workspaces/acme/webhooks/"+id, ""); w["enabled"] != true {
			t.Errorf("webhook %v, want enabled", w)
		}
	})

	t.Run("delete", func(t *testing.T) {
		e.get(page+"/delete").want(http.StatusOK).has("Delete webhook "+id+" (https://example.com/hooks) of workspace acme?", `action="`+page+`/delete"`)
		if status, _ := e.api("GET", "/workspaces/acme/webhooks/"+id, ""); status != 200 {
			t.Fatalf("the confirmation page deleted the webhook: %d", status)
		}
		p := e.post(page+"/delete", nil).redirects("/admin/workspaces/acme")
		e.follow(p).want(http.StatusOK).has("Deleted webhook " + id + ".").lacks(page)
		if status, _ := e.api("GET", "/workspaces/acme/webhooks/"+id, ""); status != 404 {
			t.Errorf("GET the deleted webhook: %d, want 404", status)
		}
		if a := e.audited("webhook.delete"); a["status"] != 204.0 || a["target"] != id {
			t.Errorf("audit entry %v", a)
		}
		e.post(page+"/delete", nil).want(http.StatusNotFound).has("webhook_not_found")
	})
}

func TestWebhookSettings(t *testing.T) {
	e := newEnv(t)
	_, wh := e.api("POST", "/workspaces/acme/webhooks", `{"url":"https://example.com/hooks","event_types":["user.*"],"enabled":true}`)
	id := wh["id"].(string)
	page := "/admin/workspaces/acme/webhooks/" + id
	e.signIn()
	form := func(u, types, wasURL, wasTypes string) url.Values {
		return url.Values{"url": {u}, "event_types": {types}, "was.url": {wasURL}, "was.event_types": {wasTypes}}
	}
	e.get(page).want(http.StatusOK).has(`action="`+page+`/settings"`, `name="url" value="https://example.com/hooks"`, `name="event_types" value="user.*"`)

	for _, tt := range []struct {
		name       string
		form       url.Values
		says       string
		url, types string // the webhook's, after
		changed    []string
	}{
		{"the URL", form("https://example.com/v2", "user.*", "https://example.com/hooks", "user.*"),
			"Changed the URL of webhook " + id + ".", "https://example.com/v2", `["user.*"]`, []string{"url"}},
		{"the events", form("https://example.com/v2", "user.created  group.*", "https://example.com/v2", "user.*"),
			"Changed the events of webhook " + id + ".", "https://example.com/v2", `["user.created","group.*"]`, []string{"event_types"}},
		{"both, to every event", form("https://example.com/v3", "", "https://example.com/v2", "user.created, group.*"),
			"Changed the URL and the events of webhook " + id + ".", "https://example.com/v3", `null`, []string{"url", "event_types"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.follow(e.post(page+"/settings", tt.form).redirects(page)).want(http.StatusOK).has(tt.says)
			_, w := e.api("GET", "/workspaces/acme/webhooks/"+id, "")
			if w["url"] != tt.url || jsonText(e, w["event_types"]) != tt.types || w["enabled"] != true {
				t.Errorf("webhook %v, want %s for %s", w, tt.url, tt.types)
			}
			a := e.audited("webhook.update")
			payload := a["payload"].(map[string]any)
			if a["status"] != 200.0 || a["target"] != id {
				t.Errorf("audit entry %v", a)
			}
			for _, k := range []string{"url", "event_types", "enabled"} {
				if _, ok := payload[k]; ok != slices.Contains(tt.changed, k) {
					t.Errorf("audit payload %v, want changes to %v only", payload, tt.changed)
				}
			}
		})
	}
	e.get(page).want(http.StatusOK).has(`name="url" value="https://example.com/v3"`, `name="event_types" value=""`, "every event")

	// Sent unchanged, or with the separators retyped, it calls nothing.
	before := e.auditCount("webhook.update")
	e.api("PATCH", "/workspaces/acme/webhooks/"+id, `{"event_types": ["user.created", "user.updated"]}`)
	e.follow(e.post(page+"/settings", form("https://example.com/v3", "user.created,user.updated", "https://example.com/v3", "user.created, user.updated")).redirects(page)).
		has("Nothing changed.")
	if n := e.auditCount("webhook.update"); n != before+1 {
		t.Errorf("an unchanged form made %d webhook.update entries", n-before-1)
	}

	// Refused: the API's message, the form as sent, nothing changed.
	for _, tt := range []struct {
		form url.Values
		says string
	}{
		{form("ftp://example.com/x", "user.created, user.updated", "https://example.com/v3", "user.created, user.updated"), "want an absolute http or https URL"},
		{form("https://example.com/v4", "User.Created", "https://example.com/v3", "user.created, user.updated"), "&#34;User.Created&#34; is not an event type"},
	} {
		p := e.post(page+"/settings", tt.form).want(http.StatusBadRequest).has(tt.says, "Deliveries")
		p.has(`name="url" value="`+tt.form.Get("url")+`"`, `name="event_types" value="`+tt.form.Get("event_types")+`"`,
			`name="was.url" value="https://example.com/v3"`)
		if _, w := e.api("GET", "/workspaces/acme/webhooks/"+id, ""); w["url"] != "https://example.com/v3" || jsonText(e, w["event_types"]) != `["user.created","user.updated"]` {
			t.Errorf("webhook %v after a refused change", w)
		}
		if a := e.audited("webhook.update"); a["status"] != 400.0 {
			t.Errorf("audit entry %v, want the refusal", a)
		}
	}
	e.post("/admin/workspaces/acme/webhooks/wh_nope/settings", form("https://example.com/x", "", "", "")).want(http.StatusNotFound).has("webhook_not_found")
}

func TestRotateWebhookSecret(t *testing.T) {
	e := newEnv(t)
	_, wh := e.api("POST", "/workspaces/acme/webhooks", `{"url":"https://example.com/hooks"}`)
	id := wh["id"].(string)
	old := wh["secret"].(string)
	page := "/admin/workspaces/acme/webhooks/" + id
	e.signIn()
	e.get(page).want(http.StatusOK).has(`href="` + page + `/rotate-secret"`)
	e.get(page+"/rotate-secret").want(http.StatusOK).
		has("Rotate the signing secret of webhook "+id+" (https://example.com/hooks) of workspace acme?", "shown once", `action="`+page+`/rotate-secret"`, ">Rotate</button>")
	if stored, _ := e.st.Webhook(e.ctx, e.acmeID, id); stored.Secret != old {
		t.Fatal("the confirmation page rotated the secret")
	}

	p := e.post(page+"/rotate-secret", nil).want(http.StatusOK).has("New webhook secret", "the only time it is shown", `href="`+page+`">Back to the webhook`)
	stored, err := e.st.Webhook(e.ctx, e.acmeID, id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Secret == old {
		t.Fatal("the secret did not change")
	}
	if !strings.Contains(html.UnescapeString(p.body), `<code class="copy secret">`+stored.Secret+`</code>`) || strings.Contains(html.UnescapeString(p.body), old) {
		t.Errorf("the page does not show the new secret %s alone:\n%s", stored.Secret, p.body)
	}
	if a := e.audited("webhook.rotate"); a["status"] != 200.0 || a["target"] != id {
		t.Errorf("audit entry %v", a)
	}
	for _, path := range []string{page, "/admin/workspaces/acme", "/admin/audit", page + "/rotate-secret"} {
		if p := e.get(path).want(http.StatusOK); strings.Contains(html.UnescapeString(p.body), stored.Secret) {
			t.Errorf("%s shows the signing secret", path)
		}
	}

	p = e.post("/admin/workspaces/acme/webhooks/wh_nope/rotate-secret", nil).want(http.StatusNotFound).has("webhook_not_found")
	if secretRE.MatchString(p.body) {
		t.Errorf("a refused rotation shows a secret:\n%s", p.body)
	}
	if a := e.audited("webhook.rotate"); a["status"] != 404.0 {
		t.Errorf("audit entry %v, want the refusal", a)
	}
}
