//! The funnel: how many reached each stage of the programme in the period,
//! and the median days between stages.

mod cells;

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{count, min};
use diesel::prelude::*;
use serde_json::{Map, Value, json};

pub use cells::{Cells, hidden_among, referral_cells, referral_cells_of};

use super::group::{Group, Members, member};
use super::scope::{
    Scope, count_in_scope, history_with_cases, plans_with_cases, referrals_with_cases, scoped,
    visits_with_cases,
};
use super::suppress::{Count, narrowed, robust_median};
use crate::db::schema::{
    monitoring_visits, referral_history, referrals, reintegration_plans, return_cases, talks,
};
use crate::db::{DbConn, DbError};
use crate::referrals::ReferralStatus;
use crate::referrals::plan::PlanStatus;

/// The CSV's columns: one row per stage.
pub const CSV_COLUMNS: [&str; 2] = ["stage", "count"];

#[derive(Debug, Clone, Default)]
pub struct Funnel {
    pub clients_counselled: i64,
    pub intention_return: i64,
    pub cases_opened: i64,
    pub referrals_sent: i64,
    pub referrals_accepted: i64,
    pub departed: i64,
    pub arrived: i64,
    /// Reintegration plans approved.
    pub plans_approved: i64,
    pub monitoring_visits_done: i64,
    pub closed_completed: i64,
}

/// Counts the rows of `$table` that match `$filter` in the scope, as
/// [`count_in_scope`] does; with a group, only its clients' (the client
/// whose return case it is), through the return case.
macro_rules! count_in {
    ($conn:expr, $scope:expr, $group:expr, $table:expr, $joined:expr, $filter:expr) => {{
        match $group {
            None => count_in_scope!($conn, $scope, $table, $joined, $filter),
            Some(group) => scoped!($joined, $scope)
                .filter($filter)
                .filter(member!(group, "return_cases.client_id"))
                .count()
                .get_result::<i64>($conn)?,
        }
    }};
}

/// Talks of clients from `$country`: a lookup of the talk's client, so
/// that a query over a period reads its own talks, not every client of the
/// country ever (an `IN` subquery would).
macro_rules! of_origin {
    ($country:expr) => {
        diesel::dsl::sql::<diesel::sql_types::Bool>(
            "EXISTS (SELECT 1 FROM clients WHERE clients.id = talks.client_id \
             AND clients.country_of_origin = ",
        )
        .bind::<diesel::sql_types::Text, _>($country.clone())
        .sql(")")
    };
}

/// Talks of clients with a return case referred to `$partner`, looked up
/// per talk (as [`of_origin`]).
macro_rules! referred_to {
    ($partner:expr) => {
        diesel::dsl::sql::<diesel::sql_types::Bool>(
            "EXISTS (SELECT 1 FROM return_cases INNER JOIN referrals \
             ON referrals.return_case_id = return_cases.id \
             WHERE return_cases.client_id = talks.client_id AND referrals.partner_id = ",
        )
        .bind::<diesel::sql_types::Text, _>($partner.clone())
        .sql(")")
    };
}

/// Return cases with a referral to `$partner`, looked up per case.
macro_rules! case_referred_to {
    ($partner:expr) => {
        diesel::dsl::sql::<diesel::sql_types::Bool>(
            "EXISTS (SELECT 1 FROM referrals WHERE referrals.return_case_id = return_cases.id \
             AND referrals.partner_id = ",
        )
        .bind::<diesel::sql_types::Text, _>($partner.clone())
        .sql(")")
    };
}

// After the macros above, which it uses.
mod groups;

pub use groups::Groups;

/// Each stage counts what reached it in the period, whatever came after.
pub fn funnel(conn: &mut DbConn, scope: &Scope) -> Result<Funnel, DbError> {
    funnel_of(conn, scope, None)
}

