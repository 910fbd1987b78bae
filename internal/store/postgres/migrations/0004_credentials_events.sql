-- Users' credentials, API keys and sessions, of which only a keyed hash
-- is kept. user_id has no foreign key: a soft-deleted user leaves
-- resources for deleted_users, and its credentials, revoked, stay until
-- it is purged or restored.
CREATE TABLE credentials (
	id             text COLLATE "C" PRIMARY KEY,
	workspace_id   text COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user_id        text COLLATE "C" NOT NULL,
	kind           text COLLATE "C" NOT NULL, -- api_key, session
	name           text NOT NULL,
	hash           bytea NOT NULL,
	created        timestamptz NOT NULL,
	expires        timestamptz, -- NULL: never
	revoked        timestamptz, -- NULL: not revoked
	revoked_reason text COLLATE "C"
);
CREATE UNIQUE INDEX credentials_hash ON credentials (workspace_id, hash);
CREATE INDEX credentials_user ON credentials (workspace_id, user_id);

-- Each workspace's outbox, numbered from 1 without gaps. Written in the
-- transaction of the change an event describes, so none is lost.
CREATE TABLE events (
	workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	seq          bigint NOT NULL,
	id           text COLLATE "C" NOT NULL UNIQUE,
	type         text COLLATE "C" NOT NULL,
	occurred     timestamptz NOT NULL,
	subject      text COLLATE "C",
	data         jsonb NOT NULL, -- JSON object
	PRIMARY KEY (workspace_id, seq)
);

-- The last seq of each workspace's outbox. Appending updates the row, whose
-- lock, held to the commit, makes appends to one workspace commit in seq
-- order: a reader that sees seq n sees every event before it.
CREATE TABLE event_counters (
	workspace_id text COLLATE "C" PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
	seq          bigint NOT NULL
);
