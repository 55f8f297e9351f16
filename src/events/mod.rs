//! The transactional outbox: every change a partner must hear of becomes an
//! event, written in the same transaction as the change. Payloads hold ids
//! only; the partner fetches details through the API, so that every access
//! to personal data is audited. Delivery (webhooks, the feed) reads from here;
//! publishing queues the event for the partner's webhook in the same transaction.

pub mod deliveries;
pub mod routes;
pub mod store;
