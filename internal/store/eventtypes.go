package store

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
	EventUserCreated = "user.created"
	// EventUserLinked: an identity provider created a user with the
	// userName of a user the application had invited, which it became.
	EventUserLinked      = "user.linked"
	EventUserUpdated     = "user.updated"
	EventUserDeactivated = "user.deactivated"
	EventUserReactivated = "user.reactivated"
	EventUserDeleted     = "user.deleted"
	EventUserRestored    = "user.restored"
	EventUserPurged      = "user.purged"
	// EventRolesChanged is the event of a change of a user's effective
	// roles, group keys or teams.
	EventRolesChanged = "user.roles_changed"

	EventGroupCreated       = "group.created"
	EventGroupUpdated       = "group.updated"
	EventGroupDeleted       = "group.deleted"
	EventGroupMemberAdded   = "group.member_added"
	EventGroupMemberRemoved = "group.member_removed"

	EventAPIKeyCreated  = "api_key.created"
	EventAPIKeyRevoked  = "api_key.revoked"
	EventSessionCreated = "session.created"
	EventSessionRevoked = "session.revoked"

	// Workspace tokens' lives, which backends append as they write
	// them: SCIM and app tokens alike.
	EventTokenCreated = "token.created"
	EventTokenRevoked = "token.revoked"
	EventTokenRotated = "token.rotated"
	// EventTokenExpiring announces that a token expires soon.
	EventTokenExpiring = "token.expiring"

	// EventWebhookTest is an operator's test of a webhook: only that
	// webhook receives it (see DeliveryStore.TestWebhook).
	EventWebhookTest = "webhook.test"
)

// EventType is a type of event as the catalogue describes it.
type EventType struct {
	// Name is the type: noun.verb.
	Name string
	// Subject says what the event's subject is the id of.
	Subject string
	// Doc says in one line when the event is made.
	Doc string
	// Data are the members of the event's data object.
	Data []EventField
}

// EventField is a member of an event's data.
type EventField struct {
	Name string
	// Optional is set for a member that only some events of the type
	// have; the Doc says which.
	Optional bool
	// Doc says what the member holds.
	Doc string
}

// Shapes of data that several types share.
var (
	userField   = EventField{Name: "user", Doc: "the user's SCIM attributes with its id, and as displayName the display name applications see"}
	userRef     = EventField{Name: "user", Doc: `{"id", "userName"}`}
	changed     = EventField{Name: "changed", Doc: "the names of the top-level attributes that changed"}
	groupRef    = EventField{Name: "group", Doc: `{"id", "displayName", "externalId"}`}
	members     = EventField{Name: "members", Doc: "the ids of the members"}
	credential  = EventField{Name: "credential", Doc: `{"id", "kind", "name", "userId", "created", "expires"}`}
	reason      = EventField{Name: "reason", Doc: `why: "user.deactivated", "user.deleted", "revoked" (by the application)`}
	token       = EventField{Name: "token", Doc: `{"id", "kind", "name", "created", "createdBy", "expires", "revoked"}`}
	placeholder = EventField{Name: "placeholder", Doc: `{"id": "deleted-usr_…", "displayName": "Deleted user"}, to which the application re-points what it attributes to the user`}
)

