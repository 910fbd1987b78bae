-- Soft-deleted users: out of the resources table, so that no SCIM request
-- finds them and their userName is free, but kept with their document
-- until purge_at, to be restored or purged.
CREATE TABLE deleted_users (
	id            TEXT PRIMARY KEY,
	workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	version       INTEGER NOT NULL,
	created       TEXT NOT NULL,
	last_modified TEXT NOT NULL,
	doc           TEXT NOT NULL,
	deleted       TEXT NOT NULL,
	purge_at      TEXT NOT NULL
);
CREATE INDEX deleted_users_workspace ON deleted_users (workspace_id, deleted);
CREATE INDEX deleted_users_purge ON deleted_users (purge_at);

-- The workspace's access policy beyond the settings of its own columns:
-- roles, group-to-role mappings and the group allowlist, as JSON. NULL:
-- the defaults.
ALTER TABLE workspaces ADD COLUMN access TEXT;

-- Application tokens: a third kind, which the CHECK of tokens must admit,
-- so the table is rebuilt again.
CREATE TABLE tokens_new (
	id           TEXT PRIMARY KEY,
	kind         TEXT NOT NULL DEFAULT 'scim',
	workspace_id TEXT REFERENCES workspaces (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	hash         BLOB NOT NULL,
	created      TEXT NOT NULL,
	created_by   TEXT NOT NULL DEFAULT '',
	expires      TEXT,
	last_used    TEXT,
	revoked      TEXT,
	CHECK (kind IN ('scim', 'admin', 'app') AND (kind = 'admin') = (workspace_id IS NULL))
);
INSERT INTO tokens_new SELECT id, kind, workspace_id, name, hash, created, created_by, expires, last_used, revoked FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE UNIQUE INDEX tokens_hash ON tokens (workspace_id, hash);
CREATE UNIQUE INDEX tokens_admin_hash ON tokens (hash) WHERE workspace_id IS NULL;
