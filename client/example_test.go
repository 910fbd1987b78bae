package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/scimd/scimd/client"
)

// In these examples, scimdURL is the scimd server's URL, appToken the
// app token of the workspace acme (scimd app-token create), apiKey an
// API key of its user ada, and userID ada's id. An application reads
// the first two from its configuration.

func Example() {
	c, err := client.New(scimdURL, appToken)
	if err != nil {
		log.Fatal(err)
	}
	v, err := c.Verify(context.Background(), apiKey)
	if err != nil {
		log.Fatal(err) // the server could not say
	}
	if !v.Valid {
		fmt.Println("refused:", v.Reason)
		return
	}
	fmt.Println(v.User.UserName, v.User.Roles)
	// Output: ada@example.com [viewer]
}

func ExampleClient_Middleware() {
	c, err := client.New(scimdURL, appToken)
	if err != nil {
		log.Fatal(err)
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := client.UserFrom(r.Context())
		fmt.Fprintf(w, "hello %s", u.UserName)
	})
	h := c.Middleware(app) // serve h with http.ListenAndServe

	for _, key := range []string{apiKey, "scimd_key_forged"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 hello ada@example.com
	// 401 the bearer token is not valid: unknown
}

// With a cache, the middleware verifies from memory, and Watch follows
// the event feed to forget a key as soon as its user is deactivated or
// the key revoked.
func ExampleWithCache() {
	c, err := client.New(scimdURL, appToken, client.WithWorkspace("acme"), client.WithCache(time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go c.Watch(ctx)

	h := c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := client.UserFrom(r.Context())
		fmt.Fprintf(w, "hello %s", u.UserName)
	}))
	_ = h // serve h with http.ListenAndServe
}

func ExampleClient_IssueAPIKey() {
	c, err := client.New(scimdURL, appToken, client.WithWorkspace("acme"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	k, err := c.IssueAPIKey(ctx, userID, "deploy script", time.Now().Add(90*24*time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	// Show k.Secret to the user once; scimd keeps only its hash.
	fmt.Println(k.Kind, k.Name, k.State)

	if _, err := c.RevokeAPIKey(ctx, userID, k.ID); err != nil {
		log.Fatal(err)
	}
	v, err := c.Verify(ctx, k.Secret)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Valid, v.Reason)
	// Output:
	// api_key deploy script active
	// false revoked
}

func ExampleClient_Feed() {
	c, err := client.New(scimdURL, appToken, client.WithWorkspace("acme"))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// From the start (0), or from a cursor saved earlier.
	feed := c.Feed(0)
	for e, err := range feed.All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		if e.Type == "user.created" {
			var d struct {
				User struct {
					UserName string `json:"userName"`
				} `json:"user"`
			}
			json.Unmarshal(e.Data, &d)
			fmt.Println(e.Type, d.User.UserName)
			break
		}
	}
	// Save feed.Cursor() to resume after this event with c.Feed(cursor).
	fmt.Println(feed.Cursor())
	// Output:
	// user.created ada@example.com
	// 3
}
