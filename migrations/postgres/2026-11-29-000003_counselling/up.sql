-- Toekomst Oriëntatie: clients, households, talks (with their earlier
-- versions) and consent.
CREATE TABLE households (
    id TEXT PRIMARY KEY NOT NULL,
    label TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE clients (
    id TEXT PRIMARY KEY NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    -- Lower-case copies for duplicate detection and prefix search.
    given_name_key TEXT NOT NULL,
    family_name_key TEXT NOT NULL,
    date_of_birth DATE NOT NULL,
    country_of_origin TEXT NOT NULL,
    -- Comma-separated ISO 639 codes.
    languages TEXT NOT NULL,
    v_number TEXT,
    location TEXT,
    household_id TEXT REFERENCES households (id),
    counsellor_id TEXT NOT NULL REFERENCES users (id),
    latest_intention TEXT,
    latest_intention_on DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX clients_family_name ON clients (family_name_key, given_name_key);
CREATE INDEX clients_given_name ON clients (given_name_key);
CREATE INDEX clients_duplicates ON clients (date_of_birth, country_of_origin);
CREATE INDEX clients_country ON clients (country_of_origin, id);
CREATE INDEX clients_counsellor ON clients (counsellor_id, id);
CREATE INDEX clients_household ON clients (household_id);

CREATE TABLE talks (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    counsellor_id TEXT NOT NULL REFERENCES users (id),
    held_on DATE NOT NULL,
    mode TEXT NOT NULL,
    -- Comma-separated topics.
    topics TEXT NOT NULL,
    intention TEXT NOT NULL,
    interpreter_language TEXT,
    duration_minutes INTEGER NOT NULL,
    notes TEXT,
    next_talk_on DATE,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX talks_client ON talks (client_id, held_on, created_at);

-- Each amendment keeps the version it replaced.
CREATE TABLE talk_versions (
    talk_id TEXT NOT NULL REFERENCES talks (id),
    version INTEGER NOT NULL,
    held_on DATE NOT NULL,
    mode TEXT NOT NULL,
    topics TEXT NOT NULL,
    intention TEXT NOT NULL,
    interpreter_language TEXT,
    duration_minutes INTEGER NOT NULL,
    notes TEXT,
    next_talk_on DATE,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (talk_id, version)
);

CREATE TABLE consents (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id),
    purpose TEXT NOT NULL,
    -- Comma-separated data categories.
    data_categories TEXT NOT NULL,
    partner_id TEXT REFERENCES partners (id),
    country TEXT,
    given_on DATE NOT NULL,
    method TEXT NOT NULL,
    language TEXT NOT NULL,
    valid_until DATE,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    withdrawn_at TIMESTAMP,
    withdrawn_by TEXT REFERENCES users (id),
    withdrawal_reason TEXT,
    CHECK ((partner_id IS NULL) <> (country IS NULL))
);
CREATE INDEX consents_client ON consents (client_id, recorded_at);
