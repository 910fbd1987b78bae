-- Users' credentials, API keys and sessions, of which only a keyed hash
-- is kept. user_id has no foreign key: a soft-deleted user leaves
-- resources for deleted_users, and its credentials, revoked, stay until
-- it is purged or restored.
CREATE TABLE credentials (
	id             TEXT PRIMARY KEY,
	workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user_id        TEXT NOT NULL,
	kind           TEXT NOT NULL, -- api_key, session
	name           TEXT NOT NULL,
	hash           BLOB NOT NULL,
	created        TEXT NOT NULL, -- UTC, fixed width, so text order is time order
	expires        TEXT,          -- NULL: never
	revoked        TEXT,          -- NULL: not revoked
	revoked_reason TEXT
);
CREATE UNIQUE INDEX credentials_hash ON credentials (workspace_id, hash);
CREATE INDEX credentials_user ON credentials (workspace_id, user_id);

-- Each workspace's outbox, numbered from 1 without gaps. Written in the
-- transaction of the change an event describes, so none is lost.
CREATE TABLE events (
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	seq          INTEGER NOT NULL,
	id           TEXT NOT NULL UNIQUE,
	type         TEXT NOT NULL,
	occurred     TEXT NOT NULL,
	subject      TEXT,
	data         TEXT NOT NULL, -- JSON object
	PRIMARY KEY (workspace_id, seq)
) WITHOUT ROWID;

-- The last seq of each workspace's outbox. A counter rather than max(seq)
-- from events, so that numbering does not depend on what events are kept.
CREATE TABLE event_counters (
	workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
	seq          INTEGER NOT NULL
) WITHOUT ROWID;
