//! The reports' queries: counts only, from indexed columns.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::dsl::{count, min};
use diesel::prelude::*;

use crate::db::schema::{
    clients, monitoring_visits, partners, referral_history, referrals, return_cases, talks,
};
use crate::db::{DbConn, DbError};
use crate::referrals::ReferralStatus;

/// Which part of the programme a report covers.
#[derive(Debug, Clone)]
pub struct Scope {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Destination (and, for counselling, origin) country.
    pub country: Option<String>,
    pub partner_id: Option<String>,
}

impl Scope {
    fn start(&self) -> NaiveDateTime {
        self.from.and_hms_opt(0, 0, 0).unwrap_or_default()
    }

    /// The first moment after the period.
    fn end(&self) -> NaiveDateTime {
        (self.to + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
    }
}

/// Narrows a query over referrals joined to their return cases to the
/// scope's partner and destination country.
macro_rules! scoped {
    ($query:expr, $scope:expr) => {{
        let mut query = $query.into_boxed();
        if let Some(partner) = &$scope.partner_id {
            query = query.filter(referrals::partner_id.eq(partner.clone()));
        }
        if let Some(country) = &$scope.country {
            query = query.filter(return_cases::destination_country.eq(country.clone()));
        }
        query
    }};
}

/// Monitoring visits with their referral and return case.
macro_rules! visits_with_cases {
    () => {
        monitoring_visits::table
            .inner_join(referrals::table.on(referrals::id.eq(monitoring_visits::referral_id)))
            .inner_join(return_cases::table.on(return_cases::id.eq(referrals::return_case_id)))
    };
}

/// Referral history with its referral and return case.
macro_rules! history_with_cases {
    () => {
        referral_history::table
            .inner_join(referrals::table.on(referrals::id.eq(referral_history::referral_id)))
            .inner_join(return_cases::table.on(return_cases::id.eq(referrals::return_case_id)))
    };
}

/// Runs `$body` on a query narrowed to the scope: `$with_referrals` (a
/// query joined to referrals) unless the scope names a country, which needs
/// the return case as well (`$with_cases`). Leaving out a join that filters
/// nothing changes no row (foreign keys), and saves a lookup per row.
macro_rules! narrowed {
    ($scope:expr, $with_referrals:expr, $with_cases:expr, |$query:ident| $body:expr) => {{
        if let Some(country) = &$scope.country {
            let mut $query = $with_cases
                .into_boxed()
                .filter(return_cases::destination_country.eq(country.clone()));
            if let Some(partner) = &$scope.partner_id {
                $query = $query.filter(referrals::partner_id.eq(partner.clone()));
            }
            $body
        } else {
            let mut $query = $with_referrals.into_boxed();
            if let Some(partner) = &$scope.partner_id {
                $query = $query.filter(referrals::partner_id.eq(partner.clone()));
            }
            $body
        }
    }};
}

/// Counts the rows of `$table` that match `$filter`, joined to their
/// referral and return case only when the scope names a partner or a
/// country: every row has both (non-null foreign keys), so without a scope
/// the join changes no count, and skipping it lets an index answer alone.
macro_rules! count_in_scope {
    ($conn:expr, $scope:expr, $table:expr, $joined:expr, $filter:expr) => {{
        if $scope.partner_id.is_none() && $scope.country.is_none() {
            $table.filter($filter).count().get_result::<i64>($conn)?
        } else {
            scoped!($joined, $scope)
                .filter($filter)
                .count()
                .get_result::<i64>($conn)?
        }
    }};
}

fn referrals_with_cases() -> diesel::dsl::InnerJoin<referrals::table, return_cases::table> {
    referrals::table.inner_join(return_cases::table)
}

#[derive(Debug, Clone, Default)]
pub struct Funnel {
    pub clients_counselled: i64,
    pub intention_return: i64,
    pub cases_opened: i64,
    pub referrals_sent: i64,
    pub referrals_accepted: i64,
    pub departed: i64,
    pub arrived: i64,
    pub monitoring_visits_done: i64,
    pub closed_completed: i64,
}

/// Each stage counts what reached it in the period, whatever came after.
pub fn funnel(conn: &mut DbConn, scope: &Scope) -> Result<Funnel, DbError> {
    let (start, end) = (scope.start(), scope.end());
    // Counselling stages: clients by origin country; with a partner, the
    // clients referred to it.
    // Counselling stages: clients by origin country; with a partner, only
    // the clients referred to it.
    let referred: Option<Vec<String>> = match &scope.partner_id {
        Some(partner) => Some(
            referrals_with_cases()
                .filter(referrals::partner_id.eq(partner.clone()))
                .select(return_cases::client_id)
                .distinct()
                .load(conn)?,
        ),
        None => None,
    };
    // Counted in the database: ten years of talks are too many to ship.
    // The country narrows through a subquery rather than a join, so that
    // the unfiltered count reads the talks' period index alone.
    let talked = || {
        let mut talked = talks::table
            .filter(talks::held_on.ge(scope.from))
            .filter(talks::held_on.le(scope.to))
            .into_boxed();
        if let Some(country) = &scope.country {
            talked = talked.filter(
                talks::client_id.eq_any(
                    clients::table
                        .filter(clients::country_of_origin.eq(country.clone()))
                        .select(clients::id),
                ),
            );
        }
        if let Some(referred) = &referred {
            talked = talked.filter(talks::client_id.eq_any(referred.clone()));
        }
        talked
    };
    // Grouped rather than COUNT(DISTINCT): PostgreSQL hashes the groups
    // instead of sorting every talk's client id (twice as fast over ten
    // years); SQLite does the same work either way.
    let in_period = talks::held_on
        .ge(scope.from)
        .and(talks::held_on.le(scope.to));
    let in_country = |country: &String| {
        talks::client_id.eq_any(
            clients::table
                .filter(clients::country_of_origin.eq(country.clone()))
                .select(clients::id),
        )
    };
    macro_rules! groups {
        ($query:expr) => {
            $query
                .group_by(talks::client_id)
                .select(talks::client_id)
                .load::<String>(conn)?
                .len() as i64
        };
    }
    let clients_counselled = match (&scope.country, &referred) {
        (None, None) => groups!(talks::table.filter(in_period)),
        (Some(country), None) => {
            groups!(talks::table.filter(in_period).filter(in_country(country)))
        }
        (None, Some(referred)) => groups!(
            talks::table
                .filter(in_period)
                .filter(talks::client_id.eq_any(referred.clone()))
        ),
        (Some(country), Some(referred)) => groups!(
            talks::table
                .filter(in_period)
                .filter(in_country(country))
                .filter(talks::client_id.eq_any(referred.clone()))
        ),
    };
    let intention_return: i64 = talked()
        .filter(talks::intention.eq("return"))
        .select(count(talks::client_id).aggregate_distinct())
        .get_result(conn)?;

    let mut cases = return_cases::table
        .filter(return_cases::opened_at.ge(start))
        .filter(return_cases::opened_at.lt(end))
        .into_boxed();
    if let Some(country) = &scope.country {
        cases = cases.filter(return_cases::destination_country.eq(country.clone()));
    }
    if let Some(partner) = &scope.partner_id {
        let referred_cases: Vec<String> = referrals::table
            .filter(referrals::partner_id.eq(partner.clone()))
            .select(referrals::return_case_id)
            .distinct()
            .load(conn)?;
        cases = cases.filter(return_cases::id.eq_any(referred_cases));
    }
    let cases_opened: i64 = cases.count().get_result(conn)?;

    let referrals_sent = count_in_scope!(
        conn,
        scope,
        referrals::table,
        referrals_with_cases(),
        referrals::sent_at.ge(start).and(referrals::sent_at.lt(end))
    );
    let referrals_accepted = count_in_scope!(
        conn,
        scope,
        referral_history::table,
        history_with_cases!(),
        referral_history::status
            .eq(ReferralStatus::Accepted.as_str())
            .and(referral_history::at.ge(start))
            .and(referral_history::at.lt(end))
    );
    let departed = count_in_scope!(
        conn,
        scope,
        referrals::table,
        referrals_with_cases(),
        referrals::departed_on
            .ge(scope.from)
            .and(referrals::departed_on.le(scope.to))
    );
    let arrived = count_in_scope!(
        conn,
        scope,
        referrals::table,
        referrals_with_cases(),
        referrals::arrived_on
            .ge(scope.from)
            .and(referrals::arrived_on.le(scope.to))
    );
    let monitoring_visits_done = count_in_scope!(
        conn,
        scope,
        monitoring_visits::table,
        visits_with_cases!(),
        monitoring_visits::status
            .eq("done")
            .and(monitoring_visits::held_on.ge(scope.from))
            .and(monitoring_visits::held_on.le(scope.to))
    );
    let closed_completed = count_in_scope!(
        conn,
        scope,
        referrals::table,
        referrals_with_cases(),
        referrals::outcome
            .eq("completed")
            .and(referrals::closed_at.ge(start))
            .and(referrals::closed_at.lt(end))
    );
    Ok(Funnel {
        clients_counselled,
        intention_return,
        cases_opened,
        referrals_sent,
        referrals_accepted,
        departed,
        arrived,
        monitoring_visits_done,
        closed_completed,
    })
}

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

type ReferralFacts = (
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    String,
    NaiveDate,
    NaiveDate,
);

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
                    referrals::status,
                    referrals::acknowledge_due_on,
                    referrals::decide_due_on,
                ))
                .load(conn)?
        });
    let accepted_ids: Vec<(String, String)> = narrowed!(
        scope,
        referral_history::table
            .inner_join(referrals::table.on(referrals::id.eq(referral_history::referral_id))),
        history_with_cases!(),
        |query| {
            query
                .filter(referrals::sent_at.ge(start))
                .filter(referrals::sent_at.lt(end))
                .filter(referral_history::status.eq_any([
                    ReferralStatus::Accepted.as_str(),
                    ReferralStatus::Rejected.as_str(),
                ]))
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
    for (partner, sent_at, acknowledged_at, decided_at, _status, ack_due, decide_due) in rows {
        let entry = figures.entry(partner).or_default();
        entry.referrals += 1;
        if let Some(at) = acknowledged_at {
            entry.hours_to_acknowledge.push(hours(sent_at, at));
        }
        if let Some(at) = decided_at {
            entry.hours_to_decide.push(hours(sent_at, at));
        }
        let late_ack = acknowledged_at.map(|at| at.date()).unwrap_or(today) > ack_due;
        let late_decision = decided_at.map(|at| at.date()).unwrap_or(today) > decide_due;
        entry.sla_breaches += i64::from(late_ack) + i64::from(late_decision);
    }
    for (partner, status) in accepted_ids {
        let entry = figures.entry(partner).or_default();
        if status == ReferralStatus::Accepted.as_str() {
            entry.accepted += 1;
        } else {
            entry.rejected += 1;
        }
    }
    let visits: Vec<(String, String, NaiveDate, Option<NaiveDate>)> = narrowed!(
        scope,
        monitoring_visits::table
            .inner_join(referrals::table.on(referrals::id.eq(monitoring_visits::referral_id))),
        visits_with_cases!(),
        |query| {
            query
                .filter(monitoring_visits::due_on.ge(scope.from))
                .filter(monitoring_visits::due_on.le(scope.to.min(today)))
                .select((
                    referrals::partner_id,
                    monitoring_visits::status,
                    monitoring_visits::due_on,
                    monitoring_visits::held_on,
                ))
                .load(conn)?
        }
    );
    for (partner, status, _due, _held) in visits {
        let entry = figures.entry(partner).or_default();
        entry.monitoring_due += 1;
        if status == "done" {
            entry.monitoring_done += 1;
        }
    }
    Ok(figures)
}

pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    let value = if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    };
    Some((value * 10.0).round() / 10.0)
}

