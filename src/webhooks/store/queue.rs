//! The delivery queue: one row per event that has an endpoint to go to,
//! claimed by one worker at a time under a lease, a partner at a time, the
//! head of each referral's pending deliveries at a time.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::{DELIVERED, EndpointStatus, PENDING};
use crate::db::schema::{events, webhook_deliveries, webhook_endpoints};
use crate::db::{DbConn, DbError};

#[derive(Debug, QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = BigInt)]
    event_seq: i64,
}

#[derive(Debug, QueryableByName)]
struct PartnerRow {
    #[diesel(sql_type = Text)]
    partner_id: String,
}

/// Partners with deliveries due that no other worker (or lane) is sending
/// to right now, the longest waiting first: a partner is sent to by one
/// claimer at a time, so that a slow webhook holds up one lane, not every
/// one. Each look is one short range of an index per partner. All of them,
/// not a few: a partner whose due deliveries all wait behind a retry yields
/// nothing, and must not keep the others from their turn.
const PARTNERS: &str = "SELECT p.partner_id FROM (SELECT e.partner_id, \
         (SELECT d.next_attempt_at FROM webhook_deliveries d \
          WHERE d.status = 'pending' AND d.partner_id = e.partner_id \
          AND (d.claimed_until IS NULL OR d.claimed_until < {now}) \
          ORDER BY d.next_attempt_at LIMIT 1) AS first_due \
       FROM webhook_endpoints e \
       WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries c \
          WHERE c.status = 'pending' AND c.partner_id = e.partner_id \
          AND c.claimed_until >= {now} AND c.claimed_by <> {me})) p \
     WHERE p.first_due <= {due} ORDER BY p.first_due, p.partner_id";

/// The head of each of one partner's referral queues that is due and not
/// claimed, earliest first: the earliest pending delivery of each referral,
/// when it is also the earliest that may go now. One pass over the
/// partner's pending rows (by index); events of no referral wait for
/// nothing.
const HEADS: &str = "SELECT MIN(h.event_seq) FROM webhook_deliveries h \
     WHERE h.status = 'pending' AND h.partner_id = {partner} \
     GROUP BY h.referral_id, CASE WHEN h.referral_id IS NULL THEN h.event_seq END \
     HAVING MIN(h.event_seq) = MIN(CASE WHEN h.next_attempt_at <= {due} \
         AND (h.claimed_until IS NULL OR h.claimed_until < {now}) THEN h.event_seq END) \
     ORDER BY 1 LIMIT {limit}";

/// Those heads, to lock: a later event waits for the earlier one. The
/// conditions again, for the rows another claimer changed meanwhile;
/// `{heads}` holds the membership test on [`HEADS`].
const DUE: &str = "SELECT d.event_seq FROM webhook_deliveries d \
     WHERE {heads} AND d.status = 'pending' AND d.partner_id = {partner} \
     AND d.next_attempt_at <= {due} \
     AND (d.claimed_until IS NULL OR d.claimed_until < {now}) \
     ORDER BY d.event_seq LIMIT {limit}";

/// Takes up to `limit` due deliveries of one partner for `worker` for
/// `lease`: the partner waiting longest among those nobody else is sending
/// to, and of it the head of each referral's queue. On PostgreSQL
/// `FOR UPDATE SKIP LOCKED` lets several instances claim side by side
/// without taking the same row, and leases are set and compared on the
/// database's clock, so that instances whose clocks differ cannot take
/// over each other's live leases; on SQLite (one machine) the transaction
/// holds the one write lock.
pub fn claim(
    conn: &mut DbConn,
    worker: &str,
    now: DateTime<Utc>,
    lease: std::time::Duration,
    limit: i64,
) -> Result<Vec<i64>, DbError> {
    for partner in free_partners(conn, worker, now)? {
        let mut seqs = claim_heads(conn, worker, &partner, now, lease, limit)?;
        if !seqs.is_empty() {
            seqs.sort_unstable();
            return Ok(seqs);
        }
    }
    Ok(Vec::new())
}

/// The database's clock, in UTC, on PostgreSQL.
const PG_NOW: &str = "(now() AT TIME ZONE 'UTC')";

