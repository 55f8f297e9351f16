DROP TABLE partner_capacity;
ALTER TABLE referral_history DROP COLUMN resumed;
ALTER TABLE referrals DROP COLUMN held_days;
ALTER TABLE referrals DROP COLUMN hold_review_on;
ALTER TABLE referrals DROP COLUMN hold_reason;
ALTER TABLE referrals DROP COLUMN on_hold_since;
ALTER TABLE referral_history DROP COLUMN reason_code;
ALTER TABLE referrals DROP COLUMN decline_reason_code;
