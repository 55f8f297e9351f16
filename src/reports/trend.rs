//! The monthly trend of referrals sent and departures, for the lead's
//! overview. Each month's figure is the one the funnel shows for that
//! month asked alone (every month is a period a lead may ask for): small
//! counts hidden, and under a filter judged as the funnel judges its
//! referral stages, so the trend tells nothing those answers do not.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::funnel::{Cells, hidden_among};
use super::scope::{Scope, month_start, referrals_with_cases};
use super::suppress::{Count, narrowed, suppress_column_with};
use crate::db::schema::{referrals, return_cases};
use crate::db::{DbConn, DbError};

pub const COLUMNS: [&str; 3] = ["month", "referrals_sent", "departed"];

/// One figure per month of the period, oldest first.
#[derive(Debug, Clone)]
pub struct Trend {
    pub months: Vec<NaiveDate>,
    pub referrals_sent: Vec<Count>,
    pub departed: Vec<Count>,
}

/// The months of the scope's period, each as its first day.
pub fn months(scope: &Scope) -> Vec<NaiveDate> {
    let mut months = Vec::new();
    let mut month = month_start(scope.from);
    while month <= scope.to {
        months.push(month);
        match month.checked_add_months(chrono::Months::new(1)) {
            Some(next) => month = next,
            None => break,
        }
    }
    months
}

pub fn trend(conn: &mut DbConn, scope: &Scope) -> Result<Trend, DbError> {
    let (start, end) = (scope.start(), scope.end());
    // Every partner's and country's in the period: the filters are judged
    // against them, as the funnel judges its referral stages.
    let sent: Vec<(NaiveDateTime, String, String)> = referrals_with_cases()
        .filter(referrals::sent_at.ge(start))
        .filter(referrals::sent_at.lt(end))
        .select((
            referrals::sent_at,
            referrals::partner_id,
            return_cases::destination_country,
        ))
        .load(conn)?;
    let departed: Vec<(Option<NaiveDate>, String, String)> = referrals_with_cases()
        .filter(referrals::departed_on.ge(scope.from))
        .filter(referrals::departed_on.le(scope.to))
        .select((
            referrals::departed_on,
            referrals::partner_id,
            return_cases::destination_country,
        ))
        .load(conn)?;
    let months = months(scope);
    let sent = by_month(sent.into_iter().map(|(at, p, c)| (at.date(), p, c)));
    let departed = by_month(
        departed
            .into_iter()
            .filter_map(|(on, p, c)| on.map(|on| (on, p, c))),
    );
    let shown = |cells: &BTreeMap<NaiveDate, Cells>| -> Vec<Count> {
        let (values, counts): (Vec<i64>, Vec<Count>) = months
            .iter()
            .map(|month| {
                let empty = Cells::new();
                let cells = cells.get(month).unwrap_or(&empty);
                let month_scope = Scope {
                    from: *month,
                    to: super::scope::month_end(*month),
                    requested: None,
                    ..scope.clone()
                };
                let own: i64 = cells
                    .iter()
                    .filter(|((p, c), _)| month_scope.covers(p, c))
                    .map(|(_, n)| n)
                    .sum();
                (own, shown_cell(cells, &month_scope))
            })
            .unzip();
        complement(&values, &counts)
    };
    Ok(Trend {
        referrals_sent: shown(&sent),
        departed: shown(&departed),
        months,
    })
}

/// The months are the parts of the period's figure, which the same page
/// shows: where one month alone is hidden, another goes with it (and a
/// month is hidden where the other months together are 1 to 4), so that
/// the period less the shown months gives no hidden one away.
fn complement(values: &[i64], counts: &[Count]) -> Vec<Count> {
    let hidden: Vec<bool> = counts.iter().map(|c| *c == Count::Hidden).collect();
    suppress_column_with(values, &hidden)
}

/// Where the period's own figure is hidden, every month with something in
/// it is hidden too: the months would add up to it.
pub fn hide_under(total: Count, months: &mut [Count]) {
    if total == Count::Hidden {
        for month in months.iter_mut() {
            if *month != Count::Shown(0) {
                *month = Count::Hidden;
            }
        }
    }
}

