//! Referrals' queries: sending under consent, moving through the state
//! machine (with history, case history and an outbox event in the same
//! transaction), the departure checklist, and the partner's minimised view.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{
    Action, ChecklistOwner, ChecklistStatus, ChecklistTemplateItem, NewReferral, ReferralStatus,
    Visibility, add_working_days,
};
use crate::audit::Actor;
use crate::cases::store::{self as cases, CaseRow};
use crate::config::SlaSettings;
use crate::consent::store as consents;
use crate::consent::{ConsentStatus, DataCategory};
use crate::db::schema::{
    checklist_items, clients, partner_service_areas, partners, referral_history, referrals,
};
use crate::db::{DbConn, DbError};
use crate::domain::split_list;
use crate::events::store as events;
use crate::http::{AppError, FieldError, Problem};

#[derive(Debug, Clone, Queryable)]
pub struct ReferralRow {
    pub id: String,
    pub return_case_id: String,
    pub partner_id: String,
    pub consent_id: String,
    pub status: String,
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
    /// How a closed referral ended (`completed`, `lost_contact`, ...).
    pub outcome: Option<String>,
}

impl ReferralRow {
    pub fn status(&self) -> ReferralStatus {
        ReferralStatus::parse(&self.status).unwrap_or(ReferralStatus::Cancelled)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Queryable)]
pub struct HistoryEntry {
    pub status: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub at: NaiveDateTime,
    /// `staff`, `partner` or `system`.
    pub by_type: String,
    /// The user's or partner's id.
    pub by: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferralView {
    pub id: String,
    pub return_case_id: String,
    pub partner_id: String,
    pub consent_id: String,
    pub status: String,
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
    pub outcome: Option<String>,
    pub monitoring_visits: Vec<crate::monitoring::store::VisitView>,
    pub reintegration_plan: Option<super::plan::PlanView>,
    pub history: Vec<HistoryEntry>,
    /// What is late now: `acknowledge_overdue`, `decision_overdue`, `not_departed`.
    pub flags: Vec<&'static str>,
}

impl ReferralView {
    /// A checklist exists once the partner accepted.
    pub fn has_checklist(&self) -> bool {
        self.decided_at.is_some() && self.status != ReferralStatus::Rejected.as_str()
    }
}

fn history(conn: &mut DbConn, referral_id: &str) -> Result<Vec<HistoryEntry>, DbError> {
    Ok(referral_history::table
        .filter(referral_history::referral_id.eq(referral_id))
        .order(referral_history::seq.asc())
        .select((
            referral_history::status,
            referral_history::at,
            referral_history::by_type,
            referral_history::by_id,
            referral_history::reason,
        ))
        .load(conn)?)
}

pub fn view(conn: &mut DbConn, row: ReferralRow) -> Result<ReferralView, DbError> {
    let history = history(conn, &row.id)?;
    let monitoring_visits =
        crate::monitoring::store::visits(conn, &row.id, Utc::now().date_naive())?;
    let reintegration_plan = super::plan::get(conn, &row.id)?;
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
        monitoring_visits,
        reintegration_plan,
        history,
        flags: Vec::new(),
    })
}

/// The SLA clock of a referral, for its flags.
pub fn clock(view: &ReferralView, planned_departure_on: NaiveDate) -> super::SlaClock {
    super::SlaClock {
        status: ReferralStatus::parse(&view.status).unwrap_or(ReferralStatus::Cancelled),
        acknowledged: view.acknowledged_at.is_some(),
        decided: view.decided_at.is_some(),
        acknowledge_due_on: view.acknowledge_due_on,
        decide_due_on: view.decide_due_on,
        planned_departure_on,
        departed: view.departed_on.is_some(),
    }
}

pub fn get_row(conn: &mut DbConn, id: &str) -> Result<Option<ReferralRow>, DbError> {
    Ok(referrals::table.find(id).first(conn).optional()?)
}

