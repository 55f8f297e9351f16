-- The partner directory's version, raised by every sync that changes it:
-- each instance serves the directory from memory and reloads its copy when
-- the version it last loaded is no longer the stored one.
CREATE TABLE directory_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 1);
