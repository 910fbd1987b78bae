package client_test

import (
	"testing"
	"time"

	"github.com/scimd/scimd/client"
	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/webhook"
)

// TestParseWebhook reads webhooks as scimd's webhook package makes them.
func TestParseWebhook(t *testing.T) {
	t.Parallel()
	occurred := time.Date(2026, 6, 1, 12, 0, 0, 123456000, time.UTC)
	body, err := webhook.Payload(store.Event{ID: "evt_1", Seq: 42, Type: "group.member_removed", Occurred: occurred, Subject: "grp_1",
		Data: []byte(`{"group":{"id":"grp_1"},"members":["usr_1"]}`)}, "acme")
	if err != nil {
		t.Fatal(err)
	}
	e, err := client.ParseWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != "evt_1" || e.Seq != 42 || e.Type != "group.member_removed" || e.Subject != "grp_1" || !e.Occurred.Equal(occurred) {
		t.Errorf("parsed %+v", e)
	}

	// The event drops what the feed's would.
	env := newEnv(t)
	c := env.newClient(client.WithCache(time.Hour))
	k := env.key(c)
	c.Verify(env.ctx, k.Secret)
	body, _ = webhook.Payload(store.Event{ID: "evt_2", Seq: 43, Type: "api_key.revoked", Subject: k.ID, Data: []byte(`{}`)}, "acme")
	if e, err = client.ParseWebhook(body); err != nil {
		t.Fatal(err)
	}
	before := env.verifications.Load()
	c.Invalidate(e)
	c.Verify(env.ctx, k.Secret)
	if env.verifications.Load() == before {
		t.Error("the webhook's event did not drop the key's verification")
	}

	for _, bad := range []string{``, `[]`, `{"type":"user.created"}`, `{"type":"user.created","data":{"seq":1}}`, `{"data":{"eventId":"evt_1"}}`} {
		if _, err := client.ParseWebhook([]byte(bad)); err == nil {
			t.Errorf("ParseWebhook(%q): no error", bad)
		}
	}
}

// FuzzParseWebhook checks that any body is read or refused, never
// half-read: an Event without a type or an id is an error.
func FuzzParseWebhook(f *testing.F) {
	for _, seed := range []string{
		`{"type":"user.deactivated","timestamp":"2026-06-01T12:00:00Z","data":{"eventId":"evt_1","seq":7,"subject":"usr_1"}}`,
		`{"type":"group.member_added","data":{"eventId":"evt_2","members":["usr_1"]}}`,
		`{"type":"","data":{"eventId":"evt_1"}}`,
		`{"data":null}`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := client.ParseWebhook(body)
		if err == nil && (e.Type == "" || e.ID == "") {
			t.Errorf("ParseWebhook(%q) = %+v without an error", body, e)
		}
	})
}