pub fn for_case(conn: &mut DbConn, case_id: &str) -> Result<Vec<ReferralView>, DbError> {
    let rows: Vec<ReferralRow> = referrals::table
        .filter(referrals::return_case_id.eq(case_id))
        .order((referrals::sent_at.asc(), referrals::id.asc()))
        .load(conn)?;
    rows.into_iter().map(|row| view(conn, row)).collect()
}

fn push_history(
    conn: &mut DbConn,
    referral_id: &str,
    status: ReferralStatus,
    actor: &Actor,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let last: Option<i32> = referral_history::table
        .filter(referral_history::referral_id.eq(referral_id))
        .select(diesel::dsl::max(referral_history::seq))
        .first(conn)?;
    diesel::insert_into(referral_history::table)
        .values((
            referral_history::referral_id.eq(referral_id),
            referral_history::seq.eq(last.unwrap_or(0) + 1),
            referral_history::status.eq(status.as_str()),
            referral_history::at.eq(now.naive_utc()),
            referral_history::by_type.eq(actor.kind),
            referral_history::by_id.eq(&actor.id),
            referral_history::reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(())
}

fn publish(
    conn: &mut DbConn,
    row: &ReferralRow,
    status: ReferralStatus,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    events::publish(
        conn,
        status.event_type(),
        &row.partner_id,
        Some(&row.id),
        json!({"referral_id": row.id, "return_case_id": row.return_case_id, "status": status.as_str()}),
        now,
    )
    .map(|_| ())
}

fn conflict(slug: &'static str, detail: impl Into<String>) -> AppError {
    Problem::new(
        actix_web::http::StatusCode::CONFLICT,
        slug,
        "Conflict",
        detail,
    )
    .into()
}

fn serves(conn: &mut DbConn, partner_id: &str, country: &str) -> Result<bool, DbError> {
    let count: i64 = partner_service_areas::table
        .filter(partner_service_areas::partner_id.eq(partner_id))
        .filter(partner_service_areas::country.eq(country))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// Sends a case to a partner under a consent that covers it; one open
/// referral per case.
pub fn send(
    conn: &mut DbConn,
    case_id: &str,
    staff_id: &str,
    input: &NewReferral,
    sla: &SlaSettings,
    now: DateTime<Utc>,
) -> Result<ReferralView, AppError> {
    let case = cases::row(conn, case_id)?.ok_or_else(|| AppError::not_found("return case"))?;
    if case.status != "open" {
        return Err(conflict("case-closed", "This return case is closed."));
    }
    let partner_id = input.partner_id.as_str();
    let partner: Option<(String, Option<i32>, Option<i32>)> = partners::table
        .find(partner_id)
        .select((
            partners::status,
            partners::sla_acknowledge_working_days,
            partners::sla_decide_working_days,
        ))
        .first(conn)
        .optional()?;
    let Some((partner_status, ack_override, decide_override)) = partner else {
        return Err(AppError::validation(vec![FieldError::new(
            "partner_id",
            "is not a partner in the directory",
        )]));
    };
    let consent_id = input.consent_id.to_string();
    let today = now.date_naive();
    let consent = consents::get(conn, &consent_id, today)?;
    let consent = match consent {
        Some(consent) if consent.client_id == case.client_id => consent,
        _ => {
            return Err(AppError::validation(vec![FieldError::new(
                "consent_id",
                "is not a consent of this client",
            )]));
        }
    };
    if !serves(conn, partner_id, &case.destination_country)? {
        return Err(AppError::validation(vec![FieldError::new(
            "partner_id",
            format!("does not work in {}", case.destination_country),
        )]));
    }
    if partner_status != "active" {
        return Err(conflict(
            "partner-not-active",
            format!("{partner_id} is {partner_status} and takes no new referrals."),
        ));
    }
    let mut missing = Vec::new();
    if consent.status != ConsentStatus::Active {
        missing.push(format!(
            "the consent is {}",
            serde_json::json!(consent.status)
                .as_str()
                .unwrap_or("not active")
        ));
    }
    if consent.purpose != "referral" {
        missing.push("the consent is not for referral".to_owned());
    }
    let covers = consent.partner_id.as_deref() == Some(partner_id)
        || consent.country.as_deref() == Some(case.destination_country.as_str());
    if !covers {
        let scope = consent
            .partner_id
            .clone()
            .or(consent.country.clone().map(|c| format!("partners in {c}")))
            .unwrap_or_default();
        missing.push(format!("the consent covers {scope}, not {partner_id}"));
    }
    if !missing.is_empty() {
        return Err(Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            "consent-missing",
            "Conflict",
            format!(
                "No valid consent covers this referral: {}.",
                missing.join("; ")
            ),
        )
        .with_extension("missing", json!(missing))
        .into());
    }
    let open = ReferralStatus::open_statuses();
    let already: Option<String> = referrals::table
        .filter(referrals::return_case_id.eq(case_id))
        .filter(referrals::status.eq_any(&open))
        .select(referrals::id)
        .first(conn)
        .optional()?;
    if let Some(existing) = already {
        return Err(Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            "referral-open",
            "Conflict",
            "This case has an open referral; cancel it, or wait for the partner's decision, first.",
        )
        .with_extension("open_referral_id", existing)
        .into());
    }
    let days =
        |n: Option<i32>, default: u32| n.and_then(|n| u32::try_from(n).ok()).unwrap_or(default);
    let id = uuid::Uuid::now_v7().to_string();
    let stamp = now.naive_utc();
    diesel::insert_into(referrals::table)
        .values((
            referrals::id.eq(&id),
            referrals::return_case_id.eq(case_id),
            referrals::partner_id.eq(partner_id),
            referrals::consent_id.eq(&consent_id),
            referrals::status.eq(ReferralStatus::Requested.as_str()),
            referrals::sent_at.eq(stamp),
            referrals::sent_by.eq(staff_id),
            referrals::acknowledge_due_on.eq(add_working_days(
                today,
                days(ack_override, sla.acknowledge_working_days),
            )),
            referrals::decide_due_on.eq(add_working_days(
                today,
                days(decide_override, sla.decide_working_days),
            )),
            referrals::updated_at.eq(stamp),
        ))
        .execute(conn)?;
    let actor = Actor::staff(staff_id);
    push_history(conn, &id, ReferralStatus::Requested, &actor, None, now)?;
    cases::add_history(
        conn,
        case_id,
        &actor,
        "referral_sent",
        Some(partner_id),
        now,
    )?;
    let row = get_row(conn, &id)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("referral {id} vanished")))?;
    publish(conn, &row, ReferralStatus::Requested, now)?;
    Ok(view(conn, row)?)
}

