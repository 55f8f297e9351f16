//! Overdue: what is late now (SLA breaches, referrals not departed, missed
//! monitoring visits), by ids and dates only.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{Map, Value};

use super::scope::{Scope, referrals_with_cases, scoped, visits_with_cases};
use super::suppress::Count;
use crate::db::schema::{monitoring_visits, referrals, return_cases};
use crate::db::{DbConn, DbError};
use crate::monitoring::VisitStatus;
use crate::referrals::ReferralStatus;

pub const COLUMNS: [&str; 6] = [
    "kind",
    "referral_id",
    "partner_id",
    "visit_id",
    "due_on",
    "days_overdue",
];

/// An open referral with its return case's planned departure; the fields
/// in the order of the select.
#[derive(Queryable)]
struct OpenReferralFacts {
    id: String,
    partner_id: String,
    status: ReferralStatus,
    acknowledged_at: Option<NaiveDateTime>,
    decided_at: Option<NaiveDateTime>,
    acknowledge_due_on: NaiveDate,
    decide_due_on: NaiveDate,
    departed_on: Option<NaiveDate>,
    planned_departure_on: NaiveDate,
    held_days: i32,
    country: String,
}

/// A scheduled visit of a referral in progress; the fields in the order of
/// the select.
#[derive(Queryable)]
struct ScheduledVisitFacts {
    visit_id: String,
    referral_id: String,
    partner_id: String,
    due_on: NaiveDate,
    country: String,
}

/// One open SLA breach or overdue visit: ids and dates only.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Overdue {
    pub kind: &'static str,
    pub referral_id: String,
    pub partner_id: String,
    pub visit_id: Option<String>,
    pub due_on: NaiveDate,
    pub days_overdue: i64,
    /// The destination, for the dashboard's counts by country (not in
    /// the list the API gives).
    #[serde(skip)]
    pub country: String,
}

/// What is late now: referrals not acknowledged or decided in time, accepted
/// ones not departed, and monitoring visits past due plus the grace period.
pub fn overdue(
    conn: &mut DbConn,
    scope: &Scope,
    today: NaiveDate,
    not_departed_after_days: u32,
) -> Result<Vec<Overdue>, DbError> {
    let open = ReferralStatus::open_statuses();
    let rows: Vec<OpenReferralFacts> = scoped!(referrals_with_cases(), scope)
        .filter(referrals::status.eq_any(&open))
        .select((
            referrals::id,
            referrals::partner_id,
            referrals::status,
            referrals::acknowledged_at,
            referrals::decided_at,
            referrals::acknowledge_due_on,
            referrals::decide_due_on,
            referrals::departed_on,
            return_cases::planned_departure_on,
            referrals::held_days,
            return_cases::destination_country,
        ))
        .load(conn)?;
    let mut items = Vec::new();
    for row in rows {
        let (ack_due, decide_due, planned) = (
            row.acknowledge_due_on,
            row.decide_due_on,
            row.planned_departure_on,
        );
        let clock = crate::referrals::SlaClock {
            status: row.status,
            acknowledged: row.acknowledged_at.is_some(),
            decided: row.decided_at.is_some(),
            acknowledge_due_on: ack_due,
            decide_due_on: decide_due,
            planned_departure_on: planned,
            departed: row.departed_on.is_some(),
            held_days: i64::from(row.held_days),
        };
        for flag in clock.flags(today, not_departed_after_days) {
            let due_on = match flag {
                "acknowledge_overdue" => ack_due,
                "decision_overdue" => decide_due,
                _ => clock.not_departed_due_on(not_departed_after_days),
            };
            items.push(Overdue {
                kind: flag,
                referral_id: row.id.clone(),
                partner_id: row.partner_id.clone(),
                visit_id: None,
                due_on,
                days_overdue: (today - due_on).num_days(),
                country: row.country.clone(),
            });
        }
    }
    let grace = crate::monitoring::store::GRACE_DAYS;
    let visits: Vec<ScheduledVisitFacts> = scoped!(visits_with_cases!(), scope)
        .filter(referrals::status.eq(ReferralStatus::InProgress.as_str()))
        .filter(monitoring_visits::status.eq(VisitStatus::Scheduled))
        .filter(monitoring_visits::due_on.lt(today - Duration::days(grace)))
        .select((
            monitoring_visits::id,
            referrals::id,
            referrals::partner_id,
            monitoring_visits::due_on,
            return_cases::destination_country,
        ))
        .load(conn)?;
    for visit in visits {
        items.push(Overdue {
            kind: "monitoring_missed",
            referral_id: visit.referral_id,
            partner_id: visit.partner_id,
            visit_id: Some(visit.visit_id),
            due_on: visit.due_on,
            days_overdue: (today - visit.due_on).num_days(),
            country: visit.country,
        });
    }
    items.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then(a.referral_id.cmp(&b.referral_id))
    });
    Ok(items)
}

/// The items as rows of JSON objects (and CSV).
pub fn rows(items: &[Overdue]) -> Vec<Map<String, Value>> {
    items
        .iter()
        .filter_map(|item| serde_json::to_value(item).ok())
        .filter_map(|value| value.as_object().cloned())
        .collect()
}

/// How many items of each kind, small counts hidden.
pub fn counts(items: &[Overdue]) -> Map<String, Value> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for item in items {
        *counts.entry(item.kind).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(k, n)| (k.to_owned(), Count::of(n).value()))
        .collect()
}
