-- The users whose access a group write may have changed, when they are
-- more than its change notifications name one by one: the write records
-- them here and names the record, and consumers read it a page at a time.
-- Records are pruned an hour on.
CREATE TABLE group_changes (
	id           bigserial PRIMARY KEY,
	workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	at           timestamptz NOT NULL
);
CREATE INDEX group_changes_at ON group_changes (at);
-- Users by resources.seq: smaller than ids, and written in order. A user
-- deleted since is left out when read. Neither a key nor a foreign key:
-- a record of 100,000 users is written by one statement, and checking
-- each row took longer than writing it. A user under two of a write's
-- groups may be in twice, and is read once; rows go when their record
-- is pruned.
CREATE TABLE group_change_users (
	change_id bigint NOT NULL,
	user_seq  bigint NOT NULL
);
CREATE INDEX group_change_users_page ON group_change_users (change_id, user_seq);
