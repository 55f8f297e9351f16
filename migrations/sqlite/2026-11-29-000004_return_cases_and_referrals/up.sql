-- Met Opgeheven Hoofd: return cases, referrals to partners with their
-- history, the departure checklist, and the outbox of events for partners.
CREATE TABLE return_cases (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    talk_id TEXT REFERENCES talks (id),
    destination_country TEXT NOT NULL,
    destination_region TEXT,
    -- Comma-separated need kinds.
    needs TEXT NOT NULL,
    -- Comma-separated client ids of household members who return too.
    household_member_ids TEXT NOT NULL,
    planned_departure_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    opened_by TEXT NOT NULL REFERENCES users (id),
    opened_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX return_cases_client ON return_cases (client_id, status);

CREATE TABLE return_case_history (
    return_case_id TEXT NOT NULL REFERENCES return_cases (id),
    seq INTEGER NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    change TEXT NOT NULL,
    detail TEXT,
    PRIMARY KEY (return_case_id, seq)
);

CREATE TABLE referrals (
    id TEXT PRIMARY KEY NOT NULL,
    return_case_id TEXT NOT NULL REFERENCES return_cases (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    consent_id TEXT NOT NULL REFERENCES consents (id),
    status TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    sent_by TEXT NOT NULL REFERENCES users (id),
    acknowledge_due_on DATE NOT NULL,
    decide_due_on DATE NOT NULL,
    acknowledged_at TIMESTAMP,
    decided_at TIMESTAMP,
    departed_on DATE,
    arrived_on DATE,
    closed_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX referrals_case ON referrals (return_case_id, status);
CREATE INDEX referrals_partner ON referrals (partner_id, status, id);
CREATE INDEX referrals_consent ON referrals (consent_id, status);

CREATE TABLE referral_history (
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    by_type TEXT NOT NULL,
    by_id TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (referral_id, seq)
);

CREATE TABLE checklist_items (
    id TEXT PRIMARY KEY NOT NULL,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    owner TEXT NOT NULL CHECK (owner IN ('organisation', 'partner', 'client', 'authority')),
    due_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'done', 'not_applicable', 'blocked')),
    note TEXT,
    updated_at TIMESTAMP NOT NULL,
    updated_by_type TEXT NOT NULL,
    updated_by_id TEXT NOT NULL
);
CREATE INDEX checklist_items_referral ON checklist_items (referral_id, position);

-- The transactional outbox: written in the same transaction as the change.
-- `seq` is given under a lock, so it follows commit order. Ids only.
CREATE TABLE events (
    seq BIGINT PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    referral_id TEXT,
    occurred_at TIMESTAMP NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX events_partner ON events (partner_id, seq);
CREATE INDEX events_referral ON events (referral_id, seq);
