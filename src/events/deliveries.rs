//! The delivery queue's side of the outbox: every event for a partner with a
//! webhook gets a `webhook_deliveries` row in the same transaction, which
//! the webhooks area's worker then sends. Kept here, beside the outbox, so
//! that publishing an event never calls up into the webhooks area.

use diesel::prelude::*;

use super::store::Event;
use crate::db::schema::{webhook_deliveries, webhook_endpoints};
use crate::db::{DbConn, DbError};

crate::domain::text_enum! {
    /// A webhook endpoint's status: `disabled` after it answered 410 Gone,
    /// until the partner sets a webhook again.
    pub enum EndpointStatus {
        Active => "active",
        Disabled => "disabled",
    }
}

/// A webhook endpoint's status, as stored.
pub const ACTIVE: &str = "active";
pub const DISABLED: &str = "disabled";
/// A delivery's status.
pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const DEAD: &str = "dead";

/// Queues `event` for its partner's webhook, inside the transaction that
/// publishes it. While the webhook is disabled the event goes straight to
/// the dead letters, to be replayed once the partner is back; a partner
/// that never set a webhook polls the feed instead.
pub fn enqueue(conn: &mut DbConn, event: &Event) -> Result<bool, DbError> {
    let status = webhook_endpoints::table
        .find(&event.partner_id)
        .select(webhook_endpoints::status)
        .first::<EndpointStatus>(conn)
        .optional()?;
    let (status, error, finished) = match status {
        None => return Ok(false),
        Some(EndpointStatus::Active) => (PENDING, None, None),
        Some(_) => (
            DEAD,
            Some("the webhook was disabled when the event happened"),
            Some(event.occurred_at),
        ),
    };
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::event_seq.eq(event.seq),
            webhook_deliveries::partner_id.eq(&event.partner_id),
            webhook_deliveries::referral_id.eq(&event.referral_id),
            webhook_deliveries::status.eq(status),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(event.occurred_at),
            webhook_deliveries::last_error.eq(error),
            webhook_deliveries::finished_at.eq(finished),
        ))
        .execute(conn)?;
    Ok(status == PENDING)
}
