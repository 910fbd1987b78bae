// Package filter implements the SCIM filter language (RFC 7644 §3.4.2.2):
// a parser that produces an abstract syntax tree resolved against a resource
// type's schema, and an in-memory evaluator. The SQL stores compile the same
// tree to queries, so both must agree on every case in filtertest.Cases.
//
// # Syntax
//
// Parse accepts the grammar of RFC 7644 §3.4.2.2, Figure 1, with these
// readings:
//
//   - Operators (eq, ne, co, sw, ew, gt, ge, lt, le, pr), and, or, not, true,
//     false and null are case-insensitive, and so are attribute names and
//     schema URNs: "USERNAME Eq "x" AND Active eq True" is fine.
//   - not binds tighter than and, which binds tighter than or; and and or
//     group to the left. not takes a parenthesised filter: not (x).
//   - Whitespace (space, tab, CR, LF) may be omitted where tokens stay
//     distinct: userName eq"x"and(active eq true).
//   - Strings are JSON strings (RFC 8259 §7) with JSON escapes; numbers are
//     JSON numbers, kept as json.Number. The filter must be valid UTF-8.
//   - A path is [URN ":"] name ["." name], the attribute starting after the
//     URN's last colon (URNs contain dots: "...:2.0:User:name.givenName").
//     Extension attributes need their URN; core attributes may have it.
//     Names start with a letter or "$" (for "$ref").
//   - A comparison of a complex attribute without a sub-attribute compares
//     its "value" sub-attribute: emails co "x" is emails.value co "x". A
//     complex attribute without one (name, meta) cannot be compared.
//   - Brackets attr[filter] follow a multi-valued complex attribute only,
//     do not nest, and inside them paths are bare sub-attribute names.
//   - attr[filter].sub op value, the PATCH path syntax, is accepted and
//     means attr[filter and sub op value] (likewise with pr).
//   - Filters are at most MaxLength bytes and nest parentheses, not and
//     brackets at most MaxDepth deep.
//
// Literals must suit the attribute's type (RFC 7643 §2.3); otherwise the
// filter is invalid:
//
//	type                    literal                   operators
//	string, reference       string                    all
//	binary                  string                    eq ne co sw ew pr
//	boolean                 true, false, or the       eq ne pr
//	                        string "true"/"false"
//	                        in any case (stored as
//	                        a bool in the tree)
//	integer, decimal        number                    eq ne gt ge lt le pr
//	dateTime                string in RFC 3339        eq ne gt ge lt le pr
//	any                     null                      eq ne
//
// Every error, from Parse and ParseValueFilter alike, is a 400
// *scimerr.Error with scimType invalidFilter (RFC 7644 §3.4.2.2), also for
// unknown attributes, and its detail says what is wrong and at which
// position (counted in bytes from 1).
//
// # Evaluation
//
// Match evaluates a tree against a document as below; a SQL store must
// compile it to the same answers (see filtertest.Cases).
//
// The values of a path are the attribute's value, or each element of it if
// it is an array; for attr.sub, the sub values of each element of attr.
// Empty values (null, "", [] and {}) are unassigned (RFC 7643 §2.5) and are
// not values: they never match and are not present. So:
//
//   - pr is true when the path has at least one value (RFC 7644
//     §3.4.2.2: "a non-empty value, or ... a non-empty node for complex
//     attributes"), so emails pr holds for [{"type": "work"}].
//   - eq null is not pr, and ne null is pr. Other operators reject null.
//   - eq, co, sw, ew, gt, ge, lt and le are true when at least one value
//     satisfies them (RFC 7644 §3.4.2.2), so they are false on an absent
//     attribute.
//   - ne is exactly not (eq): true when no value equals the literal,
//     including when there are no values. For a multi-valued attribute,
//     emails.type ne "work" holds for a user with no work email.
//   - Logic is two-valued; not inverts whatever its operand gives.
//
// Strings, references and binary values compare as Go strings, byte by
// byte, after strings.ToLower on both sides unless the attribute is
// caseExact. strings.ToLower, not strings.EqualFold, so that a SQL store can
// reproduce the folding with one deterministic lower-case function; it
// folds all of Unicode, not just ASCII. co, sw and ew are substring, prefix
// and suffix tests, true for the empty string on any value. gt/ge/lt/le on
// strings are lexicographic by bytes (code points) of the folded strings.
//
// Numbers compare exactly as int64 when both sides are integers, else as
// float64. dateTime values compare as instants, whatever their offsets
// and precision ("2024-01-02T04:04:05+01:00" equals
// "2024-01-02T03:04:05Z"); a stored value that does not parse as RFC 3339
// is not a value of the right type. A value whose JSON type does not fit
// the attribute never matches.
//
// Each comparison stands alone: emails.type eq "work" and emails.value co
// "x" is true when some email is a work email and some email contains "x",
// not necessarily the same one. Only brackets bind their clauses to one
// value: emails[type eq "work" and value co "x"] (RFC 7644 §3.4.2.2).
package filter
