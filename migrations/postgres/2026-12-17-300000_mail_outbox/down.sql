ALTER TABLE users DROP COLUMN language;
ALTER TABLE users DROP COLUMN notify_by_email;
DROP INDEX mail_outbox_dead;
DROP INDEX mail_outbox_due;
DROP TABLE mail_outbox;
