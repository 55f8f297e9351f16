-- The caseworker who holds a return case now: whoever opened it, until a
-- lead or administrator hands it to another (`POST .../assign`), while
-- `opened_by` goes on saying who opened it.
ALTER TABLE return_cases ADD COLUMN caseworker_id TEXT REFERENCES users (id);
UPDATE return_cases SET caseworker_id = opened_by;
ALTER TABLE return_cases ALTER COLUMN caseworker_id SET NOT NULL;
CREATE INDEX return_cases_caseworker ON return_cases (caseworker_id, status);
