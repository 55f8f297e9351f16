//! The funnel's referral stages per partner and destination country: to
//! judge a filtered count among the counts of the other partners and
//! countries, as the partners report judges its column.

use std::collections::BTreeMap;

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::super::group::{Members, member};
use super::super::scope::{
    Scope, history_with_cases, plans_with_cases, referrals_with_cases, visits_with_cases,
};
use super::super::suppress::{Count, narrowed, suppress_column_with};
use crate::db::schema::{
    monitoring_visits, referral_history, referrals, reintegration_plans, return_cases,
};
use crate::db::{DbConn, DbError};
use crate::referrals::ReferralStatus;
use crate::referrals::plan::PlanStatus;

/// A referral stage's counts per partner and destination country.
pub type Cells = BTreeMap<(String, String), i64>;

/// Whether the scope's count is hidden among the counts its filters pick
/// it from: among every partner's (in the scope's country) when it names a
/// partner, among every country's (of the scope's partner) when it names a
/// country. Each part is also judged against its own count without the
/// other filter, as that answer would show it. The partners report hides
/// its column of referrals the same way.
pub fn hidden_among(cells: &Cells, scope: &Scope) -> bool {
    let mut hidden = false;
    if let Some(partner) = &scope.partner_id {
        let split = split(cells, |(p, c)| {
            let inside = scope.country.as_deref().is_none_or(|x| x == c);
            (p.as_str(), inside)
        });
        hidden |= hidden_part(&split, partner);
    }
    if let Some(country) = &scope.country {
        let split = split(cells, |(p, c)| {
            let inside = scope.partner_id.as_deref().is_none_or(|x| x == p);
            (c.as_str(), inside)
        });
        hidden |= hidden_part(&split, country);
    }
    hidden
}

/// Per part (a partner or a country): its count inside the other filter,
/// and its count without it (the filter's other part dropped).
fn split<'c>(
    cells: &'c Cells,
    part: impl Fn(&'c (String, String)) -> (&'c str, bool),
) -> BTreeMap<&'c str, (i64, i64)> {
    let mut parts: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for (key, n) in cells {
        let (name, inside) = part(key);
        let entry = parts.entry(name).or_default();
        entry.1 += n;
        if inside {
            entry.0 += n;
        }
    }
    parts
}

fn hidden_part(parts: &BTreeMap<&str, (i64, i64)>, ours: &str) -> bool {
    let values: Vec<i64> = parts.values().map(|(inside, _)| *inside).collect();
    let grand: i64 = parts.values().map(|(_, all)| *all).sum();
    let also: Vec<bool> = parts
        .values()
        .map(|(inside, all)| narrowed(*inside, &[*all, grand]) == Count::Hidden)
        .collect();
    let shown = suppress_column_with(&values, &also);
    parts
        .keys()
        .position(|k| *k == ours)
        .is_some_and(|i| shown[i] == Count::Hidden)
}

// Grouped by a referral's partner and its case's destination together.
diesel::allow_columns_to_appear_in_same_group_by_clause!(
    referrals::partner_id,
    return_cases::destination_country
);

/// Counts grouped by partner and destination country, of the clients of
/// `$group` (all without one).
macro_rules! grouped {
    ($conn:expr, $group:expr, $joined:expr, $filter:expr) => {{
        let by = (referrals::partner_id, return_cases::destination_country);
        let select = (
            referrals::partner_id,
            return_cases::destination_country,
            count_star(),
        );
        let rows: Vec<(String, String, i64)> = match $group {
            None => $joined
                .filter($filter)
                .group_by(by)
                .select(select)
                .load($conn)?,
            Some(group) => $joined
                .filter($filter)
                .filter(member!(group, "return_cases.client_id"))
                .group_by(by)
                .select(select)
                .load($conn)?,
        };
        rows.into_iter()
            .map(|(p, c, n)| ((p, c), n))
            .collect::<Cells>()
    }};
}

/// The referral stages' counts in the period per partner and country, in
/// the order of the funnel's stages.
pub fn referral_cells(conn: &mut DbConn, scope: &Scope) -> Result<Vec<Cells>, DbError> {
    referral_cells_of(conn, scope, None)
}