/// [`funnel`] of the clients of one group: its stages count the same
/// things, of those clients only (a referral, visit or case by the client
/// whose return case it is). Ages are taken on the period's last day.
pub fn funnel_of(
    conn: &mut DbConn,
    scope: &Scope,
    group: Option<Group>,
) -> Result<Funnel, DbError> {
    let members = group.map(|g| g.members(scope.to));
    let group = members.as_ref();
    let (start, end) = (scope.start(), scope.end());
    // Counselling stages: clients by origin country; with a partner, only
    // the clients referred to it. Both are checked per talk of the period
    // (a lookup by the talk's client), so that the count reads the period's
    // talks alone, never every client of a country or partner ever.
    let talked = || {
        let mut talked = talks::table
            .filter(talks::held_on.ge(scope.from))
            .filter(talks::held_on.le(scope.to))
            .into_boxed();
        if let Some(country) = &scope.country {
            talked = talked.filter(of_origin!(country));
        }
        if let Some(partner) = &scope.partner_id {
            talked = talked.filter(referred_to!(partner));
        }
        if let Some(group) = group {
            talked = talked.filter(member!(group, "talks.client_id"));
        }
        talked
    };
    // Grouped rather than COUNT(DISTINCT): PostgreSQL hashes the groups
    // instead of sorting every talk's client id (twice as fast over ten
    // years); SQLite does the same work either way.
    let in_period = talks::held_on
        .ge(scope.from)
        .and(talks::held_on.le(scope.to));
    macro_rules! groups {
        ($query:expr) => {
            $query
                .group_by(talks::client_id)
                .select(talks::client_id)
                .load::<String>(conn)?
                .len() as i64
        };
    }
    let clients_counselled = match (&scope.country, &scope.partner_id) {
        // A group's: counted distinct, as the stage after it is.
        _ if group.is_some() => talked()
            .select(count(talks::client_id).aggregate_distinct())
            .get_result(conn)?,
        (None, None) => groups!(talks::table.filter(in_period)),
        (Some(country), None) => {
            groups!(talks::table.filter(in_period).filter(of_origin!(country)))
        }
        (None, Some(partner)) => {
            groups!(talks::table.filter(in_period).filter(referred_to!(partner)))
        }
        (Some(country), Some(partner)) => groups!(
            talks::table
                .filter(in_period)
                .filter(of_origin!(country))
                .filter(referred_to!(partner))
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
    if let Some(group) = group {
        cases = cases.filter(member!(group, "return_cases.client_id"));
    }
    if let Some(partner) = &scope.partner_id {
        cases = cases.filter(case_referred_to!(partner));
    }
    let cases_opened: i64 = cases.count().get_result(conn)?;

    let referrals_sent = count_in!(
        conn,
        scope,
        group,
        referrals::table,
        referrals_with_cases(),
        referrals::sent_at.ge(start).and(referrals::sent_at.lt(end))
    );
    let referrals_accepted = count_in!(
        conn,
        scope,
        group,
        referral_history::table,
        history_with_cases!(),
        referral_history::status
            .eq(ReferralStatus::Accepted.as_str())
            .and(referral_history::resumed.eq(false))
            .and(referral_history::at.ge(start))
            .and(referral_history::at.lt(end))
    );
    let departed = count_in!(
        conn,
        scope,
        group,
        referrals::table,
        referrals_with_cases(),
        referrals::departed_on
            .ge(scope.from)
            .and(referrals::departed_on.le(scope.to))
    );
    let arrived = count_in!(
        conn,
        scope,
        group,
        referrals::table,
        referrals_with_cases(),
        referrals::arrived_on
            .ge(scope.from)
            .and(referrals::arrived_on.le(scope.to))
    );
    let plans_approved = count_in!(
        conn,
        scope,
        group,
        reintegration_plans::table,
        plans_with_cases!(),
        reintegration_plans::status
            .eq(PlanStatus::Approved.as_str())
            .and(reintegration_plans::decided_at.ge(start))
            .and(reintegration_plans::decided_at.lt(end))
    );
    let monitoring_visits_done = count_in!(
        conn,
        scope,
        group,
        monitoring_visits::table,
        visits_with_cases!(),
        monitoring_visits::status
            .eq("done")
            .and(monitoring_visits::held_on.ge(scope.from))
            .and(monitoring_visits::held_on.le(scope.to))
    );
    let closed_completed = count_in!(
        conn,
        scope,
        group,
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
        plans_approved,
        monitoring_visits_done,
        closed_completed,
    })
}

/// Durations in days between stages, for the medians in the funnel.
#[derive(Debug, Clone, Default)]
pub struct StageDurations {
    pub first_talk_to_return_intention: Vec<f64>,
    pub referral_to_acceptance: Vec<f64>,
    pub acceptance_to_departure: Vec<f64>,
    pub departure_to_arrival: Vec<f64>,
}

/// An accepted referral: when it was sent and accepted, and when the person
/// left and arrived; the fields in the order of the select.
#[derive(Queryable)]
struct AcceptedFacts {
    sent_at: NaiveDateTime,
    accepted_at: NaiveDateTime,
    departed_on: Option<NaiveDate>,
    arrived_on: Option<NaiveDate>,
}

/// How long the steps took, for what reached the later step in the period.
pub fn durations(conn: &mut DbConn, scope: &Scope) -> Result<StageDurations, DbError> {
    let mut out = StageDurations::default();
    // The clients whose first talk with a return intention falls in the
    // period: of those with such a talk in it (read through the period's
    // index), the ones with none before. Their first talks are looked up by
    // client, so that the history outside the period is never read whole.
    let mut returned = talks::table
        .filter(talks::intention.eq("return"))
        .filter(talks::held_on.ge(scope.from))
        .filter(talks::held_on.le(scope.to))
        .select(talks::client_id)
        .distinct()
        .into_boxed();
    if let Some(country) = &scope.country {
        returned = returned.filter(of_origin!(country));
    }
    let returned: Vec<String> = returned.load(conn)?;
    // A bind parameter per client: in chunks, well below either backend's
    // limit.
    for chunk in returned.chunks(2000) {
        let first_returns: Vec<(String, Option<NaiveDate>)> = talks::table
            .filter(talks::intention.eq("return"))
            .filter(talks::client_id.eq_any(chunk))
            .group_by(talks::client_id)
            .select((talks::client_id, min(talks::held_on)))
            .load(conn)?;
        let decided: BTreeMap<String, NaiveDate> = first_returns
            .into_iter()
            .filter_map(|(client, on)| Some((client, on?)))
            .filter(|(_, on)| *on >= scope.from && *on <= scope.to)
            .collect();
        let ids: Vec<&String> = decided.keys().collect();
        let firsts: Vec<(String, Option<NaiveDate>)> = talks::table
            .filter(talks::client_id.eq_any(ids))
            .group_by(talks::client_id)
            .select((talks::client_id, min(talks::held_on)))
            .load(conn)?;
        for (client, first) in firsts {
            if let (Some(first), Some(decided)) = (first, decided.get(&client)) {
                out.first_talk_to_return_intention
                    .push((*decided - first).num_days() as f64);
            }
        }
    }
    let days = |from: NaiveDateTime, to: NaiveDateTime| {
        ((to - from).num_minutes() as f64 / 1440.0 * 10.0).round() / 10.0
    };
    // Each step's durations from the accepted referrals that reached the
    // step in the period, read through that step's index.
    macro_rules! accepted {
        ($filter:expr) => {{
            let facts: Vec<AcceptedFacts> = if scope.partner_id.is_none() && scope.country.is_none()
            {
                // Without a scope the return case adds nothing (see
                // count_in_scope).
                referral_history::table
                    .inner_join(
                        referrals::table.on(referrals::id.eq(referral_history::referral_id)),
                    )
                    .filter(referral_history::status.eq(ReferralStatus::Accepted.as_str()))
                    .filter(referral_history::resumed.eq(false))
                    .filter($filter)
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
                    .filter(referral_history::resumed.eq(false))
                    .filter($filter)
                    .select((
                        referrals::sent_at,
                        referral_history::at,
                        referrals::departed_on,
                        referrals::arrived_on,
                    ))
                    .load(conn)?
            };
            facts
        }};
    }
    let (start, end) = (scope.start(), scope.end());
    for facts in accepted!(
        referral_history::at
            .ge(start)
            .and(referral_history::at.lt(end))
    ) {
        out.referral_to_acceptance
            .push(days(facts.sent_at, facts.accepted_at));
    }
    let departed = referrals::departed_on
        .ge(scope.from)
        .and(referrals::departed_on.le(scope.to));
    for facts in accepted!(departed) {
        if let Some(departed) = facts.departed_on {
            out.acceptance_to_departure
                .push((departed - facts.accepted_at.date()).num_days() as f64);
        }
    }
    let arrived = referrals::arrived_on
        .ge(scope.from)
        .and(referrals::arrived_on.le(scope.to));
    for facts in accepted!(arrived) {
        if let (Some(departed), Some(arrived)) = (facts.departed_on, facts.arrived_on) {
            out.departure_to_arrival
                .push((arrived - departed).num_days() as f64);
        }
    }
    Ok(out)
}

/// The stages in order, with their counts.
pub fn stages(f: &Funnel) -> [(&'static str, i64); 10] {
    [
        ("clients_counselled", f.clients_counselled),
        ("intention_return", f.intention_return),
        ("cases_opened", f.cases_opened),
        ("referrals_sent", f.referrals_sent),
        ("referrals_accepted", f.referrals_accepted),
        ("departed", f.departed),
        ("arrived", f.arrived),
        ("plans_approved", f.plans_approved),
        ("monitoring_visits_done", f.monitoring_visits_done),
        ("closed_completed", f.closed_completed),
    ]
}

/// The stages from `referrals_sent` on count referrals (or their history
/// and visits), each of one partner and one destination.
const FIRST_REFERRAL_STAGE: usize = 3;

/// The funnel as a lead sees it: small counts hidden, and under a filter
/// (a partner, a country) each count judged against the same count without
/// it ([`narrowed`]) and, for the referral stages, against the other
/// partners' and countries' counts ([`hidden_among`]), so that no
/// subtraction between the answers a lead can ask for names a small group.
pub fn shown(conn: &mut DbConn, scope: &Scope) -> Result<Vec<(&'static str, Count)>, DbError> {
    Ok(judged(conn, scope, None)?
        .into_iter()
        .map(|(stage, _, count)| (stage, count))
        .collect())
}

/// Each stage of the funnel of the scope (of a group's clients, with
/// one): its count, and the count as [`shown`] judges it, the group's
/// counts in every wider scope and among the other partners and countries
/// standing in for the whole programme's.
///
/// With a group this runs a funnel per wider scope: the breakdowns count
/// every group at once instead ([`Groups`]), judged the same way
/// ([`judge`]); this stays as the reference they are tested against.
pub fn judged(
    conn: &mut DbConn,
    scope: &Scope,
    group: Option<Group>,
) -> Result<Vec<(&'static str, i64, Count)>, DbError> {
    let own = stages(&funnel_of(conn, scope, group)?);
    let wider = scope.wider();
    if wider.is_empty() {
        return Ok(judge(scope, &own, &[], &[]));
    }
    let mut wider_stages = Vec::new();
    for w in &wider {
        wider_stages.push(stages(&funnel_of(conn, w, group)?));
    }
    let members: Option<Members> = group.map(|g| g.members(scope.to));
    let cells = referral_cells_of(conn, scope, members.as_ref())?;
    Ok(judge(scope, &own, &wider_stages, &cells))
}

/// The judgment of [`judged`] over counts already read: `own` the scope's
/// stages, `wider` the same stages in each scope of `scope.wider()` (in
/// its order), `cells` the referral stages per partner and destination
/// (of the same clients; unread and empty without a filter, where nothing
/// is judged but the count itself).
pub fn judge(
    scope: &Scope,
    own: &[(&'static str, i64); 10],
    wider: &[[(&'static str, i64); 10]],
    cells: &[Cells],
) -> Vec<(&'static str, i64, Count)> {
    if wider.is_empty() {
        return own.iter().map(|(s, n)| (*s, *n, Count::of(*n))).collect();
    }
    own.iter()
        .enumerate()
        .map(|(i, (stage, n))| {
            let beside: Vec<i64> = wider.iter().map(|w| w[i].1).collect();
            let mut count = narrowed(*n, &beside);
            if let Some(cells) = i
                .checked_sub(FIRST_REFERRAL_STAGE)
                .and_then(|j| cells.get(j))
                && *n > 0
                && hidden_among(cells, scope)
            {
                count = Count::Hidden;
            }
            (*stage, *n, count)
        })
        .collect()
}

/// One CSV row per stage, small counts hidden.
pub fn csv_rows(shown: &[(&'static str, Count)]) -> Vec<Map<String, Value>> {
    shown
        .iter()
        .map(|(stage, count)| {
            let mut row = Map::new();
            row.insert("stage".into(), json!(stage));
            row.insert("count".into(), count.value());
            row
        })
        .collect()
}

/// The JSON answer: each stage's count, the medians, and the period.
pub fn body(shown: &[(&'static str, Count)], durations: &StageDurations, scope: &Scope) -> Value {
    let medians = json!({
        "first_talk_to_return_intention": robust_median(&durations.first_talk_to_return_intention),
        "referral_to_acceptance": robust_median(&durations.referral_to_acceptance),
        "acceptance_to_departure": robust_median(&durations.acceptance_to_departure),
        "departure_to_arrival": robust_median(&durations.departure_to_arrival),
    });
    let mut body = Map::new();
    for (stage, count) in shown {
        body.insert((*stage).into(), count.value());
    }
    body.insert("median_days".into(), medians);
    body.insert("period".into(), scope.period());
    Value::Object(body)
}
