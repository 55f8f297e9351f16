-- Consent over time. Sharing under a consent stops when its valid_until
-- has passed, whether or not anything has run (the partner's view reads the
-- date). The worker also tells each referral's partner once that the
-- consent it shares under ends soon (consent.expiring), and once that it
-- has ended (consent.expired); the second flags the referral for its
-- caseworker. Only when each was done is kept here.
ALTER TABLE referrals ADD COLUMN consent_expiring_at TIMESTAMP;
ALTER TABLE referrals ADD COLUMN consent_expired_at TIMESTAMP;
-- The consents that can still end: the worker looks at them every minute.
CREATE INDEX consents_ending ON consents (valid_until)
    WHERE valid_until IS NOT NULL AND withdrawn_at IS NULL;
