-- How many resources of each type a workspace holds, so that a listing's
-- totalResults need not count them: kept by triggers in the transaction
-- that inserts or deletes, cascades from a workspace's deletion included.
CREATE TABLE resource_counts (
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	type         TEXT NOT NULL,
	n            INTEGER NOT NULL,
	PRIMARY KEY (workspace_id, type)
) WITHOUT ROWID;

INSERT INTO resource_counts (workspace_id, type, n)
	SELECT workspace_id, type, count(*) FROM resources GROUP BY workspace_id, type;

CREATE TRIGGER resources_counted AFTER INSERT ON resources BEGIN
	INSERT INTO resource_counts (workspace_id, type, n) VALUES (NEW.workspace_id, NEW.type, 1)
		ON CONFLICT (workspace_id, type) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER resources_uncounted AFTER DELETE ON resources BEGIN
	UPDATE resource_counts SET n = n - 1 WHERE workspace_id = OLD.workspace_id AND type = OLD.type;
END;