fn free_partners(
    conn: &mut DbConn,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbError> {
    let now = crate::audit::stored_time(now);
    let rows = match conn {
        DbConn::Pg(pg) => diesel::sql_query(
            PARTNERS
                .replace("{now}", PG_NOW)
                .replace("{me}", "$1")
                .replace("{due}", "$2"),
        )
        .bind::<Text, _>(worker)
        .bind::<Timestamp, _>(now)
        .load::<PartnerRow>(pg)?,
        DbConn::Sqlite(sqlite) => diesel::sql_query(
            PARTNERS
                .replace("{now}", "?2")
                .replace("{me}", "?1")
                .replace("{due}", "?2"),
        )
        .bind::<Text, _>(worker)
        .bind::<Timestamp, _>(now)
        .load::<PartnerRow>(sqlite)?,
    };
    Ok(rows.into_iter().map(|r| r.partner_id).collect())
}

fn claim_heads(
    conn: &mut DbConn,
    worker: &str,
    partner: &str,
    now: DateTime<Utc>,
    lease: std::time::Duration,
    limit: i64,
) -> Result<Vec<i64>, DbError> {
    let lease_until =
        crate::audit::stored_time(now + chrono::Duration::from_std(lease).unwrap_or_default());
    let now = crate::audit::stored_time(now);
    let rows = match conn {
        DbConn::Pg(pg) => {
            // The heads as an array, computed once: on a queue that filled
            // faster than its statistics, a join could walk it per row.
            let due = DUE
                .replace("{heads}", &format!("d.event_seq = ANY(ARRAY({HEADS}))"))
                .replace("{due}", "$3")
                .replace("{now}", PG_NOW)
                .replace("{partner}", "$5")
                .replace("{limit}", "$4");
            diesel::sql_query(format!(
                "WITH due AS MATERIALIZED ({due} FOR UPDATE SKIP LOCKED) \
                 UPDATE webhook_deliveries SET claimed_by = $1, \
                 claimed_until = {PG_NOW} + make_interval(secs => $2) \
                 WHERE webhook_deliveries.event_seq = ANY(ARRAY(SELECT event_seq FROM due)) \
                 RETURNING webhook_deliveries.event_seq"
            ))
            .bind::<Text, _>(worker)
            .bind::<diesel::sql_types::Double, _>(lease.as_secs_f64())
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .bind::<Text, _>(partner)
            .load::<ClaimedRow>(pg)?
        }
        DbConn::Sqlite(sqlite) => {
            let due = DUE
                .replace("{heads}", &format!("d.event_seq IN ({HEADS})"))
                .replace("{due}", "?3")
                .replace("{now}", "?3")
                .replace("{partner}", "?5")
                .replace("{limit}", "?4");
            diesel::sql_query(format!(
                "UPDATE webhook_deliveries SET claimed_by = ?1, claimed_until = ?2 \
                 WHERE event_seq IN ({due}) RETURNING event_seq"
            ))
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .bind::<Text, _>(partner)
            .load::<ClaimedRow>(sqlite)?
        }
    };
    Ok(rows.into_iter().map(|r| r.event_seq).collect())
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

/// Writes a round back in one transaction: each outcome (those delivered
/// alike in one statement) and the release, unattempted, of `released`.
/// Returns how many had lost their lease (another worker has taken them
/// over; nothing of them is written).
pub fn record_round(
    conn: &mut DbConn,
    worker: &str,
    outcomes: &[(i64, Outcome)],
    released: &[i64],
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let mut lost = 0;
    let mut delivered: BTreeMap<Option<u16>, Vec<i64>> = BTreeMap::new();
    for (seq, outcome) in outcomes {
        if outcome.status == DELIVERED && outcome.error.is_none() {
            delivered
                .entry(outcome.response_status)
                .or_default()
                .push(*seq);
        } else if !record(conn, *seq, worker, outcome, now)? {
            lost += 1;
        }
    }
    let stored_now = crate::audit::stored_time(now);
    for (status, seqs) in delivered {
        for chunk in seqs.chunks(CHUNK) {
            let changed = diesel::update(
                webhook_deliveries::table
                    .filter(webhook_deliveries::event_seq.eq_any(chunk))
                    .filter(webhook_deliveries::claimed_by.eq(worker)),
            )
            .set((
                webhook_deliveries::status.eq(DELIVERED),
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::next_attempt_at.eq(stored_now),
                webhook_deliveries::claimed_by.eq(None::<String>),
                webhook_deliveries::claimed_until.eq(None::<NaiveDateTime>),
                webhook_deliveries::last_attempt_at.eq(stored_now),
                webhook_deliveries::last_response_status.eq(status.map(i32::from)),
                webhook_deliveries::last_error.eq(None::<String>),
                webhook_deliveries::finished_at.eq(Some(stored_now)),
            ))
            .execute(conn)?;
            lost += chunk.len().saturating_sub(changed);
        }
    }
    for chunk in released.chunks(CHUNK) {
        diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::event_seq.eq_any(chunk))
                .filter(webhook_deliveries::claimed_by.eq(worker)),
        )
        .set((
            webhook_deliveries::claimed_by.eq(None::<String>),
            webhook_deliveries::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    }
    Ok(lost)
}

/// Rows per statement of [`record_round`], well within either backend's
/// limit on bound values.
const CHUNK: usize = 500;
