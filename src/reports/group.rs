//! The groups of clients a report can break its counts down by: their sex,
//! or their age band (0–17, 18–34, 35–59, 60+) on a given day: for the
//! funnel, the last day of the report's period.

use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;

use crate::clients::Sex;

/// How a breakdown splits the clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// `female`, `male`, `other`, `unknown`.
    Sex,
    /// `0-17`, `18-34`, `35-59`, `60+`.
    AgeBand,
}

impl Grouping {
    pub const ALL: [Grouping; 2] = [Grouping::Sex, Grouping::AgeBand];

    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Sex => "sex",
            Grouping::AgeBand => "age_band",
        }
    }

    /// Its groups, in the order reports list them. Every client is in
    /// exactly one of them, so their counts add up to the whole.
    pub fn groups(self) -> Vec<Group> {
        match self {
            Grouping::Sex => Sex::ALL.iter().map(|s| Group::Sex(*s)).collect(),
            Grouping::AgeBand => AgeBand::ALL.iter().map(|b| Group::Age(*b)).collect(),
        }
    }
}

/// An age band, in whole years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AgeBand {
    Under18,
    From18To34,
    From35To59,
    From60,
}

/// Bounds no date of birth passes: the bands' open ends.
const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(day) => day,
    None => NaiveDate::MIN,
};
const LATEST: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(day) => day,
    None => NaiveDate::MAX,
};

impl AgeBand {
    pub const ALL: [AgeBand; 4] = [
        AgeBand::Under18,
        AgeBand::From18To34,
        AgeBand::From35To59,
        AgeBand::From60,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Under18 => "0-17",
            AgeBand::From18To34 => "18-34",
            AgeBand::From35To59 => "35-59",
            AgeBand::From60 => "60+",
        }
    }

    /// The band of someone born on `born`, on the day `on`.
    pub fn of(born: NaiveDate, on: NaiveDate) -> AgeBand {
        match age(born, on) {
            ..18 => AgeBand::Under18,
            18..35 => AgeBand::From18To34,
            35..60 => AgeBand::From35To59,
            _ => AgeBand::From60,
        }
    }

    /// The dates of birth in the band on `on`: after the first, up to and
    /// including the second.
    pub fn born(self, on: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            AgeBand::Under18 => (turned(on, 18), LATEST),
            AgeBand::From18To34 => (turned(on, 35), turned(on, 18)),
            AgeBand::From35To59 => (turned(on, 60), turned(on, 35)),
            AgeBand::From60 => (EARLIEST, turned(on, 60)),
        }
    }
}

/// Age in whole years on `on`. Someone born on 29 February has their
/// birthday on 1 March in other years.
pub fn age(born: NaiveDate, on: NaiveDate) -> i32 {
    let years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years - 1
    } else {
        years
    }
}

/// The last date of birth of someone `years` old on `on` (29 February
/// falling to the 28th, as [`age`] counts it). Kept within the open ends,
/// so that the bands always cover every date of birth after [`EARLIEST`]
/// up to [`LATEST`], each exactly once, whatever the day (a breakdown
/// counting all bands at once relies on it, see [`band`]).
fn turned(on: NaiveDate, years: u32) -> NaiveDate {
    on.checked_sub_months(Months::new(12 * years))
        .unwrap_or(EARLIEST)
        .clamp(EARLIEST, LATEST)
}

/// One group of clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Sex(Sex),
    Age(AgeBand),
}

/// Which clients are in a group, as the filters of a subquery on clients:
/// their sex is one of these, their date of birth after the first date and
/// up to the second.
#[derive(Debug, Clone)]
pub struct Members {
    pub sexes: Vec<Sex>,
    pub born_after: NaiveDate,
    pub born_until: NaiveDate,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Sex(sex) => sex.as_str(),
            Group::Age(band) => band.as_str(),
        }
    }

    pub fn grouping(self) -> Grouping {
        match self {
            Group::Sex(_) => Grouping::Sex,
            Group::Age(_) => Grouping::AgeBand,
        }
    }

    /// Whether a client of `sex` in the age band `band` (`None`: a date
    /// of birth outside every band) is in the group: what `member!`
    /// decides in SQL, for counts already grouped by sex and band.
    pub fn contains(self, sex: &str, band: Option<AgeBand>) -> bool {
        match self {
            // A sex's members are born after EARLIEST, up to LATEST: in
            // some band.
            Group::Sex(s) => s.as_str() == sex && band.is_some(),
            Group::Age(b) => band == Some(b) && Sex::ALL.iter().any(|s| s.as_str() == sex),
        }
    }

    /// Its clients, with ages taken on `on`. One shape for both kinds of
    /// group, so that a query takes either.
    pub fn members(self, on: NaiveDate) -> Members {
        match self {
            Group::Sex(sex) => Members {
                sexes: vec![sex],
                born_after: EARLIEST,
                born_until: LATEST,
            },
            Group::Age(band) => {
                let (born_after, born_until) = band.born(on);
                Members {
                    sexes: Sex::ALL.to_vec(),
                    born_after,
                    born_until,
                }
            }
        }
    }
}

