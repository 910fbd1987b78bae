-- Extension schemas declared for workspaces' resource types: the RFC 7643
-- §7 schema document as JSON, and whether resources must carry it. A URN
-- names one schema in a workspace, compared case-insensitively (urn_key).
-- Values stored under a URN stay in the resources' documents whatever
-- becomes of its declaration.
CREATE TABLE schema_extensions (
	workspace_id  text COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	urn_key       text COLLATE "C" NOT NULL, -- the URN folded to lower case
	resource_type text COLLATE "C" NOT NULL,
	required      boolean NOT NULL,
	document      jsonb NOT NULL,
	created       timestamptz NOT NULL,
	updated       timestamptz NOT NULL,
	PRIMARY KEY (workspace_id, urn_key)
);
