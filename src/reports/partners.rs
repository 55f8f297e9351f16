//! Partners: per partner, the referrals sent in the period, what became of
//! them, how fast the partner answered and its monitoring visits; small
//! cells hidden across each column, and in the totals.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::scope::{Scope, history_with_cases, narrowed, referrals_with_cases, visits_with_cases};
use super::suppress::{Count, rate, robust_median, suppress_column, suppress_total};
use crate::db::schema::{monitoring_visits, partners, referral_history, referrals, return_cases};
use crate::db::{DbConn, DbError};
use crate::monitoring::VisitStatus;
use crate::referrals::ReferralStatus;

pub const COLUMNS: [&str; 10] = [
    "partner_id",
    "referrals",
    "accepted",
    "rejected",
    "acceptance_rate",
    "median_hours_to_acknowledge",
    "median_hours_to_decide",
    "sla_breaches",
    "monitoring_done",
    "monitoring_due",
];

/// One partner's figures for the partners report.
#[derive(Debug, Clone, Default)]
pub struct PartnerFigures {
    pub referrals: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub hours_to_acknowledge: Vec<f64>,
    pub hours_to_decide: Vec<f64>,
    pub sla_breaches: i64,
    pub monitoring_done: i64,
    pub monitoring_due: i64,
}

/// A referral sent in the period: when it was answered and when it was due
/// to be; the fields in the order of the select.
#[derive(Queryable)]
struct ReferralFacts {
    partner_id: String,
    sent_at: NaiveDateTime,
    acknowledged_at: Option<NaiveDateTime>,
    decided_at: Option<NaiveDateTime>,
    acknowledge_due_on: NaiveDate,
    decide_due_on: NaiveDate,
}

/// A monitoring visit due in the period, and whether it was held; the
/// fields in the order of the select.
#[derive(Queryable)]
struct VisitFacts {
    partner_id: String,
    status: VisitStatus,
}

/// Per partner: referrals sent in the period and what became of them.
pub fn partners(
    conn: &mut DbConn,
    scope: &Scope,
) -> Result<BTreeMap<String, PartnerFigures>, DbError> {
    let (start, end) = (scope.start(), scope.end());
    let rows: Vec<ReferralFacts> =
        narrowed!(scope, referrals::table, referrals_with_cases(), |query| {
            query
                .filter(referrals::sent_at.ge(start))
                .filter(referrals::sent_at.lt(end))
                .select((
                    referrals::partner_id,
                    referrals::sent_at,
                    referrals::acknowledged_at,
                    referrals::decided_at,
                    referrals::acknowledge_due_on,
                    referrals::decide_due_on,
                ))
                .load(conn)?
        });
    let accepted_ids: Vec<(String, ReferralStatus)> = narrowed!(
        scope,
        referral_history::table
            .inner_join(referrals::table.on(referrals::id.eq(referral_history::referral_id))),
        history_with_cases!(),
        |query| {
            query
                .filter(referrals::sent_at.ge(start))
                .filter(referrals::sent_at.lt(end))
                .filter(
                    referral_history::status
                        .eq_any([ReferralStatus::Accepted, ReferralStatus::Rejected]),
                )
                .select((referrals::partner_id, referral_history::status))
                .load(conn)?
        }
    );
    let mut figures: BTreeMap<String, PartnerFigures> = BTreeMap::new();
    let active: Vec<String> = partners::table
        .filter(partners::status.ne("inactive"))
        .select(partners::id)
        .load(conn)?;
    if scope.partner_id.is_none() && scope.country.is_none() {
        for id in active {
            figures.entry(id).or_default();
        }
    }
    let today = chrono::Utc::now().date_naive();
    let hours = |from: NaiveDateTime, to: NaiveDateTime| (to - from).num_minutes() as f64 / 60.0;
    for row in rows {
        let (sent_at, acknowledged_at, decided_at) =
            (row.sent_at, row.acknowledged_at, row.decided_at);
        let entry = figures.entry(row.partner_id).or_default();
        entry.referrals += 1;
        if let Some(at) = acknowledged_at {
            entry.hours_to_acknowledge.push(hours(sent_at, at));
        }
        if let Some(at) = decided_at {
            entry.hours_to_decide.push(hours(sent_at, at));
        }
        let late_ack =
            acknowledged_at.map(|at| at.date()).unwrap_or(today) > row.acknowledge_due_on;
        let late_decision = decided_at.map(|at| at.date()).unwrap_or(today) > row.decide_due_on;
        entry.sla_breaches += i64::from(late_ack) + i64::from(late_decision);
    }
    for (partner, status) in accepted_ids {
        let entry = figures.entry(partner).or_default();
        if status == ReferralStatus::Accepted {
            entry.accepted += 1;
        } else {
            entry.rejected += 1;
        }
    }
    let visits: Vec<VisitFacts> = narrowed!(
        scope,
        monitoring_visits::table
            .inner_join(referrals::table.on(referrals::id.eq(monitoring_visits::referral_id))),
        visits_with_cases!(),
        |query| {
            query
                .filter(monitoring_visits::due_on.ge(scope.from))
                .filter(monitoring_visits::due_on.le(scope.to.min(today)))
                .select((referrals::partner_id, monitoring_visits::status))
                .load(conn)?
        }
    );
    for visit in visits {
        let entry = figures.entry(visit.partner_id).or_default();
        entry.monitoring_due += 1;
        if visit.status == VisitStatus::Done {
            entry.monitoring_done += 1;
        }
    }
    Ok(figures)
}

