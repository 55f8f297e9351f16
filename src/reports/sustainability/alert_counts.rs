//! Sustainability alerts per country, partner and months since arrival:
//! the alerts raised by the reports of visits held in the period. Hidden as
//! the report's groups are (by the returnees behind them, fewer than five
//! shown as `"<5"`, a second cell with a lone hidden one, the narrowed-filter
//! rule), so that an alert count never singles out a returnee.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::super::scope::Scope;
use super::super::suppress::Count;
use super::{Decisions, GROUPINGS, ScoredVisit, decide};
use crate::db::schema::{monitoring_visits, referrals, return_cases, sustainability_alerts};
use crate::db::{DbConn, DbError};

/// The alerts of one group, as a report shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertCount {
    /// `country` or `partner_id`.
    pub group_by: &'static str,
    pub group: String,
    /// How many alerts; `"<5"` for 1 to 4, or where fewer than five
    /// returnees are behind them or a hidden cell could be worked out.
    pub alerts: Count,
}

/// The alerts raised by reports of visits held in the scope's period, of
/// every partner and country (the filters are applied when deciding what
/// to show), each as the visit it is about (scores left at 0).
pub fn alert_facts(conn: &mut DbConn, scope: &Scope) -> Result<Vec<ScoredVisit>, DbError> {
    let rows: Vec<(String, String, String, i32)> = sustainability_alerts::table
        .inner_join(
            monitoring_visits::table.on(monitoring_visits::id.eq(sustainability_alerts::visit_id)),
        )
        .inner_join(referrals::table.on(referrals::id.eq(sustainability_alerts::referral_id)))
        .inner_join(return_cases::table.on(return_cases::id.eq(referrals::return_case_id)))
        .filter(monitoring_visits::held_on.ge(scope.from))
        .filter(monitoring_visits::held_on.le(scope.to))
        .select((
            referrals::id,
            return_cases::destination_country,
            referrals::partner_id,
            monitoring_visits::months_after_arrival,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(referral_id, country, partner_id, months_after_arrival)| ScoredVisit {
                referral_id,
                country,
                partner_id,
                months_after_arrival,
                economic: 0.0,
                social: 0.0,
                psychosocial: 0.0,
                overall: 0.0,
            },
        )
        .collect())
}

/// Per grouping of the report (country, partner, months since arrival),
/// each group's alert count as shown.
pub fn cells(facts: &[ScoredVisit], scope: &Scope) -> Vec<BTreeMap<String, Count>> {
    let decided = decide(facts, scope, &mut Decisions::new());
    decided
        .groups
        .iter()
        .zip(&decided.shown)
        .map(|(groups, shown)| {
            groups
                .iter()
                .zip(shown)
                .map(|((group, members), count)| {
                    let count = match count {
                        Count::Hidden => Count::Hidden,
                        Count::Shown(_) => Count::of(members.len() as i64),
                    };
                    (group.clone(), count)
                })
                .collect()
        })
        .collect()
}

/// The alert counts per country and per partner in `scope`, suppressed as
/// every report is: for the lead's dashboards. Only groups with alerts are
/// listed; a group not listed had none.
pub fn alerts(conn: &mut DbConn, scope: &Scope) -> Result<Vec<AlertCount>, DbError> {
    let facts = alert_facts(conn, scope)?;
    Ok(GROUPINGS
        .iter()
        .zip(cells(&facts, scope))
        .filter(|((name, _), _)| *name != "months_since_arrival")
        .flat_map(|((name, _), groups)| {
            groups.into_iter().map(move |(group, alerts)| AlertCount {
                group_by: name,
                group,
                alerts,
            })
        })
        .collect())
}

/// Adds each row's `alerts` (0 where its group had none).
pub fn add_alerts(rows: &mut [Map<String, Value>], cells: &[BTreeMap<String, Count>]) {
    for row in rows {
        let grouping = GROUPINGS
            .iter()
            .position(|(name, _)| row.get("group_by") == Some(&json!(name)));
        let group = row.get("group").and_then(Value::as_str).unwrap_or_default();
        let count = grouping
            .and_then(|g| cells.get(g))
            .and_then(|groups| groups.get(group))
            .copied()
            .unwrap_or(Count::Shown(0));
        row.insert("alerts".into(), count.value());
    }
}

#[cfg(test)]
mod tests;
