ALTER TABLE clients DROP COLUMN erasure_reason;
ALTER TABLE clients DROP COLUMN erased_at;
