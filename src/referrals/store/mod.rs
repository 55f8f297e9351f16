//! Referrals' queries and rows: the referral and its history here; sending,
//! the checklist, the partner's view and what follows departure beside it.

pub mod after_departure;
pub mod checklist;
pub mod consent_expiry;
pub mod drafts;
pub mod partner_view;
pub mod send;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::vocabulary::{DeclineReason, OnHold, StatusReason, serialize_status_reason};
use super::{Action, Outcome as Ending, ReferralStatus, SlaClock};
use crate::audit::Actor;
use crate::db::schema::{referral_history, referrals};
use crate::db::{DbConn, DbError};
use crate::domain::{self, CommandError, Refusal};
use crate::monitoring::store::VisitView;
use after_departure::PlanView;

/// A `referrals` row as read.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = referrals)]
pub struct ReferralRow {
    pub id: String,
    pub return_case_id: String,
    pub partner_id: String,
    pub consent_id: String,
    pub status: ReferralStatus,
    pub sent_at: NaiveDateTime,
    pub sent_by: String,
    pub acknowledge_due_on: NaiveDate,
    pub decide_due_on: NaiveDate,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub departed_on: Option<NaiveDate>,
    pub arrived_on: Option<NaiveDate>,
    pub closed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub arrival_received: Option<bool>,
    pub arrival_note: Option<String>,
    /// How a closed referral ended.
    pub outcome: Option<Ending>,
    pub decline_reason_code: Option<DeclineReason>,
    pub on_hold_since: Option<NaiveDateTime>,
    pub hold_reason: Option<String>,
    pub hold_review_on: Option<NaiveDate>,
    /// Whole days spent on hold before the last resume.
    pub held_days: i32,
    /// When the worker found the consent it shares under ended
    /// (`consent.expired`): the caseworker's flag.
    pub consent_expired_at: Option<NaiveDateTime>,
}

impl ReferralRow {
    /// The hold now, while the referral is on hold.
    pub fn on_hold(&self) -> Option<OnHold> {
        if self.status != ReferralStatus::OnHold {
            return None;
        }
        OnHold::of(
            self.on_hold_since,
            self.hold_reason.clone(),
            self.hold_review_on,
        )
    }
}

/// A `referrals` row as written when a case is sent (the later steps'
/// columns empty).
#[derive(Insertable)]
#[diesel(table_name = referrals, treat_none_as_default_value = false)]
pub struct NewReferralRow<'a> {
    pub id: &'a str,
    pub return_case_id: &'a str,
    pub partner_id: &'a str,
    pub consent_id: &'a str,
    pub status: ReferralStatus,
    pub sent_at: NaiveDateTime,
    pub sent_by: &'a str,
    pub acknowledge_due_on: NaiveDate,
    pub decide_due_on: NaiveDate,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub departed_on: Option<NaiveDate>,
    pub arrived_on: Option<NaiveDate>,
    pub closed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub arrival_received: Option<bool>,
    pub outcome: Option<Ending>,
}

/// One step in a referral's history, as read.
#[derive(Debug, Clone, PartialEq, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = referral_history)]
pub struct HistoryEntry {
    pub status: ReferralStatus,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub at: NaiveDateTime,
    /// `staff`, `partner` or `system`.
    pub by_type: String,
    /// The user's or partner's id.
    #[diesel(column_name = by_id)]
    pub by: String,
    pub reason: Option<String>,
    /// The decline's code (FHIR `Task.statusReason`) on the entry that
    /// reached `rejected`; `null` on every other.
    #[diesel(column_name = reason_code)]
    #[serde(serialize_with = "serialize_status_reason")]
    #[schema(value_type = Option<StatusReason>)]
    pub status_reason: Option<DeclineReason>,
}

/// One step in a referral's history, as written.
#[derive(Insertable)]
#[diesel(table_name = referral_history, treat_none_as_default_value = false)]
pub struct NewHistoryRow<'a> {
    pub referral_id: &'a str,
    pub seq: i32,
    pub status: ReferralStatus,
    pub at: NaiveDateTime,
    pub by_type: &'a str,
    pub by_id: &'a str,
    pub reason: Option<&'a str>,
    pub reason_code: Option<DeclineReason>,
    /// A resume's return to `accepted` (not a new acceptance).
    pub resumed: bool,
}

