-- Set-up links: a fourth kind of token, which opens a workspace's set-up
-- page to a customer's IT administrator.
ALTER TABLE tokens DROP CONSTRAINT tokens_kind;
ALTER TABLE tokens ADD CONSTRAINT tokens_kind CHECK (kind IN ('scim', 'admin', 'app', 'setup') AND (kind = 'admin') = (workspace_id IS NULL));
