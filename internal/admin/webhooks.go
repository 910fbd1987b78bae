package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/webhook"
)

// Error codes of webhooks and their deliveries.
const (
	CodeWebhookNotFound  = "webhook_not_found"  // 404
	CodeDeliveryNotFound = "delivery_not_found" // 404
)

func webhookOut(w store.Webhook) Webhook {
	return Webhook{ID: w.ID, URL: w.URL, EventTypes: w.EventTypes, Enabled: w.Enabled, Created: w.Created.UTC(), DisabledReason: w.DisabledReason}
}

func deliveryOut(d store.Delivery) Delivery {
	out := Delivery{
		ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, EventType: d.EventType, EventSeq: d.EventSeq,
		Status: string(d.Status), Attempts: d.Attempts, LastError: d.LastError,
		NextAttempt: optTime(d.NextAttempt), LastAttempt: optTime(d.LastAttempt), DeliveredAt: optTime(d.DeliveredAt),
	}
	if d.LastStatus != 0 {
		out.LastStatus = &d.LastStatus
	}
	out.AttemptLog = make([]DeliveryAttempt, len(d.AttemptLog))
	for i, a := range d.AttemptLog {
		out.AttemptLog[i] = DeliveryAttempt{At: a.At, Error: a.Error, Response: a.Response}
		if a.Status != 0 {
			out.AttemptLog[i].Status = &a.Status
		}
	}
	return out
}

// maxURL bounds a webhook's URL.
const maxURL = 2048

