// Package provision carries out SCIM operations on users and groups: it
// applies the schema's rules to what clients send and stores the result.
// HTTP concerns stay in the server; storage stays behind store.Store.
package provision

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/scimd/scimd/internal/id"
	"github.com/scimd/scimd/internal/patch"
	"github.com/scimd/scimd/internal/schema"
	"github.com/scimd/scimd/internal/scimerr"
	"github.com/scimd/scimd/internal/store"
)

// Service provisions users and groups in a store.
type Service struct {
	store store.Store
	now   func() time.Time
}

// New returns a Service on st.
func New(st store.Store) *Service {
	return NewWithClock(st, time.Now)
}

// NewWithClock returns a Service on st that takes the time from now.
func NewWithClock(st store.Store, now func() time.Time) *Service {
	return &Service{store: st, now: now}
}

// ETag returns the weak entity tag of a resource version (RFC 7644 §3.14).
func ETag(version int64) string {
	return `W/"` + strconv.FormatInt(version, 10) + `"`
}

// matches reports whether an If-Match or If-None-Match header value
// matches the version. Comparison is weak (RFC 9110 §8.8.3.2): W/"3" and
// "3" both match version 3.
func matches(header string, version int64) bool {
	want := strconv.FormatInt(version, 10)
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			return true
		}
		tag = strings.TrimPrefix(tag, "W/")
		if strings.Trim(tag, `"`) == want && len(tag) >= 2 && tag[0] == '"' && tag[len(tag)-1] == '"' {
			return true
		}
	}
	return false
}

// NotModified reports whether an If-None-Match header matches the version,
// so that a GET can answer 304.
func NotModified(ifNoneMatch string, version int64) bool {
	return ifNoneMatch != "" && matches(ifNoneMatch, version)
}

func checkIfMatch(ifMatch string, cur *store.Resource) error {
	if ifMatch != "" && !matches(ifMatch, cur.Version) {
		return scimerr.New(http.StatusPreconditionFailed, "",
			"resource %s has changed: its version is %s, not %s", cur.ID, ETag(cur.Version), ifMatch)
	}
	return nil
}

func idPrefix(rt *schema.ResourceType) string {
	if rt.ID == schema.GroupType.ID {
		return id.Group
	}
	return id.User
}

// storeError turns a storage error into the SCIM error a client should see.
func storeError(rt *schema.ResourceType, resID string, err error) error {
	var se *scimerr.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return se
	case errors.Is(err, store.ErrNotFound):
		return scimerr.NotFound("%s %s not found", rt.ID, resID)
	case errors.As(err, new(*store.ValueTakenError)):
		var taken *store.ValueTakenError
		errors.As(err, &taken)
		return scimerr.Conflict("a %s with that %s already exists", rt.ID, taken.Attribute)
	case errors.Is(err, store.ErrAlreadyExists):
		attr := "userName"
		if rt.ID == schema.GroupType.ID {
			attr = "displayName"
		}
		return scimerr.Conflict("a %s with that %s already exists", rt.ID, attr)
	case errors.Is(err, store.ErrInvalidMember):
		return &scimerr.Error{Status: http.StatusBadRequest, ScimType: scimerr.InvalidValue,
			Detail: strings.TrimSuffix(err.Error(), ": "+store.ErrInvalidMember.Error()), Err: err}
	case errors.Is(err, store.ErrSeatLimit):
		return scimerr.New(http.StatusForbidden, "",
			"the workspace has no free seat: every seat of its seat limit is taken by an active user; deactivate a user or raise the limit")
	case errors.Is(err, store.ErrTooMany):
		return TooMany(err)
	case errors.Is(err, store.ErrUnavailable):
		return Unavailable(err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &scimerr.Error{Status: http.StatusServiceUnavailable, Detail: "the request was cancelled or timed out", Err: err}
	}
	return scimerr.Internal(fmt.Errorf("%s %s: %w", rt.ID, resID, err))
}

