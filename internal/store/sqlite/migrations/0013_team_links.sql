-- Groups linked to teams of the application by operators, by the group's
-- row, so that renaming the group keeps its team; the link goes with the
-- group. A group without one has a team of its own, named after it.
CREATE TABLE team_links (
	group_seq    INTEGER PRIMARY KEY REFERENCES resources (seq) ON DELETE CASCADE,
	workspace_id TEXT NOT NULL,
	team         TEXT NOT NULL,
	role         TEXT NOT NULL, -- '' for the workspace's defaultTeamRole
	updated      TEXT NOT NULL
);
CREATE INDEX team_links_workspace ON team_links (workspace_id);
-- Users' teams as last computed, beside their roles: a JSON array of
-- {key, role}; NULL in rows stored before teams were.
ALTER TABLE user_roles ADD COLUMN teams TEXT;
