package schema

// The definitions below follow RFC 7643 §8.7.1 (core User and Group) and
// §4.3 (enterprise User), with two deliberate differences, both advertised
// through /Schemas: Group displayName is unique per workspace (uniqueness
// "server"), because identity providers match groups by it; and password is
// accepted but never stored or returned, because scimd is not a login system.

func attr(name string, t Type, opts ...func(*Attribute)) *Attribute {
	a := &Attribute{
		Name:       name,
		Type:       t,
		Mutability: ReadWrite,
		Returned:   Default,
		Uniqueness: None,
	}
	if t == Reference || t == Binary {
		a.CaseExact = true
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

func multi(a *Attribute)          { a.MultiValued = true }
func required(a *Attribute)       { a.Required = true }
func caseExact(a *Attribute)      { a.CaseExact = true }
func readOnly(a *Attribute)       { a.Mutability = ReadOnly }
func immutable(a *Attribute)      { a.Mutability = Immutable }
func writeOnly(a *Attribute)      { a.Mutability = WriteOnly; a.Returned = Never }
func returnedAlways(a *Attribute) { a.Returned = Always }
func uniqueServer(a *Attribute)   { a.Uniqueness = Server }

func desc(d string) func(*Attribute) { return func(a *Attribute) { a.Description = d } }
func refs(types ...string) func(*Attribute) {
	return func(a *Attribute) { a.ReferenceTypes = types }
}
func canonical(v ...string) func(*Attribute) {
	return func(a *Attribute) { a.CanonicalValues = v }
}
func subs(s ...*Attribute) func(*Attribute) {
	return func(a *Attribute) { a.SubAttributes = s }
}

// multiValuedSubs are the standard sub-attributes of a multi-valued
// attribute (RFC 7643 §2.4), with the given value type and canonical types.
func multiValuedSubs(valueType Type, types []string, valueOpts ...func(*Attribute)) func(*Attribute) {
	return subs(
		attr("value", valueType, append([]func(*Attribute){desc("The attribute's significant value.")}, valueOpts...)...),
		attr("display", String, desc("A human-readable name, primarily used for display purposes.")),
		attr("type", String, canonical(types...), desc("A label indicating the attribute's function.")),
		attr("primary", Boolean, desc("Indicates the primary or preferred attribute value.")),
	)
}

// Common attributes of every resource (RFC 7643 §3.1). They are not part of
// any schema's attribute list but can be named in filters, sorting and
// attribute selection.
var (
	idAttr = attr("id", String, caseExact, readOnly, returnedAlways, uniqueServer,
		desc("Unique identifier for the resource, assigned by the service provider."))
	externalIDAttr = attr("externalId", String, caseExact,
		desc("Identifier for the resource as defined by the provisioning client."))
	metaAttr = attr("meta", Complex, readOnly, desc("Resource metadata."), subs(
		attr("resourceType", String, caseExact, readOnly),
		attr("created", DateTime, readOnly),
		attr("lastModified", DateTime, readOnly),
		attr("location", Reference, readOnly, refs("uri")),
		attr("version", String, caseExact, readOnly),
	))
	commonAttrs = []*Attribute{idAttr, externalIDAttr, metaAttr}
)

// User is the core User schema (RFC 7643 §4.1).
var User = &Schema{
	ID:          UserURN,
	Name:        "User",
	Description: "User Account",
	Attributes: []*Attribute{
		attr("userName", String, required, uniqueServer,
			desc("Unique identifier for the User, typically used to sign in. Unique per workspace, compared case-insensitively.")),
		attr("name", Complex, desc("The components of the user's real name."), subs(
			attr("formatted", String),
			attr("familyName", String),
			attr("givenName", String),
			attr("middleName", String),
			attr("honorificPrefix", String),
			attr("honorificSuffix", String),
		)),
		attr("displayName", String, desc("The name of the User, suitable for display.")),
		attr("nickName", String),
		attr("profileUrl", Reference, refs("external")),
		attr("title", String),
		attr("userType", String),
		attr("preferredLanguage", String),
		attr("locale", String),
		attr("timezone", String),
		attr("active", Boolean, desc("The User's administrative status.")),
		attr("password", String, writeOnly, desc("Accepted for compatibility and discarded: scimd never stores or returns passwords.")),
		attr("emails", Complex, multi, multiValuedSubs(String, []string{"work", "home", "other"})),
		attr("phoneNumbers", Complex, multi, multiValuedSubs(String, []string{"work", "home", "mobile", "fax", "pager", "other"})),
		attr("ims", Complex, multi, multiValuedSubs(String, []string{"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"})),
		attr("photos", Complex, multi, multiValuedSubs(Reference, []string{"photo", "thumbnail"}, refs("external"))),
		attr("addresses", Complex, multi, subs(
			attr("formatted", String),
			attr("streetAddress", String),
			attr("locality", String),
			attr("region", String),
			attr("postalCode", String),
			attr("country", String),
			attr("type", String, canonical("work", "home", "other")),
			attr("primary", Boolean),
		)),
		attr("groups", Complex, multi, readOnly, desc("Groups the user belongs to, directly or through nested groups."), subs(
			attr("value", String, readOnly),
			attr("$ref", Reference, readOnly, refs("User", "Group")),
			attr("display", String, readOnly),
			attr("type", String, readOnly, canonical("direct", "indirect")),
		)),
		attr("entitlements", Complex, multi, multiValuedSubs(String, nil)),
		attr("roles", Complex, multi, multiValuedSubs(String, nil)),
		attr("x509Certificates", Complex, multi, multiValuedSubs(Binary, nil)),
	},
}

// EnterpriseUser is the enterprise User extension (RFC 7643 §4.3).
var EnterpriseUser = &Schema{
	ID:          EnterpriseUserURN,
	Name:        "EnterpriseUser",
	Description: "Enterprise User",
	Attributes: []*Attribute{
		attr("employeeNumber", String),
		attr("costCenter", String),
		attr("organization", String),
		attr("division", String),
		attr("department", String),
		attr("manager", Complex, desc("The User's manager."), subs(
			attr("value", String, desc("The id of the SCIM resource representing the User's manager.")),
			attr("$ref", Reference, refs("User")),
			attr("displayName", String, readOnly),
		)),
	},
}

// Group is the core Group schema (RFC 7643 §4.2).
var Group = &Schema{
	ID:          GroupURN,
	Name:        "Group",
	Description: "Group",
	Attributes: []*Attribute{
		attr("displayName", String, required, uniqueServer,
			desc("A human-readable name for the Group. Unique per workspace, compared case-insensitively.")),
		attr("members", Complex, multi, desc("A list of members of the Group."), subs(
			attr("value", String, caseExact, immutable, desc("Identifier of the member of this Group.")),
			attr("$ref", Reference, immutable, refs("User", "Group")),
			attr("display", String, readOnly),
			attr("type", String, immutable, canonical("User", "Group")),
		)),
	},
}

// UserType and GroupType are the resource types scimd serves.
var (
	UserType = &ResourceType{
		ID:          "User",
		Endpoint:    "/Users",
		Description: "User Account",
		Schema:      User,
		Extensions:  []Extension{{Schema: EnterpriseUser}},
	}
	GroupType = &ResourceType{
		ID:          "Group",
		Endpoint:    "/Groups",
		Description: "Group",
		Schema:      Group,
	}
	ResourceTypes = []*ResourceType{UserType, GroupType}
)

// AllSchemas lists every schema served at /Schemas: the resources', then
// the discovery resources' (meta.go).
var AllSchemas = []*Schema{User, EnterpriseUser, Group, ServiceProviderConfig, ResourceTypeSchema, SchemaSchema}
