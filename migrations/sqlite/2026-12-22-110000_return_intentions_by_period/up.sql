-- The talks with a return intention in a period, read through the period
-- (issue 19): `talks_intention` leads with the client, so a period's
-- return intentions were found by reading every one ever held.
CREATE INDEX talks_return_period ON talks (intention, held_on, client_id);
