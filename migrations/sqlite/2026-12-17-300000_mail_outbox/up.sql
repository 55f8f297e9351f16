-- Email notifications: what waits to be mailed to whom. No personal data:
-- the recipient is an id (the address is looked up when the mail is sent,
-- so a changed or removed address is honoured), the mail says what waits,
-- a reference (a referral's or a case's id), a count and a link. Retried
-- like webhook deliveries, then dead-lettered.
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    recipient_kind TEXT NOT NULL CHECK (recipient_kind IN ('staff', 'partner_user')),
    recipient_id TEXT NOT NULL,
    -- referral_requested, referral_cancelled, plan_returned, monitoring_due,
    -- draft_waiting (partner users); plan_to_approve (staff).
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    item_count INTEGER NOT NULL DEFAULT 1,
    -- The path of the link, under public_url: /portal/referrals/ID or /return-cases/ID.
    link_path TEXT NOT NULL,
    language TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- The worker round that holds it, until when (several workers may run).
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    sent_at TIMESTAMP,
    dead_at TIMESTAMP,
    last_error TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND dead_at IS NULL;
CREATE INDEX mail_outbox_dead ON mail_outbox (dead_at) WHERE dead_at IS NOT NULL;

-- Staff choose whether they are mailed (off until they ask) and in which
-- language (nl or en).
ALTER TABLE users ADD COLUMN notify_by_email BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'nl';
