DROP TABLE events;
DROP TABLE checklist_items;
DROP TABLE referral_history;
DROP TABLE referrals;
DROP TABLE return_case_history;
DROP TABLE return_cases;
