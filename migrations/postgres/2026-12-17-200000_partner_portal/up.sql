-- The partner portal (/portal): people at a partner organisation, each with
-- a role, an argon2id password, a TOTP second factor (RFC 6238), sessions,
-- one-time invitations, and the drafts a focal point writes and a
-- coordinator submits (four eyes). Secrets shown to a person (session ids,
-- invitation tokens) are stored only as a SHA-256 hash, as API tokens are.
CREATE TABLE partner_users (
    id TEXT PRIMARY KEY NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    email TEXT NOT NULL UNIQUE,
    -- focal_point does the work; coordinator also signs off.
    role TEXT NOT NULL CHECK (role IN ('focal_point', 'coordinator')),
    -- argon2id PHC string; NULL until the invitation is taken up.
    password_hash TEXT,
    password_set_at TIMESTAMP,
    -- Base32 TOTP secret; NULL until enrolment starts. Enrolment ends
    -- (totp_enrolled_at) when a code from it has been checked.
    totp_secret TEXT,
    totp_enrolled_at TIMESTAMP,
    -- The time step of the last code accepted: no code is used twice.
    totp_last_step BIGINT,
    -- The portal's language for this person, and for their emails.
    language TEXT NOT NULL DEFAULT 'en',
    -- Whether they get an email when something waits for them.
    notify_by_email BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    -- Who invited them: `cli:<os user>` or `partner_user:<id>`.
    created_by TEXT NOT NULL,
    disabled_at TIMESTAMP
);
CREATE INDEX partner_users_partner ON partner_users (partner_id);

CREATE TABLE partner_sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    partner_user_id TEXT NOT NULL REFERENCES partner_users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    -- When the second factor was given; NULL while only the password was.
    verified_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX partner_sessions_user ON partner_sessions (partner_user_id);

CREATE TABLE partner_invitations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    partner_user_id TEXT NOT NULL REFERENCES partner_users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX partner_invitations_user ON partner_invitations (partner_user_id);

-- A reintegration plan, monitoring report or closure drafted in the
-- portal: the API request body it will become, kept until a coordinator
-- submits it (it is then sent through the same command as the API's) or
-- it is discarded or replaced.
CREATE TABLE partner_drafts (
    id TEXT PRIMARY KEY NOT NULL,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    kind TEXT NOT NULL CHECK (kind IN ('plan', 'monitoring', 'closure')),
    body TEXT NOT NULL,
    drafted_by TEXT NOT NULL REFERENCES partner_users (id),
    drafted_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'discarded')),
    decided_by TEXT REFERENCES partner_users (id),
    decided_at TIMESTAMP
);
CREATE INDEX partner_drafts_referral ON partner_drafts (referral_id, kind, status);
