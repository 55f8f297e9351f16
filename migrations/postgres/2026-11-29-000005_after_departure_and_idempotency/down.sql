DROP INDEX referrals_one_open;
DROP INDEX return_cases_one_open;
DROP TABLE idempotency_keys;
DROP TABLE monitoring_visits;
DROP TABLE reintegration_plan_items;
DROP TABLE reintegration_plans;
ALTER TABLE referrals DROP COLUMN outcome;
ALTER TABLE referrals DROP COLUMN arrival_note;
ALTER TABLE referrals DROP COLUMN arrival_received;