/// What a transition needs besides the action.
pub struct Move<'a> {
    pub action: Action,
    pub actor: Actor,
    pub reason: Option<&'a str>,
    /// A partner may only move its own referrals; others are "not found".
    pub partner_scope: Option<&'a str>,
    pub departed_on: Option<NaiveDate>,
    pub checklist: &'a [ChecklistTemplateItem],
}

/// Moves a referral by the state machine; 409 lists what is allowed now.
pub fn transition(
    conn: &mut DbConn,
    referral_id: &str,
    step: Move<'_>,
    now: DateTime<Utc>,
) -> Result<ReferralRow, AppError> {
    let row = get_row(conn, referral_id)?
        .filter(|row| {
            step.partner_scope
                .is_none_or(|partner| partner == row.partner_id)
        })
        .ok_or_else(|| AppError::not_found("referral"))?;
    let current = row.status();
    let Some(next) = current.after(step.action) else {
        // A partner is told only the steps it may take itself.
        let allowed: Vec<&str> = current
            .allowed()
            .into_iter()
            .filter(|a| step.partner_scope.is_none() || a.by_partner())
            .map(|a| a.as_str())
            .collect();
        return Err(Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            "transition-not-allowed",
            "Conflict",
            format!(
                "A referral that is {} cannot {} now.",
                current.as_str(),
                step.action.as_str()
            ),
        )
        .with_extension("current_status", current.as_str())
        .with_extension("allowed_transitions", json!(allowed))
        .into());
    };
    let stamp = now.naive_utc();
    let target = referrals::table.find(&row.id);
    // Only from the status just read: a concurrent move makes this one a 409.
    let moved = diesel::update(target.filter(referrals::status.eq(current.as_str())))
        .set((
            referrals::status.eq(next.as_str()),
            referrals::updated_at.eq(stamp),
        ))
        .execute(conn)?;
    if moved == 0 {
        return Err(conflict(
            "changed-meanwhile",
            "The referral changed while this request ran; fetch it and try again.",
        ));
    }
    match step.action {
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
                .set(referrals::departed_on.eq(step.departed_on))
                .execute(conn)?;
        }
        Action::Complete | Action::Fail | Action::Cancel => {
            diesel::update(target)
                .set(referrals::closed_at.eq(stamp))
                .execute(conn)?;
        }
    }
    push_history(conn, &row.id, next, &step.actor, step.reason, now)?;
    let change = format!("referral_{}", next.as_str());
    cases::add_history(
        conn,
        &row.return_case_id,
        &step.actor,
        &change,
        step.reason,
        now,
    )?;
    if step.action == Action::Accept {
        let case = cases::row(conn, &row.return_case_id)?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("case of {} vanished", row.id)))?;
        create_checklist(conn, &row.id, &case, step.checklist, &step.actor, now)?;
    }
    let moved = get_row(conn, &row.id)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("referral vanished")))?;
    publish(conn, &moved, next, now)?;
    Ok(moved)
}

