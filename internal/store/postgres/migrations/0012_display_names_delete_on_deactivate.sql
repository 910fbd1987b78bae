-- Whether deactivating a user deletes it, as a DELETE would.
ALTER TABLE workspaces ADD COLUMN delete_on_deactivate boolean NOT NULL DEFAULT false;

-- The display name applications see for a user, kept apart from the
-- document so that it can stay as it was when the identity provider
-- changes the user's and the workspace does not sync display names.
-- Users made before have theirs from their documents: displayName, else
-- givenName and familyName, else name.formatted.
ALTER TABLE resources ADD COLUMN app_display_name text NOT NULL DEFAULT '';
ALTER TABLE deleted_users ADD COLUMN app_display_name text NOT NULL DEFAULT '';
UPDATE resources SET app_display_name = COALESCE(
	NULLIF(doc->>'displayName', ''),
	NULLIF(btrim(COALESCE(doc#>>'{name,givenName}', '') || ' ' || COALESCE(doc#>>'{name,familyName}', '')), ''),
	doc#>>'{name,formatted}',
	'') WHERE type = 'User';
UPDATE deleted_users SET app_display_name = COALESCE(
	NULLIF(doc->>'displayName', ''),
	NULLIF(btrim(COALESCE(doc#>>'{name,givenName}', '') || ' ' || COALESCE(doc#>>'{name,familyName}', '')), ''),
	doc#>>'{name,formatted}',
	'');
