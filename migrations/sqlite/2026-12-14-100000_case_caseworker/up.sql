-- The caseworker who holds a return case now: whoever opened it, until a
-- lead or administrator hands it to another (`POST .../assign`), while
-- `opened_by` goes on saying who opened it. SQLite cannot add a column that
-- is both NOT NULL and REFERENCES; every case written since has one, and
-- PostgreSQL enforces it.
ALTER TABLE return_cases ADD COLUMN caseworker_id TEXT REFERENCES users (id);
UPDATE return_cases SET caseworker_id = opened_by;
CREATE INDEX return_cases_caseworker ON return_cases (caseworker_id, status);
