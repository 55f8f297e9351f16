//! After departure: the partner confirms the arrival, submits the
//! reintegration plan (which the staff approve or return), reports the
//! monitoring visits, and closes the referral with its outcome.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::super::plan::NewPlan;
use super::super::store::after_departure::{self as store_after, PlanView};
use super::super::store::partner_view::{PartnerReferralView, partner_view};
use super::super::store::{self};
use super::super::{Arrival, Outcome as Ending, ReferralStatus};
use super::{Move, transition};
use crate::audit::AuditContext;
use crate::cases::store as cases;
use crate::db::{DbConn, Locked, lock_row};
use crate::domain::{CommandError, Conflict, Outcome, Refusal};
use crate::events::store as events;
use crate::monitoring::alerts::commands as alerts;
use crate::monitoring::store::{self as monitoring, VisitView};
use crate::monitoring::{Model, MonitoringReport};

/// The partner confirms the arrival; the monitoring visits are scheduled
/// `months` after it.
pub fn arrive(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    id: &str,
    arrival: &Arrival,
    months: &[u32],
    now: DateTime<Utc>,
) -> Outcome<PartnerReferralView> {
    lock_row(conn, Locked::Referrals, id)?;
    let row = store::own(conn, by, id, partner, now)?;
    row.status.after_departure("arrive")?;
    if row.arrived_on.is_some() {
        return Err(Refusal::conflict(
            Conflict::ArrivedAlready,
            "The arrival has been confirmed already.",
        )
        .into());
    }
    let departed = row.departed_on.unwrap_or(arrival.arrived_on);
    if arrival.arrived_on < departed || arrival.arrived_on > now.date_naive() {
        return Err(Refusal::field("arrived_on", "must be between the departure and today").into());
    }
    store_after::set_arrival(conn, &row.id, arrival, now)?;
    monitoring::schedule_visits(conn, &row.id, arrival.arrived_on, months)?;
    cases::add_history(conn, &row.return_case_id, &by.actor, "arrived", None, now)?;
    events::publish(
        conn,
        "referral.arrived",
        &row.partner_id,
        Some(&row.id),
        json!({"referral_id": row.id, "return_case_id": row.return_case_id}),
        now,
    )?;
    by.record(conn, "referral", &row.id, now)?;
    let row = store::reread(conn, &row.id)?;
    partner_view(conn, row, now.date_naive())
}

/// The partner submits its reintegration plan, or resubmits one that is
/// still awaiting a decision or was returned; an approved plan stands.
pub fn submit_plan(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    id: &str,
    plan: &NewPlan,
    now: DateTime<Utc>,
) -> Outcome<PlanView> {
    lock_row(conn, Locked::Referrals, id)?;
    let row = store::own(conn, by, id, partner, now)?;
    if !matches!(
        row.status,
        ReferralStatus::Accepted | ReferralStatus::InProgress
    ) {
        return Err(row
            .status
            .refuse("submit a plan", "a plan is for an accepted referral")
            .into());
    }
    let current = store_after::plan(conn, &row.id)?;
    let version = match &current {
        Some(plan) => {
            plan.status.resubmit()?;
            plan.version + 1
        }
        None => 1,
    };
    store_after::replace_plan(conn, &row.id, plan, version, current.is_none(), now)?;
    let view = reread_plan(conn, &row.id)?;
    events::publish(
        conn,
        "reintegration_plan.submitted",
        &row.partner_id,
        Some(&row.id),
        json!({"referral_id": row.id, "version": view.version}),
        now,
    )?;
    by.record(conn, "referral", &row.id, now)?;
    Ok(view)
}

/// The staff approve a submitted plan, or return it with a comment.
pub fn decide_plan(
    conn: &mut DbConn,
    by: &AuditContext,
    id: &str,
    returned_with: Option<&str>,
    now: DateTime<Utc>,
) -> Outcome<PlanView> {
    lock_row(conn, Locked::Referrals, id)?;
    let row = store::any(conn, id)?;
    let current =
        store_after::plan(conn, &row.id)?.ok_or(Refusal::not_found("reintegration plan"))?;
    let (step, event) = match returned_with {
        Some(_) => ("return", "reintegration_plan.returned"),
        None => ("approve", "reintegration_plan.approved"),
    };
    current.status.decide(step)?;
    store_after::decide_plan(conn, &row.id, &by.actor.id, returned_with, now)?;
    let plan = reread_plan(conn, &row.id)?;
    events::publish(
        conn,
        event,
        &row.partner_id,
        Some(&row.id),
        json!({"referral_id": row.id, "version": plan.version}),
        now,
    )?;
    by.record(conn, "referral", &row.id, now)?;
    Ok(plan)
}

fn reread_plan(conn: &mut DbConn, id: &str) -> Outcome<PlanView> {
    store_after::plan(conn, id)?
        .ok_or_else(|| CommandError::Internal(format!("plan of {id} vanished")))
}

/// The partner reports a monitoring visit of a referral after arrival,
/// scored by `model`; a report that crosses one of the model's alert
/// thresholds raises one sustainability alert, in the same transaction.
pub fn report_monitoring(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    id: &str,
    report: &MonitoringReport,
    model: &Model,
    now: DateTime<Utc>,
) -> Outcome<VisitView> {
    lock_row(conn, Locked::Referrals, id)?;
    let row = store::own(conn, by, id, partner, now)?;
    if row.status != ReferralStatus::InProgress {
        return Err(row
            .status
            .refuse("report", "nothing more can be reported")
            .into());
    }
    let Some(arrived_on) = row.arrived_on else {
        return Err(Refusal::conflict(
            Conflict::NotArrived,
            "Confirm the arrival before reporting a monitoring visit.",
        )
        .into());
    };
    let mut visit = monitoring::report(conn, &row.id, arrived_on, report, model, now)?;
    events::publish(
        conn,
        "monitoring.reported",
        &row.partner_id,
        Some(&row.id),
        json!({"referral_id": row.id, "visit_id": visit.id}),
        now,
    )?;
    if let Some(scores) = &visit.scores {
        let reported = alerts::Report {
            partner_id: &row.partner_id,
            referral_id: &row.id,
            visit_id: &visit.id,
            held_on: report.held_on,
            scores,
            answers: &report.answers,
        };
        visit.alert = alerts::raise(conn, model, &reported, now)?;
    }
    by.record(conn, "monitoring_visit", &visit.id, now)?;
    Ok(visit)
}

/// The partner closes a referral after departure with its outcome, and the
/// case with it.
pub fn close(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    id: &str,
    outcome: Ending,
    now: DateTime<Utc>,
) -> Outcome<PartnerReferralView> {
    lock_row(conn, Locked::Referrals, id)?;
    let row = store::own(conn, by, id, partner, now)?;
    row.status.after_departure("close")?;
    let step = Move::new(outcome.action(), Some(outcome.as_str())).by_partner(partner);
    let moved = transition(conn, by, &row.id, step, now)?;
    store_after::set_outcome(conn, &row.id, outcome)?;
    cases::close(conn, &row.return_case_id, now)?;
    cases::add_history(
        conn,
        &row.return_case_id,
        &by.actor,
        "closed",
        Some(outcome.as_str()),
        now,
    )?;
    by.record(conn, "referral", &row.id, now)?;
    let row = store::reread(conn, &moved.id)?;
    partner_view(conn, row, now.date_naive())
}
