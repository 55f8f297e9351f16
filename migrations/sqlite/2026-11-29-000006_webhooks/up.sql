-- Webhook delivery: each partner's endpoint and signing secret, and one
-- delivery row per event that has an endpoint to go to.

-- A URL the partner directory fixes for the partner (optional).
ALTER TABLE partners ADD COLUMN webhook_url TEXT;

-- When the partner was told (`monitoring.due`) that the visit is due.
ALTER TABLE monitoring_visits ADD COLUMN due_announced_at TIMESTAMP;

CREATE TABLE webhook_endpoints (
    partner_id TEXT PRIMARY KEY NOT NULL REFERENCES partners (id),
    url TEXT NOT NULL,
    -- `whsec_` + base64: the HMAC key itself, needed to sign every delivery.
    secret TEXT NOT NULL,
    -- The secret before the last change, still signing beside the new one
    -- until `previous_secret_until`, so that partners can switch without a gap.
    previous_secret TEXT,
    previous_secret_until TIMESTAMP,
    status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    disabled_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_deliveries (
    event_seq BIGINT PRIMARY KEY NOT NULL REFERENCES events (seq),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    -- Deliveries for one referral go out in event order.
    referral_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- A worker's lease: while it runs, no other worker takes the delivery.
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    last_attempt_at TIMESTAMP,
    last_response_status INTEGER,
    last_error TEXT,
    finished_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_referral ON webhook_deliveries (referral_id, event_seq)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (partner_id, event_seq)
    WHERE status = 'dead';
CREATE INDEX webhook_deliveries_partner ON webhook_deliveries (partner_id, claimed_until)
    WHERE status = 'pending';
