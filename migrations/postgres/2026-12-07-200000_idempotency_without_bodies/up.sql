-- A kept response holds no body any more: only its status, content type,
-- Location and the resource it created or changed (its kind and id). A
-- replay renders the body afresh, through today's consent and access
-- rules, so that nothing personal sits here for the days a key is kept.
ALTER TABLE idempotency_keys ADD COLUMN resource_kind TEXT;
ALTER TABLE idempotency_keys ADD COLUMN resource_id TEXT;
ALTER TABLE idempotency_keys DROP COLUMN response_body;
