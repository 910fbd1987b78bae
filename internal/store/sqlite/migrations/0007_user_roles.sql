-- Users' effective roles and group keys as last computed from their
-- groups, so that a recomputation can tell what changed. A user that
-- leaves resources (deleted) takes its row along.
CREATE TABLE user_roles (
	user_id      TEXT PRIMARY KEY REFERENCES resources (id) ON DELETE CASCADE,
	workspace_id TEXT NOT NULL,
	roles        TEXT NOT NULL, -- JSON array
	groups       TEXT NOT NULL, -- JSON array
	updated      TEXT NOT NULL
);
