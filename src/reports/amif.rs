//! AMIF: the EU return indicators that apply to a voluntary return
//! programme, for one year, with the programme's counts behind them.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::group::age;
use super::scope::referrals_with_cases;
use super::suppress::{Count, suppress_column_with, suppress_linked};
use crate::clients::Sex;
use crate::db::schema::{clients, referrals, return_cases};
use crate::db::{DbConn, DbError};
use crate::referrals::plan::PlanStatus;

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
    /// Who they were, for the same four figures.
    pub returnees_by: People,
    pub returnees_with_reintegration_assistance_by: People,
    pub departures_by: People,
    pub household_members_by: People,
}

/// People split by who they are: minors (under 18 on the day they left)
/// and adults; and by sex, in the order of `Sex::ALL`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct People {
    pub minors: i64,
    pub adults: i64,
    pub by_sex: [i64; 4],
}

impl People {
    fn add(&mut self, person: (Sex, NaiveDate), on: NaiveDate) {
        let (sex, born) = person;
        if age(born, on) < 18 {
            self.minors += 1;
        } else {
            self.adults += 1;
        }
        if let Some(i) = Sex::ALL.iter().position(|s| *s == sex)
            && let Some(n) = self.by_sex.get_mut(i)
        {
            *n += 1;
        }
    }
}

/// Each client's sex and date of birth, by id, in batches (one bind
/// parameter each).
fn people(conn: &mut DbConn, ids: &[String]) -> Result<HashMap<String, (Sex, NaiveDate)>, DbError> {
    let mut out = HashMap::new();
    for batch in ids.chunks(1000) {
        let rows: Vec<(String, Sex, NaiveDate)> = clients::table
            .filter(clients::id.eq_any(batch))
            .select((clients::id, clients::sex, clients::date_of_birth))
            .load(conn)?;
        out.extend(rows.into_iter().map(|(id, sex, born)| (id, (sex, born))));
    }
    Ok(out)
}

pub fn amif(conn: &mut DbConn, year: i32) -> Result<Amif, DbError> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    // Whether each referral has an approved plan is looked up per referral
    // of the year (the plan is keyed by its referral), never by reading
    // every approved plan ever: the year costs the same however long the
    // history.
    let approved = diesel::dsl::sql::<diesel::sql_types::Bool>(
        "EXISTS (SELECT 1 FROM reintegration_plans \
         WHERE reintegration_plans.referral_id = referrals.id \
         AND reintegration_plans.status = ",
    )
    .bind::<diesel::sql_types::Text, _>(PlanStatus::Approved.as_str())
    .sql(")");
    let rows: Vec<(String, String, Option<NaiveDate>, bool)> = referrals_with_cases()
        .filter(referrals::departed_on.ge(from))
        .filter(referrals::departed_on.le(to))
        .select((
            return_cases::client_id,
            return_cases::household_member_ids,
            referrals::departed_on,
            approved,
        ))
        .load(conn)?;
    let mut ids: Vec<String> = Vec::new();
    for (client, members, _, _) in &rows {
        ids.push(client.clone());
        ids.extend(
            members
                .split(',')
                .filter(|m| !m.is_empty())
                .map(str::to_owned),
        );
    }
    ids.sort();
    ids.dedup();
    let known = people(conn, &ids)?;
    let mut out = Amif::default();
    for (client, members, departed_on, assisted) in rows {
        let on = departed_on.unwrap_or(to);
        let household: Vec<&str> = members.split(',').filter(|m| !m.is_empty()).collect();
        let people = 1 + household.len() as i64;
        out.departures += 1;
        out.household_members += people - 1;
        out.returnees += people;
        if assisted {
            out.returnees_with_reintegration_assistance += people;
        }
        let each =
            std::iter::once((client.as_str(), true)).chain(household.iter().map(|m| (*m, false)));
        for (person, is_client) in each {
            let Some(facts) = known.get(person) else {
                continue;
            };
            out.returnees_by.add(*facts, on);
            if assisted {
                out.returnees_with_reintegration_assistance_by
                    .add(*facts, on);
            }
            if is_client {
                out.departures_by.add(*facts, on);
            } else {
                out.household_members_by.add(*facts, on);
            }
        }
    }
    Ok(out)
}

