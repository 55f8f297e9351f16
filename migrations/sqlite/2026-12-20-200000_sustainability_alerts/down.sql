DROP INDEX sustainability_alerts_open;
DROP INDEX sustainability_alerts_referral;
DROP TABLE sustainability_alerts;
