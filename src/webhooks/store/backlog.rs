//! How each partner's webhook queue stands, for `/metrics`: counts and the
//! oldest waiting event's time, per partner id (nothing else).

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{DEAD, PENDING};
use crate::db::schema::{events, webhook_deliveries, webhook_endpoints};
use crate::db::{DbConn, DbError};

/// One partner's queue: every partner with a webhook, and any other with
/// deliveries waiting or dead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Deliveries not yet made (nor given up on).
    pub pending: i64,
    /// When the oldest of them happened; `None` when nothing waits.
    pub oldest_pending: Option<NaiveDateTime>,
    /// Deliveries given up on (the dead letters).
    pub dead: i64,
}

/// Every partner's queue, by partner id.
pub fn backlog(conn: &mut DbConn) -> Result<BTreeMap<String, Backlog>, DbError> {
    let mut found: BTreeMap<String, Backlog> = webhook_endpoints::table
        .select(webhook_endpoints::partner_id)
        .load::<String>(conn)?
        .into_iter()
        .map(|partner| (partner, Backlog::default()))
        .collect();
    let pending: Vec<(String, i64, Option<NaiveDateTime>)> = webhook_deliveries::table
        .inner_join(events::table)
        .filter(webhook_deliveries::status.eq(PENDING))
        .group_by(webhook_deliveries::partner_id)
        .select((
            webhook_deliveries::partner_id,
            diesel::dsl::count_star(),
            diesel::dsl::min(events::occurred_at),
        ))
        .load(conn)?;
    for (partner, count, oldest) in pending {
        let entry = found.entry(partner).or_default();
        entry.pending = count;
        entry.oldest_pending = oldest;
    }
    let dead: Vec<(String, i64)> = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(DEAD))
        .group_by(webhook_deliveries::partner_id)
        .select((webhook_deliveries::partner_id, diesel::dsl::count_star()))
        .load(conn)?;
    for (partner, count) in dead {
        found.entry(partner).or_default().dead = count;
    }
    Ok(found)
}
