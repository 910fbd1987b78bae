// Package schema models SCIM schemas (RFC 7643 §2 and §7) and the resource
// types scimd serves, and applies attribute characteristics to documents:
// name canonicalisation, type checks and coercion, mutability and returned.
//
// A resource document is a map[string]any as decoded from JSON, keyed by
// canonical attribute names. Extension attributes live under their schema URN.
package schema

import (
	"strings"
)

// Schema URNs defined by RFC 7643 and RFC 7644.
const (
	UserURN                  = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupURN                 = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserURN        = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	ServiceProviderConfigURN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	ResourceTypeURN          = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaURN                = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	ListResponseURN          = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SearchRequestURN         = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	PatchOpURN               = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	BulkRequestURN           = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	BulkResponseURN          = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	ErrorURN                 = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// Type is an attribute's data type (RFC 7643 §2.3).
type Type string

// Attribute data types.
const (
	String    Type = "string"
	Boolean   Type = "boolean"
	Decimal   Type = "decimal"
	Integer   Type = "integer"
	DateTime  Type = "dateTime"
	Reference Type = "reference"
	Complex   Type = "complex"
	Binary    Type = "binary"
)

// Mutability says whether and how an attribute may be written (RFC 7643 §7).
type Mutability string

// Mutability values.
const (
	ReadOnly  Mutability = "readOnly"
	ReadWrite Mutability = "readWrite"
	Immutable Mutability = "immutable"
	WriteOnly Mutability = "writeOnly"
)

// Returned says when an attribute appears in a response (RFC 7643 §7).
type Returned string

// Returned values.
const (
	Always  Returned = "always"
	Never   Returned = "never"
	Default Returned = "default"
	Request Returned = "request"
)

// Uniqueness says how an attribute's values are unique (RFC 7643 §7).
type Uniqueness string

// Uniqueness values.
const (
	None   Uniqueness = "none"
	Server Uniqueness = "server"
	Global Uniqueness = "global"
)

// Attribute describes one attribute and its characteristics.
type Attribute struct {
	Name            string       `json:"name"`
	Type            Type         `json:"type"`
	MultiValued     bool         `json:"multiValued"`
	Description     string       `json:"description"`
	Required        bool         `json:"required"`
	CanonicalValues []string     `json:"canonicalValues,omitempty"`
	CaseExact       bool         `json:"caseExact"`
	Mutability      Mutability   `json:"mutability"`
	Returned        Returned     `json:"returned"`
	Uniqueness      Uniqueness   `json:"uniqueness"`
	ReferenceTypes  []string     `json:"referenceTypes,omitempty"`
	SubAttributes   []*Attribute `json:"subAttributes,omitempty"`
}

// Sub returns the sub-attribute with the given name, compared
// case-insensitively, or nil.
func (a *Attribute) Sub(name string) *Attribute {
	if a.Type == Any {
		return keptAttr(name, true)
	}
	return find(a.SubAttributes, name)
}

// Schema is a SCIM schema definition.
type Schema struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Attributes  []*Attribute `json:"attributes"`

	// kept marks the schema of an extension kept without a declaration
	// (see ResourceType.KeepUndeclared), which has every attribute.
	kept bool
}

// Attr returns the attribute with the given name, compared
// case-insensitively, or nil.
func (s *Schema) Attr(name string) *Attribute {
	if s.kept {
		return keptAttr(name, false)
	}
	return find(s.Attributes, name)
}

func find(attrs []*Attribute, name string) *Attribute {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// Extension is a schema extension of a resource type.
type Extension struct {
	Schema   *Schema
	Required bool
}

// ResourceType describes a kind of resource and the schemas it uses.
type ResourceType struct {
	ID          string // also the name, e.g. "User"
	Endpoint    string // e.g. "/Users"
	Description string
	Schema      *Schema
	Extensions  []Extension
	// KeepUndeclared keeps the attributes clients send under extension
	// URNs not declared, as sent (see kept.go), where they are otherwise
	// ignored: the workspace setting undeclaredExtensions "keep".
	KeepUndeclared bool
}

// Keeping returns rt keeping the attributes of extensions it does not
// declare. rt itself is left as it is.
func (rt *ResourceType) Keeping() *ResourceType {
	out := *rt
	out.KeepUndeclared = true
	return &out
}

// Schemas returns the core schema followed by the extension schemas.
func (rt *ResourceType) Schemas() []*Schema {
	s := []*Schema{rt.Schema}
	for _, e := range rt.Extensions {
		s = append(s, e.Schema)
	}
	return s
}

// SchemaByURN returns the core or extension schema with the given URN,
// compared case-insensitively, or the schema of an extension rt keeps
// without a declaration, or nil.
func (rt *ResourceType) SchemaByURN(urn string) *Schema {
	for _, s := range rt.Schemas() {
		if strings.EqualFold(s.ID, urn) {
			return s
		}
	}
	if rt.keeps(urn) {
		return keptSchema(urn)
	}
	return nil
}

// IsExtension reports whether s is one of rt's extension schemas.
func (rt *ResourceType) IsExtension(s *Schema) bool {
	return s != rt.Schema
}
