-- Endpoints that receive a workspace's events over HTTP.
CREATE TABLE webhooks (
	id              TEXT PRIMARY KEY,
	workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	url             TEXT NOT NULL,
	secret          TEXT NOT NULL,
	event_types     TEXT,             -- JSON array of types and prefixes (user.*); NULL: every type
	enabled         INTEGER NOT NULL,
	created         TEXT NOT NULL,
	disabled_reason TEXT,             -- why scimd disabled it; NULL when an operator did
	after_seq       INTEGER NOT NULL  -- the outbox's last seq when created: later events only
);
CREATE INDEX webhooks_workspace ON webhooks (workspace_id, created);

-- One event to send to one webhook, and how sending it went.
CREATE TABLE deliveries (
	id           TEXT PRIMARY KEY,
	webhook_id   TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	workspace_id TEXT NOT NULL,
	event_seq    INTEGER NOT NULL,
	event_id     TEXT NOT NULL,
	event_type   TEXT NOT NULL,
	status       TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
	attempts     INTEGER NOT NULL,
	next_attempt TEXT, -- when a pending delivery is due
	lease_until  TEXT, -- while claimed
	last_attempt TEXT,
	last_status  INTEGER,
	last_error   TEXT,
	delivered_at TEXT,
	UNIQUE (webhook_id, event_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt) WHERE status = 'pending';
CREATE INDEX deliveries_log ON deliveries (webhook_id, event_seq);
CREATE INDEX deliveries_status ON deliveries (webhook_id, status, event_seq);

-- Each consumer's place in each workspace's outbox: the last seq it is
-- done with, and who holds it until when.
CREATE TABLE outbox_cursors (
	consumer     TEXT NOT NULL,
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	seq          INTEGER NOT NULL,
	lease_owner  TEXT,
	lease_until  TEXT, -- claimable once past; set to the release time, so that the least recently claimed goes first
	PRIMARY KEY (consumer, workspace_id)
) WITHOUT ROWID;
