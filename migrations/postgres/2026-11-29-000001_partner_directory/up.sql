-- The partner directory, synchronised from partners/*.toml. Partners are
-- never deleted: a partner removed from the directory becomes 'inactive'.
CREATE TABLE partners (
    -- Byte order ("C"), so that pages come in the same order as on SQLite.
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    website TEXT,
    email TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity >= 0),
    status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'inactive')),
    sla_acknowledge_working_days INTEGER,
    sla_decide_working_days INTEGER,
    source_digest TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX partners_status ON partners (status);

CREATE TABLE partner_services (
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    service TEXT NOT NULL,
    PRIMARY KEY (partner_id, service)
);
CREATE INDEX partner_services_service ON partner_services (service, partner_id);

CREATE TABLE partner_service_areas (
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    country TEXT NOT NULL,
    -- '' when the partner serves the whole country.
    region TEXT NOT NULL,
    PRIMARY KEY (partner_id, country, region)
);
CREATE INDEX partner_service_areas_country ON partner_service_areas (country, partner_id);

CREATE TABLE partner_languages (
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    PRIMARY KEY (partner_id, language)
);
CREATE INDEX partner_languages_language ON partner_languages (language, partner_id);

CREATE TABLE partner_contacts (
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    PRIMARY KEY (partner_id, position)
);
