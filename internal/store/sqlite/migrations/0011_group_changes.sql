-- The users whose access a group write may have changed, when they are
-- more than its change notifications name one by one: the write records
-- them here and names the record, and consumers read it a page at a time.
-- Records are pruned an hour on, out of the writes' transactions.
-- AUTOINCREMENT: an id is never reused, so that a consumer late to a
-- pruned record cannot read another.
CREATE TABLE group_changes (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	at           TEXT NOT NULL
);
CREATE INDEX group_changes_at ON group_changes (at);
CREATE INDEX group_changes_workspace ON group_changes (workspace_id);
-- Users by resources.seq: smaller than ids, and written in order. A user
-- deleted since is left out when read.
CREATE TABLE group_change_users (
	change_id INTEGER NOT NULL REFERENCES group_changes (id) ON DELETE CASCADE,
	user_seq  INTEGER NOT NULL,
	PRIMARY KEY (change_id, user_seq)
) WITHOUT ROWID;
