-- How many resources of each type a workspace holds, so that a listing's
-- totalResults need not count them: kept by triggers in the transaction
-- that inserts or deletes, cascades from a workspace's deletion included.
CREATE TABLE resource_counts (
	workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	type         text COLLATE "C" NOT NULL,
	n            bigint NOT NULL,
	PRIMARY KEY (workspace_id, type)
);

INSERT INTO resource_counts (workspace_id, type, n)
	SELECT workspace_id, type, count(*) FROM resources GROUP BY workspace_id, type;

-- Once per statement, over the rows it changed: deleting a workspace
-- deletes its resources in one statement, which updates each count once
-- rather than once a row. The function keeps the search path it was made
-- with, so that it finds the counts of its own schema whoever deletes.
CREATE FUNCTION resources_count() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO resource_counts (workspace_id, type, n)
			SELECT workspace_id, type, count(*) FROM changed GROUP BY workspace_id, type
			ON CONFLICT (workspace_id, type) DO UPDATE SET n = resource_counts.n + EXCLUDED.n;
	ELSE
		UPDATE resource_counts c SET n = c.n - d.n
			FROM (SELECT workspace_id, type, count(*) AS n FROM changed GROUP BY workspace_id, type) d
			WHERE c.workspace_id = d.workspace_id AND c.type = d.type;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER resources_counted AFTER INSERT ON resources
	REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION resources_count();
CREATE TRIGGER resources_uncounted AFTER DELETE ON resources
	REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION resources_count();
