-- Early warning on sustainability: after each monitoring report Brug
-- compares it with the returnee's previous one and raises at most one alert
-- per report, with every reason (a dimension that dropped, one that fell
-- below the floor, a red-flag answer), under the thresholds of the model
-- file. The caseworker marks it handled. No notes, no names: ids, scores and
-- indicator ids only.
CREATE TABLE sustainability_alerts (
    id TEXT PRIMARY KEY NOT NULL,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    visit_id TEXT NOT NULL UNIQUE REFERENCES monitoring_visits (id),
    -- The reasons as a JSON array: kind, dimension, previous and current
    -- score, or the flagged indicator and answer.
    reasons TEXT NOT NULL,
    raised_at TIMESTAMP NOT NULL,
    handled_at TIMESTAMP,
    handled_by TEXT REFERENCES users (id)
);
CREATE INDEX sustainability_alerts_referral ON sustainability_alerts (referral_id);
CREATE INDEX sustainability_alerts_open ON sustainability_alerts (raised_at)
    WHERE handled_at IS NULL;