/// Whether the client of `$client_id` (a column named as SQL, e.g.
/// `"talks.client_id"`) is in a group ([`Members`]): a lookup of that
/// client per row, so that a query over a period reads its own rows, not
/// every client of the group ever (an `IN` subquery would). A group has one
/// sex or all four; the list is padded with its first.
macro_rules! member {
    ($members:expr, $client_id:literal) => {{
        let m: &$crate::reports::group::Members = &$members;
        let sex = |i: usize| -> String {
            m.sexes
                .get(i)
                .or(m.sexes.first())
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default()
        };
        diesel::dsl::sql::<diesel::sql_types::Bool>(concat!(
            "EXISTS (SELECT 1 FROM clients WHERE clients.id = ",
            $client_id,
            " AND clients.sex IN ("
        ))
        .bind::<diesel::sql_types::Text, _>(sex(0))
        .sql(", ")
        .bind::<diesel::sql_types::Text, _>(sex(1))
        .sql(", ")
        .bind::<diesel::sql_types::Text, _>(sex(2))
        .sql(", ")
        .bind::<diesel::sql_types::Text, _>(sex(3))
        .sql(") AND clients.date_of_birth > ")
        .bind::<diesel::sql_types::Date, _>(m.born_after)
        .sql(" AND clients.date_of_birth <= ")
        .bind::<diesel::sql_types::Date, _>(m.born_until)
        .sql(")")
    }};
}

/// The age band on `$on` of the client of the `clients` row in the query,
/// as SQL: its place in [`AgeBand::ALL`], or -1 outside every band; each
/// band by the same dates of birth as [`member`] takes it, bound as
/// parameters. To group a query's counts by band (see [`Group::contains`]).
macro_rules! band {
    ($on:expr) => {{
        let [under_18, from_18, from_35, from_60] =
            $crate::reports::group::AgeBand::ALL.map(|b| b.born($on));
        let dob = " AND clients.date_of_birth <= ";
        diesel::dsl::sql::<diesel::sql_types::Integer>("CASE WHEN clients.date_of_birth > ")
            .bind::<diesel::sql_types::Date, _>(under_18.0)
            .sql(dob)
            .bind::<diesel::sql_types::Date, _>(under_18.1)
            .sql(" THEN 0 WHEN clients.date_of_birth > ")
            .bind::<diesel::sql_types::Date, _>(from_18.0)
            .sql(dob)
            .bind::<diesel::sql_types::Date, _>(from_18.1)
            .sql(" THEN 1 WHEN clients.date_of_birth > ")
            .bind::<diesel::sql_types::Date, _>(from_35.0)
            .sql(dob)
            .bind::<diesel::sql_types::Date, _>(from_35.1)
            .sql(" THEN 2 WHEN clients.date_of_birth > ")
            .bind::<diesel::sql_types::Date, _>(from_60.0)
            .sql(dob)
            .bind::<diesel::sql_types::Date, _>(from_60.1)
            .sql(" THEN 3 ELSE -1 END")
    }};
}

/// The band at a place of [`AgeBand::ALL`], as `band!` gives it.
pub fn band_at(place: i32) -> Option<AgeBand> {
    usize::try_from(place)
        .ok()
        .and_then(|i| AgeBand::ALL.get(i).copied())
}

pub(super) use {band, member};

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn ages_are_whole_years_on_the_day() {
        let on = date("2026-03-31");
        assert_eq!(age(date("2008-03-31"), on), 18);
        assert_eq!(age(date("2008-04-01"), on), 17);
        assert_eq!(AgeBand::of(date("2008-04-01"), on), AgeBand::Under18);
        assert_eq!(AgeBand::of(date("2008-03-31"), on), AgeBand::From18To34);
        assert_eq!(AgeBand::of(date("1991-04-01"), on), AgeBand::From18To34);
        assert_eq!(AgeBand::of(date("1991-03-31"), on), AgeBand::From35To59);
        assert_eq!(AgeBand::of(date("1966-03-31"), on), AgeBand::From60);
        // Born on 29 February: 18 on 1 March, not on the 28th.
        assert_eq!(age(date("2008-02-29"), date("2026-02-28")), 17);
        assert_eq!(age(date("2008-02-29"), date("2026-03-01")), 18);
    }

    #[test]
    fn the_bands_cover_every_date_of_birth_once_whatever_the_day() {
        // Counts grouped by band add up to a sex's (who is born after
        // EARLIEST up to LATEST) only when the bands meet end to end.
        for on in [
            "2026-03-31",
            "0030-06-30",
            "0001-01-01",
            "9999-12-31",
            "9990-01-31",
        ] {
            let on = date(on);
            let bounds: Vec<(NaiveDate, NaiveDate)> = AgeBand::ALL.map(|b| b.born(on)).to_vec();
            assert_eq!(bounds[0].1, LATEST, "{on}");
            assert_eq!(bounds[3].0, EARLIEST, "{on}");
            for pair in bounds.windows(2) {
                assert_eq!(pair[0].0, pair[1].1, "{on}");
            }
            for (after, until) in &bounds {
                assert!(after <= until, "{on}");
            }
        }
        assert!(Group::Sex(Sex::Female).contains("female", Some(AgeBand::From60)));
        assert!(!Group::Sex(Sex::Female).contains("female", None));
        assert!(!Group::Sex(Sex::Female).contains("unknown", Some(AgeBand::Under18)));
        assert!(Group::Age(AgeBand::Under18).contains("unknown", Some(AgeBand::Under18)));
        assert!(!Group::Age(AgeBand::Under18).contains("unknown", Some(AgeBand::From18To34)));
        assert_eq!(band_at(0), Some(AgeBand::Under18));
        assert_eq!(band_at(3), Some(AgeBand::From60));
        assert_eq!((band_at(-1), band_at(4)), (None, None));
    }

    #[test]
    fn each_band_s_dates_of_birth_agree_with_the_age() {
        for on in ["2026-02-28", "2028-02-29", "2026-12-31", "2026-03-31"] {
            let on = date(on);
            let mut born = date("1930-01-01");
            while born <= on {
                let inside: Vec<AgeBand> = AgeBand::ALL
                    .into_iter()
                    .filter(|b| {
                        let (after, until) = b.born(on);
                        born > after && born <= until
                    })
                    .collect();
                assert_eq!(inside, [AgeBand::of(born, on)], "{born} on {on}");
                born += chrono::Duration::days(1);
            }
        }
    }
}
