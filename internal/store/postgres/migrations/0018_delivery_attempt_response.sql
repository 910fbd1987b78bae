-- The start of the endpoint's answer to a delivery attempt that it
-- accepted (a failed attempt's error ends with it already).
ALTER TABLE delivery_attempts ADD COLUMN response TEXT;
