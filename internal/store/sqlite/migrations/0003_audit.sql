-- The audit log: one row per recorded action, newest last. The table is a
-- supported interface (see the README): columns may be added, never
-- changed. workspace_id has no foreign key because entries must outlive
-- what they describe. Empty values are NULL.
CREATE TABLE audit_log (
	id             INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even once pruned
	ts             TEXT NOT NULL,    -- UTC, fixed width, so text order is time order
	workspace_id   TEXT,             -- NULL for installation-level actions
	channel        TEXT NOT NULL,    -- scim, admin, effect, ...
	action         TEXT NOT NULL,    -- user.create, group.patch, token.revoke, ...
	actor          TEXT,             -- token:tok_..., ...
	target         TEXT,             -- id of the object acted on
	correlation_id TEXT,
	status         INTEGER,          -- HTTP status
	duration_ms    REAL,
	payload        TEXT              -- JSON object
);
-- Listings are newest first; each index ends in ts, and SQLite appends the
-- rowid (id) to every index, so each one also gives that order.
CREATE INDEX audit_log_ts ON audit_log (ts);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, ts);
CREATE INDEX audit_log_action ON audit_log (channel, action, ts);
CREATE INDEX audit_log_target ON audit_log (target, ts) WHERE target IS NOT NULL;
CREATE INDEX audit_log_correlation ON audit_log (correlation_id, ts) WHERE correlation_id IS NOT NULL;
