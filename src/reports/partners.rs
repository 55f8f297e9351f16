//! Partners: per partner, the referrals sent in the period, what became of
//! them (declines by their coded reason), how fast the partner answered and
//! its monitoring visits; small cells hidden across each column, and in the
//! totals.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::scope::{Scope, history_with_cases, narrowed, referrals_with_cases, visits_with_cases};
use super::suppress::{Count, narrowed, rate, robust_median, robust_p90, suppress_column_with};
use crate::db::schema::{
    monitoring_visits, partners, referral_history, referrals, reintegration_plans, return_cases,
};
use crate::db::{DbConn, DbError};
use crate::monitoring::VisitStatus;
use crate::referrals::ReferralStatus;
use crate::referrals::vocabulary::DeclineReason;

/// The CSV's columns; in JSON the `declines_*` ones are the keys of each
/// row's `declines_by_reason` (see [`nest_declines`]).
pub const COLUMNS: [&str; 19] = [
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
    "declines_no_capacity",
    "declines_not_in_area",
    "declines_not_eligible",
    "declines_client_unreachable",
    "declines_security_concern",
    "declines_other",
    "p90_hours_to_acknowledge",
    "p90_hours_to_decide",
    "median_days_to_plan",
];

/// The first of the declines' columns in [`COUNTED`].
const FIRST_DECLINE: usize = 6;

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
    /// Declines by code, in the order of `DeclineReason::ALL`.
    pub declines: [i64; 6],
    /// Days from arrival to the reintegration plan's submission.
    pub days_to_plan: Vec<f64>,
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
                .filter(referral_history::resumed.eq(false))
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
    let declined: Vec<(String, Option<DeclineReason>)> =
        narrowed!(scope, referrals::table, referrals_with_cases(), |query| {
            query
                .filter(referrals::sent_at.ge(start))
                .filter(referrals::sent_at.lt(end))
                .filter(referrals::status.eq(ReferralStatus::Rejected))
                .select((referrals::partner_id, referrals::decline_reason_code))
                .load(conn)?
        });
    for (partner, code) in declined {
        // A decline from before the codes is `other`, as its body would be read now.
        let code = code.unwrap_or(DeclineReason::Other);
        let at = DeclineReason::ALL.iter().position(|c| *c == code);
        if let Some(cell) = at.and_then(|i| figures.entry(partner).or_default().declines.get_mut(i))
        {
            *cell += 1;
        }
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
    let plans: Vec<(String, Option<NaiveDate>, NaiveDateTime)> = narrowed!(
        scope,
        reintegration_plans::table
            .inner_join(referrals::table.on(referrals::id.eq(reintegration_plans::referral_id))),
        reintegration_plans::table
            .inner_join(referrals::table.on(referrals::id.eq(reintegration_plans::referral_id)))
            .inner_join(return_cases::table.on(return_cases::id.eq(referrals::return_case_id))),
        |query| {
            query
                .filter(referrals::sent_at.ge(start))
                .filter(referrals::sent_at.lt(end))
                .select((
                    referrals::partner_id,
                    referrals::arrived_on,
                    reintegration_plans::submitted_at,
                ))
                .load(conn)?
        }
    );
    for (partner, arrived_on, submitted_at) in plans {
        if let Some(arrived_on) = arrived_on {
            let days = (submitted_at.date() - arrived_on).num_days().max(0) as f64;
            figures.entry(partner).or_default().days_to_plan.push(days);
        }
    }
    for visit in visits {
        let entry = figures.entry(visit.partner_id).or_default();
        entry.monitoring_due += 1;
        if visit.status == VisitStatus::Done {
            entry.monitoring_done += 1;
        }
    }
    Ok(figures)
}

