package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/scimd/scimd/client/admin"
)

// createWebhook registers a webhook and shows its signing secret once.
// Event types are typed separated by commas or spaces; none for every
// type.
func createWebhook(q *req) {
	if !q.form() {
		return
	}
	slug := q.r.PathValue("slug")
	u := strings.TrimSpace(q.r.PostForm.Get("url"))
	types := q.r.PostForm.Get("event_types")
	body := map[string]any{"url": u, "enabled": q.r.PostForm.Get("enabled") == "true"}
	if fields := eventTypes(types); len(fields) > 0 {
		body["event_types"] = fields
	}
	var wh admin.NewWebhook
	if e := q.api("POST", admin.Path("workspaces", slug, "webhooks"), nil, body, &wh); e != nil {
		q.showWorkspace(e.Status, e, nil, func(d *workspaceData) { d.WebhookURL, d.EventTypes = u, types })
		return
	}
	q.render(http.StatusCreated, "secret", view{Title: "New webhook", Section: "workspaces",
		Data: secretData{Slug: slug, Webhook: &wh, Back: workspacePath(slug), BackTo: slug}})
}

// eventTypes splits the event types typed in a form, separated by
// commas or spaces.
func eventTypes(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

type webhookData struct {
	Slug    string
	Webhook admin.Webhook
	// The settings form: what it shows, and what the API gave, sent back
	// with it so that only what the operator changed is sent.
	URL, EventTypes       string
	WasURL, WasEventTypes string
	Status                string // the log's filter
	Cursor                string
	Deliveries            []admin.Delivery
	NextCursor            string
}

// webhookPage shows a webhook and its delivery log, a page at a time.
func webhookPage(q *req) {
	q.showWebhook(http.StatusOK, nil, nil)
}

// showWebhook renders the webhook's page, with the error of a refused
// action if there was one and, after a refused change of its settings,
// the form as it was sent (sent).
func (q *req) showWebhook(status int, failed *apiError, sent url.Values) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	d := webhookData{Slug: slug, Status: q.r.URL.Query().Get("status"), Cursor: q.r.URL.Query().Get("cursor")}
	if e := q.api("GET", admin.Path("workspaces", slug, "webhooks", id), nil, nil, &d.Webhook); e != nil {
		q.failAPI(e)
		return
	}
	d.URL, d.EventTypes = d.Webhook.URL, strings.Join(d.Webhook.EventTypes, ", ")
	d.WasURL, d.WasEventTypes = d.URL, d.EventTypes
	if sent != nil {
		d.URL, d.EventTypes = sent.Get("url"), sent.Get("event_types")
		d.WasURL, d.WasEventTypes = sent.Get("was.url"), sent.Get("was.event_types")
	}
	query := url.Values{"limit": {"50"}}
	if d.Status != "" {
		query.Set("status", d.Status)
	}
	if d.Cursor != "" {
		query.Set("cursor", d.Cursor)
	}
	var page struct {
		Deliveries []admin.Delivery `json:"deliveries"`
		NextCursor string           `json:"next_cursor"`
	}
	if e := q.api("GET", admin.Path("workspaces", slug, "webhooks", id, "deliveries"), query, nil, &page); e != nil {
		if e.Status != http.StatusBadRequest {
			q.failAPI(e)
			return
		}
		status, failed = e.Status, e
	}
	d.Deliveries, d.NextCursor = page.Deliveries, page.NextCursor
	q.render(status, "webhook", view{Title: "Webhook " + d.Webhook.ID, Section: "workspaces", Error: failed, Data: d})
}

// enableWebhook turns a webhook on or off.
func enableWebhook(q *req) {
	if !q.form() {
		return
	}
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	on := q.r.PostForm.Get("enabled") == "true"
	var wh admin.Webhook
	if e := q.api("PATCH", admin.Path("workspaces", slug, "webhooks", id), nil, map[string]any{"enabled": on}, &wh); e != nil {
		q.showWebhook(e.Status, e, nil)
		return
	}
	state := "Disabled"
	if wh.Enabled {
		state = "Enabled"
	}
	q.redirect(workspacePath(slug, "webhooks", id), fmt.Sprintf("%s webhook %s.", state, wh.ID))
}

