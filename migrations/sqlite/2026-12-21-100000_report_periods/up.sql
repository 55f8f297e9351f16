-- A report over one period reads that period's rows through an index, so
-- that it costs the same however long the history (issue 19).
-- Cases opened in a period (funnel).
CREATE INDEX return_cases_opened ON return_cases (opened_at);
-- Departures, arrivals and completed closures in a period (funnel, trend).
CREATE INDEX referrals_departed ON referrals (departed_on);
CREATE INDEX referrals_arrived ON referrals (arrived_on);
CREATE INDEX referrals_closed ON referrals (closed_at);
-- Monitoring visits due in a period, whatever their status (partners).
CREATE INDEX monitoring_visits_due_on ON monitoring_visits (due_on);
-- Reintegration plans approved in a period (funnel).
CREATE INDEX reintegration_plans_decided ON reintegration_plans (decided_at);