// checkURL reports what is wrong with a webhook's URL, if anything: it
// must be absolute, http or https, with a host.
func checkURL(s string) error {
	if s == "" {
		return badValue("url is required: the endpoint to POST events to, such as https://example.com/hooks/scimd")
	}
	if len(s) > maxURL {
		return badValue("url is %d bytes long; at most %d", len(s), maxURL)
	}
	u, err := url.Parse(s)
	if err != nil {
		return badValue("url %q is not a URL: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return badValue("url %q: want an absolute http or https URL, such as https://example.com/hooks/scimd", s)
	}
	if u.Host == "" || u.Hostname() == "" {
		return badValue("url %q has no host", s)
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return badValue("url %q has a fragment (#…), which is never sent; leave it out", s)
	}
	return nil
}

// eventTypeRE is a type of event, noun.verb, or a noun's every type,
// noun.*.
var eventTypeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.([a-z][a-z0-9_]*|\*)$`)

// maxEventTypes bounds a webhook's list of event types.
const maxEventTypes = 100

// parseEventTypes reads event_types: absent or null for every type, else
// a non-empty list of types.
func parseEventTypes(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	var types []string
	if err := json.Unmarshal(raw, &types); err != nil {
		return nil, badValue("event_types: want a list of event types, such as [\"user.created\", \"group.*\"], or null for every type")
	}
	if len(types) == 0 {
		return nil, badValue("event_types is empty, which would receive nothing; leave it out or send null for every type")
	}
	if len(types) > maxEventTypes {
		return nil, badValue("event_types has %d entries; at most %d", len(types), maxEventTypes)
	}
	for _, t := range types {
		if !eventTypeRE.MatchString(t) {
			return nil, badValue("event_types: %q is not an event type: want noun.verb (user.created) or noun.* (user.*)", t)
		}
	}
	return types, nil
}

// webhookErr turns store.ErrNotFound from a webhook operation into the
// 404 that says which of the workspace or the webhook is missing.
func (h *Handler) webhookErr(slug, webhookID string, err error) error {
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return &Error{Status: http.StatusNotFound, Code: CodeWebhookNotFound,
		Message: fmt.Sprintf("workspace %q has no webhook %s; GET %s/workspaces/%s/webhooks lists them", slug, webhookID, Prefix, slug), Err: err}
}

// webhookOf returns the workspace of the request and its webhook {id}.
func (h *Handler) webhookOf(c *call) (store.Workspace, store.Webhook, error) {
	slug, webhookID := c.pathValue("slug"), c.pathValue("id")
	c.target = webhookID
	w, err := h.workspace(c.r.Context(), slug)
	if err != nil {
		return w, store.Webhook{}, err
	}
	c.workspaceID = w.ID
	wh, err := h.store.Webhook(c.r.Context(), w.ID, webhookID)
	return w, wh, h.webhookErr(slug, webhookID, err)
}

func listWebhooks(h *Handler, c *call) (int, any, error) {
	w, err := h.workspace(c.r.Context(), c.pathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	hooks, err := h.store.Webhooks(c.r.Context(), w.ID)
	if err != nil {
		return 0, nil, err
	}
	out := WebhookList{Webhooks: make([]Webhook, len(hooks))}
	for i, wh := range hooks {
		out.Webhooks[i] = webhookOut(wh)
	}
	return http.StatusOK, out, nil
}

// createWebhook registers an endpoint for the workspace's events from
// now on, with a new signing secret, shown in this response only.
func createWebhook(h *Handler, c *call) (int, any, error) {
	slug := c.pathValue("slug")
	c.target = slug
	var body struct {
		URL        string          `json:"url"`
		EventTypes json.RawMessage `json:"event_types"`
		Enabled    *bool           `json:"enabled"`
	}
	if err := h.api.Decode(c.w, c.r, &body, false); err != nil {
		return 0, nil, err
	}
	if err := checkURL(body.URL); err != nil {
		return 0, nil, err
	}
	types, err := parseEventTypes(body.EventTypes)
	if err != nil {
		return 0, nil, err
	}
	w, err := h.workspace(c.r.Context(), slug)
	if err != nil {
		return 0, nil, err
	}
	wh := store.Webhook{
		ID: id.New(id.Webhook), WorkspaceID: w.ID, URL: body.URL, Secret: webhook.NewSecret(),
		EventTypes: types, Enabled: body.Enabled == nil || *body.Enabled, Created: h.now(),
	}
	if err := h.store.CreateWebhook(c.r.Context(), &wh); err != nil {
		return 0, nil, workspaceErr(slug, err)
	}
	c.workspaceID, c.target = w.ID, wh.ID
	c.detail("slug", slug)
	c.detail("url", wh.URL)
	c.detail("event_types", wh.EventTypes)
	return http.StatusCreated, NewWebhook{Webhook: webhookOut(wh), Secret: wh.Secret}, nil
}

func getWebhook(h *Handler, c *call) (int, any, error) {
	_, wh, err := h.webhookOf(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, webhookOut(wh), nil
}

// patchWebhook changes the settings given and keeps the others. Enabling
// a webhook clears the reason it was disabled for.
func patchWebhook(h *Handler, c *call) (int, any, error) {
	slug, webhookID := c.pathValue("slug"), c.pathValue("id")
	c.target = webhookID
	var body struct {
		URL        *string         `json:"url"`
		EventTypes json.RawMessage `json:"event_types"`
		Enabled    *bool           `json:"enabled"`
	}
	if err := h.api.Decode(c.w, c.r, &body, false); err != nil {
		return 0, nil, err
	}
	if body.URL != nil {
		if err := checkURL(*body.URL); err != nil {
			return 0, nil, err
		}
	}
	var types []string
	if body.EventTypes != nil {
		var err error
		if types, err = parseEventTypes(body.EventTypes); err != nil {
			return 0, nil, err
		}
	}
	w, err := h.workspace(c.r.Context(), slug)
	if err != nil {
		return 0, nil, err
	}
	c.workspaceID = w.ID
	wh, err := h.store.UpdateWebhook(c.r.Context(), w.ID, webhookID, func(wh *store.Webhook) error {
		if body.URL != nil {
			wh.URL = *body.URL
		}
		if body.EventTypes != nil {
			wh.EventTypes = types
		}
		if body.Enabled != nil {
			if *body.Enabled && !wh.Enabled {
				wh.DisabledReason = ""
			}
			wh.Enabled = *body.Enabled
		}
		return nil
	})
	if err != nil {
		return 0, nil, h.webhookErr(slug, webhookID, err)
	}
	c.detail("slug", slug)
	if body.URL != nil {
		c.detail("url", wh.URL)
	}
	if body.EventTypes != nil {
		c.detail("event_types", wh.EventTypes)
	}
	if body.Enabled != nil {
		c.detail("enabled", wh.Enabled)
	}
	return http.StatusOK, webhookOut(wh), nil
}

func deleteWebhook(h *Handler, c *call) (int, any, error) {
	slug, webhookID := c.pathValue("slug"), c.pathValue("id")
	c.target = webhookID
	w, err := h.workspace(c.r.Context(), slug)
	if err != nil {
		return 0, nil, err
	}
	c.workspaceID = w.ID
	if err := h.store.DeleteWebhook(c.r.Context(), w.ID, webhookID); err != nil {
		return 0, nil, h.webhookErr(slug, webhookID, err)
	}
	c.detail("slug", slug)
	return http.StatusNoContent, nil, nil
}

// rotateWebhookSecret gives a webhook a new signing secret, shown in this
// response only. What is sent from now on is signed with it alone.
func rotateWebhookSecret(h *Handler, c *call) (int, any, error) {
	slug, webhookID := c.pathValue("slug"), c.pathValue("id")
	c.target = webhookID
	w, err := h.workspace(c.r.Context(), slug)
	if err != nil {
		return 0, nil, err
	}
	c.workspaceID = w.ID
	secret := webhook.NewSecret()
	wh, err := h.store.UpdateWebhook(c.r.Context(), w.ID, webhookID, func(wh *store.Webhook) error {
		wh.Secret = secret
		return nil
	})
	if err != nil {
		return 0, nil, h.webhookErr(slug, webhookID, err)
	}
	c.detail("slug", slug)
	return http.StatusOK, NewWebhook{Webhook: webhookOut(wh), Secret: wh.Secret}, nil
}

// listDeliveries is the delivery log of a webhook, newest event first.
func listDeliveries(h *Handler, c *call) (int, any, error) {
	w, wh, err := h.webhookOf(c)
	if err != nil {
		return 0, nil, err
	}
	q := store.DeliveryQuery{WorkspaceID: w.ID, WebhookID: wh.ID, Cursor: c.query("cursor")}
	switch s := store.DeliveryStatus(c.query("status")); s {
	case "", store.DeliveryPending, store.DeliveryDelivered, store.DeliveryDead:
		q.Status = s
	default:
		return 0, nil, badParam("status=%s: want pending, delivered or dead", s)
	}
	if q.Limit, err = parseLimit(c.query("limit"), 100, 1000); err != nil {
		return 0, nil, err
	}
	page, err := h.store.Deliveries(c.r.Context(), q)
	if errors.Is(err, store.ErrInvalidCursor) {
		return 0, nil, newError(http.StatusBadRequest, CodeInvalidCursor, "the cursor is not one this listing issued; start again without it")
	}
	if err != nil {
		return 0, nil, err
	}
	out := DeliveryPage{Deliveries: make([]Delivery, len(page.Deliveries)), NextCursor: page.NextCursor}
	for i, d := range page.Deliveries {
		out.Deliveries[i] = deliveryOut(d)
	}
	return http.StatusOK, out, nil
}

// deliveryOf returns the delivery {delivery_id} of webhook wh, with a 404
// that names both if the webhook has no such delivery.
func (h *Handler) deliveryOf(c *call, w store.Workspace, wh store.Webhook) (store.Delivery, error) {
	deliveryID := c.pathValue("delivery_id")
	c.target = deliveryID
	d, err := h.store.Delivery(c.r.Context(), w.ID, deliveryID)
	if errors.Is(err, store.ErrNotFound) || err == nil && d.WebhookID != wh.ID {
		return d, h.deliveryNotFound(w, wh, deliveryID, err)
	}
	return d, err
}

func (h *Handler) deliveryNotFound(w store.Workspace, wh store.Webhook, deliveryID string, err error) error {
	return &Error{Status: http.StatusNotFound, Code: CodeDeliveryNotFound,
		Message: fmt.Sprintf("webhook %s has no delivery %s; GET %s/workspaces/%s/webhooks/%s/deliveries lists them", wh.ID, deliveryID, Prefix, w.Slug, wh.ID), Err: err}
}

// getDelivery shows a delivery with the body sent for it, made again from
// its event as the sender makes it, for as long as the outbox keeps it.
func getDelivery(h *Handler, c *call) (int, any, error) {
	w, wh, err := h.webhookOf(c)
	if err != nil {
		return 0, nil, err
	}
	d, err := h.deliveryOf(c, w, wh)
	if err != nil {
		return 0, nil, err
	}
	out := DeliveryDetail{Delivery: deliveryOut(d), Payload: json.RawMessage("null")}
	evs, err := h.store.Events(c.r.Context(), w.ID, d.EventSeq-1, 1)
	if err != nil {
		return 0, nil, err
	}
	if len(evs) == 1 && evs[0].ID == d.EventID {
		if out.Payload, err = webhook.Payload(evs[0], w.Slug); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusOK, out, nil
}

// testWebhook sends a webhook.test event to one webhook, through the
// outbox and the dispatcher as every event goes.
func testWebhook(h *Handler, c *call) (int, any, error) {
	w, wh, err := h.webhookOf(c)
	if err != nil {
		return 0, nil, err
	}
	data, err := json.Marshal(map[string]any{
		"webhook": map[string]string{"id": wh.ID, "url": wh.URL},
		"message": fmt.Sprintf("A test of webhook %s of workspace %s, sent by %s.", wh.ID, w.Slug, c.operator),
	})
	if err != nil {
		return 0, nil, err
	}
	d, err := h.store.TestWebhook(c.r.Context(), w.ID, wh.ID, store.NewEvent{Type: eventtype.WebhookTest, Subject: wh.ID, Data: data})
	if err != nil {
		return 0, nil, h.webhookErr(w.Slug, wh.ID, err)
	}
	c.target = wh.ID
	c.detail("slug", w.Slug)
	c.detail("delivery_id", d.ID)
	c.detail("event_id", d.EventID)
	return http.StatusCreated, TestDelivery{Delivery: deliveryOut(d), Warning: c.warnDisabled(wh)}, nil
}

// warnDisabled says, for a disabled webhook, that its deliveries wait,
// and notes it in the audit entry.
func (c *call) warnDisabled(wh store.Webhook) string {
	if wh.Enabled {
		return ""
	}
	w := fmt.Sprintf("webhook %s is disabled: the delivery waits until it is enabled (PATCH with {\"enabled\": true})", wh.ID)
	c.detail("warning", w)
	return w
}

// redeliver sends a delivery again: pending, due at once, with its
// attempts counted afresh.
func redeliver(h *Handler, c *call) (int, any, error) {
	w, wh, err := h.webhookOf(c)
	if err != nil {
		return 0, nil, err
	}
	d, err := h.deliveryOf(c, w, wh)
	if err != nil {
		return 0, nil, err
	}
	deliveryID := d.ID
	if d, err = h.store.Redeliver(c.r.Context(), w.ID, deliveryID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil, h.deliveryNotFound(w, wh, deliveryID, err)
		}
		return 0, nil, err
	}
	c.detail("slug", w.Slug)
	c.detail("webhook_id", wh.ID)
	c.detail("event_id", d.EventID)
	return http.StatusOK, Redelivery{Delivery: deliveryOut(d), Warning: c.warnDisabled(wh)}, nil
}
