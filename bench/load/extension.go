package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/store"
)

// extensionDoc is the extension schema whose attribute filter-extension
// filters on: declare it with
//
//	scimd schema set --workspace bench --resource-type User bench/load/extension.json
//
// The tool declares it itself on its in-process server.
//
//go:embed extension.json
var extensionDoc []byte

// extensionURN is extensionDoc's id.
const extensionURN = "urn:ietf:params:scim:schemas:extension:bench:2.0:User"

// costCenter is the cost centre of seeded user i: ten users share each,
// so an eq on it selects ten users, as a department's would.
func costCenter(i int) string { return "CC-" + strconv.Itoa(i/10) }

// withCostCenter adds the extension attribute to a user document, as an
// identity provider sends a custom attribute.
func withCostCenter(doc map[string]any, cc string) map[string]any {
	doc["schemas"] = []any{schema.UserType.Schema.ID, extensionURN}
	doc[extensionURN] = map[string]any{"costCenter": cc}
	return doc
}

// declareExtension declares extensionDoc for the in-process server's
// workspace, unless it is already declared as it is.
func (b *bench) declareExtension(ctx context.Context) error {
	if b.t.st == nil {
		return nil // a running server: its operator declares it with scimd schema set
	}
	s, err := schema.ParseDocument(extensionDoc)
	if err != nil {
		return fmt.Errorf("extension.json: %w", err)
	}
	_, _, err = b.t.st.PutSchemaExtension(ctx, store.SchemaExtension{WorkspaceID: b.t.wsID, ResourceType: schema.UserType.ID, Schema: s})
	return err
}

// filterExtension filters on the declared extension attribute: the users
// of one cost centre, ten of them.
func (b *bench) filterExtension(ctx context.Context) ([]workload, error) {
	centres := b.seeded / 10
	if centres < 1 {
		return nil, errors.New("filter-extension needs at least 10 seeded users")
	}
	// A server learns of a declaration made by another process within
	// seconds (its schema cache lives 10 s); and a database seeded before
	// users had cost centres has none to find.
	f := extensionURN + `:costCenter eq "` + costCenter(0) + `"`
	n, err := b.t.api.total(ctx, "/Users", f)
	for wait := time.Now().Add(15 * time.Second); isStatus(err, http.StatusBadRequest) && time.Now().Before(wait); {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		n, err = b.t.api.total(ctx, "/Users", f)
	}
	if err != nil {
		return nil, fmt.Errorf("is %s declared for the workspace? %w", extensionURN, err)
	} else if n != 10 {
		return nil, fmt.Errorf("%s finds %d users, want 10: the users were seeded without cost centres; seed a new database", f, n)
	}
	ten := hasTotal(10)
	return []workload{{
		label: fmt.Sprintf("filter-extension (%d users)", b.seeded),
		api:   b.t.api,
		next: func(r *rand.Rand) (request, bool) {
			f := extensionURN + `:costCenter eq "` + costCenter(10*r.IntN(centres)) + `"`
			return request{method: "GET", path: "/Users?filter=" + url.QueryEscape(f), want: http.StatusOK, check: ten}, true
		},
	}}, nil
}

// createUserExtension is create-user with the extension attribute in
// each body.
func (b *bench) createUserExtension() []workload {
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var n atomic.Int64
	return []workload{{
		label: "create-user-ext",
		api:   b.t.api,
		next: func(*rand.Rand) (request, bool) {
			name := "bench.ext." + run + "." + strconv.FormatInt(n.Add(1), 10) + "@example.com"
			body, err := json.Marshal(withCostCenter(userDoc(name), "CC-new-"+run))
			return request{method: "POST", path: "/Users", body: body, want: http.StatusCreated}, err == nil
		},
	}}
}
