DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
ALTER TABLE monitoring_visits DROP COLUMN due_announced_at;
ALTER TABLE partners DROP COLUMN webhook_url;
