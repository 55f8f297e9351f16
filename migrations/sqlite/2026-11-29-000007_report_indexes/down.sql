DROP INDEX monitoring_visits_held;
DROP INDEX referral_history_status;
DROP INDEX referrals_sent;
DROP INDEX talks_intention;
DROP INDEX talks_period;
