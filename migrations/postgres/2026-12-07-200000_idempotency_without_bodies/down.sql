ALTER TABLE idempotency_keys ADD COLUMN response_body TEXT;
ALTER TABLE idempotency_keys DROP COLUMN resource_id;
ALTER TABLE idempotency_keys DROP COLUMN resource_kind;
