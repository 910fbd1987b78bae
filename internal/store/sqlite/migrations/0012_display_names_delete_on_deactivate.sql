-- Whether deactivating a user deletes it, as a DELETE would.
ALTER TABLE workspaces ADD COLUMN delete_on_deactivate INTEGER NOT NULL DEFAULT 0;

-- The display name applications see for a user, kept apart from the
-- document so that it can stay as it was when the identity provider
-- changes the user's and the workspace does not sync display names.
-- Users made before have theirs from their documents: displayName, else
-- givenName and familyName, else name.formatted.
ALTER TABLE resources ADD COLUMN app_display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE deleted_users ADD COLUMN app_display_name TEXT NOT NULL DEFAULT '';
UPDATE resources SET app_display_name = COALESCE(
	NULLIF(json_extract(doc, '$.displayName'), ''),
	NULLIF(trim(COALESCE(json_extract(doc, '$.name.givenName'), '') || ' ' || COALESCE(json_extract(doc, '$.name.familyName'), '')), ''),
	json_extract(doc, '$.name.formatted'),
	'') WHERE type = 'User';
UPDATE deleted_users SET app_display_name = COALESCE(
	NULLIF(json_extract(doc, '$.displayName'), ''),
	NULLIF(trim(COALESCE(json_extract(doc, '$.name.givenName'), '') || ' ' || COALESCE(json_extract(doc, '$.name.familyName'), '')), ''),
	json_extract(doc, '$.name.formatted'),
	'');
