-- What the delivery worker's claim reads, so that a round costs what it
-- takes rather than what waits: a partner's due deliveries in order of when
-- they fall due, and the head of each of its referrals' pending queues.
CREATE INDEX webhook_deliveries_partner_due ON webhook_deliveries (partner_id, next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_partner_referral
    ON webhook_deliveries (partner_id, referral_id, event_seq)
    WHERE status = 'pending';