// webhookQuestion is a page that asks before an action on a webhook that
// cannot be undone.
type webhookQuestion struct {
	title    string
	question string // with the webhook's id and URL and the workspace
	detail   string
	button   string
	// sub is the path, below the webhook's page, the form posts to.
	sub string
}

var (
	deleteWebhookQuestion = webhookQuestion{
		title: "Delete webhook", question: "Delete webhook %s (%s) of workspace %s?",
		detail: "Its delivery log goes with it, and what is pending is not sent. This cannot be undone.",
		button: "Delete", sub: "delete",
	}
	rotateSecretQuestion = webhookQuestion{
		title: "Rotate webhook secret", question: "Rotate the signing secret of webhook %s (%s) of workspace %s?",
		detail: "A new secret is shown once. Everything sent from now on is signed with it alone: the endpoint refuses deliveries until it is given the new one. The old secret cannot be had back.",
		button: "Rotate", sub: "rotate-secret",
	}
)

// askWebhook shows the question of a webhook action, with the error of
// the action if it was refused.
func (q *req) askWebhook(wq webhookQuestion, status int, failed *apiError) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	var wh admin.Webhook
	if e := q.api("GET", admin.Path("workspaces", slug, "webhooks", id), nil, nil, &wh); e != nil {
		if failed == nil {
			failed = e
		}
		q.failAPI(failed)
		return
	}
	d := confirmData{
		Question: fmt.Sprintf(wq.question, wh.ID, wh.URL, slug),
		Detail:   wq.detail,
		Action:   workspacePath(slug, "webhooks", id, wq.sub),
		Button:   wq.button,
		Back:     workspacePath(slug, "webhooks", id),
	}
	q.render(status, "confirm", view{Title: wq.title, Section: "workspaces", Error: failed, Data: d})
}

func confirmDeleteWebhook(q *req) { q.askWebhook(deleteWebhookQuestion, http.StatusOK, nil) }

func deleteWebhook(q *req) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	if e := q.api("DELETE", admin.Path("workspaces", slug, "webhooks", id), nil, nil, nil); e != nil {
		q.askWebhook(deleteWebhookQuestion, e.Status, e)
		return
	}
	q.redirect(workspacePath(slug), fmt.Sprintf("Deleted webhook %s.", id))
}

// redeliver sends a delivery again, and says so, with the API's warning
// if the webhook is disabled.
func redeliver(q *req) {
	slug, id, delivery := q.r.PathValue("slug"), q.r.PathValue("id"), q.r.PathValue("delivery")
	var d struct {
		admin.Delivery
		Warning string `json:"warning"`
	}
	if e := q.api("POST", admin.Path("workspaces", slug, "webhooks", id, "deliveries", delivery, "redeliver"), nil, nil, &d); e != nil {
		q.showWebhook(e.Status, e, nil)
		return
	}
	notice := fmt.Sprintf("Delivery %s of event %s is pending again.", d.ID, d.EventID)
	if d.Warning != "" {
		notice += " " + d.Warning
	}
	q.redirect(workspacePath(slug, "webhooks", id), notice)
}

