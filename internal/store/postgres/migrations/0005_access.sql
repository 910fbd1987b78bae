-- Soft-deleted users: out of the resources table, so that no SCIM request
-- finds them and their userName is free, but kept with their document
-- until purge_at, to be restored or purged.
CREATE TABLE deleted_users (
	id            text COLLATE "C" PRIMARY KEY,
	workspace_id  text COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	version       bigint NOT NULL,
	created       timestamptz NOT NULL,
	last_modified timestamptz NOT NULL,
	doc           jsonb NOT NULL,
	deleted       timestamptz NOT NULL,
	purge_at      timestamptz NOT NULL
);
CREATE INDEX deleted_users_workspace ON deleted_users (workspace_id, deleted);
CREATE INDEX deleted_users_purge ON deleted_users (purge_at);

-- The workspace's access policy beyond the settings of its own columns:
-- roles, group-to-role mappings and the group allowlist. NULL: the
-- defaults.
ALTER TABLE workspaces ADD COLUMN access jsonb;

-- Application tokens: a third kind.
ALTER TABLE tokens DROP CONSTRAINT tokens_kind;
ALTER TABLE tokens ADD CONSTRAINT tokens_kind CHECK (kind IN ('scim', 'admin', 'app') AND (kind = 'admin') = (workspace_id IS NULL));
