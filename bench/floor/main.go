// Command floor is the baseline the side-by-side benchmark measures scimd
// against: a plain net/http server that answers the SCIM requests of the
// load tool's workloads with fixed documents, so that what it costs is
// Go's HTTP stack and the loopback, and nothing of storage, audit or
// tenancy. No SCIM server can be faster than it on the same machine.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// user is a user document the size and shape of the ones scimd returns
// for the load tool's seeded users.
var user = map[string]any{
	"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
	"id":          "u_floor0000000000000000000000",
	"externalId":  "ext-bench.user.0@example.com",
	"userName":    "bench.user.0@example.com",
	"displayName": "Bench User bench.user.0@example.com",
	"active":      true,
	"name":        map[string]any{"givenName": "Bench", "familyName": "User bench.user.0@example.com"},
	"emails":      []any{map[string]any{"value": "bench.user.0@example.com", "type": "work", "primary": true}},
	"groups":      []any{},
	"meta": map[string]any{
		"resourceType": "User",
		"created":      "2026-01-01T00:00:00Z",
		"lastModified": "2026-01-01T00:00:00Z",
		"version":      `W/"1"`,
		"location":     "http://127.0.0.1/scim/v2/Users/u_floor0000000000000000000000",
	},
}

func list(total, n int) []byte {
	res := make([]any, n)
	for i := range res {
		res[i] = user
	}
	return mustJSON(map[string]any{
		"schemas":      []any{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
		"totalResults": total,
		"startIndex":   1,
		"itemsPerPage": n,
		"Resources":    res,
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address; the address taken is printed on standard output")
	users := flag.Int("users", 1000000, "totalResults of an unfiltered list, as if the server had that many users")
	flag.Parse()

	one, doc := list(1, 1), mustJSON(user)
	all, page, none := list(*users, 0), list(*users, 100), list(0, 0)
	write := func(w http.ResponseWriter, status int, body []byte) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		w.Write(body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /scim/v2/Users/{id}", func(w http.ResponseWriter, r *http.Request) { write(w, http.StatusOK, doc) })
	mux.HandleFunc("POST /scim/v2/Users", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		write(w, http.StatusCreated, doc)
	})
	mux.HandleFunc("GET /scim/v2/Users", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f := q.Get("filter")
		switch {
		case strings.Contains(f, " eq "):
			write(w, http.StatusOK, one)
		case q.Get("count") == "0":
			// How the load tool counts its seeded users.
			write(w, http.StatusOK, all)
		case f != "":
			write(w, http.StatusOK, none)
		default:
			write(w, http.StatusOK, page)
		}
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stdout, "http://%s/scim/v2\n", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}
