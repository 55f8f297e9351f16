-- The referral's vocabulary (issue 18): coded decline reasons, on hold, and
-- the partner's capacity answer.
--
-- A decline's code (`no_capacity`, `not_in_area`, `not_eligible`,
-- `client_unreachable`, `security_concern`, `other`), mapped to FHIR
-- Task.statusReason; on the referral for the partners report, and on the
-- history row that reached `rejected` so that the history shows it.
ALTER TABLE referrals ADD COLUMN decline_reason_code TEXT;
ALTER TABLE referral_history ADD COLUMN reason_code TEXT;
-- On hold: while `on_hold_since` is set the referral is paused, with the
-- partner's reason and the date it reviews the hold. SLA clocks pause: at
-- resume the whole days held are added to `held_days`, and the
-- not-departed deadline moves back by `held_days`. That is all a clock
-- needs; each hold's dates stay in the history.
ALTER TABLE referrals ADD COLUMN on_hold_since TIMESTAMP;
ALTER TABLE referrals ADD COLUMN hold_reason TEXT;
ALTER TABLE referrals ADD COLUMN hold_review_on DATE;
ALTER TABLE referrals ADD COLUMN held_days INTEGER NOT NULL DEFAULT 0;
-- A resume returns to `accepted`; its history row says so, and reports
-- that count acceptances leave it out (it is not a new acceptance).
ALTER TABLE referral_history ADD COLUMN resumed BOOLEAN NOT NULL DEFAULT FALSE;
-- Whether a partner can take new referrals now, per country and need: the
-- whole set is replaced at each `PUT /partner/v1/capacity`.
CREATE TABLE partner_capacity (
    partner_id TEXT NOT NULL REFERENCES partners (id),
    country TEXT NOT NULL,
    need TEXT NOT NULL,
    answer TEXT NOT NULL CHECK (answer IN ('yes', 'no', 'waitlist')),
    waitlist_weeks INTEGER,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (partner_id, country, need)
);
