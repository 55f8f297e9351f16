-- A person's erasure (`brug client erase`, or an administrator in the
-- staff UI): when it was done and why. The row stays, anonymised, so that
-- reports keep their counts; these say that it is no longer a person's file.
ALTER TABLE clients ADD COLUMN erased_at TIMESTAMP;
ALTER TABLE clients ADD COLUMN erasure_reason TEXT;