/// The report as a lead sees it: its rows and their totals. Each column
/// is suppressed across every partner (in the scope's country), so a row
/// asked for alone (`partner_id`) is the row the whole report shows; with
/// a country, each cell is also judged against the partner's count in every
/// country and the programme's ([`narrowed`]), as the funnel judges it.
pub fn report(
    conn: &mut DbConn,
    scope: &Scope,
) -> Result<(Vec<Map<String, Value>>, Value), DbError> {
    let every_partner = Scope {
        partner_id: None,
        ..scope.clone()
    };
    let mut figures = partners(conn, &every_partner)?;
    let wider = match scope.country {
        Some(_) => Some(partners(conn, &scope.unfiltered())?),
        None => None,
    };
    if let Some(partner) = &scope.partner_id {
        figures.entry(partner.clone()).or_default();
    }
    let mut columns = Columns::of(&figures, wider.as_ref());
    columns.link_declines(&figures);
    let mut rows = rows(&figures, &columns);
    if let Some(partner) = &scope.partner_id {
        rows.retain(|row| row.get("partner_id") == Some(&json!(partner)));
        let only: Map<String, Value> = rows.first().cloned().unwrap_or_default();
        let totals: Map<String, Value> = COUNTED
            .iter()
            .map(|(name, _)| {
                (
                    (*name).to_owned(),
                    only.get(*name).cloned().unwrap_or(json!(0)),
                )
            })
            .collect();
        return Ok((rows, Value::Object(totals)));
    }
    Ok((rows, totals(&figures, &columns, wider.as_ref())))
}

type Pick = fn(&PartnerFigures) -> i64;

/// The counted columns, as each is picked from a partner's figures.
const COUNTED: [(&str, Pick); 12] = [
    ("referrals", |f| f.referrals),
    ("accepted", |f| f.accepted),
    ("rejected", |f| f.rejected),
    ("sla_breaches", |f| f.sla_breaches),
    ("monitoring_done", |f| f.monitoring_done),
    ("monitoring_due", |f| f.monitoring_due),
    ("declines_no_capacity", |f| f.declines[0]),
    ("declines_not_in_area", |f| f.declines[1]),
    ("declines_not_eligible", |f| f.declines[2]),
    ("declines_client_unreachable", |f| f.declines[3]),
    ("declines_security_concern", |f| f.declines[4]),
    ("declines_other", |f| f.declines[5]),
];

/// One partner's row from its own figures alone, for the partner itself
/// (its scorecard in the portal): counts from 1 to 4 hidden, rates and
/// medians as in the report, but nothing hidden for another partner's
/// sake, since what the partner knows of its own referrals would tell it
/// about the others there.
pub fn own_row(id: &str, f: &PartnerFigures) -> Map<String, Value> {
    let mut row = Map::new();
    row.insert("partner_id".into(), json!(id));
    for (name, pick) in COUNTED.iter() {
        row.insert((*name).into(), Count::of(pick(f)).value());
    }
    row.insert(
        "acceptance_rate".into(),
        rate(f.accepted, f.accepted + f.rejected),
    );
    insert_times(&mut row, f);
    row
}

/// A row's times: medians and 90th percentiles, each only over enough
/// answers (as every report's).
fn insert_times(row: &mut Map<String, Value>, f: &PartnerFigures) {
    row.insert(
        "median_hours_to_acknowledge".into(),
        robust_median(&f.hours_to_acknowledge),
    );
    row.insert(
        "median_hours_to_decide".into(),
        robust_median(&f.hours_to_decide),
    );
    row.insert(
        "p90_hours_to_acknowledge".into(),
        robust_p90(&f.hours_to_acknowledge),
    );
    row.insert("p90_hours_to_decide".into(), robust_p90(&f.hours_to_decide));
    row.insert("median_days_to_plan".into(), robust_median(&f.days_to_plan));
}

/// A row's JSON with its `declines_*` cells moved into
/// `declines_by_reason`, keyed by code (every code, always).
pub fn nest_declines(mut row: Map<String, Value>) -> Map<String, Value> {
    let mut by_reason = Map::new();
    for code in DeclineReason::ALL {
        let key = format!("declines_{code}");
        let cell = row.remove(&key).unwrap_or(json!(0));
        by_reason.insert(code.as_str().to_owned(), cell);
    }
    row.insert("declines_by_reason".into(), Value::Object(by_reason));
    row
}

