//! Webhook endpoints and the delivery queue: one row per event that has an
//! endpoint to go to, claimed by one worker at a time under a lease.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::db::schema::{events, partners, webhook_deliveries, webhook_endpoints};
use crate::db::{DbConn, DbError};

pub use crate::events::deliveries::{ACTIVE, DEAD, DELIVERED, DISABLED, EndpointStatus, PENDING};

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

#[derive(Debug, QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = BigInt)]
    event_seq: i64,
}

/// Deliveries that are due and first in line for their referral: no earlier
/// event of the same referral is still pending, so a later event waits for
/// the earlier one. A partner whose deliveries another worker (or lane) is
/// sending right now is left to it, so that a slow webhook holds up one
/// round, not every one.
const DUE: &str = "SELECT d.event_seq FROM webhook_deliveries d \
     WHERE d.status = 'pending' AND d.next_attempt_at <= {now} \
     AND (d.claimed_until IS NULL OR d.claimed_until < {now}) \
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
         WHERE e.status = 'pending' AND e.referral_id = d.referral_id \
         AND e.event_seq < d.event_seq) \
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries c \
         WHERE c.status = 'pending' AND c.partner_id = d.partner_id \
         AND c.claimed_by <> {me} AND c.claimed_until >= {now}) \
     ORDER BY d.event_seq LIMIT {limit}";

/// Takes up to `limit` due deliveries for `worker` for `lease`. One
/// statement: on PostgreSQL `FOR UPDATE SKIP LOCKED` lets several instances
/// claim side by side without taking the same row, and leases are set and
/// compared on the database's clock, so that instances whose clocks differ
/// cannot take over each other's live leases; on SQLite (one machine) the
/// statement holds the one write lock while it runs.
pub fn claim(
    conn: &mut DbConn,
    worker: &str,
    now: DateTime<Utc>,
    lease: std::time::Duration,
    limit: i64,
) -> Result<Vec<i64>, DbError> {
    let lease_until =
        crate::audit::stored_time(now + chrono::Duration::from_std(lease).unwrap_or_default());
    let now = crate::audit::stored_time(now);
    let rows = match conn {
        DbConn::Pg(pg) => {
            let db_now = "(now() AT TIME ZONE 'UTC')";
            let due = DUE
                .replace("d.next_attempt_at <= {now}", "d.next_attempt_at <= $3")
                .replace("{now}", db_now)
                .replace("{me}", "$1")
                .replace("{limit}", "$4");
            diesel::sql_query(format!(
                "WITH due AS MATERIALIZED ({due} FOR UPDATE SKIP LOCKED) \
                 UPDATE webhook_deliveries SET claimed_by = $1, \
                 claimed_until = {db_now} + make_interval(secs => $2) \
                 FROM due WHERE webhook_deliveries.event_seq = due.event_seq \
                 RETURNING webhook_deliveries.event_seq"
            ))
            .bind::<Text, _>(worker)
            .bind::<diesel::sql_types::Double, _>(lease.as_secs_f64())
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load::<ClaimedRow>(pg)?
        }
        DbConn::Sqlite(sqlite) => {
            let due = DUE
                .replace("{now}", "?3")
                .replace("{me}", "?1")
                .replace("{limit}", "?4");
            diesel::sql_query(format!(
                "UPDATE webhook_deliveries SET claimed_by = ?1, claimed_until = ?2 \
                 WHERE event_seq IN ({due}) RETURNING event_seq"
            ))
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load::<ClaimedRow>(sqlite)?
        }
    };
    let mut seqs: Vec<i64> = rows.into_iter().map(|r| r.event_seq).collect();
    seqs.sort_unstable();
    Ok(seqs)
}

/// A claimed delivery with what is needed to send it.
#[derive(Clone, Queryable)]
pub struct Outgoing {
    pub event_seq: i64,
    pub event_id: String,
    pub event_type: String,
    pub partner_id: String,
    pub payload: String,
    pub attempts: i32,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub endpoint_status: Option<EndpointStatus>,
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

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("event_seq", &self.event_seq)
            .field("event_id", &self.event_id)
            .field("partner_id", &self.partner_id)
            .field("attempts", &self.attempts)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The claimed deliveries among `seqs` that are still `worker`'s.
pub fn outgoing(conn: &mut DbConn, seqs: &[i64], worker: &str) -> Result<Vec<Outgoing>, DbError> {
    // One query for the round: `seqs` holds at most one batch.
    Ok(webhook_deliveries::table
        .inner_join(events::table)
        .left_join(
            webhook_endpoints::table
                .on(webhook_endpoints::partner_id.eq(webhook_deliveries::partner_id)),
        )
        .filter(webhook_deliveries::event_seq.eq_any(seqs))
        .filter(webhook_deliveries::claimed_by.eq(worker))
        .filter(webhook_deliveries::status.eq(PENDING))
        .order(webhook_deliveries::event_seq.asc())
        .select((
            webhook_deliveries::event_seq,
            events::id,
            events::event_type,
            webhook_deliveries::partner_id,
            events::payload,
            webhook_deliveries::attempts,
            webhook_endpoints::url.nullable(),
            webhook_endpoints::secret.nullable(),
            webhook_endpoints::previous_secret.nullable(),
            webhook_endpoints::previous_secret_until.nullable(),
            webhook_endpoints::status.nullable(),
        ))
        .load::<Outgoing>(conn)?)
}

/// The result of one attempt, to be written back.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: &'static str,
    pub response_status: Option<u16>,
    pub error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Writes an attempt's outcome back, releasing the lease. Only the worker
/// that holds the claim may: one whose lease ran out (and whose delivery
/// another worker took over) changes nothing.
pub fn record(
    conn: &mut DbConn,
    seq: i64,
    worker: &str,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let now = crate::audit::stored_time(now);
    let finished = (outcome.status != PENDING).then_some(now);
    let next = outcome
        .next_attempt_at
        .map(crate::audit::stored_time)
        .unwrap_or(now);
    let changed = diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::event_seq.eq(seq))
            .filter(webhook_deliveries::claimed_by.eq(worker)),
    )
    .set((
        webhook_deliveries::status.eq(outcome.status),
        webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
        webhook_deliveries::next_attempt_at.eq(next),
        webhook_deliveries::claimed_by.eq(None::<String>),
        webhook_deliveries::claimed_until.eq(None::<NaiveDateTime>),
        webhook_deliveries::last_attempt_at.eq(now),
        webhook_deliveries::last_response_status.eq(outcome.response_status.map(i32::from)),
        webhook_deliveries::last_error.eq(&outcome.error),
        webhook_deliveries::finished_at.eq(finished),
    ))
    .execute(conn)?;
    Ok(changed == 1)
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
