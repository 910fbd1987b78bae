-- Every attempt at a delivery, for the delivery log; deliveries keeps the
-- last one's outcome as well.
CREATE TABLE delivery_attempts (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	delivery_id text COLLATE "C" NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
	at          timestamptz NOT NULL,
	status      integer, -- HTTP status of the response; NULL: none
	error       text
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);

-- What was known of the attempts before: the last one.
INSERT INTO delivery_attempts (delivery_id, at, status, error)
	SELECT id, last_attempt, nullif(last_status, 0), last_error FROM deliveries WHERE last_attempt IS NOT NULL ORDER BY last_attempt;