fn by_month(rows: impl Iterator<Item = (NaiveDate, String, String)>) -> BTreeMap<NaiveDate, Cells> {
    let mut months: BTreeMap<NaiveDate, Cells> = BTreeMap::new();
    for (day, partner, country) in rows {
        let month = day.with_day(1).unwrap_or(day);
        *months
            .entry(month)
            .or_default()
            .entry((partner, country))
            .or_default() += 1;
    }
    months
}

/// A month's count in the scope, as the funnel would show it for that
/// month: hidden when small, when what a filter leaves out is, or when it
/// is hidden among the other partners' (countries') counts.
pub fn shown_cell(cells: &Cells, scope: &Scope) -> Count {
    let sum = |s: &Scope| -> i64 {
        cells
            .iter()
            .filter(|((p, c), _)| s.covers(p, c))
            .map(|(_, n)| n)
            .sum()
    };
    let own = sum(scope);
    let wider: Vec<i64> = scope.wider().iter().map(sum).collect();
    if wider.is_empty() {
        return Count::of(own);
    }
    let count = narrowed(own, &wider);
    if own > 0 && hidden_among(cells, scope) {
        Count::Hidden
    } else {
        count
    }
}

/// One row per month, for the data table and the CSV.
pub fn rows(trend: &Trend) -> Vec<Map<String, Value>> {
    trend
        .months
        .iter()
        .enumerate()
        .map(|(i, month)| {
            let mut row = Map::new();
            row.insert("month".into(), json!(month.format("%Y-%m").to_string()));
            let cell = |counts: &[Count]| counts.get(i).copied().unwrap_or(Count::Shown(0)).value();
            row.insert("referrals_sent".into(), cell(&trend.referrals_sent));
            row.insert("departed".into(), cell(&trend.departed));
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(country: Option<&str>, partner: Option<&str>) -> Scope {
        Scope {
            from: "2026-01-01".parse().expect("date"),
            to: "2026-03-31".parse().expect("date"),
            country: country.map(str::to_owned),
            partner_id: partner.map(str::to_owned),
            requested: None,
        }
    }

    fn cells(list: &[(&str, &str, i64)]) -> Cells {
        list.iter()
            .map(|(p, c, n)| (((*p).to_owned(), (*c).to_owned()), *n))
            .collect()
    }

    #[test]
    fn a_lone_hidden_month_takes_another_with_it_and_a_hidden_period_all() {
        let values = [3, 10, 12, 0];
        let counts: Vec<Count> = values.iter().map(|n| Count::of(*n)).collect();
        // 25 for the period less 10 and 12 would give the 3: the 10 goes too.
        assert_eq!(
            complement(&values, &counts),
            [
                Count::Hidden,
                Count::Hidden,
                Count::Shown(12),
                Count::Shown(0)
            ]
        );
        let mut months = vec![Count::Shown(6), Count::Shown(0), Count::Hidden];
        hide_under(Count::Hidden, &mut months);
        assert_eq!(months, [Count::Hidden, Count::Shown(0), Count::Hidden]);
        let mut shown = vec![Count::Shown(6)];
        hide_under(Count::Shown(6), &mut shown);
        assert_eq!(shown, [Count::Shown(6)]);
    }

    #[test]
    fn a_period_has_its_months_in_order() {
        let months: Vec<String> = months(&scope(None, None))
            .iter()
            .map(|m| m.format("%Y-%m").to_string())
            .collect();
        assert_eq!(months, ["2026-01", "2026-02", "2026-03"]);
    }

    #[test]
    fn a_month_is_shown_as_that_month_alone_would_be() {
        let month = cells(&[("a", "GH", 6), ("b", "GH", 7), ("b", "IQ", 2)]);
        // Unfiltered: 15.
        assert_eq!(shown_cell(&month, &scope(None, None)), Count::Shown(15));
        // Ghana leaves out 2 (Iraq): hidden, or 15 − 13 would name them.
        assert_eq!(shown_cell(&month, &scope(Some("GH"), None)), Count::Hidden);
        // Partner a: 6 of 15, the rest (9) is large, and b's 9 is too.
        assert_eq!(shown_cell(&month, &scope(None, Some("a"))), Count::Shown(6));
        // Small counts are hidden whatever the filter.
        let small = cells(&[("a", "GH", 3)]);
        assert_eq!(shown_cell(&small, &scope(None, None)), Count::Hidden);
        assert_eq!(
            shown_cell(&Cells::new(), &scope(None, None)),
            Count::Shown(0)
        );
    }
}
