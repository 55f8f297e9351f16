-- Indexes for the programme leads' reports over years of data: each lets a
-- report count a period (or a stage) from the index alone.
-- Clients counselled in a period (count of distinct clients by talk date).
CREATE INDEX talks_period ON talks (held_on, client_id);
-- Return intentions: per client, the first talk that states one.
CREATE INDEX talks_intention ON talks (intention, client_id, held_on);
-- Referrals sent in a period (funnel, partners report).
CREATE INDEX referrals_sent ON referrals (sent_at);
-- Acceptances and declines by when they happened.
CREATE INDEX referral_history_status ON referral_history (status, at);
-- Monitoring visits done in a period (funnel, sustainability).
CREATE INDEX monitoring_visits_held ON monitoring_visits (status, held_on);
