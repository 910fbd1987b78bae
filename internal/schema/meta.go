package schema

// The schemas of the discovery endpoints' own resources (RFC 7643 §5-7,
// §8.7.2), served at /Schemas so that a client that checks each
// attribute against its schema can read the ServiceProviderConfig,
// ResourceType and Schema resources too. Every attribute is read-only:
// they describe the server.

// discoveryAttr is an attribute of a discovery resource: read-only.
func discoveryAttr(name string, t Type, opts ...func(*Attribute)) *Attribute {
	return attr(name, t, append(opts, readOnly)...)
}

// supported is the sub-attribute of a ServiceProviderConfig feature that
// says whether the server supports it.
func supported(feature string) *Attribute {
	return discoveryAttr("supported", Boolean, required, desc("A Boolean value specifying whether or not "+feature+" is supported."))
}

// ServiceProviderConfig is the schema of /ServiceProviderConfig (RFC 7643
// §5), with pagination from RFC 9865 §4.
var ServiceProviderConfig = &Schema{
	ID:          ServiceProviderConfigURN,
	Name:        "Service Provider Configuration",
	Description: "Schema for representing the service provider's configuration",
	Attributes: []*Attribute{
		discoveryAttr("documentationUri", Reference, refs("external"), desc("An HTTP-addressable URL pointing to the service provider's human-consumable help documentation.")),
		discoveryAttr("patch", Complex, required, desc("A complex type that specifies PATCH configuration options."), subs(supported("the operation"))),
		discoveryAttr("bulk", Complex, required, desc("A complex type that specifies bulk configuration options."), subs(
			supported("the operation"),
			discoveryAttr("maxOperations", Integer, required, desc("An integer value specifying the maximum number of operations.")),
			discoveryAttr("maxPayloadSize", Integer, required, desc("An integer value specifying the maximum payload size in bytes.")),
		)),
		discoveryAttr("filter", Complex, required, desc("A complex type that specifies FILTER options."), subs(
			supported("filtering"),
			discoveryAttr("maxResults", Integer, required, desc("An integer value specifying the maximum number of resources returned in a response.")),
		)),
		discoveryAttr("changePassword", Complex, required, desc("A complex type that specifies configuration options related to changing a password."), subs(supported("the password change operation"))),
		discoveryAttr("sort", Complex, required, desc("A complex type that specifies sort result options."), subs(supported("sorting"))),
		discoveryAttr("etag", Complex, required, desc("A complex type that specifies ETag configuration options."), subs(supported("ETag"))),
		discoveryAttr("pagination", Complex, desc("A complex type that specifies pagination options (RFC 9865)."), subs(
			discoveryAttr("cursor", Boolean, desc("A Boolean value specifying whether cursor-based pagination is supported.")),
			discoveryAttr("index", Boolean, desc("A Boolean value specifying whether index-based pagination is supported.")),
			discoveryAttr("defaultPaginationMethod", String, canonical("cursor", "index"), desc("The pagination method used when a client asks for none.")),
			discoveryAttr("defaultPageSize", Integer, desc("The number of results in a page when a client asks for no count.")),
			discoveryAttr("maxPageSize", Integer, desc("The largest number of results in a page.")),
			discoveryAttr("cursorTimeout", Integer, desc("The number of seconds a cursor stays valid.")),
		)),
		discoveryAttr("authenticationSchemes", Complex, multi, required, desc("A complex type that specifies supported authentication scheme properties."), subs(
			discoveryAttr("type", String, required, canonical("oauth", "oauth2", "oauthbearertoken", "httpbasic", "httpdigest"), desc("The authentication scheme.")),
			discoveryAttr("name", String, required, desc("The common authentication scheme name, e.g., HTTP Basic.")),
			discoveryAttr("description", String, required, desc("A description of the authentication scheme.")),
			discoveryAttr("specUri", Reference, refs("external"), desc("An HTTP-addressable URL pointing to the authentication scheme's specification.")),
			discoveryAttr("documentationUri", Reference, refs("external"), desc("An HTTP-addressable URL pointing to the authentication scheme's usage documentation.")),
			discoveryAttr("primary", Boolean, desc("Whether this is the preferred authentication scheme.")),
		)),
	},
}

