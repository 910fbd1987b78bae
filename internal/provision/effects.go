package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/scimd/scimd/internal/eventtype"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
)

// Event types of the changes provisioning makes, from the catalogue in
// package store.
const (
	EventUserCreated       = eventtype.UserCreated
	EventUserLinked        = eventtype.UserLinked
	EventUserUpdated       = eventtype.UserUpdated
	EventUserDeactivated   = eventtype.UserDeactivated
	EventUserReactivated   = eventtype.UserReactivated
	EventUserDeleted       = eventtype.UserDeleted
	EventUserRestored      = eventtype.UserRestored
	EventUserPurged        = eventtype.UserPurged
	EventGroupCreated      = eventtype.GroupCreated
	EventGroupUpdated      = eventtype.GroupUpdated
	EventGroupDeleted      = eventtype.GroupDeleted
	EventGroupMemberAdded  = eventtype.GroupMemberAdded
	EventGroupMemberRemove = eventtype.GroupMemberRemoved
)

// Revocation reasons recorded with revoked credentials.
const (
	ReasonDeactivated = "user.deactivated"
	ReasonDeleted     = "user.deleted"
)

// event returns an event whose data is the JSON of data.
func event(typ, subject string, data map[string]any) store.NewEvent {
	b, err := json.Marshal(data)
	if err != nil {
		// Documents are decoded JSON and marshal back; anything else is
		// a bug worth seeing in the event rather than a lost event.
		b, _ = json.Marshal(map[string]any{"error": err.Error()})
	}
	return store.NewEvent{Type: typ, Subject: subject, Data: b}
}

// resourceData is a resource of type rt as events carry it: its
// attributes that SCIM may return (see schema.ResourceType.Returnable),
// with its id.
func resourceData(rt *schema.ResourceType, id string, doc map[string]any) map[string]any {
	out := rt.Returnable(doc)
	if out == nil {
		out = map[string]any{}
	}
	out["id"] = id
	return out
}

func groupRef(id string, doc map[string]any) map[string]any {
	ref := map[string]any{"id": id, "displayName": doc["displayName"]}
	if x, ok := doc["externalId"]; ok {
		ref["externalId"] = x
	}
	return ref
}

