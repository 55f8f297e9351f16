DROP INDEX reintegration_plans_decided;
DROP INDEX monitoring_visits_due_on;
DROP INDEX referrals_closed;
DROP INDEX referrals_arrived;
DROP INDEX referrals_departed;
DROP INDEX return_cases_opened;
