-- Signing in to the staff web UI: an argon2id password hash per user (PHC
-- string; NULL until one is set), sessions and one-time invitations. A
-- session id and an invitation token are random and stored only as a
-- SHA-256 hash, like API tokens.
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN password_set_at TIMESTAMP;

CREATE TABLE staff_sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Every form of the session carries it; a POST without it is refused.
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    -- Signed out, or ended by an administrator; expiry needs no write.
    ended_at TIMESTAMP
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);

CREATE TABLE staff_invitations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX staff_invitations_user ON staff_invitations (user_id);
