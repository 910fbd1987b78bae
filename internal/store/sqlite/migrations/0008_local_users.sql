-- Users the application created itself (invited through the admin API)
-- rather than an identity provider. Their userNames are taken: SCIM
-- cannot create another user with one, unless the workspace allows
-- linking, when the SCIM user adopts the local user's id.
CREATE TABLE local_users (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	name_key     TEXT NOT NULL, -- userName folded to lower case
	doc          TEXT NOT NULL,
	created      TEXT NOT NULL
);
CREATE UNIQUE INDEX local_users_name ON local_users (workspace_id, name_key);

ALTER TABLE workspaces ADD COLUMN allow_linking INTEGER NOT NULL DEFAULT 0;
