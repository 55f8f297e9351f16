DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
ALTER TABLE partners DROP COLUMN webhook_url;
