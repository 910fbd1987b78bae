package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
)

// CheckCredentialKind checks that a credential is of a known kind.
func CheckCredentialKind(kind string) error {
	if kind != CredentialAPIKey && kind != CredentialSession {
		return fmt.Errorf("credential kind %q: want %q or %q", kind, CredentialAPIKey, CredentialSession)
	}
	return nil
}

// RevocationEffects returns the changes and the events of revoking cs,
// credentials of workspace ws: a ChangeCredential and an event for each,
// and a ChangeUser for each user.
func RevocationEffects(ws string, cs []Credential, reason string) ([]Change, []NewEvent, error) {
	if len(cs) == 0 {
		return nil, nil, nil
	}
	var (
		changes = make([]Change, 0, len(cs)+1)
		users   []Change
		events  = make([]NewEvent, 0, len(cs))
	)
	for _, c := range cs {
		changes = append(changes, Change{Kind: ChangeCredential, WorkspaceID: ws, ID: c.ID})
		if u := (Change{Kind: ChangeUser, WorkspaceID: ws, ID: c.UserID}); !slices.Contains(users, u) {
			users = append(users, u)
		}
		e, err := credentialEvent(c, &reason)
		if err != nil {
			return nil, nil, err
		}
		events = append(events, e)
	}
	return append(changes, users...), events, nil
}

// CreationEvent returns the event of issuing c: "api_key.created" or
// "session.created", about c, with c as its data but for the hash.
// Backends append it in the transaction that stores c.
func CreationEvent(c Credential) (NewEvent, error) { return credentialEvent(c, nil) }

// credentialEvent returns the event of issuing c, or with a reason of
// revoking it ("session.revoked", "api_key.revoked"), about c, with c as
// its data (but for the hash and the revocation) and the reason.
func credentialEvent(c Credential, reason *string) (NewEvent, error) {
	d := struct {
		Credential credentialJSON `json:"credential"`
		Reason     *string        `json:"reason,omitempty"`
	}{credentialData(c), reason}
	data, err := json.Marshal(d)
	if err != nil {
		return NewEvent{}, fmt.Errorf("credential event: %w", err)
	}
	typ := eventtype.SessionCreated
	switch apiKey := c.Kind == CredentialAPIKey; {
	case reason != nil && apiKey:
		typ = eventtype.APIKeyRevoked
	case reason != nil:
		typ = eventtype.SessionRevoked
	case apiKey:
		typ = eventtype.APIKeyCreated
	}
	return NewEvent{Type: typ, Subject: c.ID, Data: data}, nil
}

// credentialJSON is a credential as its events carry it.
type credentialJSON struct {
	ID      string     `json:"id"`
	Kind    string     `json:"kind"`
	Name    string     `json:"name"`
	UserID  string     `json:"userId"`
	Created time.Time  `json:"created"`
	Expires *time.Time `json:"expires"` // null: never
}

func credentialData(c Credential) credentialJSON {
	d := credentialJSON{ID: c.ID, Kind: c.Kind, Name: c.Name, UserID: c.UserID, Created: c.Created.UTC()}
	if !c.Expires.IsZero() {
		exp := c.Expires.UTC()
		d.Expires = &exp
	}
	return d
}
