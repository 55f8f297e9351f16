//! Sustainability: the scores of the monitoring visits done in the period,
//! grouped by country, by partner and by months since arrival.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::scope::{Scope, scoped, visits_with_cases};
use super::suppress::{Count, suppress_column};
use crate::db::schema::{monitoring_visits, referrals, return_cases};
use crate::db::{DbConn, DbError};
use crate::monitoring::VisitStatus;

pub const COLUMNS: [&str; 8] = [
    "group_by",
    "group",
    "visits",
    "economic",
    "social",
    "psychosocial",
    "overall",
    "overall_distribution",
];

/// How visits are grouped.
type GroupKey = fn(&ScoredVisit) -> String;

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

/// A done visit's group keys and scores; the fields in the order of the
/// select.
#[derive(Queryable)]
struct VisitFacts {
    country: String,
    partner_id: String,
    months_after_arrival: i32,
    economic: Option<f64>,
    social: Option<f64>,
    psychosocial: Option<f64>,
    overall: Option<f64>,
}

pub fn scored_visits(conn: &mut DbConn, scope: &Scope) -> Result<Vec<ScoredVisit>, DbError> {
    let rows: Vec<VisitFacts> = scoped!(visits_with_cases!(), scope)
        .filter(monitoring_visits::status.eq(VisitStatus::Done))
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
        .filter_map(|row| {
            Some(ScoredVisit {
                country: row.country,
                partner_id: row.partner_id,
                months_after_arrival: row.months_after_arrival,
                economic: row.economic?,
                social: row.social?,
                psychosocial: row.psychosocial?,
                overall: row.overall?,
            })
        })
        .collect())
}

/// One row per group of each grouping: the number of visits, the mean
/// scores and the distribution of the overall score, small groups hidden.
pub fn rows(visits: &[ScoredVisit]) -> Vec<Map<String, Value>> {
    let mut rows = Vec::new();
    let groupings: [(&str, GroupKey); 3] = [
        ("country", |v| v.country.clone()),
        ("partner_id", |v| v.partner_id.clone()),
        ("months_since_arrival", |v| {
            v.months_after_arrival.to_string()
        }),
    ];
    for (name, key) in groupings {
        let mut groups: BTreeMap<String, Vec<&ScoredVisit>> = BTreeMap::new();
        for visit in visits {
            groups.entry(key(visit)).or_default().push(visit);
        }
        // One grouping splits the same visits: a hidden count must not be
        // recoverable from the others, so suppression runs across it.
        let sizes: Vec<i64> = groups.values().map(|m| m.len() as i64).collect();
        let shown_sizes = suppress_column(&sizes);
        for ((group, members), size) in groups.into_iter().zip(shown_sizes) {
            let n = members.len() as i64;
            let visible = size != Count::Hidden;
            let mut row = Map::new();
            row.insert("group_by".into(), json!(name));
            row.insert("group".into(), json!(group));
            row.insert("visits".into(), size.value());
            // Scores of a hidden group would describe its few people: not shown.
            let mean = |pick: fn(&ScoredVisit) -> f64| {
                if visible {
                    let sum: f64 = members.iter().map(|v| pick(v)).sum();
                    json!(((sum / n as f64) * 1000.0).round() / 1000.0)
                } else {
                    Value::Null
                }
            };
            row.insert("economic".into(), mean(|v| v.economic));
            row.insert("social".into(), mean(|v| v.social));
            row.insert("psychosocial".into(), mean(|v| v.psychosocial));
            row.insert("overall".into(), mean(|v| v.overall));
            let bands = ["0-0.25", "0.25-0.5", "0.5-0.75", "0.75-1"];
            let mut counts = [0i64; 4];
            for visit in &members {
                let band = ((visit.overall * 4.0).floor() as usize).min(3);
                counts[band] += 1;
            }
            let distribution = if visible {
                let shown = suppress_column(&counts);
                let map: Map<String, Value> = bands
                    .iter()
                    .zip(shown)
                    .map(|(b, c)| ((*b).to_owned(), c.value()))
                    .collect();
                Value::Object(map)
            } else {
                Value::Null
            };
            row.insert("overall_distribution".into(), distribution);
            rows.push(row);
        }
    }
    rows
}
