DROP INDEX consents_ending;
ALTER TABLE referrals DROP COLUMN consent_expired_at;
ALTER TABLE referrals DROP COLUMN consent_expiring_at;
