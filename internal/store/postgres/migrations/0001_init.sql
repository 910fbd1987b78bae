-- Identifiers and keys are COLLATE "C": compared and sorted by bytes, as
-- the filter evaluator compares strings, independent of the database's
-- locale, and indexable for the comparisons the filter compiler writes.

CREATE TABLE workspaces (
	id      text COLLATE "C" PRIMARY KEY,
	slug    text COLLATE "C" NOT NULL UNIQUE,
	created timestamptz NOT NULL
);

CREATE TABLE tokens (
	id           text COLLATE "C" PRIMARY KEY,
	workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	name         text NOT NULL,
	hash         bytea NOT NULL,
	created      timestamptz NOT NULL,
	expires      timestamptz
);
CREATE UNIQUE INDEX tokens_hash ON tokens (workspace_id, hash);

-- Users and Groups share one table so that group members, which may be
-- either, can reference them with a foreign key.
CREATE TABLE resources (
	seq           bigserial PRIMARY KEY, -- creation order, for paging
	id            text COLLATE "C" NOT NULL UNIQUE,
	workspace_id  text COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	type          text COLLATE "C" NOT NULL,
	name          text COLLATE "C" NOT NULL, -- User userName, Group displayName
	name_key      text COLLATE "C" NOT NULL, -- name folded to lower case
	display_name  text COLLATE "C",
	external_id   text COLLATE "C",
	active        boolean,
	version       bigint NOT NULL,
	created       timestamptz NOT NULL,
	last_modified timestamptz NOT NULL,
	doc           jsonb NOT NULL -- normalised attributes
);
-- userName and Group displayName are unique per workspace, compared
-- case-insensitively; the index also answers "eq" on them.
CREATE UNIQUE INDEX resources_name ON resources (workspace_id, type, name_key);
CREATE INDEX resources_external_id ON resources (workspace_id, type, external_id);
-- Listing in creation order, with or without a cursor.
CREATE INDEX resources_list ON resources (workspace_id, type, seq);

CREATE TABLE members (
	group_seq  bigint NOT NULL REFERENCES resources (seq) ON DELETE CASCADE,
	member_seq bigint NOT NULL REFERENCES resources (seq) ON DELETE CASCADE,
	PRIMARY KEY (group_seq, member_seq)
);
CREATE INDEX members_member ON members (member_seq, group_seq);

-- Email addresses, folded to lower case, so that identity providers'
-- lookups by email are index lookups. A filter on emails reaches this
-- table through its resource, so value_key leads the index.
CREATE TABLE emails (
	resource_seq bigint NOT NULL REFERENCES resources (seq) ON DELETE CASCADE,
	workspace_id text COLLATE "C" NOT NULL,
	value_key    text COLLATE "C",
	type_key     text COLLATE "C"
);
CREATE INDEX emails_value ON emails (value_key, workspace_id);
CREATE INDEX emails_resource ON emails (resource_seq);
