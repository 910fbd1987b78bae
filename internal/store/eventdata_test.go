package store_test

import (
	"testing"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/store"
)

// TestEventDataAsCatalogued: the events that package store makes have
// the data the catalogue says.
func TestEventDataAsCatalogued(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tok := store.Token{ID: "tok_1", Kind: store.TokenSCIM, WorkspaceID: "ws_1", Name: "okta", Created: now, Expires: now.Add(time.Hour)}
	next := tok
	next.ID = "tok_2"
	revoked := tok
	revoked.Revoked = now
	events := []store.NewEvent{
		store.TokenEvent(eventtype.TokenCreated, tok),
		store.TokenEvent(eventtype.TokenRevoked, revoked),
		store.TokenRotatedEvent(revoked, next),
		store.TokenExpiringEvent(tok, "7d", 0),
	}
	for _, kind := range []string{store.CredentialAPIKey, store.CredentialSession} {
		c := store.Credential{ID: "key_1", WorkspaceID: "ws_1", UserID: "usr_1", Kind: kind, Name: "ci", Created: now}
		e, err := store.CreationEvent(c)
		if err != nil {
			t.Fatal(err)
		}
		_, revs, err := store.RevocationEffects("ws_1", []store.Credential{c}, "revoked")
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
		events = append(events, revs...)
	}
	for _, e := range events {
		if err := eventtype.CheckData(e.Type, e.Data); err != nil {
			t.Errorf("%v: %s", err, e.Data)
		}
	}
}
