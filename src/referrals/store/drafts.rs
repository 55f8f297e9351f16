//! Four eyes in the portal: what a focal point drafted (a reintegration
//! plan, a monitoring report, a closure) until a coordinator submits it.
//! A draft is the API request body it will become.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use crate::db::schema::{partner_drafts, partner_users, referrals};
use crate::db::{DbConn, DbError};
use crate::domain::text_enum;

text_enum! {
    pub enum DraftKind {
        Plan => "plan",
        Monitoring => "monitoring",
        Closure => "closure",
    }
}

text_enum! {
    pub enum DraftStatus {
        Draft => "draft",
        Submitted => "submitted",
        Discarded => "discarded",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: String,
    pub referral_id: String,
    pub kind: DraftKind,
    pub body: Value,
    pub drafted_by: String,
    /// Who drafted it, as the portal shows colleagues.
    pub drafted_by_email: String,
    pub drafted_at: NaiveDateTime,
    pub status: DraftStatus,
}

type Row = (
    String,
    String,
    DraftKind,
    String,
    String,
    String,
    NaiveDateTime,
    DraftStatus,
);

fn draft_of(row: Row) -> Draft {
    let (id, referral_id, kind, body, drafted_by, drafted_by_email, drafted_at, status) = row;
    Draft {
        id,
        referral_id,
        kind,
        // Written by `insert` from a parsed body: it reads back.
        body: serde_json::from_str(&body).unwrap_or(Value::Null),
        drafted_by,
        drafted_by_email,
        drafted_at,
        status,
    }
}

macro_rules! columns {
    () => {
        (
            partner_drafts::id,
            partner_drafts::referral_id,
            partner_drafts::kind,
            partner_drafts::body,
            partner_drafts::drafted_by,
            partner_users::email,
            partner_drafts::drafted_at,
            partner_drafts::status,
        )
    };
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<Draft>, DbError> {
    let row: Option<Row> = partner_drafts::table
        .inner_join(partner_users::table.on(partner_users::id.eq(partner_drafts::drafted_by)))
        .filter(partner_drafts::id.eq(id))
        .select(columns!())
        .first(conn)
        .optional()?;
    Ok(row.map(draft_of))
}

/// The referral's open draft of a kind, if any.
pub fn current(
    conn: &mut DbConn,
    referral_id: &str,
    kind: DraftKind,
) -> Result<Option<Draft>, DbError> {
    let row: Option<Row> = partner_drafts::table
        .inner_join(partner_users::table.on(partner_users::id.eq(partner_drafts::drafted_by)))
        .filter(partner_drafts::referral_id.eq(referral_id))
        .filter(partner_drafts::kind.eq(kind))
        .filter(partner_drafts::status.eq(DraftStatus::Draft))
        .order(partner_drafts::drafted_at.desc())
        .select(columns!())
        .first(conn)
        .optional()?;
    Ok(row.map(draft_of))
}

/// Every open draft of a partner's referrals, oldest first: what waits for
/// a coordinator's sign-off.
pub fn waiting(conn: &mut DbConn, partner_id: &str) -> Result<Vec<Draft>, DbError> {
    let rows: Vec<Row> = partner_drafts::table
        .inner_join(partner_users::table.on(partner_users::id.eq(partner_drafts::drafted_by)))
        .inner_join(referrals::table.on(referrals::id.eq(partner_drafts::referral_id)))
        .filter(referrals::partner_id.eq(partner_id))
        .filter(partner_drafts::status.eq(DraftStatus::Draft))
        .order(partner_drafts::drafted_at.asc())
        .select(columns!())
        .load(conn)?;
    Ok(rows.into_iter().map(draft_of).collect())
}

/// A new draft; an open one of the same kind is replaced (discarded).
pub fn insert(
    conn: &mut DbConn,
    referral_id: &str,
    kind: DraftKind,
    body: &Value,
    drafted_by: &str,
    now: NaiveDateTime,
) -> Result<String, DbError> {
    diesel::update(
        partner_drafts::table
            .filter(partner_drafts::referral_id.eq(referral_id))
            .filter(partner_drafts::kind.eq(kind))
            .filter(partner_drafts::status.eq(DraftStatus::Draft)),
    )
    .set((
        partner_drafts::status.eq(DraftStatus::Discarded),
        partner_drafts::decided_by.eq(Some(drafted_by)),
        partner_drafts::decided_at.eq(Some(now)),
    ))
    .execute(conn)?;
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(partner_drafts::table)
        .values((
            partner_drafts::id.eq(&id),
            partner_drafts::referral_id.eq(referral_id),
            partner_drafts::kind.eq(kind),
            partner_drafts::body.eq(body.to_string()),
            partner_drafts::drafted_by.eq(drafted_by),
            partner_drafts::drafted_at.eq(now),
            partner_drafts::status.eq(DraftStatus::Draft),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Submits or discards an open draft; false when it was decided already.
pub fn decide(
    conn: &mut DbConn,
    id: &str,
    status: DraftStatus,
    by: &str,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        partner_drafts::table
            .find(id)
            .filter(partner_drafts::status.eq(DraftStatus::Draft)),
    )
    .set((
        partner_drafts::status.eq(status),
        partner_drafts::decided_by.eq(Some(by)),
        partner_drafts::decided_at.eq(Some(now)),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Discards every open draft of a referral that ended (by no one of the
/// partner's: `decided_by` stays empty).
pub fn discard_open(
    conn: &mut DbConn,
    referral_id: &str,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        partner_drafts::table
            .filter(partner_drafts::referral_id.eq(referral_id))
            .filter(partner_drafts::status.eq(DraftStatus::Draft)),
    )
    .set((
        partner_drafts::status.eq(DraftStatus::Discarded),
        partner_drafts::decided_at.eq(Some(now)),
    ))
    .execute(conn)?)
}