/// One row per partner, each column suppressed across the partners.
pub fn rows(figures: &BTreeMap<String, PartnerFigures>) -> Vec<Map<String, Value>> {
    let column = |pick: fn(&PartnerFigures) -> i64| -> Vec<Count> {
        suppress_column(&figures.values().map(pick).collect::<Vec<_>>())
    };
    let referrals = column(|f| f.referrals);
    let accepted = column(|f| f.accepted);
    let rejected = column(|f| f.rejected);
    let breaches = column(|f| f.sla_breaches);
    let done = column(|f| f.monitoring_done);
    let due = column(|f| f.monitoring_due);
    let mut rows = Vec::new();
    for (i, (id, f)) in figures.iter().enumerate() {
        let mut row = Map::new();
        row.insert("partner_id".into(), json!(id));
        row.insert("referrals".into(), referrals[i].value());
        row.insert("accepted".into(), accepted[i].value());
        row.insert("rejected".into(), rejected[i].value());
        // A rate would undo a hidden accepted or rejected count.
        let shown = accepted[i] != Count::Hidden && rejected[i] != Count::Hidden;
        let acceptance = if shown {
            rate(f.accepted, f.accepted + f.rejected)
        } else {
            Value::Null
        };
        row.insert("acceptance_rate".into(), acceptance);
        row.insert(
            "median_hours_to_acknowledge".into(),
            robust_median(&f.hours_to_acknowledge),
        );
        row.insert(
            "median_hours_to_decide".into(),
            robust_median(&f.hours_to_decide),
        );
        row.insert("sla_breaches".into(), breaches[i].value());
        row.insert("monitoring_done".into(), done[i].value());
        row.insert("monitoring_due".into(), due[i].value());
        rows.push(row);
    }
    rows
}

/// The columns' totals; a total over hidden cells is hidden with them.
pub fn totals(figures: &BTreeMap<String, PartnerFigures>) -> Value {
    let total = |pick: fn(&PartnerFigures) -> i64| {
        suppress_total(&figures.values().map(pick).collect::<Vec<_>>()).value()
    };
    json!({
        "referrals": total(|f| f.referrals),
        "accepted": total(|f| f.accepted),
        "rejected": total(|f| f.rejected),
        "sla_breaches": total(|f| f.sla_breaches),
        "monitoring_done": total(|f| f.monitoring_done),
        "monitoring_due": total(|f| f.monitoring_due),
    })
}
