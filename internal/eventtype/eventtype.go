// Package eventtype is the catalogue of the types of event that a
// workspace's outbox holds and applications receive.
package eventtype

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Event types. Applications subscribe to these names, so they never
// change. Every one is in the catalogue below, with its data; tests
// check that no other type is declared, that the events made have the
// data the catalogue says, and that docs/events.md lists them all.
const (
	UserCreated = "user.created"
	// UserLinked: an identity provider created a user with the
	// userName of a user the application had invited, which it became.
	UserLinked      = "user.linked"
	UserUpdated     = "user.updated"
	UserDeactivated = "user.deactivated"
	UserReactivated = "user.reactivated"
	UserDeleted     = "user.deleted"
	UserRestored    = "user.restored"
	UserPurged      = "user.purged"
	// RolesChanged is the event of a change of a user's effective
	// roles, group keys or teams.
	RolesChanged = "user.roles_changed"

	GroupCreated       = "group.created"
	GroupUpdated       = "group.updated"
	GroupDeleted       = "group.deleted"
	GroupMemberAdded   = "group.member_added"
	GroupMemberRemoved = "group.member_removed"

	APIKeyCreated  = "api_key.created"
	APIKeyRevoked  = "api_key.revoked"
	SessionCreated = "session.created"
	SessionRevoked = "session.revoked"

	// Workspace tokens' lives, which backends append as they write
	// them: SCIM and app tokens alike.
	TokenCreated = "token.created"
	TokenRevoked = "token.revoked"
	TokenRotated = "token.rotated"
	// TokenExpiring announces that a token expires soon.
	TokenExpiring = "token.expiring"

	// WebhookTest is an operator's test of a webhook: only that
	// webhook receives it (see store.DeliveryStore.TestWebhook).
	WebhookTest = "webhook.test"
)

// Type is a type of event as the catalogue describes it.
type Type struct {
	// Name is the type: noun.verb.
	Name string
	// Subject says what the event's subject is the id of.
	Subject string
	// Doc says in one line when the event is made.
	Doc string
	// Data are the members of the event's data object.
	Data []Field
}

// Field is a member of an event's data.
type Field struct {
	Name string
	// Optional is set for a member that only some events of the type
	// have; the Doc says which.
	Optional bool
	// Doc says what the member holds.
	Doc string
}

// Shapes of data that several types share.
var (
	userField   = Field{Name: "user", Doc: "the user's SCIM attributes with its id, declared extensions' included and those returned never left out, and as displayName the display name applications see"}
	userRef     = Field{Name: "user", Doc: `{"id", "userName"}`}
	changed     = Field{Name: "changed", Doc: "the names of the attributes that changed: the core schema's top-level ones (name for name.givenName), an extension's by URN-qualified name (urn:…:User:costCenter)"}
	groupField  = Field{Name: "group", Doc: "the group's SCIM attributes with its id, declared extensions' included and those returned never left out"}
	groupRef    = Field{Name: "group", Doc: `{"id", "displayName", "externalId"}`}
	members     = Field{Name: "members", Doc: "the ids of the members"}
	credential  = Field{Name: "credential", Doc: `{"id", "kind", "name", "userId", "created", "expires"}`}
	reason      = Field{Name: "reason", Doc: `why: "user.deactivated", "user.deleted", "revoked" (by the application)`}
	token       = Field{Name: "token", Doc: `{"id", "kind", "name", "created", "createdBy", "expires", "revoked"}`}
	placeholder = Field{Name: "placeholder", Doc: `{"id": "deleted-usr_…", "displayName": "Deleted user"}, to which the application re-points what it attributes to the user`}
)