/// The fixed reason of a cancellation by consent withdrawal.
pub const CONSENT_WITHDRAWN: &str = "consent withdrawn";

/// Cancels every open referral that relies on a consent being withdrawn,
/// and tells each partner. Returns the referrals cancelled.
pub fn cancel_for_consent(
    conn: &mut DbConn,
    consent_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<ReferralRow>, AppError> {
    let relying: Vec<ReferralRow> = referrals::table
        .filter(referrals::consent_id.eq(consent_id))
        .filter(referrals::status.eq_any(ReferralStatus::open_statuses()))
        .load(conn)?;
    let mut cancelled = Vec::new();
    for row in relying {
        let step = Move {
            action: Action::Cancel,
            actor: actor.clone(),
            reason: Some(CONSENT_WITHDRAWN),
            partner_scope: None,
            departed_on: None,
            checklist: &[],
        };
        let moved = transition(conn, &row.id, step, now)?;
        events::publish(
            conn,
            "consent.withdrawn",
            &moved.partner_id,
            Some(&moved.id),
            json!({"consent_id": consent_id, "referral_id": moved.id}),
            now,
        )?;
        cancelled.push(moved);
    }
    Ok(cancelled)
}

/// The case's accepted referral, if any.
pub fn accepted_for_case(conn: &mut DbConn, case_id: &str) -> Result<Option<ReferralRow>, DbError> {
    Ok(referrals::table
        .filter(referrals::return_case_id.eq(case_id))
        .filter(referrals::status.eq(ReferralStatus::Accepted.as_str()))
        .first(conn)
        .optional()?)
}

#[derive(Debug, Clone, PartialEq, Serialize, Queryable)]
pub struct ChecklistItemView {
    pub id: String,
    #[serde(skip)]
    pub referral_id: String,
    #[serde(skip)]
    pub position: i32,
    pub kind: String,
    pub owner: String,
    pub due_on: NaiveDate,
    pub status: String,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub updated_at: NaiveDateTime,
    #[serde(skip)]
    pub updated_by_type: String,
    #[serde(skip)]
    pub updated_by_id: String,
}

fn create_checklist(
    conn: &mut DbConn,
    referral_id: &str,
    case: &CaseRow,
    template: &[ChecklistTemplateItem],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    for (position, item) in template.iter().enumerate() {
        let due_on =
            case.planned_departure_on - Duration::days(i64::from(item.days_before_departure));
        diesel::insert_into(checklist_items::table)
            .values((
                checklist_items::id.eq(uuid::Uuid::now_v7().to_string()),
                checklist_items::referral_id.eq(referral_id),
                checklist_items::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                checklist_items::kind.eq(&item.kind),
                checklist_items::owner.eq(item.owner.as_str()),
                checklist_items::due_on.eq(due_on),
                checklist_items::status.eq(ChecklistStatus::Open.as_str()),
                checklist_items::updated_at.eq(now.naive_utc()),
                checklist_items::updated_by_type.eq(actor.kind),
                checklist_items::updated_by_id.eq(&actor.id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn checklist(conn: &mut DbConn, referral_id: &str) -> Result<Vec<ChecklistItemView>, DbError> {
    Ok(checklist_items::table
        .filter(checklist_items::referral_id.eq(referral_id))
        .order(checklist_items::position.asc())
        .load(conn)?)
}

pub fn checklist_item(
    conn: &mut DbConn,
    item_id: &str,
) -> Result<Option<ChecklistItemView>, DbError> {
    Ok(checklist_items::table
        .find(item_id)
        .first(conn)
        .optional()?)
}

/// A change to a checklist item; what is absent stays.
#[derive(Debug, Clone, Default)]
pub struct ItemChange {
    pub status: Option<ChecklistStatus>,
    pub note: Option<Option<String>>,
    pub due_on: Option<NaiveDate>,
    pub owner: Option<ChecklistOwner>,
}

pub fn update_item(
    conn: &mut DbConn,
    item: &ChecklistItemView,
    change: &ItemChange,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ChecklistItemView, AppError> {
    let referral = get_row(conn, &item.referral_id)?.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("referral of item {} vanished", item.id))
    })?;
    if !referral.status().is_open() {
        return Err(conflict(
            "referral-closed",
            format!(
                "The referral is {}; its checklist is closed.",
                referral.status
            ),
        ));
    }
    let target = checklist_items::table.find(&item.id);
    if let Some(status) = change.status {
        diesel::update(target)
            .set(checklist_items::status.eq(status.as_str()))
            .execute(conn)?;
    }
    if let Some(note) = &change.note {
        diesel::update(target)
            .set(checklist_items::note.eq(note.as_deref()))
            .execute(conn)?;
    }
    if let Some(due_on) = change.due_on {
        diesel::update(target)
            .set(checklist_items::due_on.eq(due_on))
            .execute(conn)?;
    }
    if let Some(owner) = change.owner {
        diesel::update(target)
            .set(checklist_items::owner.eq(owner.as_str()))
            .execute(conn)?;
    }
    diesel::update(target)
        .set((
            checklist_items::updated_at.eq(now.naive_utc()),
            checklist_items::updated_by_type.eq(actor.kind),
            checklist_items::updated_by_id.eq(&actor.id),
        ))
        .execute(conn)?;
    events::publish(
        conn,
        "checklist.updated",
        &referral.partner_id,
        Some(&referral.id),
        json!({"referral_id": referral.id, "checklist_item_id": item.id}),
        now,
    )?;
    checklist_item(conn, &item.id)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("item vanished")))
}

/// Open referrals per partner, for capacity.
pub fn open_counts(conn: &mut DbConn) -> Result<HashMap<String, u32>, DbError> {
    let rows: Vec<(String, i64)> = referrals::table
        .filter(referrals::status.eq_any(ReferralStatus::open_statuses()))
        .group_by(referrals::partner_id)
        .select((referrals::partner_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(partner, n)| (partner, u32::try_from(n).unwrap_or(u32::MAX)))
        .collect())
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
        query = query.filter(referrals::status.eq(status.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(referrals::id.lt(before.to_owned()));
    }
    Ok(query.order(referrals::id.desc()).limit(fetch).load(conn)?)
}

/// What a partner sees of a referral: the client's reference and
/// destination always; the rest only as far as a valid consent allows.
/// Never talk notes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartnerReferralView {
    pub id: String,
    pub status: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub sent_at: NaiveDateTime,
    pub acknowledge_due_on: NaiveDate,
    pub decide_due_on: NaiveDate,
    pub destination_country: String,
    pub destination_region: Option<String>,
    pub planned_departure_on: NaiveDate,
    pub departed_on: Option<NaiveDate>,
    pub arrived_on: Option<NaiveDate>,
    /// The data categories shared now; empty once consent is withdrawn or expired.
    pub shared_categories: Vec<String>,
    pub client: Map<String, Value>,
    pub checklist: Vec<ChecklistItemView>,
    pub monitoring_visits: Vec<crate::monitoring::store::VisitView>,
    pub reintegration_plan: Option<super::plan::PlanView>,
    pub outcome: Option<String>,
    pub history: Vec<PartnerHistoryEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartnerHistoryEntry {
    pub status: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub at: NaiveDateTime,
    /// `staff`, `partner` or `system`: staff members are not named to partners.
    pub by_type: String,
    pub reason: Option<String>,
}

type ClientFields = (String, String, String, NaiveDate, String, Option<String>);

fn client_fields(conn: &mut DbConn, id: &str) -> Result<Option<ClientFields>, DbError> {
    Ok(clients::table
        .find(id)
        .select((
            clients::reference,
            clients::given_name,
            clients::family_name,
            clients::date_of_birth,
            clients::languages,
            clients::location,
        ))
        .first(conn)
        .optional()?)
}

pub fn partner_view(
    conn: &mut DbConn,
    row: ReferralRow,
    today: NaiveDate,
) -> Result<PartnerReferralView, AppError> {
    let case = cases::row(conn, &row.return_case_id)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("case of {} vanished", row.id)))?;
    let consent = consents::get(conn, &row.consent_id, today)?;
    // Shared only while the referral runs and its consent holds: a declined,
    // cancelled or closed referral shows the reference and destination alone.
    let categories: Vec<DataCategory> = match &consent {
        Some(consent) if consent.status == ConsentStatus::Active && row.status().is_open() => {
            consent
                .data_categories
                .iter()
                .filter_map(|c| DataCategory::parse(c))
                .collect()
        }
        _ => Vec::new(),
    };
    let can = Visibility::from_categories(&categories);
    let (reference, given, family, born, languages, location) =
        client_fields(conn, &case.client_id)?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("client of {} vanished", case.id)))?;
    let mut client = Map::new();
    client.insert("reference".into(), json!(reference));
    if can.identity {
        client.insert("given_name".into(), json!(given));
        client.insert("family_name".into(), json!(family));
        client.insert("date_of_birth".into(), json!(born));
    }
    if can.contact {
        client.insert(
            "languages".into(),
            json!(split_list(&languages, |s| Some(s.to_owned()))),
        );
        client.insert("location".into(), json!(location));
    }
    if can.family {
        let members: Vec<String> = split_list(&case.household_member_ids, |s| Some(s.to_owned()));
        let mut household = Vec::new();
        for member in members {
            // Members have consents of their own: under this client's
            // consent a partner learns only who travels along.
            if let Some((reference, ..)) = client_fields(conn, &member)? {
                household.push(json!({"reference": reference}));
            }
        }
        client.insert("household".into(), json!(household));
    }
    if can.needs {
        client.insert(
            "needs".into(),
            json!(split_list(&case.needs, |s| Some(s.to_owned()))),
        );
    }
    // Staff's free text stays inside the organisation: partners see their
    // own reasons and notes, and the fixed reason of a consent withdrawal.
    let history = history(conn, &row.id)?
        .into_iter()
        .map(|h| PartnerHistoryEntry {
            reason: h
                .reason
                .filter(|r| h.by_type == "partner" || r == CONSENT_WITHDRAWN),
            status: h.status,
            at: h.at,
            by_type: h.by_type,
        })
        .collect();
    let monitoring_visits = crate::monitoring::store::visits(conn, &row.id, today)?;
    let reintegration_plan = super::plan::get(conn, &row.id)?;
    let checklist = checklist(conn, &row.id)?
        .into_iter()
        .map(|mut item| {
            if item.owner != ChecklistOwner::Partner.as_str() {
                item.note = None;
            }
            item
        })
        .collect();
    Ok(PartnerReferralView {
        id: row.id,
        status: row.status,
        sent_at: row.sent_at,
        acknowledge_due_on: row.acknowledge_due_on,
        decide_due_on: row.decide_due_on,
        destination_country: case.destination_country,
        destination_region: case.destination_region,
        planned_departure_on: case.planned_departure_on,
        departed_on: row.departed_on,
        arrived_on: row.arrived_on,
        shared_categories: categories.iter().map(|c| c.as_str().to_owned()).collect(),
        client,
        checklist,
        monitoring_visits,
        reintegration_plan,
        outcome: row.outcome,
        history,
    })
}

