CREATE TABLE workspaces (
	id      TEXT PRIMARY KEY,
	slug    TEXT NOT NULL UNIQUE,
	created TEXT NOT NULL
);

CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	hash         BLOB NOT NULL,
	created      TEXT NOT NULL,
	expires      TEXT
);
CREATE UNIQUE INDEX tokens_hash ON tokens (workspace_id, hash);

-- Users and Groups share one table so that group members, which may be
-- either, can reference them with a foreign key.
CREATE TABLE resources (
	seq           INTEGER PRIMARY KEY,
	id            TEXT NOT NULL UNIQUE,
	workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	type          TEXT NOT NULL,
	name          TEXT NOT NULL, -- User userName, Group displayName
	name_key      TEXT NOT NULL, -- name folded to lower case
	display_name  TEXT,
	external_id   TEXT,
	active        INTEGER,
	version       INTEGER NOT NULL,
	created       TEXT NOT NULL, -- UTC, fixed width, so text order is time order
	last_modified TEXT NOT NULL,
	doc           TEXT NOT NULL  -- normalised attributes as JSON
);
CREATE UNIQUE INDEX resources_name ON resources (workspace_id, type, name_key);
CREATE INDEX resources_external_id ON resources (workspace_id, type, external_id);
-- Listing pages in creation order without sorting the workspace.
CREATE INDEX resources_list ON resources (workspace_id, type, seq);

CREATE TABLE members (
	group_seq  INTEGER NOT NULL REFERENCES resources (seq) ON DELETE CASCADE,
	member_seq INTEGER NOT NULL REFERENCES resources (seq) ON DELETE CASCADE,
	PRIMARY KEY (group_seq, member_seq)
) WITHOUT ROWID;
CREATE INDEX members_member ON members (member_seq, group_seq);

-- Email addresses, folded to lower case, so that identity providers'
-- lookups by email are index lookups.
CREATE TABLE emails (
	resource_seq INTEGER NOT NULL REFERENCES resources (seq) ON DELETE CASCADE,
	workspace_id TEXT NOT NULL,
	value_key    TEXT,
	type_key     TEXT
);
CREATE INDEX emails_value ON emails (workspace_id, value_key);
CREATE INDEX emails_resource ON emails (resource_seq);