/// One row per indicator, each followed by its breakdown: `<indicator>.minors`
/// (of whom under 18 on the day they left) and `<indicator>.<sex>`.
/// Returnees = departures + household members: one hidden figure would
/// follow from the other two, so they are hidden together, and so are the
/// same group's cells of the three. Within a breakdown the parts add up to
/// the indicator: where one is hidden a second is, and where the indicator
/// is hidden every part is.
pub fn rows(a: &Amif) -> Vec<Map<String, Value>> {
    let linked = suppress_linked(&[a.returnees, a.departures, a.household_members]);
    let indicators = [
        (
            "returnees_voluntary",
            "Returnees who returned voluntarily",
            linked[0],
            &a.returnees_by,
        ),
        (
            "returnees_reintegration_assistance",
            "Returnees who received reintegration assistance (an approved reintegration plan)",
            Count::of(a.returnees_with_reintegration_assistance),
            &a.returnees_with_reintegration_assistance_by,
        ),
        (
            "departures",
            "Referrals that departed (behind the first indicator)",
            linked[1],
            &a.departures_by,
        ),
        (
            "household_members",
            "Household members who returned with them",
            linked[2],
            &a.household_members_by,
        ),
    ];
    let totals: Vec<Count> = indicators.iter().map(|i| i.2).collect();
    // Returnees, departures and household members: one follows from the others.
    let tied = [0, 2, 3];
    let ages: Vec<Vec<i64>> = indicators
        .iter()
        .map(|i| vec![i.3.minors, i.3.adults])
        .collect();
    let sexes: Vec<Vec<i64>> = indicators.iter().map(|i| i.3.by_sex.to_vec()).collect();
    let ages = suppress_parts(&ages, &totals, &tied);
    let sexes = suppress_parts(&sexes, &totals, &tied);
    let row = |id: String, label: String, count: Count| {
        let mut row = Map::new();
        row.insert("indicator".into(), json!(id));
        row.insert("label".into(), json!(label));
        row.insert("value".into(), count.value());
        row
    };
    let mut rows = Vec::new();
    for (i, (id, label, count, _)) in indicators.iter().enumerate() {
        rows.push(row((*id).to_owned(), (*label).to_owned(), *count));
        if let Some(minors) = ages.get(i).and_then(|a| a.first()) {
            rows.push(row(
                format!("{id}.minors"),
                format!("{label}: of whom minors (under 18 on the day they left)"),
                *minors,
            ));
        }
        for (sex, count) in Sex::ALL.iter().zip(sexes.get(i).into_iter().flatten()) {
            rows.push(row(
                format!("{id}.{sex}"),
                format!("{label}: of whom {sex}"),
                *count,
            ));
        }
    }
    rows
}

/// Breakdowns of figures (`rows`, one per figure, its parts adding up to
/// it) with the figures as shown (`totals`); the figures `tied` follow one
/// from the others, part by part. Small parts hidden; in each breakdown a
/// second where one is (and every part of a hidden figure); in the tied
/// figures, a part hidden in one is hidden in each: until nothing more
/// changes.
pub fn suppress_parts(rows: &[Vec<i64>], totals: &[Count], tied: &[usize]) -> Vec<Vec<Count>> {
    let mut hidden: Vec<Vec<bool>> = rows
        .iter()
        .map(|r| r.iter().map(|n| super::suppress::is_small(*n)).collect())
        .collect();
    loop {
        let before = hidden.clone();
        for (r, values) in rows.iter().enumerate() {
            let whole_hidden = totals.get(r) == Some(&Count::Hidden);
            let shown = suppress_column_with(values, &hidden[r]);
            for (c, count) in shown.iter().enumerate() {
                if *count == Count::Hidden || (whole_hidden && values[c] > 0) {
                    hidden[r][c] = true;
                }
            }
        }
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        for c in 0..width {
            let any = tied
                .iter()
                .any(|r| hidden.get(*r).and_then(|h| h.get(c)) == Some(&true));
            if any {
                for r in tied {
                    if rows.get(*r).and_then(|v| v.get(c)).is_some_and(|n| *n > 0) {
                        hidden[*r][c] = true;
                    }
                }
            }
        }
        if hidden == before {
            break;
        }
    }
    rows.iter()
        .zip(&hidden)
        .map(|(values, hidden)| {
            values
                .iter()
                .zip(hidden)
                .map(|(n, h)| if *h { Count::Hidden } else { Count::of(*n) })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(rows: &[Vec<Count>]) -> Vec<Vec<Value>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.value()).collect())
            .collect()
    }

    #[test]
    fn tied_figures_hide_the_same_group_together() {
        // Returnees, reintegration, departures, household; women, men.
        let rows = vec![vec![8, 12], vec![0, 5], vec![6, 6], vec![2, 6]];
        let totals: Vec<Count> = [20, 5, 12, 8].iter().map(|n| Count::of(*n)).collect();
        assert_eq!(
            shown(&suppress_parts(&rows, &totals, &[0, 2, 3])),
            [
                // The household's 2 women, its men with them; so the
                // returnees' and departures' women and men too.
                vec![json!("<5"), json!("<5")],
                vec![json!(0), json!(5)],
                vec![json!("<5"), json!("<5")],
                vec![json!("<5"), json!("<5")],
            ]
        );
        let rows = vec![vec![10, 12], vec![0, 0], vec![5, 6], vec![5, 6]];
        let totals: Vec<Count> = [22, 0, 11, 11].iter().map(|n| Count::of(*n)).collect();
        assert_eq!(
            shown(&suppress_parts(&rows, &totals, &[0, 2, 3])),
            [
                vec![json!(10), json!(12)],
                vec![json!(0), json!(0)],
                vec![json!(5), json!(6)],
                vec![json!(5), json!(6)],
            ]
        );
    }
}
