-- The head of the audit chain and the event outbox. A transaction locks
-- this one row just before it appends its audit entries and events, so
-- that several instances on one database append in commit order without
-- any lock over the rest of their writes (PostgreSQL; on SQLite the
-- database's one writer already orders them).
CREATE TABLE chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);
INSERT INTO chain_head (id) VALUES (1);
