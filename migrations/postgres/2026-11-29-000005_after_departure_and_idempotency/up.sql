-- After departure: arrival, the reintegration plan, monitoring visits and
-- closure; and the stored responses that make every POST safe to retry.
ALTER TABLE referrals ADD COLUMN arrival_received BOOLEAN;
ALTER TABLE referrals ADD COLUMN arrival_note TEXT;
ALTER TABLE referrals ADD COLUMN outcome TEXT;

CREATE TABLE reintegration_plans (
    referral_id TEXT PRIMARY KEY NOT NULL REFERENCES referrals (id),
    status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'returned')),
    version INTEGER NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    decided_by TEXT REFERENCES users (id),
    comment TEXT
);

CREATE TABLE reintegration_plan_items (
    referral_id TEXT NOT NULL REFERENCES reintegration_plans (referral_id),
    position INTEGER NOT NULL,
    need TEXT NOT NULL,
    support TEXT NOT NULL,
    amount DOUBLE PRECISION NOT NULL,
    currency TEXT NOT NULL,
    PRIMARY KEY (referral_id, position)
);

CREATE TABLE monitoring_visits (
    id TEXT PRIMARY KEY NOT NULL,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    months_after_arrival INTEGER NOT NULL,
    due_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'done')),
    held_on DATE,
    mode TEXT,
    model_version TEXT,
    -- The indicator answers as a JSON object (indicator id to answer value).
    answers TEXT,
    economic DOUBLE PRECISION,
    social DOUBLE PRECISION,
    psychosocial DOUBLE PRECISION,
    overall DOUBLE PRECISION,
    reported_at TIMESTAMP
);
CREATE INDEX monitoring_visits_referral ON monitoring_visits (referral_id, due_on);
CREATE INDEX monitoring_visits_due ON monitoring_visits (status, due_on);

CREATE TABLE idempotency_keys (
    principal TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    status INTEGER,
    content_type TEXT,
    response_location TEXT,
    response_body TEXT,
    created_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP NOT NULL,
    PRIMARY KEY (principal, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- "One open case per client" and "one open referral per case" as
-- constraints, not only checks.
CREATE UNIQUE INDEX return_cases_one_open ON return_cases (client_id) WHERE status = 'open';
CREATE UNIQUE INDEX referrals_one_open ON referrals (return_case_id)
    WHERE status IN ('requested', 'received', 'accepted', 'in_progress');
