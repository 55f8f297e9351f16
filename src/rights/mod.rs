//! The person's own rights over what Brug holds: the export of everything
//! about them with the record of which partner saw what (`export`,
//! `disclosures`), and erasure (`erase`), which anonymises the person at
//! once and keeps only the coarse facts the reports count. Both read every
//! area, so they live above them all.
//!
//! This file holds the rules, without I/O: which categories a partner saw
//! at a moment, how coarse a date of birth may become without moving any
//! report, and which stored reasons are codes rather than words.

pub mod commands;
pub mod disclosures;
pub mod export;
pub mod queries;
pub mod routes;
pub mod store;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::Deserialize;
use validator::Validate;

use crate::domain::categories::{DataCategory, Shared};
use crate::referrals::{CONSENT_WITHDRAWN, Outcome as Ending, ReferralStatus};
use crate::reports::group::AgeBand;

/// A consent as far as a disclosure needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentTerms {
    pub categories: Vec<DataCategory>,
    pub valid_until: Option<NaiveDate>,
    pub withdrawn_at: Option<NaiveDateTime>,
}

impl ConsentTerms {
    /// Whether the consent was in force at `at`: not withdrawn yet and not
    /// past its last valid day (as `ConsentStatus::of` judges it on a day).
    pub fn in_force_at(&self, at: NaiveDateTime) -> bool {
        self.withdrawn_at.is_none_or(|withdrawn| at < withdrawn)
            && self.valid_until.is_none_or(|until| at.date() <= until)
    }
}

/// How far apart the clock of one request may put a step's history row
/// and its audit entry: both take the same `now`, but the audit entry is
/// kept to whole microseconds (truncated) and PostgreSQL rounds the other.
const SAME_INSTANT: Duration = Duration::microseconds(1);

/// The status of a referral at `at`, from its history (in order): the last
/// step taken by then; `requested` before the first.
pub fn status_at(history: &[(ReferralStatus, NaiveDateTime)], at: NaiveDateTime) -> ReferralStatus {
    history
        .iter()
        .take_while(|(_, when)| *when <= at + SAME_INSTANT)
        .last()
        .map_or(ReferralStatus::Requested, |(status, _)| *status)
}

/// The categories a partner was shown at `at`: what the consent named,
/// while it was in force and the referral was open, as the partner's view
/// decides it (`referrals::store::partner_view::shared_now`). The audit
/// entry of a read records the referral, not the categories: they are
/// derived here from the consent and the referral's history.
pub fn shown_at(
    consent: &ConsentTerms,
    history: &[(ReferralStatus, NaiveDateTime)],
    at: NaiveDateTime,
) -> Vec<DataCategory> {
    Shared::now(
        consent.categories.clone(),
        consent.in_force_at(at),
        status_at(history, at).is_open(),
    )
    .categories()
    .to_vec()
}

/// The earliest day of the birth month that puts the person in the same
/// age band as `born` does on every day a report takes an age on: the last
/// day of each month (the funnel's periods are whole months, so only the
/// birth month of the years the person turns 18, 35 and 60 can differ) and
/// `departures` (AMIF counts minors on the day they left). The first of
/// the month, nearly always; `born` itself at worst.
pub fn coarse_birth_date(born: NaiveDate, departures: &[NaiveDate]) -> NaiveDate {
    let mut days: Vec<NaiveDate> = [18, 35, 60]
        .iter()
        .filter_map(|years| last_of_month(born.year() + years, born.month()))
        .collect();
    days.extend_from_slice(departures);
    (1..born.day())
        .filter_map(|day| born.with_day(day))
        .find(|candidate| {
            days.iter()
                .all(|on| AgeBand::of(*candidate, *on) == AgeBand::of(born, *on))
        })
        .unwrap_or(born)
}

fn last_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next?.pred_opt()
}

/// Whether a referral's stored reason is a code the reports and partners
/// read (an outcome, the withdrawal marker), not words someone wrote.
pub fn is_coded_reason(reason: &str) -> bool {
    reason == CONSENT_WITHDRAWN || Ending::parse(reason).is_some()
}

/// The case history's changes whose detail is an id or a code (a partner,
/// a caseworker, an outcome); every other change's detail is the words of
/// a step and goes with an erasure.
pub const CODED_CASE_CHANGES: &[&str] = &["referral_sent", "reassigned", "closed"];

