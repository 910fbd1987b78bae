-- Every attempt at a delivery, for the delivery log; deliveries keeps the
-- last one's outcome as well.
CREATE TABLE delivery_attempts (
	id          INTEGER PRIMARY KEY,
	delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
	at          TEXT NOT NULL,
	status      INTEGER, -- HTTP status of the response; NULL: none
	error       TEXT
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);

-- What was known of the attempts before: the last one.
INSERT INTO delivery_attempts (delivery_id, at, status, error)
	SELECT id, last_attempt, nullif(last_status, 0), last_error FROM deliveries WHERE last_attempt IS NOT NULL ORDER BY last_attempt;

-- The correlation id of the request whose write made a change, for the
-- other processes on the database.
ALTER TABLE changes ADD COLUMN correlation_id TEXT;
