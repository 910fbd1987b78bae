-- Set-up links: a fourth kind of token, which opens a workspace's set-up
-- page to a customer's IT administrator. The CHECK of tokens must admit
-- it, so the table is rebuilt again, with its indexes.
CREATE TABLE tokens_new (
	id               TEXT PRIMARY KEY,
	kind             TEXT NOT NULL DEFAULT 'scim',
	workspace_id     TEXT REFERENCES workspaces (id) ON DELETE CASCADE,
	name             TEXT NOT NULL,
	hash             BLOB NOT NULL,
	created          TEXT NOT NULL,
	created_by       TEXT NOT NULL DEFAULT '',
	expires          TEXT,
	last_used        TEXT,
	revoked          TEXT,
	expiry_announced INTEGER,
	CHECK (kind IN ('scim', 'admin', 'app', 'setup') AND (kind = 'admin') = (workspace_id IS NULL))
);
INSERT INTO tokens_new SELECT id, kind, workspace_id, name, hash, created, created_by, expires, last_used, revoked, expiry_announced FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE UNIQUE INDEX tokens_hash ON tokens (workspace_id, hash);
CREATE UNIQUE INDEX tokens_admin_hash ON tokens (hash) WHERE workspace_id IS NULL;
CREATE INDEX tokens_expires ON tokens (expires) WHERE revoked IS NULL AND workspace_id IS NOT NULL;