/// Why an administrator erases a person: kept with the erasure, so it
/// names the request, never the person.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    #[validate(
        length(min = 1, max = 500),
        custom(function = "crate::domain::rules::not_blank")
    )]
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::group::age;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    fn at(text: &str) -> NaiveDateTime {
        text.parse().expect("a time")
    }

    #[test]
    fn a_birth_date_falls_to_the_first_of_its_month() {
        assert_eq!(coarse_birth_date(day("1988-02-03"), &[]), day("1988-02-01"));
        assert_eq!(coarse_birth_date(day("2001-12-31"), &[]), day("2001-12-01"));
        assert_eq!(coarse_birth_date(day("1990-07-01"), &[]), day("1990-07-01"));
    }

    #[test]
    fn a_departure_in_the_month_of_the_eighteenth_birthday_keeps_a_minor_a_minor() {
        // Left on 10 May 2024, a week before turning 18: a minor in AMIF.
        let born = day("2006-05-17");
        let left = day("2024-05-10");
        assert_eq!(age(born, left), 17);
        let coarse = coarse_birth_date(born, &[left]);
        assert_eq!(coarse, day("2006-05-11"));
        assert_eq!(age(coarse, left), 17);
        // Left after the birthday: an adult either way, so the first.
        assert_eq!(
            coarse_birth_date(born, &[day("2024-05-20")]),
            day("2006-05-01")
        );
    }

    #[test]
    fn a_leap_day_birth_keeps_its_day_where_a_month_end_would_move_a_band() {
        // On 28 February 2022 someone born on 29 February 2004 is 17; born
        // on the 1st they would be 18, in the funnel of February 2022.
        let born = day("2004-02-29");
        assert_eq!(coarse_birth_date(born, &[]), born);
    }

    #[test]
    fn every_month_end_puts_the_coarse_date_in_the_same_band() {
        for born in ["1988-02-03", "2006-05-17", "1966-11-30", "1950-01-31"] {
            let born = day(born);
            let coarse = coarse_birth_date(born, &[]);
            let mut month = day("1990-01-31");
            while month < day("2040-12-31") {
                assert_eq!(
                    AgeBand::of(coarse, month),
                    AgeBand::of(born, month),
                    "{born} on {month}"
                );
                month = last_of_month(
                    month.year() + i32::from(month.month() == 12),
                    month.month() % 12 + 1,
                )
                .expect("a month");
            }
        }
    }

    #[test]
    fn a_partner_saw_the_consented_categories_only_while_consent_and_referral_held() {
        let consent = ConsentTerms {
            categories: vec![DataCategory::Needs, DataCategory::Identity],
            valid_until: Some(day("2026-03-31")),
            withdrawn_at: None,
        };
        let history = vec![
            (ReferralStatus::Requested, at("2026-01-05T10:00:00")),
            (ReferralStatus::Received, at("2026-01-06T10:00:00")),
            (ReferralStatus::Rejected, at("2026-01-07T10:00:00")),
        ];
        assert_eq!(
            shown_at(&consent, &history, at("2026-01-06T12:00:00")),
            vec![DataCategory::Identity, DataCategory::Needs]
        );
        // The decline's own answer already shows the referral ended.
        assert!(shown_at(&consent, &history, at("2026-01-07T10:00:00")).is_empty());
        let open = &history[..2];
        assert_eq!(
            shown_at(&consent, open, at("2026-03-31T23:00:00")).len(),
            2,
            "on its last valid day"
        );
        assert!(shown_at(&consent, open, at("2026-04-01T00:00:00")).is_empty());
        let withdrawn = ConsentTerms {
            withdrawn_at: Some(at("2026-02-01T09:00:00")),
            ..consent
        };
        assert_eq!(
            shown_at(&withdrawn, open, at("2026-02-01T08:59:59")).len(),
            2
        );
        assert!(shown_at(&withdrawn, open, at("2026-02-01T09:00:00")).is_empty());
    }

    #[test]
    fn outcomes_and_the_withdrawal_marker_are_codes_and_words_are_not() {
        assert!(is_coded_reason("completed"));
        assert!(is_coded_reason(CONSENT_WITHDRAWN));
        assert!(!is_coded_reason("Abena moved to her aunt in Kumasi"));
    }
}