// eventTypes is the catalogue, in the order of docs/events.md.
var eventTypes = []EventType{
	{EventUserCreated, "user", "an identity provider created a user", []EventField{userField}},
	{EventUserUpdated, "user", "a user changed in what applications see", []EventField{userField, changed}},
	{EventUserDeactivated, "user", "a user was made inactive", []EventField{userField, changed}},
	{EventUserReactivated, "user", "an inactive user was made active", []EventField{userField, changed}},
	{EventUserDeleted, "user", "a user was deleted", []EventField{userField,
		{Name: "mode", Doc: `"soft" or "hard"`},
		{Name: "purgeAt", Optional: true, Doc: "in mode soft, when the user goes for good"},
		{Name: "placeholder", Optional: true, Doc: "when an operator deleted the user for good: " + placeholder.Doc}}},
	{EventUserRestored, "user", "a soft-deleted user was restored", []EventField{userField}},
	{EventUserPurged, "user", "a soft-deleted user went for good", []EventField{userRef,
		{Name: "deleted", Doc: "when it was deleted"}, placeholder}},
	{EventUserLinked, "user", "an identity provider created a user with an invited user's userName or primary email, which it became", []EventField{userField}},
	{EventRolesChanged, "user", "a user's effective roles, groups or teams changed", []EventField{userRef,
		{Name: "before", Doc: `{"roles", "groups", "teams"}, each team {"key", "role"}; null the first time`},
		{Name: "after", Doc: "as before"}}},
	{EventGroupCreated, "group", "an identity provider created a group", []EventField{{Name: "group", Doc: "the group's SCIM attributes with its id"}}},
	{EventGroupUpdated, "group", "a group's attributes changed", []EventField{{Name: "group", Doc: "the group's SCIM attributes with its id"}, changed}},
	{EventGroupDeleted, "group", "a group was deleted", []EventField{groupRef}},
	{EventGroupMemberAdded, "group", "a group gained members", []EventField{groupRef, members}},
	{EventGroupMemberRemoved, "group", "a group lost members", []EventField{groupRef, members,
		{Name: "cleared", Optional: true, Doc: "true when every member was removed at once"}}},
	{EventAPIKeyCreated, "API key", "the application issued an API key", []EventField{credential}},
	{EventAPIKeyRevoked, "API key", "an API key was revoked", []EventField{credential, reason}},
	{EventSessionCreated, "session", "the application issued a session", []EventField{credential}},
	{EventSessionRevoked, "session", "a session was revoked", []EventField{credential, reason}},
	{EventTokenCreated, "token", "a SCIM or app token was created", []EventField{token}},
	{EventTokenRevoked, "token", "a SCIM or app token was revoked", []EventField{token}},
	{EventTokenRotated, "old token", "a token was replaced by a new one", []EventField{
		{Name: "old", Doc: "the old token's id"}, {Name: "new", Doc: "the new token's id"},
		{Name: "name", Doc: "the tokens' name"}, {Name: "oldEnds", Doc: "when the old token stops working"}}},
	{EventTokenExpiring, "token", "an active token expires within 30 days, or within 7", []EventField{token,
		{Name: "within", Doc: `"30d" or "7d"`}, {Name: "daysLeft", Doc: "whole days until it expires"}}},
	{EventWebhookTest, "webhook", "an operator sent a test event to a webhook, which alone receives it", []EventField{
		{Name: "webhook", Doc: `{"id", "url"}`}, {Name: "message", Doc: "says that it is a test, sent by whom"}}},
}

// EventTypes returns the catalogue of event types.
func EventTypes() []EventType { return slices.Clone(eventTypes) }

// LookupEventType returns the catalogue's entry of the type name.
func LookupEventType(name string) (EventType, bool) {
	i := slices.IndexFunc(eventTypes, func(t EventType) bool { return t.Name == name })
	if i < 0 {
		return EventType{}, false
	}
	return eventTypes[i], true
}

// CheckEventData checks an event against the catalogue: its type is
// listed, and its data has the members the catalogue says, all those
// that are not optional and no others. For tests of the code that makes
// events.
func CheckEventData(typ string, data json.RawMessage) error {
	t, ok := LookupEventType(typ)
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
		if !slices.ContainsFunc(t.Data, func(f EventField) bool { return f.Name == k }) {
			problems = append(problems, "has "+k+", which the catalogue does not list")
		}
	}
	if problems != nil {
		slices.Sort(problems)
		return fmt.Errorf("%s: data %s", typ, strings.Join(problems, ", "))
	}
	return nil
}
