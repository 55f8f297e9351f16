-- Staff users and their roles.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    created_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('counsellor', 'caseworker', 'lead', 'admin')),
    PRIMARY KEY (user_id, role)
);

-- API tokens of staff users and keys of partners, stored only as a SHA-256
-- hash of the whole (high-entropy) token.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('staff', 'partner')),
    user_id TEXT REFERENCES users (id),
    partner_id TEXT REFERENCES partners (id),
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    CHECK (
        (kind = 'staff' AND user_id IS NOT NULL AND partner_id IS NULL)
        OR (kind = 'partner' AND partner_id IS NOT NULL AND user_id IS NULL)
    )
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX api_tokens_partner ON api_tokens (partner_id);

-- The audit log: append-only, each entry hash-chained to the one before.
-- Ids only: never names or notes.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    at TIMESTAMP NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    request_id TEXT,
    outcome TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);

-- Refuse edits through the application's own connection; the hash chain
-- still shows any edit made around these triggers.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
