// Package filtertest holds fixtures that pin down the meaning of SCIM
// filters: resource documents and filters with the ids they must select.
// The in-memory evaluator (filter.Match) and every SQL store run the same
// cases, so they agree on each operator, type and corner.
//
// Documents are as a store keeps them: canonical attribute names, extension
// attributes under their URN, members of groups as {value, type} (some with
// display), and no "groups" on users, since a store derives that from group
// membership. UsersWithGroups adds it the way a store must: see there.
//
// A few documents hold empty values ("", [], {}) that schema.Normalize
// would have dropped, to pin down that empty means absent.
package filtertest

import (
	"sort"

	"github.com/scimd/scimd/internal/schema"
)

// CustomURN is an extension schema an operator declared for the users of
// the fixtures' workspace (see ResourceType), as Entra ID names them.
const CustomURN = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"

var custom = func() *schema.Schema {
	s, err := schema.ParseDocument([]byte(`{"id": "` + CustomURN + `", "attributes": [
		{"name": "costCenter", "type": "string"},
		{"name": "badge", "type": "integer"},
		{"name": "vip", "type": "boolean"},
		{"name": "hired", "type": "dateTime"},
		{"name": "licenses", "type": "complex", "multiValued": true, "subAttributes": [
			{"name": "sku", "type": "string"},
			{"name": "seats", "type": "integer"}]}]}`))
	if err != nil {
		panic(err)
	}
	return s
}()

// KeptURN is an extension the fixtures' workspace keeps without
// declaring it (its undeclaredExtensions is "keep"): values as sent.
const KeptURN = "urn:ietf:params:scim:schemas:extension:Kept:2.0:User"

var userType = schema.UserType.Extend(schema.Extension{Schema: custom}).Keeping()

// ResourceType returns the resource type the cases of a resource type
// ("User" or "Group") run against: a User has the extension CustomURN.
func ResourceType(name string) *schema.ResourceType {
	if name == schema.GroupType.ID {
		return schema.GroupType
	}
	return userType
}

// Case is a filter and the ids of the resources it selects.
type Case struct {
	Name     string
	Resource string   // "User" or "Group"
	Filter   string   // as a client sends it
	Want     []string // ids of matching resources, sorted (sort.Strings)
}

func meta(resourceType, created, lastModified string) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"created":      created,
		"lastModified": lastModified,
	}
}

func email(value, typ string, primary ...bool) map[string]any {
	m := map[string]any{"value": value, "type": typ}
	if len(primary) > 0 {
		m["primary"] = primary[0]
	}
	return m
}