/// Each counted column as shown, in the order of [`COUNTED`], a cell per
/// partner in the order of the figures.
struct Columns(Vec<Vec<Count>>);

impl Columns {
    fn of(
        figures: &BTreeMap<String, PartnerFigures>,
        wider: Option<&BTreeMap<String, PartnerFigures>>,
    ) -> Self {
        Columns(
            COUNTED
                .iter()
                .map(|(_, pick)| {
                    let values: Vec<i64> = figures.values().map(pick).collect();
                    let also: Vec<bool> = match wider {
                        Some(wider) => {
                            let grand: i64 = wider.values().map(pick).sum();
                            figures
                                .iter()
                                .map(|(id, f)| {
                                    let all = wider.get(id).map_or(0, pick);
                                    narrowed(pick(f), &[all, grand]) == Count::Hidden
                                })
                                .collect()
                        }
                        None => vec![false; values.len()],
                    };
                    suppress_column_with(&values, &also)
                })
                .collect(),
        )
    }

    /// A row's declines add up to its `rejected`: where one of them is
    /// hidden, the smallest other non-zero one goes with it, or the
    /// subtraction would show it (as across a column).
    fn link_declines(&mut self, figures: &BTreeMap<String, PartnerFigures>) {
        for (i, f) in figures.values().enumerate() {
            let hidden: Vec<bool> = (0..f.declines.len())
                .map(|d| self.cell(FIRST_DECLINE + d, i) == Count::Hidden)
                .collect();
            let linked = suppress_column_with(&f.declines, &hidden);
            for (d, count) in linked.into_iter().enumerate() {
                if let Some(cell) = self.0.get_mut(FIRST_DECLINE + d).and_then(|c| c.get_mut(i)) {
                    *cell = count;
                }
            }
        }
    }

    fn cell(&self, column: usize, row: usize) -> Count {
        self.0
            .get(column)
            .and_then(|c| c.get(row))
            .copied()
            .unwrap_or(Count::Hidden)
    }
}

/// One row per partner.
fn rows(figures: &BTreeMap<String, PartnerFigures>, columns: &Columns) -> Vec<Map<String, Value>> {
    let mut rows = Vec::new();
    for (i, (id, f)) in figures.iter().enumerate() {
        let mut row = Map::new();
        row.insert("partner_id".into(), json!(id));
        for (c, (name, _)) in COUNTED.iter().enumerate() {
            row.insert((*name).into(), columns.cell(c, i).value());
        }
        // A rate would undo a hidden accepted or rejected count.
        let shown = columns.cell(1, i) != Count::Hidden && columns.cell(2, i) != Count::Hidden;
        let acceptance = if shown {
            rate(f.accepted, f.accepted + f.rejected)
        } else {
            Value::Null
        };
        row.insert("acceptance_rate".into(), acceptance);
        insert_times(&mut row, f);
        rows.push(row);
    }
    rows
}

/// The columns' totals: hidden over a hidden cell (it would give the
/// hidden cells' sum away), and with a country judged against the
/// programme's total like any narrowed figure.
fn totals(
    figures: &BTreeMap<String, PartnerFigures>,
    columns: &Columns,
    wider: Option<&BTreeMap<String, PartnerFigures>>,
) -> Value {
    let totals: Map<String, Value> = COUNTED
        .iter()
        .enumerate()
        .map(|(c, (name, pick))| {
            let total: i64 = figures.values().map(pick).sum();
            let any_hidden = columns
                .0
                .get(c)
                .is_some_and(|col| col.contains(&Count::Hidden));
            let count = if any_hidden {
                Count::Hidden
            } else {
                let grand: Vec<i64> = wider
                    .map(|w| w.values().map(pick).sum())
                    .into_iter()
                    .collect();
                narrowed(total, &grand)
            };
            ((*name).to_owned(), count.value())
        })
        .collect();
    Value::Object(totals)
}
