-- Users the application created itself (invited through the admin API)
-- rather than an identity provider. Their userNames are taken: SCIM
-- cannot create another user with one, unless the workspace allows
-- linking, when the SCIM user adopts the local user's id.
CREATE TABLE local_users (
	id           text COLLATE "C" PRIMARY KEY,
	workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	name_key     text COLLATE "C" NOT NULL, -- userName folded to lower case
	doc          jsonb NOT NULL,
	created      timestamptz NOT NULL
);
CREATE UNIQUE INDEX local_users_name ON local_users (workspace_id, name_key);

ALTER TABLE workspaces ADD COLUMN allow_linking boolean NOT NULL DEFAULT false;
