-- Extension schemas declared for workspaces' resource types: the RFC 7643
-- §7 schema document as JSON, and whether resources must carry it. A URN
-- names one schema in a workspace, compared case-insensitively (urn_key).
-- Values stored under a URN stay in the resources' documents whatever
-- becomes of its declaration.
CREATE TABLE schema_extensions (
	workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	urn_key       TEXT NOT NULL, -- the URN folded to lower case
	resource_type TEXT NOT NULL,
	required      INTEGER NOT NULL,
	document      TEXT NOT NULL,
	created       TEXT NOT NULL,
	updated       TEXT NOT NULL,
	PRIMARY KEY (workspace_id, urn_key)
);