/// id, partner, status, acknowledged, decided, due dates, departed, planned departure.
type OpenReferralFacts = (
    String,
    String,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    NaiveDate,
    NaiveDate,
    Option<NaiveDate>,
    NaiveDate,
);

/// One open SLA breach or overdue visit: ids and dates only.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Overdue {
    pub kind: &'static str,
    pub referral_id: String,
    pub partner_id: String,
    pub visit_id: Option<String>,
    pub due_on: NaiveDate,
    pub days_overdue: i64,
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
        ))
        .load(conn)?;
    let mut items = Vec::new();
    for (id, partner, status, acknowledged, decided, ack_due, decide_due, departed, planned) in rows
    {
        let clock = crate::referrals::SlaClock {
            status: ReferralStatus::parse(&status).unwrap_or(ReferralStatus::Cancelled),
            acknowledged: acknowledged.is_some(),
            decided: decided.is_some(),
            acknowledge_due_on: ack_due,
            decide_due_on: decide_due,
            planned_departure_on: planned,
            departed: departed.is_some(),
        };
        for flag in clock.flags(today, not_departed_after_days) {
            let due_on = match flag {
                "acknowledge_overdue" => ack_due,
                "decision_overdue" => decide_due,
                _ => planned + Duration::days(i64::from(not_departed_after_days)),
            };
            items.push(Overdue {
                kind: flag,
                referral_id: id.clone(),
                partner_id: partner.clone(),
                visit_id: None,
                due_on,
                days_overdue: (today - due_on).num_days(),
            });
        }
    }
    let grace = crate::monitoring::store::GRACE_DAYS;
    let visits: Vec<(String, String, String, NaiveDate)> = scoped!(visits_with_cases!(), scope)
        .filter(referrals::status.eq(ReferralStatus::InProgress.as_str()))
        .filter(monitoring_visits::status.eq("scheduled"))
        .filter(monitoring_visits::due_on.lt(today - Duration::days(grace)))
        .select((
            monitoring_visits::id,
            referrals::id,
            referrals::partner_id,
            monitoring_visits::due_on,
        ))
        .load(conn)?;
    for (visit, referral, partner, due_on) in visits {
        items.push(Overdue {
            kind: "monitoring_missed",
            referral_id: referral,
            partner_id: partner,
            visit_id: Some(visit),
            due_on,
            days_overdue: (today - due_on).num_days(),
        });
    }
    items.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then(a.referral_id.cmp(&b.referral_id))
    });
    Ok(items)
}

