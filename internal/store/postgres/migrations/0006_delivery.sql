-- Endpoints that receive a workspace's events over HTTP.
CREATE TABLE webhooks (
	id              text COLLATE "C" PRIMARY KEY,
	workspace_id    text COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	url             text NOT NULL,
	secret          text NOT NULL,
	event_types     jsonb,            -- array of types and prefixes (user.*); NULL: every type
	enabled         boolean NOT NULL,
	created         timestamptz NOT NULL,
	disabled_reason text,             -- why scimd disabled it; NULL when an operator did
	after_seq       bigint NOT NULL   -- the outbox's last seq when created: later events only
);
CREATE INDEX webhooks_workspace ON webhooks (workspace_id, created);

-- One event to send to one webhook, and how sending it went.
CREATE TABLE deliveries (
	id           text COLLATE "C" PRIMARY KEY,
	webhook_id   text COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	workspace_id text COLLATE "C" NOT NULL,
	event_seq    bigint NOT NULL,
	event_id     text COLLATE "C" NOT NULL,
	event_type   text COLLATE "C" NOT NULL,
	status       text COLLATE "C" NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
	attempts     integer NOT NULL,
	next_attempt timestamptz, -- when a pending delivery is due
	lease_until  timestamptz, -- while claimed
	last_attempt timestamptz,
	last_status  integer,
	last_error   text,
	delivered_at timestamptz,
	UNIQUE (webhook_id, event_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt) WHERE status = 'pending';
CREATE INDEX deliveries_log ON deliveries (webhook_id, event_seq);
CREATE INDEX deliveries_status ON deliveries (webhook_id, status, event_seq);

-- Each consumer's place in each workspace's outbox: the last seq it is
-- done with, and who holds it until when.
CREATE TABLE outbox_cursors (
	consumer     text COLLATE "C" NOT NULL,
	workspace_id text COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	seq          bigint NOT NULL,
	lease_owner  text,
	lease_until  timestamptz, -- claimable once past; set to the release time, so that the least recently claimed goes first
	PRIMARY KEY (consumer, workspace_id)
);
