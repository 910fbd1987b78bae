// Command app is an application that scimd provisions: an HTTP API whose
// requests carry a user's API key or session token.
//
// It verifies each request's token with the client package's middleware,
// from a local cache that the workspace's event feed keeps fresh, so that
// a deactivated user's key is refused at once without a call to scimd per
// request. It also receives scimd's webhooks at /webhooks/scimd, checks
// their signatures with the Standard Webhooks library, and passes their
// events to the cache too (either source alone would do).
//
//	SCIMD_URL=http://127.0.0.1:8080 SCIMD_APP_TOKEN=scimd_app_… SCIMD_WORKSPACE=acme \
//	SCIMD_WEBHOOK_SECRET=whsec_… ADDR=127.0.0.1:8090 go run ./app
//
//	curl -H 'Authorization: Bearer scimd_key_…' http://127.0.0.1:8090/me
package main

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/scimd/scimd/client"
)

func main() {
	c, err := client.New(os.Getenv("SCIMD_URL"), os.Getenv("SCIMD_APP_TOKEN"),
		client.WithWorkspace(os.Getenv("SCIMD_WORKSPACE")),
		client.WithCache(30*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go c.Watch(ctx) // the event feed drops what changes make stale

	mux := http.NewServeMux()
	mux.Handle("GET /me", c.Middleware(http.HandlerFunc(me)))
	if secret := os.Getenv("SCIMD_WEBHOOK_SECRET"); secret != "" {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			log.Fatal(err)
		}
		mux.Handle("POST /webhooks/scimd", webhooks(wh, c))
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8090"
	}
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	log.Printf("listening on http://%s", addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// me answers who the request's token belongs to.
func me(w http.ResponseWriter, r *http.Request) {
	u, _ := client.UserFrom(r.Context())
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id": u.ID, "user_name": u.UserName, "roles": u.Roles, "admin": u.HasRole("admin")})
}

// webhooks receives scimd's webhooks: it checks the signature, then
// hands the event to the cache.
func webhooks(wh *standardwebhooks.Webhook, c *client.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := wh.Verify(body, r.Header); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		e, err := client.ParseWebhook(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.Invalidate(e)
		log.Printf("webhook %s %s", e.Type, e.Subject)
		w.WriteHeader(http.StatusNoContent)
	})
}
