package webhook_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/scimd/scimd/internal/store"
	"github.com/scimd/scimd/internal/webhook"
)

// A receiver checks each webhook against the secret it was given when
// the endpoint was registered.
func ExampleVerify() {
	secret, err := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("POST /hooks/scimd", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		// Verify the bytes as received: JSON decoded and encoded again
		// need not be the same bytes.
		if err := webhook.Verify(secret, r.Header, body, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		// webhook-id is the event's id, the same on every retry: act on
		// each id once.
		w.WriteHeader(http.StatusNoContent)
	})
}

// A dispatcher sends an event until the endpoint accepts it, the
// schedule is spent, or the endpoint answers 410 Gone.
func ExampleSender_Send() {
	ctx := context.Background()
	e := store.Event{Seq: 1, ID: "evt_1", Type: "user.created", Occurred: time.Now(), Subject: "usr_1", Data: []byte(`{}`)}
	secret, _ := webhook.ParseSecret(webhook.NewSecret())
	payload, err := webhook.Payload(e, "acme")
	if err != nil {
		log.Fatal(err)
	}
	sender := webhook.NewSender(webhook.Config{BlockPrivate: true})
	var retryAfter time.Duration
	for attempt := 0; ; attempt++ {
		wait, ok := webhook.Backoff(attempt)
		if !ok {
			fmt.Println("dead: keep it for a person to look at")
			return
		}
		// A real dispatcher stores the time of the next attempt instead.
		time.Sleep(max(wait, retryAfter))
		res := sender.Send(ctx, "https://hooks.example.com/scimd", secret, e.ID, time.Now(), payload)
		switch {
		case res.OK():
			return
		case res.Gone():
			fmt.Println("disable the endpoint")
			return
		}
		log.Printf("attempt %d: %v (%q)", attempt+1, res.Err, res.Body)
		retryAfter = res.RetryAfter
	}
}
