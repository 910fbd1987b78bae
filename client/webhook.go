package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ParseWebhook reads the body of a webhook scimd sent into the Event it
// carries, for Invalidate:
//
//	{"type": "user.deactivated", "timestamp": "…",
//	 "data": {…, "eventId": "evt_…", "seq": 42, "subject": "usr_…"}}
//
// It does not check the webhook's signature: do that first, with a
// Standard Webhooks library (https://www.standardwebhooks.com) and the
// webhook's secret, on the body as received.
func ParseWebhook(body []byte) (Event, error) {
	var w struct {
		Type      string          `json:"type"`
		Timestamp time.Time       `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return Event{}, fmt.Errorf("scimd webhook: %w", err)
	}
	var ids struct {
		EventID string `json:"eventId"`
		Seq     int64  `json:"seq"`
		Subject string `json:"subject"`
	}
	if err := json.Unmarshal(w.Data, &ids); err != nil || w.Type == "" || ids.EventID == "" {
		return Event{}, errors.New("scimd webhook: not the body of a scimd webhook: want type, and data with eventId")
	}
	return Event{ID: ids.EventID, Seq: ids.Seq, Type: w.Type, Occurred: w.Timestamp, Subject: ids.Subject, Data: w.Data}, nil
}