// ResourceTypeSchema is the schema of /ResourceTypes (RFC 7643 §6).
var ResourceTypeSchema = &Schema{
	ID:          ResourceTypeURN,
	Name:        "ResourceType",
	Description: "Specifies the schema that describes a SCIM resource type",
	Attributes: []*Attribute{
		discoveryAttr("id", String, desc("The resource type's server unique id.")),
		discoveryAttr("name", String, required, desc("The resource type name.")),
		discoveryAttr("description", String, desc("The resource type's human-readable description.")),
		discoveryAttr("endpoint", Reference, required, refs("uri"), desc("The resource type's HTTP-addressable endpoint relative to the Base URL, e.g., '/Users'.")),
		discoveryAttr("schema", Reference, required, caseExact, refs("uri"), desc("The resource type's primary/base schema URI.")),
		discoveryAttr("schemaExtensions", Complex, multi, desc("A list of URIs of the resource type's schema extensions."), subs(
			discoveryAttr("schema", Reference, required, caseExact, refs("uri"), desc("The URI of a schema extension.")),
			discoveryAttr("required", Boolean, required, desc("A Boolean value that specifies whether or not the schema extension is required for the resource type.")),
		)),
	},
}

// schemaAttributeSubs are the characteristics of an attribute definition
// (RFC 7643 §7), with or without subAttributes.
func schemaAttributeSubs(nested bool) []*Attribute {
	a := []*Attribute{
		discoveryAttr("name", String, required, caseExact, desc("The attribute's name.")),
		discoveryAttr("type", String, required, canonical("string", "complex", "boolean", "decimal", "integer", "dateTime", "reference", "binary"), desc("The attribute's data type.")),
		discoveryAttr("multiValued", Boolean, required, desc("A Boolean value indicating an attribute's plurality.")),
		discoveryAttr("description", String, desc("A human-readable description of the attribute.")),
		discoveryAttr("required", Boolean, desc("A boolean value indicating whether or not the attribute is required.")),
		discoveryAttr("canonicalValues", String, multi, caseExact, desc("A collection of canonical values.")),
		discoveryAttr("caseExact", Boolean, desc("A Boolean value indicating whether or not a string attribute is case sensitive.")),
		discoveryAttr("mutability", String, canonical("readOnly", "readWrite", "immutable", "writeOnly"), desc("Indicates whether or not an attribute is modifiable.")),
		discoveryAttr("returned", String, canonical("always", "never", "default", "request"), desc("Indicates when an attribute is returned in a response.")),
		discoveryAttr("uniqueness", String, canonical("none", "server", "global"), desc("Indicates how unique a value must be.")),
		discoveryAttr("referenceTypes", String, multi, caseExact, desc("Used only with an attribute of type 'reference'. Specifies a SCIM resourceType that a reference attribute MAY refer to.")),
	}
	if nested {
		a = append(a, discoveryAttr("subAttributes", Complex, multi, desc("Used to define the sub-attributes of a complex attribute."), subs(schemaAttributeSubs(false)...)))
	}
	return a
}

// SchemaSchema is the schema of /Schemas (RFC 7643 §7).
var SchemaSchema = &Schema{
	ID:          SchemaURN,
	Name:        "Schema",
	Description: "Specifies the schema attribute",
	Attributes: []*Attribute{
		discoveryAttr("id", String, desc("The unique URI of the schema.")),
		discoveryAttr("name", String, desc("The schema's human-readable name.")),
		discoveryAttr("description", String, desc("The schema's human-readable description.")),
		discoveryAttr("attributes", Complex, multi, required, desc("A complex attribute that includes the attributes of a schema."), subs(schemaAttributeSubs(true)...)),
	},
}
