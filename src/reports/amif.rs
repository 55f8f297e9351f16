//! AMIF: the EU return indicators that apply to a voluntary return
//! programme, for one year, with the programme's counts behind them.

use std::collections::HashSet;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::scope::referrals_with_cases;
use super::suppress::{Count, suppress_linked};
use crate::db::schema::{referrals, reintegration_plans, return_cases};
use crate::db::{DbConn, DbError};

pub const COLUMNS: [&str; 3] = ["indicator", "label", "value"];

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
    let approved: HashSet<String> = reintegration_plans::table
        .filter(reintegration_plans::status.eq("approved"))
        .select(reintegration_plans::referral_id)
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

/// One row per indicator. Returnees = departures + household members: one
/// hidden figure would follow from the other two, so they are hidden together.
pub fn rows(a: &Amif) -> Vec<Map<String, Value>> {
    let linked = suppress_linked(&[a.returnees, a.departures, a.household_members]);
    [
        (
            "returnees_voluntary",
            "Returnees who returned voluntarily",
            linked[0],
        ),
        (
            "returnees_reintegration_assistance",
            "Returnees who received reintegration assistance (an approved reintegration plan)",
            Count::of(a.returnees_with_reintegration_assistance),
        ),
        (
            "departures",
            "Referrals that departed (behind the first indicator)",
            linked[1],
        ),
        (
            "household_members",
            "Household members who returned with them",
            linked[2],
        ),
    ]
    .iter()
    .map(|(id, label, count)| {
        let mut row = Map::new();
        row.insert("indicator".into(), json!(id));
        row.insert("label".into(), json!(label));
        row.insert("value".into(), count.value());
        row
    })
    .collect()
}
