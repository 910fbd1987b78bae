// Package store defines how scimd persists workspaces, tokens and SCIM
// resources. Backends live in sub-packages and must all pass the shared
// conformance suite in storetest.
//
// Updates take a closure that the backend runs inside a transaction with the
// current state, so a read-modify-write can never lose a concurrent update.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scimd/scimd/internal/filter"
	"github.com/scimd/scimd/internal/schema"
)

// Sentinel errors, checked with errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	// ErrInvalidMember is returned when a group member does not exist in
	// the group's workspace or is the group itself.
	ErrInvalidMember = errors.New("invalid group member")
	// ErrInvalidCursor is returned for a paging cursor the store did not issue.
	ErrInvalidCursor = errors.New("invalid cursor")
	// ErrTooMany is returned, as a *TooManyError, for a listing that would
	// read more resources than its Query.MaxExamined.
	ErrTooMany = errors.New("listing reads too many resources")
	// ErrUnavailable wraps errors that mean the database cannot be reached
	// or is restarting, as opposed to errors in what was asked of it; the
	// same request may succeed later.
	ErrUnavailable = errors.New("database unavailable")
	// ErrSeatLimit is returned when a write would make the workspace's
	// active users and invited users more than its seat limit allows.
	ErrSeatLimit = errors.New("seat limit reached")
	// ErrUserInactive is returned for a credential asked for a user that
	// is not active.
	ErrUserInactive = errors.New("user is not active")
	// ErrTokenInactive is returned for an operation that needs an active
	// token on one that is revoked or expired.
	ErrTokenInactive = errors.New("token is not active")
)