// Users returns twelve user documents, "u1" to "u12", freshly allocated.
func Users() []map[string]any {
	return []map[string]any{
		{
			"id":         "u1",
			"externalId": "bjensen-1",
			"userName":   "bjensen",
			"name": map[string]any{
				"formatted":       "Ms. Barbara J Jensen III",
				"familyName":      "Jensen",
				"givenName":       "Barbara",
				"middleName":      "Jane",
				"honorificPrefix": "Ms.",
				"honorificSuffix": "III",
			},
			"displayName":       "Babs Jensen",
			"nickName":          "Babs",
			"profileUrl":        "https://login.example.com/bjensen",
			"title":             "Tour Guide",
			"userType":          "Employee",
			"preferredLanguage": "en-US",
			"locale":            "en-US",
			"timezone":          "America/Los_Angeles",
			"active":            true,
			"emails": []any{
				email("bjensen@example.com", "work", true),
				email("babs@jensen.org", "home"),
			},
			"phoneNumbers": []any{
				map[string]any{"value": "555-555-5555", "type": "work"},
				map[string]any{"value": "555-555-4444", "type": "mobile"},
			},
			"addresses": []any{
				map[string]any{
					"type":          "work",
					"streetAddress": "100 Universal City Plaza",
					"locality":      "Hollywood",
					"region":        "CA",
					"postalCode":    "91608",
					"country":       "USA",
					"primary":       true,
				},
			},
			"roles": []any{map[string]any{"value": "guide"}},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
				"employeeNumber": "701984",
				"costCenter":     "4130",
				"organization":   "Universal Studios",
				"division":       "Theme Park",
				"department":     "Tour Operations",
				"manager":        map[string]any{"value": "u2", "displayName": "John Smith"},
			},
			CustomURN: map[string]any{
				"costCenter": "CC-42", "badge": 7, "vip": true, "hired": "2020-05-01T09:00:00Z",
				"licenses": []any{map[string]any{"sku": "pro", "seats": 3}, map[string]any{"sku": "free"}},
			},
			KeptURN: map[string]any{
				"region": "EU", "level": 3, "remote": true, "tags": []any{"a", "b"},
				"manager": map[string]any{"value": "u2", "displayName": "John Smith"},
			},
			"meta": map[string]any{
				"resourceType": "User",
				"created":      "2024-01-02T03:04:05Z",
				"lastModified": "2024-03-04T10:00:00Z",
				"version":      `W/"a330bc54f0671c9"`,
			},
		},
		{
			"id":          "u2",
			"userName":    "JSmith",
			"name":        map[string]any{"givenName": "John", "familyName": "Smith"},
			"displayName": "John Smith",
			"title":       "Manager",
			"active":      true,
			"emails":      []any{email("John.Smith@Example.com", "work", true)},
			"phoneNumbers": []any{
				map[string]any{"value": "+1 555 0199", "type": "work", "primary": true},
			},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
				"employeeNumber": "100",
				"department":     "Tour Operations",
			},
			"meta": meta("User", "2023-06-01T00:00:00Z", "2024-01-15T12:00:00.5Z"),
		},
		{
			"id":         "u3",
			"externalId": "ALICE-1",
			"userName":   "alice",
			"name":       map[string]any{"givenName": "Alice", "familyName": "Liddell"},
			"title":      "Engineer",
			"active":     false,
			"emails": []any{
				email("alice@wonderland.example", "home"),
				email("alice@example.com", "work"),
			},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
				"department": "Engineering",
				"manager":    map[string]any{"value": "u1"},
			},
			CustomURN: map[string]any{
				"costCenter": "cc-7", "badge": 12, "vip": false,
				"licenses": []any{map[string]any{"sku": "Free", "seats": 1}},
			},
			KeptURN: map[string]any{"region": "eu", "level": "3", "remote": false, "ratio": 0.5, "manager": map[string]any{"value": "u1"}},
			"meta":  meta("User", "2024-02-10T08:00:00Z", "2024-02-10T08:00:00Z"),
		},
		{
			// No active, emails, externalId or extension.
			"id":       "u4",
			"userName": "bob",
			"name":     map[string]any{"familyName": "Builder"},
			"phoneNumbers": []any{
				map[string]any{"value": "+1 555 0100", "type": "mobile", "primary": true},
			},
			"meta": meta("User", "2024-05-01T00:00:00Z", "2024-05-01T00:00:00Z"),
		},
		{
			// Beyond ASCII: case folding is Unicode's.
			"id":          "u5",
			"userName":    "emile",
			"name":        map[string]any{"givenName": "Émile", "familyName": "ZOLA"},
			"displayName": "Émile Zola",
			"active":      true,
			"emails":      []any{email("emile@example.fr", "other")},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
				"employeeNumber": "42",
				"department":     "engineering",
			},
			CustomURN: map[string]any{"badge": 100, "licenses": []any{}},
			"meta":    meta("User", "2022-12-31T23:59:59Z", "2024-06-30T12:00:00Z"),
		},
		{
			"id":         "u6",
			"externalId": "Carol-1",
			"userName":   "carol",
			"title":      "Engineer",
			"active":     true,
			"emails": []any{
				email("carol@example.com", "work"),
				email("carol.work@example.net", "work", true),
			},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
				"employeeNumber": "7",
				"department":     "Engineering",
				"manager":        map[string]any{"value": "u3"},
			},
			"meta": meta("User", "2024-02-10T09:00:00Z", "2024-04-01T00:00:00Z"),
		},
		{
			// Empty values, which count as absent, and an email without a
			// value.
			"id":           "u7",
			"userName":     "dan",
			"nickName":     "",
			"name":         map[string]any{},
			"phoneNumbers": []any{},
			"active":       false,
			"emails":       []any{map[string]any{"type": "work"}},
			"meta":         meta("User", "2023-11-20T15:30:00Z", "2023-11-20T15:30:00Z"),
		},
		{
			"id":         "u8",
			"externalId": "DAVE",
			"userName":   "dave",
			"title":      "Senior Engineer",
			"active":     false,
			"profileUrl": "https://example.com/Dave",
			"emails":     []any{email("DAVE@EXAMPLE.COM", "work", true)},
			"meta":       meta("User", "2024-03-01T12:00:00.25Z", "2024-03-01T12:00:00.25Z"),
		},
		{
			"id":          "u9",
			"externalId":  "eve-ext",
			"userName":    "eve",
			"displayName": "Eve",
			"active":      true,
			"ims":         []any{map[string]any{"value": "eve_im", "type": "xmpp"}},
			"addresses": []any{
				map[string]any{"type": "work", "locality": "Berlin", "country": "DE"},
			},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
				"employeeNumber": "9",
				"department":     "Security",
				"manager":        map[string]any{"value": "u3"},
			},
			"meta": meta("User", "2021-07-04T00:00:00Z", "2024-02-29T23:59:59Z"),
		},
		{
			"id":       "u10",
			"userName": "frank",
			"userType": "Contractor",
			"active":   true,
			"photos": []any{
				map[string]any{"value": "https://photos.example.com/Frank.jpg", "type": "photo"},
			},
			"x509Certificates": []any{map[string]any{"value": "TUlJQ0F6Q0NBZXVnQXdJQkFn"}},
			"entitlements":     []any{map[string]any{"value": "Admin", "primary": true}},
			"meta":             meta("User", "2024-07-15T08:00:00Z", "2024-07-15T08:00:00Z"),
		},
		{
			"id":       "u11",
			"userName": "grace",
			"name":     map[string]any{"givenName": "Grace", "familyName": "Hopper"},
			"title":    "Rear Admiral",
			"active":   true,
			"locale":   "en-US",
			"emails": []any{
				email("grace@example.com", "work", false),
				email("grace@example.org", "home", true),
			},
			"meta": meta("User", "2020-01-01T00:00:00Z", "2023-12-31T23:00:00Z"),
		},
		{
			// Only what every user has.
			"id":       "u12",
			"userName": "Heidi",
			"meta":     meta("User", "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
		},
	}
}

