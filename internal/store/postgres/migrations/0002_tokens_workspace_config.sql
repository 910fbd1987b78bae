-- Workspace configuration: one column per setting, with the defaults of
-- store.DefaultWorkspaceConfig, which existing workspaces take.
ALTER TABLE workspaces
	ADD COLUMN scim_enabled              boolean NOT NULL DEFAULT true,
	ADD COLUMN create_users              boolean NOT NULL DEFAULT true,
	ADD COLUMN sync_display_name         boolean NOT NULL DEFAULT true,
	ADD COLUMN default_role              text NOT NULL DEFAULT 'viewer',
	ADD COLUMN default_team              text NOT NULL DEFAULT '',
	ADD COLUMN default_team_role         text NOT NULL DEFAULT 'member',
	ADD COLUMN revoke_keys_on_deactivate boolean NOT NULL DEFAULT true,
	ADD COLUMN delete_mode               text NOT NULL DEFAULT 'soft',
	ADD COLUMN soft_delete_grace_days    integer NOT NULL DEFAULT 30,
	ADD COLUMN strict_mode               boolean NOT NULL DEFAULT false,
	ADD COLUMN seat_limit                integer; -- NULL: unlimited

-- Admin tokens belong to no workspace.
ALTER TABLE tokens
	ALTER COLUMN workspace_id DROP NOT NULL,
	ADD COLUMN kind       text COLLATE "C" NOT NULL DEFAULT 'scim',
	ADD COLUMN created_by text NOT NULL DEFAULT '',
	ADD COLUMN last_used  timestamptz,
	ADD COLUMN revoked    timestamptz,
	ADD CONSTRAINT tokens_kind CHECK (kind IN ('scim', 'admin') AND (kind = 'admin') = (workspace_id IS NULL));
-- NULLs are distinct in tokens_hash.
CREATE UNIQUE INDEX tokens_admin_hash ON tokens (hash) WHERE workspace_id IS NULL;

-- Changes reach other replicas by NOTIFY, at commit, and need no table.