// Store is the storage a scimd server runs on. Each part is defined
// beside the types it stores.
type Store interface {
	TenantStore
	ResourceStore
	Notifier
	AuditStore
	EventStore
	AccessStore
	GroupChangeStore
	DeliveryStore
	TeamStore
	SchemaStore

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// ResourceStore stores SCIM resources.
type ResourceStore interface {
	// CreateResource stores a new resource and writes fx with it. It sets
	// r's Version, Created and LastModified. It fails with
	// ErrAlreadyExists when the userName (Users) or displayName (Groups) is
	// taken in the workspace, compared case-insensitively, with
	// ErrInvalidMember for a bad member, and with ErrSeatLimit for an
	// active user beyond the workspace's seat limit.
	CreateResource(ctx context.Context, r *Resource, fx Effects) error
	// Resource returns one resource. With load, Users get Groups and Groups
	// get Members; without, neither is read.
	Resource(ctx context.Context, workspaceID, typ, id string, load bool) (*Resource, error)
	// UpdateResource runs fn on the current resource inside a transaction
	// and stores what it returns, with Version incremented. With load,
	// Members are loaded before fn runs; without, the update must carry a
	// MemberChange rather than a full member list. If fn returns an error,
	// nothing is written and the error is returned as is; if it returns a
	// nil Update, nothing is written and the current resource is returned,
	// and so it is for an Update that keeps the document (Doc nil) and
	// whose member change adds and removes no member. The returned
	// resource has Members or Groups loaded only with load. The Effects
	// of the Update are written in the same transaction. Making an
	// inactive user active fails with ErrSeatLimit beyond the seat limit.
	UpdateResource(ctx context.Context, workspaceID, typ, id string, load bool, fn func(*Resource) (*Update, error)) (*Resource, error)
	// DeleteResource deletes a resource after fn, if not nil, approves the
	// current state (for If-Match) and says how (a nil Deletion: at once,
	// with no effects). Memberships go with it; a user deleted at once
	// takes its credentials along.
	DeleteResource(ctx context.Context, workspaceID, typ, id string, fn func(*Resource) (*Deletion, error)) error
	// ListResources returns one page of the resources matching q.
	ListResources(ctx context.Context, workspaceID, typ string, q Query) (Page, error)
}

// Resource is a stored SCIM resource.
type Resource struct {
	Type         string // schema.ResourceType ID: "User" or "Group"
	ID           string
	WorkspaceID  string
	Version      int64
	Created      time.Time
	LastModified time.Time
	// Doc holds the normalised attributes (see schema.Normalize), including
	// externalId but not id, meta, members or groups.
	Doc map[string]any
	// AppDisplayName is a User's display name as applications see it
	// (verification, events, the console): stored apart from Doc, so
	// that it can stay as it was when an identity provider changes the
	// user's. Provisioning decides it (see schema.UserDisplayName);
	// an invited user's is made from its Doc.
	AppDisplayName string
	// Members of a Group, when loaded.
	Members []Member
	// Groups of a User, direct and indirect, when loaded.
	Groups []GroupRef
}

// Member is a member of a group. Type and Display come from the member
// resource itself, so they are always current.
type Member struct {
	Value   string // member resource id
	Type    string // "User" or "Group"
	Display string
}

// GroupRef is a group a user belongs to.
type GroupRef struct {
	Value   string
	Display string
	Direct  bool
}

// Update is what an UpdateResource closure returns.
type Update struct {
	// Doc is the resource's new document; nil keeps the current one.
	Doc map[string]any
	// Members, if not nil, changes a Group's members.
	Members *MemberChange
	// AppDisplayName, if not nil, is a User's new AppDisplayName.
	AppDisplayName *string
	// Delete, if not nil, deletes the resource, as DeleteResource would
	// with this Deletion, rather than store it: UpdateResource returns
	// the resource as the update made it, with its version incremented,
	// but it is gone. Members and MemberEffects are ignored.
	Delete *Deletion
	Effects
	// MemberEffects, if not nil, returns the effects of the member
	// change as made, whose events and audit entries are written after
	// those of Effects: it is given the ids of the members the change
	// added and removed, leaving out those that were members already and
	// those that were not members. It is not called when nothing is
	// written.
	MemberEffects func(added, removed []string) Effects
}

// MemberChange changes a group's members. With Replace, the group's members
// become exactly Add; otherwise Remove is applied, then Add.
type MemberChange struct {
	Replace bool
	Add     []string
	Remove  []string
}

// Query selects and orders resources for listing.
type Query struct {
	Filter filter.Expr // nil: all
	// SortBy is the attribute to sort by; nil sorts by creation order.
	SortBy     *schema.Path
	Descending bool
	// Offset skips that many results (startIndex-1). Ignored with a cursor.
	Offset int
	// Count is the maximum number of resources to return; 0 asks for the
	// total only.
	Count int
	// Cursor, when not nil, asks for cursor paging (RFC 9865): "" for the
	// first page, else a NextCursor from an earlier page.
	Cursor *string
	// Load reads Groups of Users and Members of Groups.
	Load bool
	// Type is the workspace's resource type that Filter and SortBy were
	// parsed with, which knows the extensions the workspace declared: an
	// index that a declaration made answers comparisons on its
	// attributes. nil is the built-in type.
	Type *schema.ResourceType
	// MaxExamined, if positive, bounds the resources a listing reads to
	// find its results and their total, whatever its page: with a filter,
	// those that its comparisons an index answers select (eq on id and
	// externalId; eq, sw and ranges on userName of Users and displayName
	// of Groups; eq and sw on emails.value; eq on members.value; eq on
	// most simple attributes of a declared extension, see
	// Type and sqlquery.IndexedAttributes; under
	// "and", or on both sides of "or"), or every resource of the type when
	// it has none; sorting by another attribute than userName (Users) or
	// displayName (Groups) reads every result. A whole listing in creation
	// order or by those names is read from its index at any Offset, not
	// bounded: from where a page this store answered ended (a client
	// reading page after page), else by skipping index entries. A listing
	// that would read more fails with a *TooManyError, without reading
	// them.
	MaxExamined int
	// Held, if set, says which resources of the page the caller holds
	// already as they are, by id and version: those come without their
	// document and relations (Doc nil), which the store then neither
	// decodes nor reads. Not used on a page far into a whole listing,
	// whose last resource's document says where the next page starts.
	Held func(id string, version int64) bool
}

// DefaultMaxExamined is the bound on the resources a listing of the SCIM
// API or the admin API reads (Query.MaxExamined): on 2 cores, about 10 ms
// of testing a filter on stored documents or of sorting.
const DefaultMaxExamined = 10000

// TooManyError is ErrTooMany, with what went over the bound.
type TooManyError struct {
	Type  string // the resource type listed
	Limit int    // Query.MaxExamined
	// Indexed reports that the filter's comparisons that an index
	// answers selected more than Limit; else the filter has none, or
	// (with Sort) the results are too many to sort.
	Indexed bool
	Sort    string // the attribute whose sort went over, if that did
}

func (e *TooManyError) Error() string {
	switch {
	case e.Sort != "":
		return fmt.Sprintf("sorting more than %d %ss by %s: %v", e.Limit, e.Type, e.Sort, ErrTooMany)
	case e.Indexed:
		return fmt.Sprintf("filter selects more than %d %ss: %v", e.Limit, e.Type, ErrTooMany)
	}
	return fmt.Sprintf("filter without indexed comparison over more than %d %ss: %v", e.Limit, e.Type, ErrTooMany)
}

func (e *TooManyError) Is(target error) bool { return target == ErrTooMany }

// Page is one page of a listing.
type Page struct {
	Total      int
	Resources  []*Resource
	NextCursor string // with cursor paging, "" on the last page
}
