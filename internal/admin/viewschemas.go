package admin

import (
	"maps"

	"github.com/scimd/scimd/internal/httpapi"
)

// The schemas of groups' and users' whole pictures are kept beside their
// handlers, and join the others before New builds the document.
func init() {
	maps.Copy(schemas, viewSchemas)
}

var viewSchemas = map[string]any{
	"Activity": httpapi.Object([]string{"since", "requests", "errors", "tokens", "expiring"}, map[string]any{
		"since":    httpapi.Time("the start of the period"),
		"requests": httpapi.Type("integer", "SCIM requests of the period, as audited"),
		"errors":   httpapi.Type("integer", "those answered 400 or more"),
		"tokens":   map[string]any{"type": "array", "items": httpapi.Ref("TokenActivity"), "description": "the tokens that made requests, the most recent first, at most 100"},
		"expiring": map[string]any{"type": "array", "items": httpapi.Ref("ExpiringToken"), "description": "active SCIM and app tokens that expire within 30 days, the soonest first"},
	}),
	"TokenActivity": httpapi.Object([]string{"actor", "requests", "errors", "last"}, map[string]any{
		"actor":      httpapi.Type("string", "as in the audit log: token:tok_…"),
		"token_id":   httpapi.Type("string", ""),
		"token_name": httpapi.Type("string", "the token's name when it made its last request"),
		"requests":   httpapi.Type("integer", ""),
		"errors":     httpapi.Type("integer", "answered 400 or more"),
		"last":       httpapi.Ref("LastRequest"),
	}),
	"LastRequest": httpapi.Object([]string{"at", "action", "identity_provider", "audit_id"}, map[string]any{
		"at":                httpapi.Time(""),
		"action":            httpapi.Type("string", "as in the audit log: user.create, group.patch…"),
		"status":            httpapi.Type("integer", "the HTTP status of the answer"),
		"user_agent":        httpapi.Type("string", ""),
		"identity_provider": map[string]any{"type": "string", "enum": []string{"okta", "entra", "onelogin", "google", "jumpcloud", "keycloak", "other"}, "description": "named from the User-Agent"},
		"audit_id":          httpapi.Type("integer", "the request's audit entry"),
	}),
	"ExpiringToken": map[string]any{
		"description": "A token that expires soon.",
		"allOf": []any{httpapi.Ref("Token"), httpapi.Object([]string{"kind"}, map[string]any{
			"kind": map[string]any{"type": "string", "enum": []string{"scim", "app"}},
		})},
	},
	"GroupMatchQuery": httpapi.Object(nil, map[string]any{
		"roles":          map[string]any{"type": "array", "items": httpapi.Object([]string{"name", "rank"}, map[string]any{"name": httpapi.Type("string", ""), "rank": httpapi.Type("integer", "")}), "description": "a draft of the roles the mappings may name; left out: the workspace's"},
		"roleMappings":   map[string]any{"type": "array", "items": httpapi.Object([]string{"role"}, map[string]any{"group": httpapi.Type("string", "displayName or glob"), "externalId": httpapi.Type("string", ""), "role": httpapi.Type("string", "one of roles")}), "description": "a draft of the setting; left out: the workspace's"},
		"groupAllowlist": map[string]any{"type": "array", "items": httpapi.Type("string", ""), "description": "a draft of the setting; left out: the workspace's"},
	}),
	"GroupMatches": httpapi.Object([]string{"role_mappings", "group_allowlist", "checked", "total"}, map[string]any{
		"role_mappings":   httpapi.ArrayOf("MappingMatch"),
		"group_allowlist": httpapi.ArrayOf("AllowlistMatch"),
		"checked":         httpapi.Type("integer", "the groups checked: the workspace's first 500, in creation order"),
		"total":           httpapi.Type("integer", "the workspace's groups"),
	}),
	"MappingMatch": httpapi.Object([]string{"role", "count", "groups"}, map[string]any{
		"group":      httpapi.Type("string", "displayName or glob"),
		"externalId": httpapi.Type("string", ""),
		"role":       httpapi.Type("string", ""),
		"count":      httpapi.Type("integer", "the groups checked that it matches, synced or not"),
		"groups":     map[string]any{"type": "array", "items": httpapi.Ref("GroupMatch"), "description": "the first 20 of them"},
	}),
	"AllowlistMatch": httpapi.Object([]string{"pattern", "count", "groups"}, map[string]any{
		"pattern": httpapi.Type("string", "displayName or glob"),
		"count":   httpapi.Type("integer", "the groups checked that it matches"),
		"groups":  map[string]any{"type": "array", "items": httpapi.Ref("GroupMatch"), "description": "the first 20 of them"},
	}),
	"GroupMatch": httpapi.Object([]string{"id", "display_name"}, map[string]any{
		"id":           httpapi.Type("string", "grp_…"),
		"display_name": httpapi.Type("string", ""),
		"matched":      httpapi.Type("string", "for a mapping, what it matched: the displayName, a path or ancestor in lower case, or the externalId"),
	}),
	"Group": httpapi.Object([]string{"id", "display_name", "member_count", "synced", "roles", "paths", "parents", "created", "last_modified"}, map[string]any{
		"id":            httpapi.Type("string", "grp_…"),
		"display_name":  httpapi.Type("string", ""),
		"external_id":   httpapi.Type("string", "the identity provider's id"),
		"member_count":  httpapi.Type("integer", "direct members, users and groups"),
		"synced":        httpapi.Type("boolean", "whether the workspace's groupAllowlist lets the group grant roles, keys and teams"),
		"roles":         map[string]any{"type": "array", "items": httpapi.Type("string", ""), "description": "the roles its members get from it and the groups it is nested in, highest rank first; not the default role"},
		"team":          httpapi.Ref("GroupTeam"),
		"paths":         map[string]any{"type": "array", "items": httpapi.Type("string", ""), "description": "its paths in the nesting of groups, in lower case: engineering/platform"},
		"parents":       httpapi.ArrayOf("GroupRef"),
		"created":       httpapi.Time(""),
		"last_modified": httpapi.Time(""),
	}),
	"GroupTeam": httpapi.Object([]string{"key"}, map[string]any{
		"key":  httpapi.Type("string", "the team the group is linked to"),
		"role": httpapi.Type("string", "its members' role there; absent: the workspace's defaultTeamRole"),
	}),
	"GroupRef": httpapi.Object([]string{"id", "display_name"}, map[string]any{
		"id":           httpapi.Type("string", "grp_…"),
		"display_name": httpapi.Type("string", ""),
	}),
	"GroupList": httpapi.Object([]string{"groups", "total"}, map[string]any{
		"groups":      httpapi.ArrayOf("Group"),
		"total":       httpapi.Type("integer", "groups matching the filter, on every page"),
		"next_cursor": httpapi.Type("string", "cursor of the next page; absent on the last"),
	}),
	"GroupDetail": map[string]any{
		"description": "A group with why it grants its roles and a page of its direct members.",
		"allOf": []any{httpapi.Ref("Group"), httpapi.Object([]string{"grants", "members"}, map[string]any{
			"grants":      httpapi.ArrayOf("RoleGrant"),
			"members":     httpapi.ArrayOf("GroupMember"),
			"next_cursor": httpapi.Type("string", "cursor of the next page of members; absent on the last"),
		})},
	},
	"GroupMember": httpapi.Object([]string{"id", "type"}, map[string]any{
		"id":      httpapi.Type("string", "usr_… or grp_…"),
		"type":    map[string]any{"type": "string", "enum": []string{"User", "Group"}},
		"display": httpapi.Type("string", ""),
	}),
	"RoleGrant": httpapi.Object([]string{"role", "source", "why"}, map[string]any{
		"role":       httpapi.Type("string", ""),
		"source":     map[string]any{"type": "string", "enum": []string{"group", "direct", "default"}, "description": "group: a role mapping matches a synced group; direct: the identity provider assigned it and strictMode is off; default: no group grants a role"},
		"group_id":   httpapi.Type("string", "for source group"),
		"group_name": httpapi.Type("string", ""),
		"mapping":    httpapi.Type("string", "the role mapping that matched: its group pattern, or externalId and the id"),
		"matched":    httpapi.Type("string", "what it matched: the group's name, a path or an ancestor of one, or the externalId"),
		"why":        httpapi.Type("string", "the grant in words"),
	}),
	"RoleRefusal": httpapi.Object([]string{"role", "reason", "why"}, map[string]any{
		"role":       httpapi.Type("string", ""),
		"reason":     map[string]any{"type": "string", "enum": []string{"strict_mode", "not_a_role", "allowlist"}, "description": "strict_mode: assigned directly, which strictMode ignores; not_a_role: assigned directly, not one of the roles; allowlist: mapped to a group the groupAllowlist does not sync"},
		"group_id":   httpapi.Type("string", "for allowlist"),
		"group_name": httpapi.Type("string", ""),
		"mapping":    httpapi.Type("string", ""),
		"matched":    httpapi.Type("string", ""),
		"why":        httpapi.Type("string", "the refusal in words"),
	}),
	"UserRole": httpapi.Object([]string{"role", "grants"}, map[string]any{
		"role":   httpapi.Type("string", ""),
		"grants": httpapi.ArrayOf("RoleGrant"),
	}),
	"UserGroup": httpapi.Object([]string{"id", "display_name", "direct", "synced", "paths", "parents"}, map[string]any{
		"id":           httpapi.Type("string", "grp_…"),
		"display_name": httpapi.Type("string", ""),
		"external_id":  httpapi.Type("string", ""),
		"direct":       httpapi.Type("boolean", "the user is a member itself; else of a group nested in it"),
		"synced":       httpapi.Type("boolean", "whether the groupAllowlist lets it act"),
		"paths":        map[string]any{"type": "array", "items": httpapi.Type("string", "")},
		"parents":      map[string]any{"type": "array", "items": httpapi.Type("string", ""), "description": "ids of the groups it is a direct member of"},
	}),
	"UserTeam": httpapi.Object([]string{"key", "role"}, map[string]any{
		"key":  httpapi.Type("string", ""),
		"role": httpapi.Type("string", ""),
	}),
	"Credential": httpapi.Object([]string{"id", "kind", "state", "created", "expires", "revoked"}, map[string]any{
		"id":             httpapi.Type("string", ""),
		"kind":           map[string]any{"type": "string", "enum": []string{"api_key", "session"}},
		"name":           httpapi.Type("string", ""),
		"state":          map[string]any{"type": "string", "enum": []string{"active", "expired", "revoked"}},
		"created":        httpapi.Time(""),
		"expires":        httpapi.NullableTime("null: never"),
		"revoked":        httpapi.NullableTime("null: not revoked"),
		"revoked_reason": httpapi.Type("string", ""),
	}),
	"UserLinks": httpapi.Object([]string{"audit", "events"}, map[string]any{
		"audit":  httpapi.Type("string", "this API's query of the audit entries on the user"),
		"events": httpapi.Type("string", "the application API's events of the workspace, among which the user's have it as subject"),
	}),
	"UserSeat": httpapi.Object([]string{"taken", "limit"}, map[string]any{
		"taken": httpapi.Type("boolean", "active and invited users take a seat; suspended and soft-deleted ones do not"),
		"limit": httpapi.Nullable("integer", "the workspace's seatLimit; null: unlimited"),
	}),
	"UserDetail": map[string]any{
		"description": "A user's whole picture.",
		"allOf": []any{httpapi.Ref("User"), httpapi.Object([]string{"scim", "groups", "roles", "refused_roles", "group_keys", "teams", "credentials", "seat", "links"}, map[string]any{
			"scim":          httpapi.Type("object", "the user's SCIM attributes as stored, without id, meta and groups"),
			"groups":        httpapi.ArrayOf("UserGroup"),
			"roles":         httpapi.ArrayOf("UserRole"),
			"refused_roles": httpapi.ArrayOf("RoleRefusal"),
			"group_keys":    map[string]any{"type": "array", "items": httpapi.Type("string", ""), "description": "what the application knows the user's groups by: group:engineering/platform"},
			"teams":         httpapi.ArrayOf("UserTeam"),
			"credentials":   httpapi.ArrayOf("Credential"),
			"seat":          httpapi.Ref("UserSeat"),
			"links":         httpapi.Ref("UserLinks"),
		})},
	},
	"AccessUser": httpapi.Object([]string{"id", "user_name", "active", "roles", "groups", "teams"}, map[string]any{
		"id":           httpapi.Type("string", ""),
		"user_name":    httpapi.Type("string", ""),
		"display_name": httpapi.Type("string", ""),
		"active":       httpapi.Type("boolean", ""),
		"roles":        map[string]any{"type": "array", "items": httpapi.Type("string", "")},
		"groups":       map[string]any{"type": "array", "items": httpapi.Type("string", "")},
		"teams":        httpapi.ArrayOf("UserTeam"),
	}),
	"CredentialAnswer": map[string]any{
		"description": "A credential with what POST /v1/verify answers for it now.",
		"allOf": []any{httpapi.Ref("Credential"), httpapi.Object([]string{"valid"}, map[string]any{
			"valid":  httpapi.Type("boolean", ""),
			"reason": httpapi.Type("string", "why not: revoked, expired, user_inactive, user_deleted"),
		})},
	},
	"UserAccess": httpapi.Object([]string{"valid", "credentials", "roles", "refused_roles", "reasoning"}, map[string]any{
		"valid":         httpapi.Type("boolean", "what POST /v1/verify answers for a credential of the user that is neither revoked nor expired"),
		"reason":        httpapi.Type("string", "why not: user_inactive or user_deleted"),
		"user":          httpapi.Ref("AccessUser"),
		"credentials":   httpapi.ArrayOf("CredentialAnswer"),
		"roles":         httpapi.ArrayOf("UserRole"),
		"refused_roles": httpapi.ArrayOf("RoleRefusal"),
		"reasoning":     map[string]any{"type": "array", "items": httpapi.Type("string", ""), "description": "the answer and its reasons, in sentences"},
	}),
}
