DROP TABLE partner_drafts;
DROP TABLE partner_invitations;
DROP TABLE partner_sessions;
DROP TABLE partner_users;
