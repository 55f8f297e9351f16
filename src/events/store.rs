//! Appending events to the outbox.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::db::schema::events;
use crate::db::{DbConn, DbError};

#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Event {
    pub seq: i64,
    pub id: String,
    pub event_type: String,
    pub partner_id: String,
    pub referral_id: Option<String>,
    pub occurred_at: chrono::NaiveDateTime,
    pub payload: String,
}

/// Records an event for a partner inside the caller's write transaction.
/// `data` must hold ids only.
pub fn publish(
    conn: &mut DbConn,
    event_type: &str,
    partner_id: &str,
    referral_id: Option<&str>,
    data: Value,
    now: DateTime<Utc>,
) -> Result<Event, DbError> {
    // In Db::write's transaction: writers take turns on both backends, so
    // `seq` follows commit order.
    let last: Option<i64> = events::table
        .select(diesel::dsl::max(events::seq))
        .first(conn)?;
    let seq = last.unwrap_or(0) + 1;
    let id = uuid::Uuid::now_v7().to_string();
    let occurred_at = crate::audit::stored_time(now);
    let payload = json!({
        "type": event_type,
        "timestamp": crate::domain::utc::format(&occurred_at),
        "data": data,
    })
    .to_string();
    diesel::insert_into(events::table)
        .values((
            events::seq.eq(seq),
            events::id.eq(&id),
            events::event_type.eq(event_type),
            events::partner_id.eq(partner_id),
            events::referral_id.eq(referral_id),
            events::occurred_at.eq(occurred_at),
            events::payload.eq(&payload),
        ))
        .execute(conn)?;
    let event = Event {
        seq,
        id,
        event_type: event_type.to_owned(),
        partner_id: partner_id.to_owned(),
        referral_id: referral_id.map(str::to_owned),
        occurred_at,
        payload,
    };
    crate::webhooks::store::enqueue(conn, &event)?;
    Ok(event)
}

/// A partner's events after `after`, in order.
pub fn for_partner(
    conn: &mut DbConn,
    partner_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<Event>, DbError> {
    Ok(events::table
        .filter(events::partner_id.eq(partner_id))
        .filter(events::seq.gt(after))
        .order(events::seq.asc())
        .limit(limit)
        .load(conn)?)
}
