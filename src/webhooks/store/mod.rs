//! Webhook endpoints, their secrets and dead letters; the queue the worker
//! claims from is in [`queue`].

mod backlog;
mod queue;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{events, partners, webhook_deliveries, webhook_endpoints};
use crate::db::{DbConn, DbError};

pub use crate::events::deliveries::{ACTIVE, DEAD, DELIVERED, DISABLED, EndpointStatus, PENDING};
pub use backlog::{Backlog, backlog};
pub use queue::{Outcome, Outgoing, claim, outgoing, record, record_round};

#[derive(Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
pub struct Endpoint {
    pub partner_id: String,
    pub url: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub status: EndpointStatus,
    pub disabled_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("partner_id", &self.partner_id)
            .field("url", &self.url)
            .field("secret", &"whsec_***")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

pub fn endpoint(conn: &mut DbConn, partner_id: &str) -> Result<Option<Endpoint>, DbError> {
    Ok(webhook_endpoints::table
        .find(partner_id)
        .select(Endpoint::as_select())
        .first(conn)
        .optional()?)
}

/// The URL the partner directory fixes for this partner, if any.
pub fn preset_url(conn: &mut DbConn, partner_id: &str) -> Result<Option<String>, DbError> {
    Ok(partners::table
        .find(partner_id)
        .select(partners::webhook_url)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// How long a replaced secret goes on signing beside the new one.
pub const SECRET_OVERLAP_HOURS: i64 = 24;

/// Points the partner's webhook at `url` with a new secret and turns it on.
/// The secret it replaces goes on signing too, for [`SECRET_OVERLAP_HOURS`].
/// Events from now on are delivered there; earlier ones stay in the feed.
/// Deliveries waiting for a retry are due at once, with a fresh count of
/// attempts: the partner has just said where it listens.
pub fn set_endpoint(
    conn: &mut DbConn,
    partner_id: &str,
    url: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Endpoint, DbError> {
    let now = crate::audit::stored_time(now);
    let overlap_until = now + chrono::Duration::hours(SECRET_OVERLAP_HOURS);
    let updated = diesel::update(webhook_endpoints::table.find(partner_id))
        .set((
            webhook_endpoints::url.eq(url),
            // The old value: SQL reads the row as it was before the update.
            webhook_endpoints::previous_secret.eq(webhook_endpoints::secret.nullable()),
            webhook_endpoints::previous_secret_until.eq(Some(overlap_until)),
            webhook_endpoints::secret.eq(secret),
            webhook_endpoints::status.eq(ACTIVE),
            webhook_endpoints::disabled_reason.eq(None::<String>),
            webhook_endpoints::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(webhook_endpoints::table)
            .values((
                webhook_endpoints::partner_id.eq(partner_id),
                webhook_endpoints::url.eq(url),
                webhook_endpoints::secret.eq(secret),
                webhook_endpoints::status.eq(ACTIVE),
                webhook_endpoints::created_at.eq(now),
                webhook_endpoints::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::partner_id.eq(partner_id))
            .filter(webhook_deliveries::status.eq(PENDING))
            .filter(webhook_deliveries::claimed_by.is_null()),
    )
    .set((
        webhook_deliveries::next_attempt_at.eq(now),
        webhook_deliveries::attempts.eq(0),
    ))
    .execute(conn)?;
    endpoint(conn, partner_id)?.ok_or(DbError::Query(diesel::result::Error::NotFound))
}

/// Points a partner's webhook at the URL its directory entry fixes, keeping
/// its secret and state; for the directory sync. Returns whether it moved.
pub fn follow_preset(
    conn: &mut DbConn,
    partner_id: &str,
    preset: &str,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let moved = diesel::update(
        webhook_endpoints::table
            .find(partner_id)
            .filter(webhook_endpoints::url.ne(preset)),
    )
    .set((
        webhook_endpoints::url.eq(preset),
        webhook_endpoints::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(moved > 0)
}

/// Turns the partner's webhook off (it answered 410 Gone) and moves what
/// was waiting for it to the dead letters, from where it can be replayed
/// once the partner sets a webhook again. Only the webhook that answered is
/// turned off: if the partner has set another URL or secret since, nothing
/// changes and `None` is returned. Deliveries other workers are sending
/// now keep their claim and end as their own answers say. Returns how many
/// were moved.
pub fn disable_endpoint(
    conn: &mut DbConn,
    partner_id: &str,
    answered: (&str, &str),
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<usize>, DbError> {
    let (url, secret) = answered;
    let now = crate::audit::stored_time(now);
    let disabled = diesel::update(
        webhook_endpoints::table
            .find(partner_id)
            .filter(webhook_endpoints::url.eq(url))
            .filter(webhook_endpoints::secret.eq(secret))
            .filter(webhook_endpoints::status.eq(ACTIVE)),
    )
    .set((
        webhook_endpoints::status.eq(DISABLED),
        webhook_endpoints::disabled_reason.eq(reason),
        webhook_endpoints::updated_at.eq(now),
    ))
    .execute(conn)?;
    if disabled == 0 {
        return Ok(None);
    }
    Ok(Some(
        diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::partner_id.eq(partner_id))
                .filter(webhook_deliveries::status.eq(PENDING))
                .filter(webhook_deliveries::claimed_by.is_null()),
        )
        .set((
            webhook_deliveries::status.eq(DEAD),
            webhook_deliveries::last_error.eq(reason),
            webhook_deliveries::finished_at.eq(now),
        ))
        .execute(conn)?,
    ))
}

impl Endpoint {
    /// The secrets that sign a message sent at `now`: the current one, and
    /// the one it replaced while their overlap lasts.
    pub fn signing_secrets(&self, now: NaiveDateTime) -> Vec<&str> {
        signing_secrets(
            &self.secret,
            self.previous_secret.as_deref(),
            self.previous_secret_until,
            now,
        )
    }
}

pub fn signing_secrets<'a>(
    current: &'a str,
    previous: Option<&'a str>,
    previous_until: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Vec<&'a str> {
    let mut secrets = vec![current];
    if let (Some(previous), Some(until)) = (previous, previous_until)
        && now < until
        && previous != current
    {
        secrets.push(previous);
    }
    secrets
}

/// A dead-lettered delivery, as `brug events dead` lists it.
#[derive(Debug, Clone, Queryable)]
pub struct DeadDelivery {
    pub event_seq: i64,
    pub event_id: String,
    pub event_type: String,
    pub partner_id: String,
    pub referral_id: Option<String>,
    pub attempts: i32,
    pub last_response_status: Option<i32>,
    pub last_error: Option<String>,
    pub finished_at: Option<NaiveDateTime>,
}

pub fn dead(conn: &mut DbConn, partner_id: Option<&str>) -> Result<Vec<DeadDelivery>, DbError> {
    let mut query = webhook_deliveries::table
        .inner_join(events::table)
        .filter(webhook_deliveries::status.eq(DEAD))
        .into_boxed();
    if let Some(partner) = partner_id {
        query = query.filter(webhook_deliveries::partner_id.eq(partner.to_owned()));
    }
    Ok(query
        .order(webhook_deliveries::event_seq.asc())
        .select((
            webhook_deliveries::event_seq,
            events::id,
            events::event_type,
            webhook_deliveries::partner_id,
            webhook_deliveries::referral_id,
            webhook_deliveries::attempts,
            webhook_deliveries::last_response_status,
            webhook_deliveries::last_error,
            webhook_deliveries::finished_at,
        ))
        .load(conn)?)
}

/// Which dead letters to send again.
#[derive(Debug, Clone)]
pub enum Replay {
    /// These events, by id.
    Events(Vec<String>),
    /// Every dead letter of one partner.
    Partner(String),
    All,
}

/// Puts dead letters back in the queue, due now, with a fresh count of
/// attempts. Returns the event ids that were requeued.
pub fn replay(
    conn: &mut DbConn,
    which: &Replay,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbError> {
    let mut query = webhook_deliveries::table
        .inner_join(events::table)
        .filter(webhook_deliveries::status.eq(DEAD))
        .into_boxed();
    match which {
        Replay::Events(ids) => query = query.filter(events::id.eq_any(ids.clone())),
        Replay::Partner(partner) => {
            query = query.filter(webhook_deliveries::partner_id.eq(partner.clone()))
        }
        Replay::All => {}
    }
    let found: Vec<(i64, String)> = query
        .select((webhook_deliveries::event_seq, events::id))
        .order(webhook_deliveries::event_seq.asc())
        .load(conn)?;
    let now = crate::audit::stored_time(now);
    for (seq, _) in &found {
        diesel::update(webhook_deliveries::table.find(seq))
            .set((
                webhook_deliveries::status.eq(PENDING),
                webhook_deliveries::attempts.eq(0),
                webhook_deliveries::next_attempt_at.eq(now),
                webhook_deliveries::finished_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
    }
    Ok(found.into_iter().map(|(_, id)| id).collect())
}

/// How the partner's deliveries stand, for `GET /partner/v1/webhook`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub pending: i64,
    pub delivered: i64,
    pub dead: i64,
}

pub fn counts(conn: &mut DbConn, partner_id: &str) -> Result<Counts, DbError> {
    let rows: Vec<(String, i64)> = webhook_deliveries::table
        .filter(webhook_deliveries::partner_id.eq(partner_id))
        .group_by(webhook_deliveries::status)
        .select((webhook_deliveries::status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut counts = Counts::default();
    for (status, n) in rows {
        match status.as_str() {
            PENDING => counts.pending = n,
            DELIVERED => counts.delivered = n,
            DEAD => counts.dead = n,
            _ => {}
        }
    }
    Ok(counts)
}