/// The funnel's referral stages in order (from `referrals_sent`): each as
/// its rows joined to their referral and return case, and the filter that
/// puts a row in `$scope`'s period; `$count!($conn, $arg, joined, filter)`
/// of each, in a `Vec`. The funnel's cells here and the Who breakdown's
/// grouped read ([`super::groups`]) count the same stages through it.
macro_rules! each_referral_stage {
    ($count:ident, $conn:expr, $arg:expr, $scope:expr) => {{
        let (start, end) = ($scope.start(), $scope.end());
        vec![
            $count!(
                $conn,
                $arg,
                referrals_with_cases(),
                referrals::sent_at.ge(start).and(referrals::sent_at.lt(end))
            ),
            $count!(
                $conn,
                $arg,
                history_with_cases!(),
                referral_history::status
                    .eq(ReferralStatus::Accepted.as_str())
                    .and(referral_history::resumed.eq(false))
                    .and(referral_history::at.ge(start))
                    .and(referral_history::at.lt(end))
            ),
            $count!(
                $conn,
                $arg,
                referrals_with_cases(),
                referrals::departed_on
                    .ge($scope.from)
                    .and(referrals::departed_on.le($scope.to))
            ),
            $count!(
                $conn,
                $arg,
                referrals_with_cases(),
                referrals::arrived_on
                    .ge($scope.from)
                    .and(referrals::arrived_on.le($scope.to))
            ),
            $count!(
                $conn,
                $arg,
                plans_with_cases!(),
                reintegration_plans::status
                    .eq(PlanStatus::Approved.as_str())
                    .and(reintegration_plans::decided_at.ge(start))
                    .and(reintegration_plans::decided_at.lt(end))
            ),
            $count!(
                $conn,
                $arg,
                visits_with_cases!(),
                monitoring_visits::status
                    .eq("done")
                    .and(monitoring_visits::held_on.ge($scope.from))
                    .and(monitoring_visits::held_on.le($scope.to))
            ),
            $count!(
                $conn,
                $arg,
                referrals_with_cases(),
                referrals::outcome
                    .eq("completed")
                    .and(referrals::closed_at.ge(start))
                    .and(referrals::closed_at.lt(end))
            ),
        ]
    }};
}

pub(super) use each_referral_stage;

/// [`referral_cells`] of the clients of one group only.
pub fn referral_cells_of(
    conn: &mut DbConn,
    scope: &Scope,
    group: Option<&Members>,
) -> Result<Vec<Cells>, DbError> {
    Ok(each_referral_stage!(grouped, conn, group, scope))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn cells(of: &[(&str, &str, i64)]) -> Cells {
        of.iter()
            .map(|(p, c, n)| (((*p).to_owned(), (*c).to_owned()), *n))
            .collect()
    }

    fn scope(partner: Option<&str>, country: Option<&str>) -> Scope {
        Scope {
            from: NaiveDate::MIN,
            to: NaiveDate::MAX,
            country: country.map(str::to_owned),
            partner_id: partner.map(str::to_owned),
            requested: None,
        }
    }

    #[test]
    fn a_partner_s_count_is_hidden_with_the_other_partners() {
        let table = cells(&[("a", "GH", 5), ("b", "GH", 5), ("c", "TN", 2)]);
        let hidden = |p| hidden_among(&table, &scope(Some(p), None));
        // c's 2 is hidden, and a second with it, or 12 - 5 - 5 gives it.
        assert_eq!([hidden("a"), hidden("b"), hidden("c")], [true, false, true]);
        assert!(hidden_among(&table, &scope(None, Some("TN"))));
        assert!(!hidden_among(&table, &scope(None, None)));
    }

    #[test]
    fn a_cell_of_both_filters_is_judged_in_both_directions() {
        // Within Ghana a's 9 and b's 7 are large, but b's 7 leaves out its
        // 2 in Tunisia, so b is hidden in Ghana, and a with it.
        let table = cells(&[("a", "GH", 9), ("b", "GH", 7), ("b", "TN", 2)]);
        assert!(hidden_among(&table, &scope(Some("a"), Some("GH"))));
        assert!(hidden_among(&table, &scope(Some("b"), Some("GH"))));
        let clear = cells(&[("a", "GH", 9), ("b", "GH", 7), ("b", "TN", 8)]);
        assert!(!hidden_among(&clear, &scope(Some("a"), Some("GH"))));
    }
}