/// Done visits in the period, for the sustainability distribution.
pub struct ScoredVisit {
    pub country: String,
    pub partner_id: String,
    pub months_after_arrival: i32,
    pub economic: f64,
    pub social: f64,
    pub psychosocial: f64,
    pub overall: f64,
}

type VisitFacts = (
    String,
    String,
    i32,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

pub fn scored_visits(conn: &mut DbConn, scope: &Scope) -> Result<Vec<ScoredVisit>, DbError> {
    let rows: Vec<VisitFacts> = scoped!(visits_with_cases!(), scope)
        .filter(monitoring_visits::status.eq("done"))
        .filter(monitoring_visits::held_on.ge(scope.from))
        .filter(monitoring_visits::held_on.le(scope.to))
        .select((
            return_cases::destination_country,
            referrals::partner_id,
            monitoring_visits::months_after_arrival,
            monitoring_visits::economic,
            monitoring_visits::social,
            monitoring_visits::psychosocial,
            monitoring_visits::overall,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(country, partner_id, months, e, s, p, o)| {
            Some(ScoredVisit {
                country,
                partner_id,
                months_after_arrival: months,
                economic: e?,
                social: s?,
                psychosocial: p?,
                overall: o?,
            })
        })
        .collect())
}

/// Durations in days between stages, for the medians in the funnel.
#[derive(Debug, Clone, Default)]
pub struct StageDurations {
    pub first_talk_to_return_intention: Vec<f64>,
    pub referral_to_acceptance: Vec<f64>,
    pub acceptance_to_departure: Vec<f64>,
    pub departure_to_arrival: Vec<f64>,
}

/// How long the steps took, for what reached the later step in the period.
pub fn durations(conn: &mut DbConn, scope: &Scope) -> Result<StageDurations, DbError> {
    let mut out = StageDurations::default();
    // Per client: the first talk where they said they want to return (if
    // that falls in the period) and their first talk of all; grouped in the
    // database, so that ten years of talks stay there.
    let returns = talks::table.filter(talks::intention.eq("return"));
    let first_returns: Vec<(String, Option<NaiveDate>)> = match &scope.country {
        None => returns
            .group_by(talks::client_id)
            .select((talks::client_id, min(talks::held_on)))
            .load(conn)?,
        Some(country) => returns
            .filter(
                talks::client_id.eq_any(
                    clients::table
                        .filter(clients::country_of_origin.eq(country.clone()))
                        .select(clients::id),
                ),
            )
            .group_by(talks::client_id)
            .select((talks::client_id, min(talks::held_on)))
            .load(conn)?,
    };
    let decided: BTreeMap<String, NaiveDate> = first_returns
        .into_iter()
        .filter_map(|(client, on)| Some((client, on?)))
        .filter(|(_, on)| *on >= scope.from && *on <= scope.to)
        .collect();
    // The first talk of each of those clients: by their ids when they are
    // few (one bind parameter each), else grouped over all talks, which
    // costs the same whatever the period. Clients not decided in the
    // period are skipped below.
    let firsts: Vec<(String, Option<NaiveDate>)> = if decided.len() <= 2000 {
        let ids: Vec<&String> = decided.keys().collect();
        talks::table
            .filter(talks::client_id.eq_any(ids))
            .group_by(talks::client_id)
            .select((talks::client_id, min(talks::held_on)))
            .load(conn)?
    } else {
        talks::table
            .group_by(talks::client_id)
            .select((talks::client_id, min(talks::held_on)))
            .load(conn)?
    };
    for (client, first) in firsts {
        if let (Some(first), Some(decided)) = (first, decided.get(&client)) {
            out.first_talk_to_return_intention
                .push((*decided - first).num_days() as f64);
        }
    }
    let days = |from: NaiveDateTime, to: NaiveDateTime| {
        ((to - from).num_minutes() as f64 / 1440.0 * 10.0).round() / 10.0
    };
    let accepted: Vec<(
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDate>,
        Option<NaiveDate>,
    )> = if scope.partner_id.is_none() && scope.country.is_none() {
        // Without a scope the return case adds nothing (see count_in_scope).
        referral_history::table
            .inner_join(referrals::table.on(referrals::id.eq(referral_history::referral_id)))
            .filter(referral_history::status.eq(ReferralStatus::Accepted.as_str()))
            .select((
                referrals::sent_at,
                referral_history::at,
                referrals::departed_on,
                referrals::arrived_on,
            ))
            .load(conn)?
    } else {
        scoped!(history_with_cases!(), scope)
            .filter(referral_history::status.eq(ReferralStatus::Accepted.as_str()))
            .select((
                referrals::sent_at,
                referral_history::at,
                referrals::departed_on,
                referrals::arrived_on,
            ))
            .load(conn)?
    };
    for (sent_at, accepted_at, departed_on, arrived_on) in accepted {
        if accepted_at >= scope.start() && accepted_at < scope.end() {
            out.referral_to_acceptance.push(days(sent_at, accepted_at));
        }
        if let Some(departed) = departed_on
            && departed >= scope.from
            && departed <= scope.to
        {
            out.acceptance_to_departure
                .push((departed - accepted_at.date()).num_days() as f64);
        }
        if let (Some(departed), Some(arrived)) = (departed_on, arrived_on)
            && arrived >= scope.from
            && arrived <= scope.to
        {
            out.departure_to_arrival
                .push((arrived - departed).num_days() as f64);
        }
    }
    Ok(out)
}

/// The counts behind the EU AMIF return indicators for one year.
#[derive(Debug, Clone, Default)]
pub struct Amif {
    /// Referrals that departed in the year.
    pub departures: i64,
    /// People who returned with them (the client and household members).
    pub returnees: i64,
    /// Of those people, the ones whose referral has an approved reintegration plan.
    pub returnees_with_reintegration_assistance: i64,
    pub household_members: i64,
}

pub fn amif(conn: &mut DbConn, year: i32) -> Result<Amif, DbError> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    let rows: Vec<(String, String)> = referrals_with_cases()
        .filter(referrals::departed_on.ge(from))
        .filter(referrals::departed_on.le(to))
        .select((referrals::id, return_cases::household_member_ids))
        .load(conn)?;
    let approved: std::collections::HashSet<String> = crate::db::schema::reintegration_plans::table
        .filter(crate::db::schema::reintegration_plans::status.eq("approved"))
        .select(crate::db::schema::reintegration_plans::referral_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let mut out = Amif::default();
    for (id, members) in rows {
        let household = members.split(',').filter(|m| !m.is_empty()).count() as i64;
        let people = 1 + household;
        out.departures += 1;
        out.household_members += household;
        out.returnees += people;
        if approved.contains(&id) {
            out.returnees_with_reintegration_assistance += people;
        }
    }
    Ok(out)
}
