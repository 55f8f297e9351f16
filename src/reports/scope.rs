//! What a report covers (a period, perhaps a country and a partner), and
//! the query pieces that narrow a report's SQL to it.

use chrono::{Duration, NaiveDate, NaiveDateTime};
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
}

impl Scope {
    pub(super) fn start(&self) -> NaiveDateTime {
        self.from.and_hms_opt(0, 0, 0).unwrap_or_default()
    }

    /// The first moment after the period.
    pub(super) fn end(&self) -> NaiveDateTime {
        (self.to + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
    }

    /// The scope as each report echoes it back.
    pub fn period(&self) -> Value {
        json!({"from": self.from, "to": self.to, "country": self.country, "partner_id": self.partner_id})
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

pub(super) fn referrals_with_cases() -> diesel::dsl::InnerJoin<referrals::table, return_cases::table>
{
    referrals::table.inner_join(return_cases::table)
}

pub(super) use {count_in_scope, history_with_cases, narrowed, scoped, visits_with_cases};