// eventTypes is the catalogue, in the order of docs/events.md.
var eventTypes = []Type{
	{UserCreated, "user", "an identity provider created a user", []Field{userField}},
	{UserUpdated, "user", "a user changed in what applications see", []Field{userField, changed}},
	{UserDeactivated, "user", "a user was made inactive", []Field{userField, changed}},
	{UserReactivated, "user", "an inactive user was made active", []Field{userField, changed}},
	{UserDeleted, "user", "a user was deleted", []Field{userField,
		{Name: "mode", Doc: `"soft" or "hard"`},
		{Name: "purgeAt", Optional: true, Doc: "in mode soft, when the user goes for good"},
		{Name: "placeholder", Optional: true, Doc: "when an operator deleted the user for good: " + placeholder.Doc}}},
	{UserRestored, "user", "a soft-deleted user was restored", []Field{userField}},
	{UserPurged, "user", "a soft-deleted user went for good", []Field{userRef,
		{Name: "deleted", Doc: "when it was deleted"}, placeholder}},
	{UserLinked, "user", "an identity provider created a user with an invited user's userName or primary email, which it became", []Field{userField}},
	{RolesChanged, "user", "a user's effective roles, groups or teams changed", []Field{userRef,
		{Name: "before", Doc: `{"roles", "groups", "teams"}, each team {"key", "role"}; null the first time`},
		{Name: "after", Doc: "as before"}}},
	{GroupCreated, "group", "an identity provider created a group", []Field{groupField}},
	{GroupUpdated, "group", "a group's attributes changed", []Field{groupField, changed}},
	{GroupDeleted, "group", "a group was deleted", []Field{groupRef}},
	{GroupMemberAdded, "group", "a group gained members", []Field{groupRef, members}},
	{GroupMemberRemoved, "group", "a group lost members", []Field{groupRef, members,
		{Name: "cleared", Optional: true, Doc: "true when every member was removed at once"}}},
	{APIKeyCreated, "API key", "the application issued an API key", []Field{credential}},
	{APIKeyRevoked, "API key", "an API key was revoked", []Field{credential, reason}},
	{SessionCreated, "session", "the application issued a session", []Field{credential}},
	{SessionRevoked, "session", "a session was revoked", []Field{credential, reason}},
	{TokenCreated, "token", "a SCIM or app token was created", []Field{token}},
	{TokenRevoked, "token", "a SCIM or app token was revoked", []Field{token}},
	{TokenRotated, "old token", "a token was replaced by a new one", []Field{
		{Name: "old", Doc: "the old token's id"}, {Name: "new", Doc: "the new token's id"},
		{Name: "name", Doc: "the tokens' name"}, {Name: "oldEnds", Doc: "when the old token stops working"}}},
	{TokenExpiring, "token", "an active token expires within 30 days, or within 7", []Field{token,
		{Name: "within", Doc: `"30d" or "7d"`}, {Name: "daysLeft", Doc: "whole days until it expires"}}},
	{WebhookTest, "webhook", "an operator sent a test event to a webhook, which alone receives it", []Field{
		{Name: "webhook", Doc: `{"id", "url"}`}, {Name: "message", Doc: "says that it is a test, sent by whom"}}},
}

// Types returns the catalogue of event types.
func Types() []Type { return slices.Clone(eventTypes) }

// Lookup returns the catalogue's entry of the type name.
func Lookup(name string) (Type, bool) {
	i := slices.IndexFunc(eventTypes, func(t Type) bool { return t.Name == name })
	if i < 0 {
		return Type{}, false
	}
	return eventTypes[i], true
}

// CheckData checks an event against the catalogue: its type is
// listed, and its data has the members the catalogue says, all those
// that are not optional and no others. For tests of the code that makes
// events.
func CheckData(typ string, data json.RawMessage) error {
	t, ok := Lookup(typ)
	if !ok {
		return fmt.Errorf("event type %q is not in the catalogue", typ)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(data, &got); err != nil {
		return fmt.Errorf("%s: data: %w", typ, err)
	}
	var problems []string
	for _, f := range t.Data {
		if _, ok := got[f.Name]; !ok && !f.Optional {
			problems = append(problems, "lacks "+f.Name)
		}
	}
	for k := range got {
		if !slices.ContainsFunc(t.Data, func(f Field) bool { return f.Name == k }) {
			problems = append(problems, "has "+k+", which the catalogue does not list")
		}
	}
	if problems != nil {
		slices.Sort(problems)
		return fmt.Errorf("%s: data %s", typ, strings.Join(problems, ", "))
	}
	return nil
}
