DROP INDEX return_cases_caseworker;
ALTER TABLE return_cases DROP COLUMN caseworker_id;