/// What a history step records besides its status and author.
#[derive(Debug, Clone, Copy, Default)]
pub struct StepNote<'a> {
    pub reason: Option<&'a str>,
    pub reason_code: Option<DeclineReason>,
    pub resumed: bool,
}

impl<'a> StepNote<'a> {
    pub fn reason(reason: Option<&'a str>) -> Self {
        Self {
            reason,
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReferralView {
    pub id: String,
    pub return_case_id: String,
    pub partner_id: String,
    pub consent_id: String,
    pub status: ReferralStatus,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub sent_at: NaiveDateTime,
    /// When the partner should have acknowledged, and decided, by (SLA).
    pub acknowledge_due_on: NaiveDate,
    pub decide_due_on: NaiveDate,
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub acknowledged_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub decided_at: Option<NaiveDateTime>,
    pub departed_on: Option<NaiveDate>,
    pub arrived_on: Option<NaiveDate>,
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub closed_at: Option<NaiveDateTime>,
    /// Whether the partner received the person on arrival.
    pub arrival_received: Option<bool>,
    /// How the referral ended, once closed.
    pub outcome: Option<Ending>,
    /// Why the partner declined, once `rejected` (FHIR `Task.statusReason`).
    #[serde(serialize_with = "serialize_status_reason")]
    #[schema(value_type = Option<StatusReason>)]
    pub status_reason: Option<DeclineReason>,
    /// While `on_hold`: since when, why, and when the partner reviews it;
    /// `null` otherwise.
    pub on_hold: Option<OnHold>,
    pub monitoring_visits: Vec<VisitView>,
    pub reintegration_plan: Option<PlanView>,
    pub history: Vec<HistoryEntry>,
    /// Whole days spent on hold before the last resume: the not-departed
    /// deadline moves back by as many.
    pub held_days: i32,
    /// When Brug found the consent this referral shares under ended: the
    /// partner sees nothing of what it covered since its `valid_until`
    /// passed. `null` while it holds (or never ends).
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub consent_expired_at: Option<NaiveDateTime>,
    /// What needs the caseworker now: `acknowledge_overdue`,
    /// `decision_overdue`, `not_departed`, and `consent_expired` while the
    /// referral is open without a consent that holds.
    pub flags: Vec<&'static str>,
}

impl ReferralView {
    /// A checklist exists once the partner accepted.
    pub fn has_checklist(&self) -> bool {
        self.decided_at.is_some() && self.status != ReferralStatus::Rejected
    }

    /// The SLA clock of a referral, for its flags.
    pub fn clock(&self, planned_departure_on: NaiveDate) -> SlaClock {
        SlaClock {
            status: self.status,
            acknowledged: self.acknowledged_at.is_some(),
            decided: self.decided_at.is_some(),
            acknowledge_due_on: self.acknowledge_due_on,
            decide_due_on: self.decide_due_on,
            planned_departure_on,
            departed: self.departed_on.is_some(),
            held_days: i64::from(self.held_days),
        }
    }
}

pub fn history(conn: &mut DbConn, referral_id: &str) -> Result<Vec<HistoryEntry>, DbError> {
    Ok(referral_history::table
        .filter(referral_history::referral_id.eq(referral_id))
        .order(referral_history::seq.asc())
        .select(HistoryEntry::as_select())
        .load(conn)?)
}

/// The staff's view of a referral, its monitoring shown as of `today`.
pub fn view(
    conn: &mut DbConn,
    row: ReferralRow,
    today: NaiveDate,
) -> Result<ReferralView, DbError> {
    let history = history(conn, &row.id)?;
    let monitoring_visits = crate::monitoring::store::visits(conn, &row.id, today)?;
    let reintegration_plan = after_departure::plan(conn, &row.id)?;
    let on_hold = row.on_hold();
    Ok(ReferralView {
        id: row.id,
        return_case_id: row.return_case_id,
        partner_id: row.partner_id,
        consent_id: row.consent_id,
        status: row.status,
        sent_at: row.sent_at,
        acknowledge_due_on: row.acknowledge_due_on,
        decide_due_on: row.decide_due_on,
        acknowledged_at: row.acknowledged_at,
        decided_at: row.decided_at,
        departed_on: row.departed_on,
        arrived_on: row.arrived_on,
        closed_at: row.closed_at,
        arrival_received: row.arrival_received,
        outcome: row.outcome,
        status_reason: row.decline_reason_code,
        on_hold,
        monitoring_visits,
        reintegration_plan,
        history,
        held_days: row.held_days,
        consent_expired_at: row.consent_expired_at,
        flags: Vec::new(),
    })
}

pub fn get_row(conn: &mut DbConn, id: &str) -> Result<Option<ReferralRow>, DbError> {
    Ok(referrals::table
        .find(id)
        .select(ReferralRow::as_select())
        .first(conn)
        .optional()?)
}

/// A referral written a moment ago in this transaction.
pub fn reread(conn: &mut DbConn, id: &str) -> domain::Outcome<ReferralRow> {
    get_row(conn, id)?.ok_or_else(|| CommandError::Internal(format!("referral {id} vanished")))
}

/// The partner's own referral; another partner's is "not found", and the
/// attempt is recorded in the audit log as refused. Every partner command
/// and query finds its referral here.
pub fn own(
    conn: &mut DbConn,
    by: &crate::audit::AuditContext,
    id: &str,
    partner_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> domain::Outcome<ReferralRow> {
    let row = get_row(conn, id)?;
    if row.as_ref().is_some_and(|row| row.partner_id != partner_id) {
        by.record_refused("referral", id, now)?;
    }
    Ok(super::own(row, partner_id, |row| row.partner_id.as_str())?)
}

/// A referral the staff may move, or "not found".
pub fn any(conn: &mut DbConn, id: &str) -> domain::Outcome<ReferralRow> {
    Ok(get_row(conn, id)?.ok_or(Refusal::not_found("referral"))?)
}

pub fn for_case(
    conn: &mut DbConn,
    case_id: &str,
    today: NaiveDate,
) -> Result<Vec<ReferralView>, DbError> {
    let rows: Vec<ReferralRow> = referrals::table
        .filter(referrals::return_case_id.eq(case_id))
        .order((referrals::sent_at.asc(), referrals::id.asc()))
        .select(ReferralRow::as_select())
        .load(conn)?;
    rows.into_iter().map(|row| view(conn, row, today)).collect()
}

pub fn insert(conn: &mut DbConn, row: &NewReferralRow<'_>) -> Result<(), DbError> {
    diesel::insert_into(referrals::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn push_history(
    conn: &mut DbConn,
    referral_id: &str,
    status: ReferralStatus,
    actor: &Actor,
    note: StepNote<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let last: Option<i32> = referral_history::table
        .filter(referral_history::referral_id.eq(referral_id))
        .select(diesel::dsl::max(referral_history::seq))
        .first(conn)?;
    let row = NewHistoryRow {
        referral_id,
        seq: last.unwrap_or(0) + 1,
        status,
        at: now.naive_utc(),
        by_type: actor.kind,
        by_id: &actor.id,
        reason: note.reason,
        reason_code: note.reason_code,
        resumed: note.resumed,
    };
    diesel::insert_into(referral_history::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

/// Moves a referral from `from` to `to` and stamps what the step records;
/// false when it was no longer in `from` (a concurrent move).
pub fn move_status(
    conn: &mut DbConn,
    id: &str,
    from: ReferralStatus,
    to: ReferralStatus,
    action: Action,
    departed_on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let stamp = now.naive_utc();
    let target = referrals::table.find(id);
    let moved = diesel::update(target.filter(referrals::status.eq(from)))
        .set((referrals::status.eq(to), referrals::updated_at.eq(stamp)))
        .execute(conn)?;
    if moved == 0 {
        return Ok(false);
    }
    match action {
        Action::Acknowledge => {
            diesel::update(target)
                .set(referrals::acknowledged_at.eq(stamp))
                .execute(conn)?;
        }
        Action::Accept | Action::Decline => {
            diesel::update(target)
                .set(referrals::decided_at.eq(stamp))
                .execute(conn)?;
        }
        Action::Depart => {
            diesel::update(target)
                .set(referrals::departed_on.eq(departed_on))
                .execute(conn)?;
        }
        Action::Complete | Action::Fail | Action::Cancel => {
            diesel::update(target)
                .set(referrals::closed_at.eq(stamp))
                .execute(conn)?;
        }
        // What a hold and a resume record is in `hold`.
        Action::Hold | Action::Resume => {}
    }
    Ok(true)
}

/// A partner's referrals, newest first, optionally in one status.
pub fn for_partner(
    conn: &mut DbConn,
    partner_id: &str,
    status: Option<ReferralStatus>,
    before: Option<&str>,
    fetch: i64,
) -> Result<Vec<ReferralRow>, DbError> {
    let mut query = referrals::table
        .filter(referrals::partner_id.eq(partner_id.to_owned()))
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(referrals::status.eq(status));
    }
    if let Some(before) = before {
        query = query.filter(referrals::id.lt(before.to_owned()));
    }
    Ok(query
        .order(referrals::id.desc())
        .limit(fetch)
        .select(ReferralRow::as_select())
        .load(conn)?)
}

/// A partner's open (or closed) referrals, newest first.
pub fn for_partner_by_openness(
    conn: &mut DbConn,
    partner_id: &str,
    open: bool,
    limit: i64,
) -> Result<Vec<ReferralRow>, DbError> {
    let open_statuses = ReferralStatus::open();
    let query = referrals::table
        .filter(referrals::partner_id.eq(partner_id.to_owned()))
        .into_boxed();
    let query = if open {
        query.filter(referrals::status.eq_any(open_statuses))
    } else {
        query.filter(referrals::status.ne_all(open_statuses))
    };
    Ok(query
        .order(referrals::id.desc())
        .limit(limit)
        .select(ReferralRow::as_select())
        .load(conn)?)
}

/// The case's accepted referral, if any.
pub fn accepted_for_case(conn: &mut DbConn, case_id: &str) -> Result<Option<ReferralRow>, DbError> {
    Ok(referrals::table
        .filter(referrals::return_case_id.eq(case_id))
        .filter(referrals::status.eq(ReferralStatus::Accepted))
        .select(ReferralRow::as_select())
        .first(conn)
        .optional()?)
}

/// The case's open referral, if any.
pub fn open_on_case(conn: &mut DbConn, case_id: &str) -> Result<Option<String>, DbError> {
    Ok(referrals::table
        .filter(referrals::return_case_id.eq(case_id))
        .filter(referrals::status.eq_any(ReferralStatus::open()))
        .select(referrals::id)
        .first(conn)
        .optional()?)
}

/// The open referrals that rely on a consent.
pub fn open_under_consent(
    conn: &mut DbConn,
    consent_id: &str,
) -> Result<Vec<ReferralRow>, DbError> {
    Ok(referrals::table
        .filter(referrals::consent_id.eq(consent_id))
        .filter(referrals::status.eq_any(ReferralStatus::open()))
        .select(ReferralRow::as_select())
        .load(conn)?)
}

/// Records the code of a decline on its referral.
pub fn set_decline_code(conn: &mut DbConn, id: &str, code: DeclineReason) -> Result<(), DbError> {
    diesel::update(referrals::table.find(id))
        .set(referrals::decline_reason_code.eq(Some(code)))
        .execute(conn)?;
    Ok(())
}

/// Puts a referral on hold from `now`, with its reason and review date.
pub fn set_hold(
    conn: &mut DbConn,
    id: &str,
    reason: &str,
    review_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::update(referrals::table.find(id))
        .set((
            referrals::on_hold_since.eq(Some(now.naive_utc())),
            referrals::hold_reason.eq(Some(reason)),
            referrals::hold_review_on.eq(Some(review_on)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ends a hold: its whole days are added to the days held (the SLA clock
/// stood still for them).
pub fn clear_hold(conn: &mut DbConn, row: &ReferralRow, now: DateTime<Utc>) -> Result<(), DbError> {
    let days = row.on_hold_since.map_or(0, |since| {
        (now.date_naive() - since.date()).num_days().max(0)
    });
    let held = i64::from(row.held_days).saturating_add(days);
    diesel::update(referrals::table.find(&row.id))
        .set((
            referrals::on_hold_since.eq(None::<NaiveDateTime>),
            referrals::hold_reason.eq(None::<String>),
            referrals::hold_review_on.eq(None::<NaiveDate>),
            referrals::held_days.eq(i32::try_from(held).unwrap_or(i32::MAX)),
        ))
        .execute(conn)?;
    Ok(())
}