// saveWebhook sends the API what the operator changed of a webhook's URL
// and event types, in one PATCH. Event types are compared as lists, so
// that retyping the separators changes nothing; none is every type.
func saveWebhook(q *req) {
	if !q.form() {
		return
	}
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	form := q.r.PostForm
	changes := map[string]any{}
	var names []string
	if u := strings.TrimSpace(form.Get("url")); u != form.Get("was.url") {
		changes["url"] = u
		names = append(names, "the URL")
	}
	if types := eventTypes(form.Get("event_types")); !slices.Equal(types, eventTypes(form.Get("was.event_types"))) {
		changes["event_types"] = types
		if len(types) == 0 {
			changes["event_types"] = nil
		}
		names = append(names, "the events")
	}
	page := workspacePath(slug, "webhooks", id)
	if len(changes) == 0 {
		q.redirect(page, "Nothing changed.")
		return
	}
	var wh admin.Webhook
	if e := q.api("PATCH", admin.Path("workspaces", slug, "webhooks", id), nil, changes, &wh); e != nil {
		q.showWebhook(e.Status, e, form)
		return
	}
	q.redirect(page, fmt.Sprintf("Changed %s of webhook %s.", strings.Join(names, " and "), wh.ID))
}

func confirmRotateSecret(q *req) { q.askWebhook(rotateSecretQuestion, http.StatusOK, nil) }

// rotateSecret gives a webhook a new signing secret and shows it once,
// like createWebhook.
func rotateSecret(q *req) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	var wh admin.NewWebhook
	if e := q.api("POST", admin.Path("workspaces", slug, "webhooks", id, "rotate-secret"), nil, nil, &wh); e != nil {
		q.askWebhook(rotateSecretQuestion, e.Status, e)
		return
	}
	page := workspacePath(slug, "webhooks", id)
	q.render(http.StatusOK, "secret", view{Title: "New webhook secret", Section: "workspaces",
		Data: secretData{Slug: slug, Webhook: &wh, Back: page, BackTo: "the webhook"}})
}

type deliveryData struct {
	Slug     string
	Webhook  string
	Delivery admin.DeliveryDetail
	Attempts []attemptRow
	// Payload is the body sent, indented for reading; "" once the outbox
	// no longer holds the event.
	Payload string
}

// attemptRow is an attempt at a delivery as its page shows it.
type attemptRow struct {
	N        int
	At       time.Time
	Status   int // 0: no response
	OK       bool
	Error    string
	Response string
}

// deliveryPage shows a delivery: every attempt, and the body sent.
func deliveryPage(q *req) {
	slug, id, dlv := q.r.PathValue("slug"), q.r.PathValue("id"), q.r.PathValue("delivery")
	d := deliveryData{Slug: slug, Webhook: id}
	if e := q.api("GET", admin.Path("workspaces", slug, "webhooks", id, "deliveries", dlv), nil, nil, &d.Delivery); e != nil {
		q.failAPI(e)
		return
	}
	for i, a := range d.Delivery.AttemptLog {
		row := attemptRow{N: i + 1, At: a.At, Error: a.Error, Response: a.Response}
		if a.Status != nil {
			row.Status = *a.Status
			row.OK = row.Status >= 200 && row.Status <= 299
		}
		d.Attempts = append(d.Attempts, row)
	}
	if p := d.Delivery.Payload; len(p) > 0 && string(p) != "null" {
		var buf bytes.Buffer
		if err := json.Indent(&buf, p, "", "  "); err == nil {
			d.Payload = buf.String()
		}
	}
	q.render(http.StatusOK, "delivery", view{Title: "Delivery " + d.Delivery.ID, Section: "workspaces", Data: d})
}

// testWebhook sends a test event to a webhook and goes back to its page,
// where the delivery heads the log.
func testWebhook(q *req) {
	slug, id := q.r.PathValue("slug"), q.r.PathValue("id")
	var d admin.TestDelivery
	if e := q.api("POST", admin.Path("workspaces", slug, "webhooks", id, "test"), nil, nil, &d); e != nil {
		q.showWebhook(e.Status, e, nil)
		return
	}
	notice := fmt.Sprintf("Sent test event %s: delivery %s is pending.", d.EventID, d.ID)
	if d.Warning != "" {
		notice += " " + d.Warning
	}
	q.redirect(workspacePath(slug, "webhooks", id), notice)
}
