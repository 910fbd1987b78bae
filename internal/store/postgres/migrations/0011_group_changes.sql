-- The users whose access a group write may have changed, when they are
-- more than its change notifications name one by one: the write records
-- them here and names the record, and consumers read it a page at a time.
-- Records are pruned an hour on, out of the writes' transactions.
CREATE TABLE group_changes (
	id           bigserial PRIMARY KEY,
	workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	at           timestamptz NOT NULL -- the database's clock, as every replica shares it
);
CREATE INDEX group_changes_at ON group_changes (at);
CREATE INDEX group_changes_workspace ON group_changes (workspace_id);
-- Users by resources.seq: smaller than ids, and written in order. A user
-- deleted since is left out when read. A record holds at most
-- store.MaxRecordedUsers users, so that checking the key of each row
-- costs a write little.
CREATE TABLE group_change_users (
	change_id bigint NOT NULL REFERENCES group_changes (id) ON DELETE CASCADE,
	user_seq  bigint NOT NULL,
	PRIMARY KEY (change_id, user_seq)
);