/// Requires a referral to be running after departure (arrival, monitoring,
/// closure); otherwise 409 naming its status.
fn after_departure(row: &ReferralRow) -> Result<(), AppError> {
    if row.status() == ReferralStatus::InProgress {
        return Ok(());
    }
    Err(Problem::new(
        actix_web::http::StatusCode::CONFLICT,
        "transition-not-allowed",
        "Conflict",
        format!(
            "The referral is {}: this is for a referral after departure.",
            row.status
        ),
    )
    .with_extension("current_status", row.status.clone())
    .with_extension("allowed_transitions", json!([]))
    .into())
}

/// The partner confirms the arrival; the monitoring visits are scheduled.
pub fn arrive(
    conn: &mut DbConn,
    row: &ReferralRow,
    arrival: &super::Arrival,
    months: &[u32],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ReferralRow, AppError> {
    after_departure(row)?;
    if row.arrived_on.is_some() {
        return Err(conflict(
            "arrived-already",
            "The arrival has been confirmed already.",
        ));
    }
    let departed = row.departed_on.unwrap_or(arrival.arrived_on);
    if arrival.arrived_on < departed || arrival.arrived_on > now.date_naive() {
        return Err(AppError::validation(vec![FieldError::new(
            "arrived_on",
            "must be between the departure and today",
        )]));
    }
    diesel::update(referrals::table.find(&row.id))
        .set((
            referrals::arrived_on.eq(arrival.arrived_on),
            referrals::arrival_received.eq(arrival.received),
            referrals::arrival_note.eq(arrival.note.as_deref().map(str::trim)),
            referrals::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    crate::monitoring::store::schedule_visits(conn, &row.id, arrival.arrived_on, months)?;
    cases::add_history(conn, &row.return_case_id, actor, "arrived", None, now)?;
    events::publish(
        conn,
        "referral.arrived",
        &row.partner_id,
        Some(&row.id),
        json!({"referral_id": row.id, "return_case_id": row.return_case_id}),
        now,
    )?;
    get_row(conn, &row.id)?.ok_or_else(|| AppError::Internal(anyhow::anyhow!("referral vanished")))
}

/// Closes a referral after departure with its outcome, and its case.
pub fn close(
    conn: &mut DbConn,
    row: &ReferralRow,
    outcome: super::Outcome,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ReferralRow, AppError> {
    after_departure(row)?;
    let step = Move {
        action: outcome.action(),
        actor: actor.clone(),
        reason: Some(outcome.as_str()),
        partner_scope: None,
        departed_on: None,
        checklist: &[],
    };
    let moved = transition(conn, &row.id, step, now)?;
    diesel::update(referrals::table.find(&row.id))
        .set(referrals::outcome.eq(outcome.as_str()))
        .execute(conn)?;
    diesel::update(crate::db::schema::return_cases::table.find(&row.return_case_id))
        .set((
            crate::db::schema::return_cases::status.eq("closed"),
            crate::db::schema::return_cases::closed_at.eq(now.naive_utc()),
            crate::db::schema::return_cases::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    cases::add_history(
        conn,
        &row.return_case_id,
        actor,
        "closed",
        Some(outcome.as_str()),
        now,
    )?;
    get_row(conn, &moved.id)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("referral vanished")))
}

/// The partner's own referral, or "not found".
pub fn own(conn: &mut DbConn, id: &str, partner_id: &str) -> Result<ReferralRow, AppError> {
    get_row(conn, id)?
        .filter(|row| row.partner_id == partner_id)
        .ok_or_else(|| AppError::not_found("referral"))
}
