-- How long before its expiry a token's end was last announced to its
-- workspace (token.expiring, token.rotated), in seconds; NULL: not yet.
-- Set in the transaction that appends the event, and only if it is still
-- what the announcer read, so that each lead time is announced once
-- across restarts and processes.
ALTER TABLE tokens ADD COLUMN expiry_announced INTEGER;
-- For the periodic search of tokens that expire soon.
CREATE INDEX tokens_expires ON tokens (expires) WHERE revoked IS NULL AND workspace_id IS NOT NULL;
