-- Workspace configuration: one column per setting, with the defaults of
-- store.DefaultWorkspaceConfig, which existing workspaces take.
ALTER TABLE workspaces ADD COLUMN scim_enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE workspaces ADD COLUMN create_users INTEGER NOT NULL DEFAULT 1;
ALTER TABLE workspaces ADD COLUMN sync_display_name INTEGER NOT NULL DEFAULT 1;
ALTER TABLE workspaces ADD COLUMN default_role TEXT NOT NULL DEFAULT 'viewer';
ALTER TABLE workspaces ADD COLUMN default_team TEXT NOT NULL DEFAULT '';
ALTER TABLE workspaces ADD COLUMN default_team_role TEXT NOT NULL DEFAULT 'member';
ALTER TABLE workspaces ADD COLUMN revoke_keys_on_deactivate INTEGER NOT NULL DEFAULT 1;
ALTER TABLE workspaces ADD COLUMN delete_mode TEXT NOT NULL DEFAULT 'soft';
ALTER TABLE workspaces ADD COLUMN soft_delete_grace_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE workspaces ADD COLUMN strict_mode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN seat_limit INTEGER; -- NULL: unlimited

-- Admin tokens belong to no workspace, so workspace_id becomes nullable,
-- which SQLite can only do by rebuilding the table. Nothing references
-- tokens, so dropping the old table checks no foreign key.
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
	CHECK (kind IN ('scim', 'admin') AND (kind = 'admin') = (workspace_id IS NULL))
);
INSERT INTO tokens_new (id, kind, workspace_id, name, hash, created, expires)
	SELECT id, 'scim', workspace_id, name, hash, created, expires FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
-- Also lists a workspace's tokens.
CREATE UNIQUE INDEX tokens_hash ON tokens (workspace_id, hash);
-- NULLs are distinct in the index above.
CREATE UNIQUE INDEX tokens_admin_hash ON tokens (hash) WHERE workspace_id IS NULL;

-- Changes that other processes on this database must hear of, such as a
-- token revoked from the command line while a server runs: written in the
-- transaction that makes the change, read by the pollers of those that
-- subscribed, in seq order, and pruned after some minutes. AUTOINCREMENT,
-- so that a seq is never reused and a poller can tell when it missed rows.
CREATE TABLE changes (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	at           TEXT NOT NULL,
	origin       TEXT NOT NULL, -- the store instance that wrote it
	kind         TEXT NOT NULL,
	workspace_id TEXT NOT NULL,
	object_id    TEXT NOT NULL
);
