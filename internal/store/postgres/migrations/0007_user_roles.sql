-- Users' effective roles and group keys as last computed from their
-- groups, so that a recomputation can tell what changed. A user that
-- leaves resources (deleted) takes its row along.
CREATE TABLE user_roles (
	user_id      text COLLATE "C" PRIMARY KEY REFERENCES resources (id) ON DELETE CASCADE,
	workspace_id text COLLATE "C" NOT NULL,
	roles        jsonb NOT NULL,
	groups       jsonb NOT NULL,
	updated      timestamptz NOT NULL
);