// TooMany explains a listing that the store refused to answer for the
// resources it would read (store.ErrTooMany), and what a client can ask
// instead: RFC 7644 §3.12's tooMany, "more results than the server is
// willing to calculate or process".
func TooMany(err error) *scimerr.Error {
	var tm *store.TooManyError
	if !errors.As(err, &tm) {
		return scimerr.Internal(err)
	}
	name, indexed := "userName", "eq on id or externalId, eq, sw, gt, ge, lt or le on userName, eq or sw on emails.value, eq on a simple attribute of a declared extension"
	if tm.Type == schema.GroupType.ID {
		name, indexed = "displayName", "eq on id or externalId, eq, sw, gt, ge, lt or le on displayName, eq on a simple attribute of a declared extension"
	}
	var detail string
	switch {
	case tm.Sort != "":
		detail = fmt.Sprintf("sorting by %s reads every result, and there are more than %d %ss; sort by %s, or filter to at most %d", tm.Sort, tm.Limit, tm.Type, name, tm.Limit)
	case tm.Indexed:
		detail = fmt.Sprintf("the filter selects more than %d %ss, the most a listing reads; narrow it (a longer sw prefix, an eq)", tm.Limit, tm.Type)
	default:
		detail = fmt.Sprintf("the filter has no comparison an index answers, and there are more than %d %ss, the most a listing reads; add one with \"and\": %s", tm.Limit, tm.Type, indexed)
	}
	return &scimerr.Error{Status: http.StatusBadRequest, ScimType: scimerr.TooMany, Detail: detail, Err: err}
}

// Unavailable is the error for a request the database could not serve
// now; clients should retry.
func Unavailable(err error) *scimerr.Error {
	return &scimerr.Error{Status: http.StatusServiceUnavailable, Detail: "the database is unavailable; try again shortly", Err: err}
}

// takeMembers removes the members attribute from a normalised group
// document and returns the member ids.
func takeMembers(doc map[string]any) []string {
	list, _ := doc["members"].([]any)
	delete(doc, "members")
	ids := make([]string, 0, len(list))
	seen := make(map[string]bool, len(list))
	for _, m := range list {
		v, _ := m.(map[string]any)["value"].(string)
		if v != "" && !seen[v] {
			seen[v] = true
			ids = append(ids, v)
		}
	}
	return ids
}

func checkMembers(doc map[string]any) error {
	list, _ := doc["members"].([]any)
	for _, m := range list {
		if v, _ := m.(map[string]any)["value"].(string); v == "" {
			return scimerr.BadRequest(scimerr.InvalidValue, "every member needs a \"value\" with the member's id")
		}
	}
	return nil
}

// checkRawMembers refuses member entries without an id before
// normalisation drops their read-only parts and, with them, the evidence.
func checkRawMembers(body map[string]any) error {
	for k, v := range body {
		if !strings.EqualFold(k, "members") {
			continue
		}
		list, _ := v.([]any)
		for _, m := range list {
			if _, ok := m.(map[string]any); !ok {
				continue // normalisation reports it
			}
			hasValue := false
			for mk, mv := range m.(map[string]any) {
				if s, ok := mv.(string); ok && s != "" && strings.EqualFold(mk, "value") {
					hasValue = true
				}
			}
			if !hasValue {
				return scimerr.BadRequest(scimerr.InvalidValue, "every member needs a \"value\" with the member's id")
			}
		}
	}
	return nil
}

