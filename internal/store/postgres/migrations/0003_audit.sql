-- The audit log: one row per recorded action, newest last. The table is a
-- supported interface (see the README): columns may be added, never
-- changed. workspace_id has no foreign key because entries must outlive
-- what they describe. Empty values are NULL.
CREATE TABLE audit_log (
	id             bigserial PRIMARY KEY, -- order of insertion, for following the log
	ts             timestamptz NOT NULL,
	workspace_id   text COLLATE "C",      -- NULL for installation-level actions
	channel        text COLLATE "C" NOT NULL, -- scim, admin, effect, ...
	action         text COLLATE "C" NOT NULL, -- user.create, group.patch, token.revoke, ...
	actor          text COLLATE "C",      -- token:tok_..., ...
	target         text COLLATE "C",      -- id of the object acted on
	correlation_id text COLLATE "C",
	status         integer,               -- HTTP status
	duration_ms    double precision,
	payload        jsonb                  -- JSON object
);
-- Listings are newest first, by (ts, id); each index ends so, to give
-- that order for its filter.
CREATE INDEX audit_log_ts ON audit_log (ts, id);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, ts, id);
CREATE INDEX audit_log_action ON audit_log (channel, action, ts, id);
CREATE INDEX audit_log_target ON audit_log (target, ts, id) WHERE target IS NOT NULL;
CREATE INDEX audit_log_correlation ON audit_log (correlation_id, ts, id) WHERE correlation_id IS NOT NULL;