func memberEvents(id string, doc map[string]any, added, removed []string, cleared bool) []store.NewEvent {
	var evs []store.NewEvent
	if len(removed) > 0 || cleared {
		data := map[string]any{"group": groupRef(id, doc), "members": nonNil(removed)}
		if cleared {
			data["cleared"] = true
		}
		evs = append(evs, event(EventGroupMemberRemove, id, data))
	}
	if len(added) > 0 {
		evs = append(evs, event(EventGroupMemberAdded, id, map[string]any{"group": groupRef(id, doc), "members": added}))
	}
	return evs
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// createdEvents are the events of a created resource.
func createdEvents(rt *schema.ResourceType, r *store.Resource) []store.NewEvent {
	if rt.ID == schema.GroupType.ID {
		evs := []store.NewEvent{event(EventGroupCreated, r.ID, map[string]any{"group": resourceData(rt, r.ID, r.Doc)})}
		return append(evs, memberEvents(r.ID, r.Doc, memberIDs(r.Members), nil, false)...)
	}
	return []store.NewEvent{event(EventUserCreated, r.ID, map[string]any{"user": userData(rt, r.ID, r.Doc, r.AppDisplayName)})}
}

// active reports whether a user document is active: SCIM leaves the
// attribute optional, and a user that does not say is taken to be.
func active(doc map[string]any) bool {
	return doc["active"] != false
}

// groupEffects are the events of the change c to the group cur, of type
// rt.
func groupEffects(rt *schema.ResourceType, cur *store.Resource, c *Change) store.Effects {
	var fx store.Effects
	if before, after := resourceData(rt, cur.ID, c.Before), resourceData(rt, cur.ID, c.After); !reflect.DeepEqual(before, after) {
		fx.Events = append(fx.Events, event(EventGroupUpdated, cur.ID, map[string]any{
			"group": after, "changed": changedAttributes(rt, before, after)}))
	}
	fx.Events = append(fx.Events, memberEvents(cur.ID, c.After, c.Added, c.Removed, c.Cleared)...)
	return fx
}

// appDisplayName returns the display name applications are to see for
// the user cur once its document is next: one made from next if the
// workspace syncs display names, else the one it has.
func appDisplayName(ws *store.Workspace, cur *store.Resource, next map[string]any) string {
	if ws.Config.SyncDisplayName {
		return schema.UserDisplayName(next)
	}
	return cur.AppDisplayName
}

// userData is a user as events carry it: its attributes that SCIM may
// return, with the display name applications see for displayName, and
// its id. rt is the workspace's user type, with its extensions.
func userData(rt *schema.ResourceType, id string, doc map[string]any, appName string) map[string]any {
	out := resourceData(rt, id, doc)
	delete(out, "displayName")
	if appName != "" {
		out["displayName"] = appName
	}
	return out
}

// userUpdate is the update that makes c.After the document of the user
// cur, with its effects: an event, unless nothing applications see
// changes, and, for a user made inactive, the revocation of its
// credentials. In a workspace that deletes deactivated users, a
// deactivation is a deletion instead, with a DELETE's effects.
func (s *Service) userUpdate(ws *store.Workspace, rt *schema.ResourceType, cur *store.Resource, c *Change) *store.Update {
	name := appDisplayName(ws, cur, c.After)
	up := &store.Update{Doc: c.After, AppDisplayName: &name}
	was, is := active(c.Before), active(c.After)
	if ws.Config.DeleteOnDeactivate && was && !is {
		up.Delete = s.deletion(ws, rt, &store.Resource{ID: cur.ID, Doc: c.After, AppDisplayName: name})
		return up
	}
	before, after := userData(rt, cur.ID, c.Before, cur.AppDisplayName), userData(rt, cur.ID, c.After, name)
	if reflect.DeepEqual(before, after) {
		return up
	}
	typ := EventUserUpdated
	switch {
	case was && !is:
		typ = EventUserDeactivated
		up.Revoke = &store.Revocation{UserID: cur.ID, APIKeys: ws.Config.RevokeKeysOnDeactivate, Reason: ReasonDeactivated}
	case !was && is:
		typ = EventUserReactivated
	}
	up.Events = []store.NewEvent{event(typ, cur.ID, map[string]any{"user": after, "changed": changedAttributes(rt, before, after)})}
	return up
}

// changedAttributes names the attributes that differ between two
// resources of type rt as events carry them: the top-level attributes of
// the core schema by name ("name" for a change of name.givenName), and
// those of an extension by the URN-qualified name of the attribute
// (RFC 7644 §3.10), "urn:…:User:costCenter", so that an application
// need not compare the whole extension to see which of its attributes
// changed. A sub-attribute's change names its attribute, in either.
func changedAttributes(rt *schema.ResourceType, before, after map[string]any) []string {
	changed := []string{}
	diff := func(prefix string, before, after map[string]any) {
		for k, v := range after {
			if old, ok := before[k]; !ok || !reflect.DeepEqual(old, v) {
				changed = append(changed, prefix+k)
			}
		}
		for k := range before {
			if _, ok := after[k]; !ok {
				changed = append(changed, prefix+k)
			}
		}
	}
	top := func(doc map[string]any) (core, exts map[string]any) {
		core, exts = make(map[string]any, len(doc)), map[string]any{}
		for k, v := range doc {
			if s := rt.SchemaByURN(k); s != nil && rt.IsExtension(s) {
				exts[s.ID] = v
			} else {
				core[k] = v
			}
		}
		return core, exts
	}
	bc, be := top(before)
	ac, ae := top(after)
	diff("", bc, ac)
	urns := make(map[string]bool, len(ae)+len(be))
	for urn := range ae {
		urns[urn] = true
	}
	for urn := range be {
		urns[urn] = true
	}
	for urn := range urns {
		b, _ := be[urn].(map[string]any)
		a, _ := ae[urn].(map[string]any)
		diff(urn+":", b, a)
	}
	slices.Sort(changed)
	return changed
}

// userType returns the workspace's user type, with the extensions it
// declared, for the writes that are not SCIM requests, which have it.
func (s *Service) userType(ctx context.Context, ws *store.Workspace) (*schema.ResourceType, error) {
	es, err := s.store.SchemaExtensions(ctx, ws.ID)
	if err != nil {
		return nil, storeError(schema.UserType, "", err)
	}
	user, _ := store.ResourceTypes(es)
	return user, nil
}

// deletion says how to delete cur: a user is soft-deleted for the
// workspace's grace period, or at once, and its credentials revoked.
func (s *Service) deletion(ws *store.Workspace, rt *schema.ResourceType, cur *store.Resource) *store.Deletion {
	if rt.ID == schema.GroupType.ID {
		return &store.Deletion{Effects: store.Effects{Events: []store.NewEvent{
			event(EventGroupDeleted, cur.ID, map[string]any{"group": groupRef(cur.ID, cur.Doc)})}}}
	}
	d := &store.Deletion{}
	data := map[string]any{"user": userData(rt, cur.ID, cur.Doc, cur.AppDisplayName), "mode": ws.Config.DeleteMode}
	if ws.Config.DeleteMode != store.DeleteHard {
		d.PurgeAt = s.now().Add(time.Duration(ws.Config.SoftDeleteGraceDays) * 24 * time.Hour).UTC()
		data["purgeAt"] = d.PurgeAt.Format(time.RFC3339)
	}
	d.Revoke = &store.Revocation{UserID: cur.ID, APIKeys: ws.Config.RevokeKeysOnDeactivate, Reason: ReasonDeleted}
	d.Events = []store.NewEvent{event(EventUserDeleted, cur.ID, data)}
	return d
}

// DeleteInvited deletes a user the application invited, which no
// identity provider has provisioned, and revokes its credentials, in one
// transaction. An invited user is not kept for a grace period: nothing
// could restore it.
func (s *Service) DeleteInvited(ctx context.Context, ws *store.Workspace, userID string) error {
	rt, err := s.userType(ctx, ws)
	if err != nil {
		return err
	}
	err = s.store.DeleteInvitedUser(ctx, ws.ID, userID, func(r *store.Resource) store.Effects {
		return store.Effects{
			Revoke: &store.Revocation{UserID: r.ID, APIKeys: true, Reason: ReasonDeleted},
			Events: []store.NewEvent{event(EventUserDeleted, r.ID, map[string]any{"user": userData(rt, r.ID, r.Doc, r.AppDisplayName), "mode": store.DeleteHard})},
		}
	})
	if errors.Is(err, store.ErrNotFound) {
		return scimerr.NotFound("no invited user %s", userID)
	}
	return storeError(schema.UserType, userID, err)
}

// Restore brings back a soft-deleted user of the workspace, without its
// former group memberships or credentials.
func (s *Service) Restore(ctx context.Context, ws *store.Workspace, userID string) (*store.Resource, error) {
	rt, err := s.userType(ctx, ws)
	if err != nil {
		return nil, err
	}
	r, err := s.store.RestoreUser(ctx, ws.ID, userID, func(r *store.Resource) store.Effects {
		return store.Effects{Events: []store.NewEvent{event(EventUserRestored, r.ID, map[string]any{"user": userData(rt, r.ID, r.Doc, r.AppDisplayName)})}}
	})
	return r, storeError(schema.UserType, userID, err)
}

// Purge removes soft-deleted users whose grace period ended before now:
// those of every workspace with ws nil, else of ws; or, with userID,
// that one user of ws at once. It returns the ids purged.
func (s *Service) Purge(ctx context.Context, ws *store.Workspace, userID string) ([]string, error) {
	wsID, before := "", s.now()
	if ws != nil {
		wsID = ws.ID
	}
	if userID != "" {
		before = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	ids, err := s.store.PurgeUsers(ctx, wsID, userID, before, purgedEvent)
	if err == nil && userID != "" && len(ids) == 0 {
		return nil, scimerr.NotFound("no soft-deleted user %s", userID)
	}
	return ids, storeError(schema.UserType, userID, err)
}

// purgedEvent names the placeholder identity to which an application can
// re-point what it attributes to the purged user.
func purgedEvent(u *store.DeletedUser) store.NewEvent {
	id := u.Resource.ID
	return event(EventUserPurged, id, map[string]any{
		"user":        map[string]any{"id": id, "userName": u.Resource.Doc["userName"]},
		"deleted":     u.Deleted.Format(time.RFC3339),
		"placeholder": placeholder(id),
	})
}

// placeholder is the identity to which an application can re-point what
// it attributes to a user deleted for good: the same for every event
// about that user, and free of personal data.
func placeholder(userID string) map[string]any {
	return map[string]any{"id": "deleted-" + userID, "displayName": "Deleted user"}
}

// ErrUserActive is returned for an operator's deletion of a user that is
// active: its identity provider deactivates it first.
var ErrUserActive = errors.New("user is active")

// DeleteSuspended deletes a suspended (inactive) provisioned user at once
// and for good, at an operator's request: its credentials go with it, and
// its user.deleted event, in mode hard, names the placeholder identity as
// user.purged does. An active user is refused with ErrUserActive, so that
// an identity provider that still has it active is not contradicted.
func (s *Service) DeleteSuspended(ctx context.Context, ws *store.Workspace, userID string) error {
	rt, err := s.userType(ctx, ws)
	if err != nil {
		return err
	}
	err = s.store.DeleteResource(ctx, ws.ID, schema.UserType.ID, userID, func(cur *store.Resource) (*store.Deletion, error) {
		if active(cur.Doc) {
			return nil, fmt.Errorf("user %s: %w", userID, ErrUserActive)
		}
		return &store.Deletion{Effects: store.Effects{
			Revoke: &store.Revocation{UserID: cur.ID, APIKeys: true, Reason: ReasonDeleted},
			Events: []store.NewEvent{event(EventUserDeleted, cur.ID, map[string]any{
				"user": userData(rt, cur.ID, cur.Doc, cur.AppDisplayName), "mode": store.DeleteHard, "placeholder": placeholder(cur.ID)})},
		}}, nil
	})
	if errors.Is(err, ErrUserActive) {
		return err
	}
	return storeError(schema.UserType, userID, err)
}