// Groups returns six group documents, "g1" to "g6", freshly allocated.
// Where a member has a display, it is the member's displayName, as a store
// that derives display from the member would give it. g4 is a member of g2.
func Groups() []map[string]any {
	return []map[string]any{
		{
			"id":          "g1",
			"externalId":  "tg-1",
			"displayName": "Tour Guides",
			"members": []any{
				map[string]any{"value": "u1", "type": "User", "display": "Babs Jensen"},
				map[string]any{"value": "u2", "type": "User", "display": "John Smith"},
			},
			"meta": meta("Group", "2023-01-01T00:00:00Z", "2024-03-01T00:00:00Z"),
		},
		{
			"id":          "g2",
			"externalId":  "eng",
			"displayName": "Engineering",
			"members": []any{
				map[string]any{"value": "u3", "type": "User"},
				map[string]any{"value": "u6", "type": "User"},
				map[string]any{"value": "g4", "type": "Group", "display": "Security Team"},
			},
			"meta": meta("Group", "2023-02-01T00:00:00Z", "2024-05-01T00:00:00Z"),
		},
		{
			"id":          "g3",
			"displayName": "Empty Group",
			"meta":        meta("Group", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
		},
		{
			"id":          "g4",
			"displayName": "Security Team",
			"members": []any{
				map[string]any{"value": "u9", "type": "User", "display": "Eve"},
			},
			"meta": meta("Group", "2024-02-01T00:00:00Z", "2024-02-01T00:00:00Z"),
		},
		{
			"id":          "g5",
			"externalId":  "ADM",
			"displayName": "admins",
			"members": []any{
				map[string]any{"value": "u1", "type": "User"},
				map[string]any{"value": "u8", "type": "User"},
			},
			"meta": meta("Group", "2022-06-01T00:00:00Z", "2024-06-01T10:00:00Z"),
		},
		{
			"id":          "g6",
			"displayName": "Contractors",
			"members": []any{
				// type is not caseExact: "user" equals "User".
				map[string]any{"value": "u10", "type": "user"},
			},
			"meta": meta("Group", "2024-07-01T00:00:00Z", "2024-07-01T00:00:00Z"),
		},
	}
}

// UsersWithGroups returns Users with the "groups" attribute a store derives
// from Groups (RFC 7643 §4.1.2): one value per group the user belongs to,
// directly or through nested groups, as {"value": group id, "display":
// group displayName, "type": "direct" or "indirect"}, "direct" when the
// user is a member of the group itself. Users in no group have no
// "groups". Cases filter on groups.value and groups.type only.
func UsersWithGroups() []map[string]any {
	groups := Groups()
	byID := map[string]map[string]any{}
	parents := map[string][]string{} // member id -> ids of groups it is directly in
	for _, g := range groups {
		id := g["id"].(string)
		byID[id] = g
		members, _ := g["members"].([]any)
		for _, m := range members {
			v := m.(map[string]any)["value"].(string)
			parents[v] = append(parents[v], id)
		}
	}
	users := Users()
	for _, u := range users {
		direct := map[string]bool{}
		seen := map[string]bool{}
		var ids []string
		queue := parents[u["id"].(string)]
		for _, g := range queue {
			direct[g] = true
		}
		for len(queue) > 0 {
			g := queue[0]
			queue = queue[1:]
			if seen[g] {
				continue
			}
			seen[g] = true
			ids = append(ids, g)
			queue = append(queue, parents[g]...)
		}
		if len(ids) == 0 {
			continue
		}
		sort.Strings(ids)
		list := make([]any, 0, len(ids))
		for _, g := range ids {
			typ := "indirect"
			if direct[g] {
				typ = "direct"
			}
			list = append(list, map[string]any{
				"value":   g,
				"display": byID[g]["displayName"],
				"type":    typ,
			})
		}
		u["groups"] = list
	}
	return users
}

const (
	core = "urn:ietf:params:scim:schemas:core:2.0:User:"
	ent  = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
	cus  = CustomURN + ":"
	kept = KeptURN + ":"
)

// all users, sorted.
var allUsers = []string{"u1", "u10", "u11", "u12", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}

// Cases are the filter cases. User cases run against UsersWithGroups,
// Group cases against Groups.
var Cases = []Case{
	// Strings, not caseExact (userName): case-insensitive.
	{"userName eq", "User", `userName eq "bjensen"`, []string{"u1"}},
	{"userName eq other case", "User", `userName eq "BJENSEN"`, []string{"u1"}},
	{"userName eq stored mixed case", "User", `userName eq "jsmith"`, []string{"u2"}},
	{"names and operators case-insensitive", "User", `USERNAME Eq "heidi"`, []string{"u12"}},
	{"userName ne", "User", `userName ne "bjensen"`, []string{"u10", "u11", "u12", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}},
	{"userName co", "User", `userName co "A"`, []string{"u10", "u11", "u3", "u6", "u7", "u8"}},
	{"userName sw", "User", `userName sw "d"`, []string{"u7", "u8"}},
	{"userName sw stored mixed case", "User", `userName sw "js"`, []string{"u2"}},
	{"userName sw a whole name", "User", `userName sw "Dave"`, []string{"u8"}},
	{"userName sw longer than the name", "User", `userName sw "daves"`, nil},
	{"userName sw pattern characters", "User", `userName sw "d_"`, nil},
	{"userName sw percent", "User", `userName sw "%"`, nil},
	{"userName sw empty", "User", `userName sw ""`, []string{"u1", "u10", "u11", "u12", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}},
	{"userName sw past z", "User", `userName sw "z"`, nil},
	{"userName ew", "User", `userName ew "E"`, []string{"u11", "u3", "u5", "u8", "u9"}},
	{"userName gt", "User", `userName gt "eve"`, []string{"u10", "u11", "u12", "u2"}},
	{"userName ge", "User", `userName ge "EVE"`, []string{"u10", "u11", "u12", "u2", "u9"}},
	{"userName lt", "User", `userName lt "c"`, []string{"u1", "u3", "u4"}},
	{"userName le", "User", `userName le "Carol"`, []string{"u1", "u3", "u4", "u6"}},
	{"userName co empty string", "User", `userName co ""`, allUsers},
	{"userName ne null", "User", `userName ne null`, allUsers},
	{"userName eq null", "User", `userName eq null`, nil},

	// Strings, caseExact (id, externalId, meta.resourceType).
	{"id eq", "User", `id eq "u1"`, []string{"u1"}},
	{"id eq other case", "User", `id eq "U1"`, nil},
	{"externalId eq other case", "User", `externalId eq "alice-1"`, nil},
	{"externalId eq", "User", `externalId eq "ALICE-1"`, []string{"u3"}},
	{"externalId sw", "User", `externalId sw "eve"`, []string{"u9"}},
	{"externalId ew", "User", `externalId ew "-1"`, []string{"u1", "u3", "u6"}},
	{"externalId co caseExact", "User", `externalId co "ol"`, []string{"u6"}},
	{"externalId pr", "User", `externalId pr`, []string{"u1", "u3", "u6", "u8", "u9"}},
	{"externalId ne includes absent", "User", `externalId ne "DAVE"`, []string{"u1", "u10", "u11", "u12", "u2", "u3", "u4", "u5", "u6", "u7", "u9"}},
	{"externalId gt is by bytes", "User", `externalId gt "a"`, []string{"u1", "u9"}},
	{"externalId le is by bytes", "User", `externalId le "Carol-1"`, []string{"u3", "u6"}},
	{"meta.resourceType eq", "User", `meta.resourceType eq "User"`, allUsers},
	{"meta.resourceType eq other case", "User", `meta.resourceType eq "user"`, nil},

	// Booleans.
	{"active eq true", "User", `active eq true`, []string{"u1", "u10", "u11", "u2", "u5", "u6", "u9"}},
	{"active eq false", "User", `active eq false`, []string{"u3", "u7", "u8"}},
	{"active eq TRUE", "User", `active eq TRUE`, []string{"u1", "u10", "u11", "u2", "u5", "u6", "u9"}},
	{"active eq string True", "User", `active eq "True"`, []string{"u1", "u10", "u11", "u2", "u5", "u6", "u9"}},
	{"active ne true includes absent", "User", `active ne true`, []string{"u12", "u3", "u4", "u7", "u8"}},
	{"active ne false", "User", `active ne false`, []string{"u1", "u10", "u11", "u12", "u2", "u4", "u5", "u6", "u9"}},
	{"active pr", "User", `active pr`, []string{"u1", "u10", "u11", "u2", "u3", "u5", "u6", "u7", "u8", "u9"}},
	{"not active pr", "User", `not (active pr)`, []string{"u12", "u4"}},
	{"active eq null", "User", `active eq null`, []string{"u12", "u4"}},
	{"active ne null", "User", `active ne null`, []string{"u1", "u10", "u11", "u2", "u3", "u5", "u6", "u7", "u8", "u9"}},

	// Simple optional strings, absent on some users.
	{"title eq", "User", `title eq "engineer"`, []string{"u3", "u6"}},
	{"title co", "User", `title co "engineer"`, []string{"u3", "u6", "u8"}},
	{"title ne includes absent", "User", `title ne "Engineer"`, []string{"u1", "u10", "u11", "u12", "u2", "u4", "u5", "u7", "u8", "u9"}},
	{"title pr", "User", `title pr`, []string{"u1", "u11", "u2", "u3", "u6", "u8"}},
	{"title eq null", "User", `title eq null`, []string{"u10", "u12", "u4", "u5", "u7", "u9"}},
	{"title gt is false when absent", "User", `title gt ""`, []string{"u1", "u11", "u2", "u3", "u6", "u8"}},
	{"userType eq", "User", `userType eq "contractor"`, []string{"u10"}},
	{"locale eq", "User", `locale eq "EN-us"`, []string{"u1", "u11"}},
	{"displayName co beyond ASCII", "User", `displayName co "ÉMILE"`, []string{"u5"}},

	// Empty values are absent.
	{"pr on empty string", "User", `nickName pr`, []string{"u1"}},
	{"eq empty string never matches", "User", `nickName eq ""`, nil},
	{"ne empty string", "User", `nickName ne ""`, allUsers},
	{"co empty string skips empty values", "User", `nickName co ""`, []string{"u1"}},
	{"lt empty string", "User", `title lt ""`, nil},
	{"pr on empty array", "User", `phoneNumbers pr`, []string{"u1", "u2", "u4"}},
	{"pr on empty object", "User", `name pr`, []string{"u1", "u11", "u2", "u3", "u4", "u5"}},
	{"eq null on empty", "User", `nickName eq null and phoneNumbers eq null and userName eq "dan"`, []string{"u7"}},

	// Single-valued complex attributes.
	{"name.givenName eq", "User", `name.givenName eq "barbara"`, []string{"u1"}},
	{"name.familyName sw", "User", `name.familyName sw "zo"`, []string{"u5"}},
	{"name.givenName eq beyond ASCII", "User", `name.givenName eq "émile"`, []string{"u5"}},
	{"name.givenName pr", "User", `name.givenName pr`, []string{"u1", "u11", "u2", "u3", "u5"}},
	{"name.familyName ne", "User", `name.familyName ne "smith"`, []string{"u1", "u10", "u11", "u12", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}},

	// Multi-valued attributes: any value matches.
	{"emails pr", "User", `emails pr`, []string{"u1", "u11", "u2", "u3", "u5", "u6", "u7", "u8"}},
	{"emails.value pr", "User", `emails.value pr`, []string{"u1", "u11", "u2", "u3", "u5", "u6", "u8"}},
	{"emails without sub-attribute is emails.value", "User", `emails eq "bjensen@example.com"`, []string{"u1"}},
	{"emails co", "User", `emails co "EXAMPLE.COM"`, []string{"u1", "u11", "u2", "u3", "u6", "u8"}},
	{"emails.value ew", "User", `emails.value ew ".org"`, []string{"u1", "u11"}},
	{"emails.type eq", "User", `emails.type eq "work"`, []string{"u1", "u11", "u2", "u3", "u6", "u7", "u8"}},
	{"emails.type ne means no value equals", "User", `emails.type ne "work"`, []string{"u10", "u12", "u4", "u5", "u9"}},
	{"not emails.type eq", "User", `not (emails.type eq "work")`, []string{"u10", "u12", "u4", "u5", "u9"}},
	{"emails.primary eq true", "User", `emails.primary eq true`, []string{"u1", "u11", "u2", "u6", "u8"}},
	{"emails.display pr", "User", `emails.display pr`, nil},
	{"phoneNumbers.value sw", "User", `phoneNumbers.value sw "+1"`, []string{"u2", "u4"}},
	{"ims.value eq", "User", `ims.value eq "EVE_IM"`, []string{"u9"}},
	{"entitlements without sub-attribute", "User", `entitlements eq "admin"`, []string{"u10"}},
	{"roles pr", "User", `roles pr`, []string{"u1"}},
	{"sub-attribute clauses are independent", "User", `emails.type eq "work" and emails.value ew ".org"`, []string{"u1", "u11"}},
	{"sub-attribute clauses are independent 2", "User", `emails.primary eq true and emails.type eq "home"`, []string{"u1", "u11"}},

	// Value paths: one value satisfies all clauses.
	{"value path binds clauses", "User", `emails[type eq "work" and value ew ".org"]`, nil},
	{"value path binds clauses 2", "User", `emails[primary eq true and type eq "home"]`, []string{"u11"}},
	{"value path", "User", `emails[type eq "work" and primary eq true]`, []string{"u1", "u2", "u6", "u8"}},
	{"value path co", "User", `emails[type eq "work" and value co "@example.com"]`, []string{"u1", "u11", "u2", "u3", "u6", "u8"}},
	{"value path sub-attribute suffix", "User", `emails[type eq "work"].value co "example.net"`, []string{"u6"}},
	{"value path not", "User", `emails[not (type eq "work")]`, []string{"u1", "u11", "u3", "u5"}},
	{"value path ne", "User", `emails[type ne "work"]`, []string{"u1", "u11", "u3", "u5"}},
	{"value path pr", "User", `emails[value pr]`, []string{"u1", "u11", "u2", "u3", "u5", "u6", "u8"}},
	{"value path not pr", "User", `emails[type eq "work" and not (value pr)]`, []string{"u7"}},
	{"value path primary false", "User", `emails[primary eq false]`, []string{"u11"}},
	{"value path or", "User", `emails[type eq "other" or value sw "alice@"]`, []string{"u3", "u5"}},
	{"value paths with or", "User", `emails[type eq "work" and primary eq true] or phoneNumbers[type eq "mobile"]`, []string{"u1", "u2", "u4", "u6", "u8"}},
	{"not value path", "User", `not (emails[type eq "work"])`, []string{"u10", "u12", "u4", "u5", "u9"}},
	{"addresses value path", "User", `addresses[type eq "work" and country eq "de"]`, []string{"u9"}},

	// References and binary: caseExact.
	{"reference eq", "User", `profileUrl eq "https://example.com/Dave"`, []string{"u8"}},
	{"reference eq other case", "User", `profileUrl eq "https://example.com/dave"`, nil},
	{"reference sw", "User", `photos.value sw "https://photos.example.com/"`, []string{"u10"}},
	{"binary eq", "User", `x509Certificates.value eq "TUlJQ0F6Q0NBZXVnQXdJQkFn"`, []string{"u10"}},
	{"binary eq other case", "User", `x509Certificates eq "tuljq0f6q0nbzxvnqxdjqkfn"`, nil},

	// dateTime: compared as instants.
	{"meta.created gt", "User", `meta.created gt "2024-01-01T00:00:00Z"`, []string{"u1", "u10", "u12", "u3", "u4", "u6", "u8"}},
	{"meta.created eq other offset", "User", `meta.created eq "2024-01-02T04:04:05+01:00"`, []string{"u1"}},
	{"meta.created lt other offset", "User", `meta.created lt "2024-01-02T04:04:05+01:00"`, []string{"u11", "u2", "u5", "u7", "u9"}},
	{"meta.created le other offset", "User", `meta.created le "2024-01-01T22:04:05-05:00"`, []string{"u1", "u11", "u2", "u5", "u7", "u9"}},
	{"meta.created ne", "User", `meta.created ne "2024-01-02T03:04:05.000Z"`, []string{"u10", "u11", "u12", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}},
	{"meta.lastModified gt fraction", "User", `meta.lastModified gt "2024-03-01T12:00:00.2Z"`, []string{"u1", "u10", "u12", "u4", "u5", "u6", "u8"}},
	{"meta.lastModified ge other offset", "User", `meta.lastModified ge "2024-03-01T07:00:00.25-05:00"`, []string{"u1", "u10", "u12", "u4", "u5", "u6", "u8"}},
	{"meta.lastModified lt other offset", "User", `meta.lastModified lt "2024-03-01T07:00:00.25-05:00"`, []string{"u11", "u2", "u3", "u7", "u9"}},
	{"meta.lastModified range", "User", `meta.lastModified gt "2024-01-15T12:00:00Z" and meta.lastModified lt "2024-01-15T12:00:01Z"`, []string{"u2"}},

	// URN-qualified paths and the enterprise extension.
	{"core URN", "User", core + `name.familyName eq "Jensen"`, []string{"u1"}},
	{"core URN userName", "User", core + `userName sw "B"`, []string{"u1", "u4"}},
	{"core URN common attribute", "User", core + `id eq "u12"`, []string{"u12"}},
	{"extension", "User", ent + `department eq "engineering"`, []string{"u3", "u5", "u6"}},
	{"extension URN case-insensitive", "User", `URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:DEPARTMENT EQ "Tour Operations"`, []string{"u1", "u2"}},
	{"extension ne", "User", ent + `department ne "Engineering"`, []string{"u1", "u10", "u11", "u12", "u2", "u4", "u7", "u8", "u9"}},
	{"extension complex sub-attribute", "User", ent + `manager.value eq "u3"`, []string{"u6", "u9"}},
	{"extension complex without sub-attribute", "User", ent + `manager eq "u1"`, []string{"u3"}},
	{"extension complex pr", "User", ent + `manager pr`, []string{"u1", "u3", "u6", "u9"}},
	{"extension string order is not numeric", "User", ent + `employeeNumber gt "5"`, []string{"u1", "u6", "u9"}},
	{"extension pr", "User", ent + `costCenter pr`, []string{"u1"}},

	// A declared extension (CustomURN), as the enterprise one.
	{"custom eq", "User", cus + `costCenter eq "cc-42"`, []string{"u1"}},
	{"custom sw", "User", cus + `costCenter sw "CC"`, []string{"u1", "u3"}},
	{"custom integer gt", "User", cus + `badge gt 7`, []string{"u3", "u5"}},
	{"custom integer eq", "User", cus + `badge eq 7`, []string{"u1"}},
	{"custom integer order is numeric", "User", cus + `badge lt 100`, []string{"u1", "u3"}},
	{"custom boolean", "User", cus + `vip eq false`, []string{"u3"}},
	{"custom dateTime", "User", cus + `hired gt "2020-01-01T00:00:00Z"`, []string{"u1"}},
	{"custom pr", "User", cus + `costCenter pr`, []string{"u1", "u3"}},
	{"custom not pr", "User", `not (` + cus + `costCenter pr)`, []string{"u10", "u11", "u12", "u2", "u4", "u5", "u6", "u7", "u8", "u9"}},
	{"custom value filter", "User", cus + `licenses[sku eq "free" and seats pr]`, []string{"u3"}},
	{"custom value filter or", "User", cus + `licenses[sku eq "pro" or seats lt 2]`, []string{"u1", "u3"}},
	{"custom sub-attribute", "User", cus + `licenses.seats ge 3`, []string{"u1"}},
	{"custom multi-valued pr", "User", cus + `licenses pr`, []string{"u1", "u3"}},
	{"custom with core", "User", `userName eq "alice" and ` + cus + `badge eq 12`, []string{"u3"}},
	{"custom URN case-insensitive", "User", `URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:CUSTOMEXT:2.0:USER:BADGE ge 12`, []string{"u3", "u5"}},

	// An extension kept without a declaration (KeptURN): eq on a value
	// of the literal's JSON type, strings without case, no ranges or
	// substrings, arrays not taken apart; pr.
	{"kept string eq", "User", kept + `region eq "eu"`, []string{"u1", "u3"}},
	{"kept number eq", "User", kept + `level eq 3`, []string{"u1"}},
	{"kept number is not text", "User", kept + `level eq "3"`, []string{"u3"}},
	{"kept decimal eq", "User", kept + `ratio eq 0.50`, []string{"u3"}},
	{"kept boolean eq", "User", kept + `remote eq false`, []string{"u3"}},
	{"kept sub-attribute eq", "User", kept + `manager.value eq "U2"`, []string{"u1"}},
	{"kept object is not its value", "User", kept + `manager eq "u2"`, nil},
	{"kept array is not taken apart", "User", kept + `tags eq "a"`, nil},
	{"kept pr", "User", kept + `tags pr`, []string{"u1"}},
	{"kept sub-attribute pr", "User", kept + `manager.displayName pr`, []string{"u1"}},
	{"kept ne", "User", kept + `region ne "EU"`, []string{"u10", "u11", "u12", "u2", "u4", "u5", "u6", "u7", "u8", "u9"}},
	{"kept not pr", "User", `not (` + kept + `level pr) and ` + kept + `remote pr`, nil},
	{"kept eq null", "User", kept + `ratio eq null and ` + kept + `region pr`, []string{"u1"}},

	// Logic: not > and > or, parentheses.
	{"and binds tighter than or", "User", `userName eq "bjensen" or userName eq "alice" and active eq true`, []string{"u1"}},
	{"parentheses", "User", `(userName eq "bjensen" or userName eq "alice") and active eq false`, []string{"u3"}},
	{"not with or", "User", `not (userName eq "bjensen" or userName eq "alice") and title pr`, []string{"u11", "u2", "u6", "u8"}},
	{"and with parenthesised or", "User", `active eq true and (title co "engineer" or ` + ent + `department eq "security")`, []string{"u6", "u9"}},
	{"nested parentheses", "User", `((userName sw "d")) and ((not (active eq true)))`, []string{"u7", "u8"}},
	{"or chain", "User", `userName sw "a" or userName sw "b" or userName sw "c"`, []string{"u1", "u3", "u4", "u6"}},
	{"and not or", "User", `title pr and not (title co "engineer") or userName eq "heidi"`, []string{"u1", "u11", "u12", "u2"}},
	{"not not", "User", `not (not (active eq false))`, []string{"u3", "u7", "u8"}},
	{"keywords case-insensitive", "User", `userName eq "bob" OR userName eq "eve" AND NOT (active eq false)`, []string{"u4", "u9"}},
	{"no spaces around parentheses", "User", `(userName eq "bob")or(userName eq "dan")`, []string{"u4", "u7"}},

	// groups of users: derived, direct and through nested groups.
	{"groups.value eq", "User", `groups.value eq "g2"`, []string{"u3", "u6", "u9"}},
	{"groups direct", "User", `groups[value eq "g2" and type eq "direct"]`, []string{"u3", "u6"}},
	{"groups indirect", "User", `groups.type eq "indirect"`, []string{"u9"}},
	{"groups pr", "User", `groups pr`, []string{"u1", "u10", "u2", "u3", "u6", "u8", "u9"}},
	{"not groups pr", "User", `not (groups pr)`, []string{"u11", "u12", "u4", "u5", "u7"}},
	{"groups.value ne", "User", `groups.value ne "g1"`, []string{"u10", "u11", "u12", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}},
	{"groups without sub-attribute", "User", `groups eq "g5"`, []string{"u1", "u8"}},

	// Groups.
	{"displayName eq", "Group", `displayName eq "tour guides"`, []string{"g1"}},
	{"displayName eq stored lower case", "Group", `displayName eq "ADMINS"`, []string{"g5"}},
	{"displayName sw", "Group", `displayName sw "e"`, []string{"g2", "g3"}},
	{"displayName sw with a space", "Group", `displayName sw "tour g"`, []string{"g1"}},
	{"displayName co", "Group", `displayName co "team"`, []string{"g4"}},
	{"displayName URN-qualified", "Group", `urn:ietf:params:scim:schemas:core:2.0:Group:displayName ew "group"`, []string{"g3"}},
	{"members pr", "Group", `members pr`, []string{"g1", "g2", "g4", "g5", "g6"}},
	{"not members pr", "Group", `not (members pr)`, []string{"g3"}},
	{"members eq null", "Group", `members eq null`, []string{"g3"}},
	{"members.value eq", "Group", `members.value eq "u1"`, []string{"g1", "g5"}},
	{"members.value caseExact", "Group", `members.value eq "U1"`, nil},
	{"members without sub-attribute", "Group", `members eq "u9"`, []string{"g4"}},
	{"members.value ne", "Group", `members.value ne "u1"`, []string{"g2", "g3", "g4", "g6"}},
	{"members.value of a group", "Group", `members.value eq "g4"`, []string{"g2"}},
	{"members.type not caseExact", "Group", `members.type eq "user"`, []string{"g1", "g2", "g4", "g5", "g6"}},
	{"members value path type", "Group", `members[type eq "group"]`, []string{"g2"}},
	{"members value path", "Group", `members[value eq "u10" and type eq "User"]`, []string{"g6"}},
	{"members value path sw", "Group", `members[type eq "User" and value sw "u1"]`, []string{"g1", "g5", "g6"}},
	{"members.display eq", "Group", `members.display eq "eve"`, []string{"g4"}},
	{"group externalId eq", "Group", `externalId eq "ADM"`, []string{"g5"}},
	{"group externalId caseExact", "Group", `externalId eq "adm"`, nil},
	{"group externalId pr", "Group", `externalId pr`, []string{"g1", "g2", "g5"}},
	{"group or", "Group", `displayName eq "Engineering" or members.value eq "u8"`, []string{"g2", "g5"}},
	{"group id or not pr", "Group", `id eq "g3" or not (members.value pr)`, []string{"g3"}},
	{"group meta.created ge", "Group", `meta.created ge "2024-01-01T00:00:00+00:00"`, []string{"g3", "g4", "g6"}},
	{"group meta.lastModified lt other offset", "Group", `meta.lastModified lt "2024-03-01T01:00:00+01:00"`, []string{"g3", "g4"}},
}