func (s *Service) decode(rt *schema.ResourceType, body map[string]any) (map[string]any, error) {
	if rt.ID == schema.GroupType.ID {
		if err := checkRawMembers(body); err != nil {
			return nil, err
		}
	}
	doc, err := rt.Normalize(body)
	if err != nil {
		return nil, err
	}
	if err := rt.CheckRequired(doc); err != nil {
		return nil, err
	}
	if rt.ID == schema.GroupType.ID {
		if err := checkMembers(doc); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// Create creates a resource from a client's document (RFC 7644 §3.3).
func (s *Service) Create(ctx context.Context, ws *store.Workspace, rt *schema.ResourceType, body map[string]any) (Result, error) {
	doc, err := s.decode(rt, body)
	if err != nil {
		return Result{}, err
	}
	guard, err := s.guardRoles(ctx, ws, rt, "")
	if err != nil {
		return Result{}, err
	}
	if err := guard.check(nil, doc); err != nil {
		return Result{}, err
	}
	if rt.ID == schema.UserType.ID {
		if err := s.checkManager(ctx, ws, nil, doc); err != nil {
			return Result{}, err
		}
	}
	r := &store.Resource{Type: rt.ID, ID: id.New(idPrefix(rt)), WorkspaceID: ws.ID, Doc: doc}
	if rt.ID == schema.UserType.ID {
		r.AppDisplayName = schema.UserDisplayName(doc)
	}
	if rt.ID == schema.GroupType.ID {
		for _, m := range takeMembers(doc) {
			r.Members = append(r.Members, store.Member{Value: m})
		}
	}
	res := Result{Resource: r, Change: Change{Type: rt, After: r.Doc, Added: memberIDs(r.Members)}}
	c := &res.Change
	linked := false
	if rt.ID == schema.UserType.ID && ws.Config.AllowLinking {
		// A user the application invited itself may have the userName
		// or the email: the identity provider's user becomes that user.
		switch err := s.link(ctx, ws, r, c); {
		case err == nil:
			linked = true
		case !errors.Is(err, store.ErrNotFound):
			return Result{}, storeError(rt, r.ID, err)
		}
	}
	if !linked {
		fx := store.Effects{Events: createdEvents(rt, r)}
		audit(ctx, r.ID, c, &fx)
		if err := s.store.CreateResource(ctx, r, fx); err != nil {
			return Result{}, storeError(rt, r.ID, err)
		}
	}
	if rt.ID == schema.GroupType.ID && len(r.Members) > 0 {
		// Members' types and display names come from the members.
		if res.Resource, err = s.Get(ctx, ws, rt, r.ID, true); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// link makes the user r the invited user (see store.AccessStore) with its
// userName or, else, its primary email: r takes its id and credentials,
// which an inactive r loses as if deactivated. It fails with
// store.ErrNotFound if there is no such invited user. The audit entry
// of the change c goes with it.
func (s *Service) link(ctx context.Context, ws *store.Workspace, r *store.Resource, c *Change) error {
	return s.store.LinkInvitedUser(ctx, r, func(r *store.Resource) store.Effects {
		fx := store.Effects{Events: []store.NewEvent{event(EventUserLinked, r.ID, map[string]any{"user": userData(c.Type, r.ID, r.Doc, r.AppDisplayName)})}}
		if !active(r.Doc) {
			fx.Revoke = &store.Revocation{UserID: r.ID, APIKeys: ws.Config.RevokeKeysOnDeactivate, Reason: ReasonDeactivated}
		}
		c.After = r.Doc
		audit(ctx, r.ID, c, &fx)
		return fx
	})
}

// Get returns a resource; load reads its members or groups.
func (s *Service) Get(ctx context.Context, ws *store.Workspace, rt *schema.ResourceType, resID string, load bool) (*store.Resource, error) {
	r, err := s.store.Resource(ctx, ws.ID, rt.ID, resID, load)
	return r, storeError(rt, resID, err)
}

// Replace replaces a resource with a client's document (RFC 7644 §3.5.1).
// Attributes the document leaves out are cleared; read-only ones are
// ignored; immutable ones may not change.
func (s *Service) Replace(ctx context.Context, ws *store.Workspace, rt *schema.ResourceType, resID, ifMatch string, body map[string]any) (Result, error) {
	doc, err := s.decode(rt, body)
	if err != nil {
		return Result{}, err
	}
	var mc *store.MemberChange
	if rt.ID == schema.GroupType.ID {
		mc = &store.MemberChange{Replace: true, Add: takeMembers(doc)}
	}
	guard, err := s.guardRoles(ctx, ws, rt, resID)
	if err != nil {
		return Result{}, err
	}
	c := &Change{}
	r, err := s.store.UpdateResource(ctx, ws.ID, rt.ID, resID, true, func(cur *store.Resource) (*store.Update, error) {
		if err := checkIfMatch(ifMatch, cur); err != nil {
			return nil, err
		}
		if err := checkImmutable(rt, cur.Doc, doc); err != nil {
			return nil, err
		}
		if err := guard.check(cur.Doc, doc); err != nil {
			return nil, err
		}
		if rt.ID == schema.UserType.ID {
			if err := s.checkManager(ctx, ws, cur.Doc, doc); err != nil {
				return nil, err
			}
		}
		*c = Change{Type: rt, Before: cur.Doc, After: doc}
		up := &store.Update{Doc: doc, Members: mc}
		if mc != nil {
			d := diffMembers(memberIDs(cur.Members), mc.Add)
			c.Added, c.Removed = d.Add, d.Remove
		}
		if len(c.Added) == 0 && len(c.Removed) == 0 && reflect.DeepEqual(cur.Doc, doc) {
			return nil, nil // the resource as it is: keep the version
		}
		if rt.ID == schema.UserType.ID {
			return auditUpdate(ctx, resID, c, s.userUpdate(ws, rt, cur, c)), nil
		}
		up.Effects = groupEffects(rt, cur, c)
		audit(ctx, resID, c, &up.Effects)
		return up, nil
	})
	return result(r, c, storeError(rt, resID, err))
}

// result is the Result of a write that stored r with the change c, or
// failed with err.
func result(r *store.Resource, c *Change, err error) (Result, error) {
	if err != nil {
		return Result{}, err
	}
	return Result{Resource: r, Change: *c}, nil
}

// checkImmutable refuses a change to an immutable attribute that has a
// value (RFC 7643 §7: immutable attributes may be set once).
func checkImmutable(rt *schema.ResourceType, old, doc map[string]any) error {
	for _, sc := range rt.Schemas() {
		for _, a := range sc.Attributes {
			if a.Mutability != schema.Immutable {
				continue
			}
			p := schema.Path{Schema: sc, Attr: a, Extension: rt.IsExtension(sc)}
			if ov := p.Get(old); ov != nil && !reflect.DeepEqual(ov, p.Get(doc)) {
				return scimerr.BadRequest(scimerr.Mutability, "attribute %q is immutable", p.String())
			}
		}
	}
	return nil
}

// Patch applies PATCH operations to a resource (RFC 7644 §3.5.2). load
// asks for the members or groups in the result. Adding and removing group
// members costs time in proportion to the members named, not the group's
// size, unless an operation needs the full list (a filter on members other
// than by value).
func (s *Service) Patch(ctx context.Context, ws *store.Workspace, rt *schema.ResourceType, resID, ifMatch string, ops []patch.Operation, load bool) (Result, error) {
	if len(ops) == 0 {
		return Result{}, scimerr.BadRequest(scimerr.InvalidValue, "a PATCH request needs at least one operation in \"Operations\"")
	}
	if rt.ID == schema.GroupType.ID {
		delta, rest, ok, err := patch.SplitMembers(rt, ops)
		if err != nil {
			return Result{}, err
		}
		if ok {
			return s.patchGroupDelta(ctx, ws, rt, resID, ifMatch, delta, rest, load)
		}
	}
	guard, err := s.guardRoles(ctx, ws, rt, resID)
	if err != nil {
		return Result{}, err
	}
	c := &Change{}
	r, err := s.store.UpdateResource(ctx, ws.ID, rt.ID, resID, load || rt.ID == schema.GroupType.ID, func(cur *store.Resource) (*store.Update, error) {
		if err := checkIfMatch(ifMatch, cur); err != nil {
			return nil, err
		}
		*c = Change{Type: rt, Before: cur.Doc, After: cur.Doc}
		doc := cur.Doc
		var before []string
		if rt.ID == schema.GroupType.ID {
			doc = withMembers(cur)
			before = memberIDs(cur.Members)
		}
		next, err := patch.Apply(rt, doc, ops)
		if err != nil {
			return nil, err
		}
		if err := rt.CheckRequiredChange(cur.Doc, next); err != nil {
			return nil, err
		}
		if err := guard.check(cur.Doc, next); err != nil {
			return nil, err
		}
		if rt.ID == schema.UserType.ID {
			if err := s.checkManager(ctx, ws, cur.Doc, next); err != nil {
				return nil, err
			}
		}
		up := &store.Update{Doc: next}
		if rt.ID == schema.GroupType.ID {
			if err := checkMembers(next); err != nil {
				return nil, err
			}
			up.Members = diffMembers(before, takeMembers(next))
			if len(up.Members.Add) == 0 && len(up.Members.Remove) == 0 {
				up.Members = nil
			}
		}
		if up.Members == nil && reflect.DeepEqual(cur.Doc, up.Doc) {
			return nil, nil // nothing changed: keep the version
		}
		c.After = up.Doc
		if rt.ID == schema.UserType.ID {
			return auditUpdate(ctx, resID, c, s.userUpdate(ws, rt, cur, c)), nil
		}
		if up.Members != nil {
			c.Added, c.Removed = up.Members.Add, up.Members.Remove
		}
		up.Effects = groupEffects(rt, cur, c)
		audit(ctx, resID, c, &up.Effects)
		return up, nil
	})
	return result(r, c, storeError(rt, resID, err))
}

func (s *Service) patchGroupDelta(ctx context.Context, ws *store.Workspace, rt *schema.ResourceType, resID, ifMatch string, delta patch.MemberDelta, rest []patch.Operation, load bool) (Result, error) {
	mc := &store.MemberChange{Replace: delta.Clear, Remove: delta.Remove}
	for _, m := range delta.Add {
		if v, _ := m["value"].(string); v != "" {
			mc.Add = append(mc.Add, v)
		}
	}
	c := &Change{}
	r, err := s.store.UpdateResource(ctx, ws.ID, rt.ID, resID, load, func(cur *store.Resource) (*store.Update, error) {
		if err := checkIfMatch(ifMatch, cur); err != nil {
			return nil, err
		}
		doc := cur.Doc
		if len(rest) > 0 {
			var err error
			if doc, err = patch.Apply(rt, cur.Doc, rest); err != nil {
				return nil, err
			}
			if err := rt.CheckRequiredChange(cur.Doc, doc); err != nil {
				return nil, err
			}
		}
		*c = Change{Type: rt, Before: cur.Doc, After: doc}
		up := &store.Update{Members: mc}
		if !reflect.DeepEqual(cur.Doc, doc) {
			up.Doc = doc
			up.Effects = groupEffects(rt, cur, c)
		}
		// Members added that were members already, and members removed
		// that were not, change nothing: the store says which did, and
		// the audit entry, made then, shows what the write changed.
		up.MemberEffects = func(added, removed []string) store.Effects {
			c.Added, c.Removed, c.Cleared = added, removed, mc.Replace && len(removed) > 0
			if c.Cleared {
				c.Removed = nil // a cleared group's events do not list who was there
			}
			fx := store.Effects{Events: memberEvents(cur.ID, doc, c.Added, c.Removed, c.Cleared)}
			audit(ctx, resID, c, &fx)
			return fx
		}
		return up, nil
	})
	return result(r, c, storeError(rt, resID, err))
}

func withMembers(r *store.Resource) map[string]any {
	doc := make(map[string]any, len(r.Doc)+1)
	for k, v := range r.Doc {
		doc[k] = v
	}
	if len(r.Members) > 0 {
		list := make([]any, len(r.Members))
		for i, m := range r.Members {
			list[i] = map[string]any{"value": m.Value, "type": m.Type, "display": m.Display}
		}
		doc["members"] = list
	}
	return doc
}

func memberIDs(ms []store.Member) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.Value
	}
	return ids
}

func diffMembers(before, after []string) *store.MemberChange {
	old := make(map[string]bool, len(before))
	for _, v := range before {
		old[v] = true
	}
	mc := &store.MemberChange{}
	now := make(map[string]bool, len(after))
	for _, v := range after {
		now[v] = true
		if !old[v] {
			mc.Add = append(mc.Add, v)
		}
	}
	for _, v := range before {
		if !now[v] {
			mc.Remove = append(mc.Remove, v)
		}
	}
	return mc
}

// Delete deletes a resource (RFC 7644 §3.6) and returns the change.
func (s *Service) Delete(ctx context.Context, ws *store.Workspace, rt *schema.ResourceType, resID, ifMatch string) (Change, error) {
	c := &Change{}
	err := s.store.DeleteResource(ctx, ws.ID, rt.ID, resID, func(cur *store.Resource) (*store.Deletion, error) {
		*c = Change{Type: rt, Before: cur.Doc}
		if err := checkIfMatch(ifMatch, cur); err != nil {
			return nil, err
		}
		d := s.deletion(ws, rt, cur)
		audit(ctx, resID, c, &d.Effects)
		return d, nil
	})
	if err != nil {
		return Change{}, storeError(rt, resID, err)
	}
	return *c, nil
}

// List returns one page of resources.
func (s *Service) List(ctx context.Context, ws *store.Workspace, rt *schema.ResourceType, q store.Query) (store.Page, error) {
	p, err := s.store.ListResources(ctx, ws.ID, rt.ID, q)
	if errors.Is(err, store.ErrInvalidCursor) {
		return p, scimerr.BadRequest(scimerr.InvalidCursor, "the cursor is not valid for this listing")
	}
	return p, storeError(rt, "", err)
}
