//! Appending events to the outbox.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::db::schema::events;
use crate::db::{DbConn, DbError};

/// What a partner receives of an event: the webhook body, and the feed's
/// `type`, `timestamp` and `data`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Message {
    /// `referral.requested`, `referral.acknowledged`, `referral.accepted`,
    /// `referral.declined`, `referral.on_hold`, `referral.resumed`,
    /// `referral.cancelled`, `consent.withdrawn`, `consent.expiring`,
    /// `consent.expired`, `monitoring.due`, `sustainability.alert`, ...,
    /// or `webhook.test`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it happened (RFC 3339, UTC).
    pub timestamp: String,
    /// Ids only (`referral_id`, `return_case_id`, ...): fetch details
    /// through the API, so that every access to personal data is audited.
    /// A `consent.expiring` carries `consent_id`, `referral_id` and the
    /// consent's last day, `valid_until`; a `consent.expired` its
    /// `consent_id` and `referral_id`. A `sustainability.alert` carries `referral_id`, `visit_id`,
    /// `alert_id` and its `reasons` (each an `AlertReason`: `kind` `drop`,
    /// `below` or `red_flag`, the `dimension`, and the `previous` and
    /// `current` scores or the flagged `indicator` and `answer`).
    #[schema(value_type = Object)]
    pub data: Value,
}

impl Message {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct Event {
    pub seq: i64,
    pub id: String,
    pub event_type: String,
    pub partner_id: String,
    pub referral_id: Option<String>,
    pub occurred_at: chrono::NaiveDateTime,
    pub payload: String,
}

/// Records an event for a partner inside the caller's write transaction,
/// and returns its id. It is written at the end of that transaction, under
/// the chain's head lock, so that `seq` follows commit order and a reader
/// of the feed never sees a later number commit before an earlier one
/// ([`crate::db::deferred`]). `data` must hold ids only.
pub fn publish(
    conn: &mut DbConn,
    event_type: &str,
    partner_id: &str,
    referral_id: Option<&str>,
    data: Value,
    now: DateTime<Utc>,
) -> Result<String, DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    let occurred_at = crate::audit::stored_time(now);
    let payload = Message {
        event_type: event_type.to_owned(),
        timestamp: crate::domain::utc::format(&occurred_at),
        data,
    }
    .to_json();
    let event = Event {
        seq: 0,
        id: id.clone(),
        event_type: event_type.to_owned(),
        partner_id: partner_id.to_owned(),
        referral_id: referral_id.map(str::to_owned),
        occurred_at,
        payload,
    };
    crate::db::deferred::note_published();
    let _ = conn;
    crate::db::deferred::defer(Box::new(move |conn, seal| {
        write(conn, event, seal.on_event().map(|queue| (queue, now)))
    }))?;
    Ok(id)
}

/// Writes one event after the last one, and queues it for the partner's
/// webhook, and (when this instance mails) the email notifications it
/// calls for; the caller holds the head lock.
fn write(
    conn: &mut DbConn,
    mut event: Event,
    mails: Option<(crate::db::deferred::OnEvent, DateTime<Utc>)>,
) -> Result<(), DbError> {
    let last: Option<i64> = events::table
        .select(diesel::dsl::max(events::seq))
        .first(conn)?;
    event.seq = last.unwrap_or(0) + 1;
    diesel::insert_into(events::table)
        .values((
            events::seq.eq(event.seq),
            events::id.eq(&event.id),
            events::event_type.eq(&event.event_type),
            events::partner_id.eq(&event.partner_id),
            events::referral_id.eq(&event.referral_id),
            events::occurred_at.eq(event.occurred_at),
            events::payload.eq(&event.payload),
        ))
        .execute(conn)?;
    super::deliveries::enqueue(conn, &event)?;
    if let Some((queue, now)) = mails {
        queue(
            conn,
            &event.event_type,
            &event.partner_id,
            event.referral_id.as_deref(),
            now,
        )?;
    }
    Ok(())
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
        .select(Event::as_select())
        .load(conn)?)
}
