//! What a report covers (a period of whole months, perhaps a country and a
//! partner), and the query pieces that narrow a report's SQL to it.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::db::schema::{referrals, return_cases};

/// Which part of the programme a report covers.
#[derive(Debug, Clone)]
pub struct Scope {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Destination (and, for counselling, origin) country.
    pub country: Option<String>,
    pub partner_id: Option<String>,
    /// The dates asked for, when they were widened to whole months.
    pub requested: Option<(NaiveDate, NaiveDate)>,
}

/// The first day of the month.
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The last day of the month.
pub fn month_end(day: NaiveDate) -> NaiveDate {
    month_start(day)
        .checked_add_months(Months::new(1))
        .map_or(day, |next| next - Duration::days(1))
}

/// A period of whole months covering `from` to `to`: a report over a day
/// more or less would tell a lead what one person did on that day.
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    (month_start(from), month_end(to))
}

/// The last twelve months on `today`: this month and the eleven before it.
pub fn last_twelve_months(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let from = month_start(today)
        .checked_sub_months(Months::new(11))
        .unwrap_or(today);
    (from, month_end(today))
}

impl Scope {
    /// The scope of the same period without the filters: to judge what a
    /// filtered figure's complement would tell.
    pub fn unfiltered(&self) -> Scope {
        Scope {
            country: None,
            partner_id: None,
            ..self.clone()
        }
    }

    /// The scopes a lead can also ask for, each with one filter or both
    /// dropped: a narrowed figure is judged against each of them.
    pub fn wider(&self) -> Vec<Scope> {
        let mut wider = Vec::new();
        if self.partner_id.is_some() && self.country.is_some() {
            wider.push(Scope {
                partner_id: None,
                ..self.clone()
            });
            wider.push(Scope {
                country: None,
                ..self.clone()
            });
        }
        if self.partner_id.is_some() || self.country.is_some() {
            wider.push(self.unfiltered());
        }
        wider
    }

    /// Whether something of this partner and destination is in the scope.
    pub fn covers(&self, partner_id: &str, country: &str) -> bool {
        self.partner_id.as_deref().is_none_or(|p| p == partner_id)
            && self.country.as_deref().is_none_or(|c| c == country)
    }

    pub(super) fn start(&self) -> NaiveDateTime {
        self.from.and_hms_opt(0, 0, 0).unwrap_or_default()
    }

    /// The first moment after the period.
    pub(super) fn end(&self) -> NaiveDateTime {
        (self.to + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
    }

    /// The scope as each report echoes it back; `requested` names the
    /// dates asked for when they were widened to whole months.
    pub fn period(&self) -> Value {
        let mut period = json!({"from": self.from, "to": self.to, "country": self.country, "partner_id": self.partner_id});
        if let Some((from, to)) = self.requested {
            period["requested"] = json!({"from": from, "to": to});
        }
        period
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

/// Reintegration plans with their referral and return case.
macro_rules! plans_with_cases {
    () => {
        reintegration_plans::table
            .inner_join(referrals::table.on(referrals::id.eq(reintegration_plans::referral_id)))
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

pub(super) fn referrals_with_cases() -> diesel::dsl::InnerJoin<referrals::table, return_cases::table>
{
    referrals::table.inner_join(return_cases::table)
}

pub(super) use {
    count_in_scope, history_with_cases, narrowed, plans_with_cases, scoped, visits_with_cases,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn periods_are_whole_months() {
        assert_eq!(
            whole_months(date("2026-03-15"), date("2026-04-10")),
            (date("2026-03-01"), date("2026-04-30"))
        );
        assert_eq!(
            whole_months(date("2024-02-01"), date("2024-02-02")),
            (date("2024-02-01"), date("2024-02-29"))
        );
        assert_eq!(
            whole_months(date("2025-12-31"), date("2025-12-31")),
            (date("2025-12-01"), date("2025-12-31"))
        );
        assert_eq!(
            last_twelve_months(date("2026-01-20")),
            (date("2025-02-01"), date("2026-01-31"))
        );
    }

    #[test]
    fn a_narrowed_scope_is_judged_against_each_wider_one() {
        let scope = Scope {
            from: date("2026-01-01"),
            to: date("2026-01-31"),
            country: Some("GH".into()),
            partner_id: Some("a".into()),
            requested: None,
        };
        let wider: Vec<(Option<String>, Option<String>)> = scope
            .wider()
            .into_iter()
            .map(|s| (s.country, s.partner_id))
            .collect();
        assert_eq!(
            wider,
            [
                (Some("GH".into()), None),
                (None, Some("a".into())),
                (None, None)
            ]
        );
        assert!(scope.unfiltered().wider().is_empty());
        assert!(scope.covers("a", "GH") && !scope.covers("b", "GH"));
    }
}
