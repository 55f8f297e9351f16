DROP TABLE staff_invitations;
DROP TABLE staff_sessions;
ALTER TABLE users DROP COLUMN password_set_at;
ALTER TABLE users DROP COLUMN password_hash;
