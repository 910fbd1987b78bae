-- What SCIM does with attributes under extension URNs a workspace has
-- not declared: ignore them, or keep them as sent.
ALTER TABLE workspaces ADD COLUMN undeclared_extensions text NOT NULL DEFAULT 'ignore';
