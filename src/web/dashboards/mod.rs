//! Dashboards for programme leads (`/dashboards`): the reports drawn as
//! charts with their data tables, for a period of whole months and an
//! optional country and partner. Aggregates only, from the very functions
//! behind `/api/v1/reports` (so every figure is suppressed as there: a
//! hidden one reads `<5` in the chart, the table and the CSV alike). Each
//! dashboard downloads as CSV (`?format=csv`) and prints on A4.

pub mod charts;
mod overdue;
mod overview;
mod partners;
pub mod scorecard;
mod sustainability;
mod who;

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use chrono::{Datelike, Months, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::{Map, Value};

use super::form::Refused;
use super::i18n::Texts;
use super::page::{Field, Kind};
use crate::db::schema::{partner_service_areas, partners as directory_partners};
use crate::domain::FieldError;
use crate::http::AppError;
use crate::reports::{Scope, scope as periods};

pub use overdue::show as overdue;
pub use overview::show as overview;
pub use partners::show as partners;
pub use scorecard::show as scorecard;
pub use sustainability::show as sustainability;
pub use who::show as who;

/// The text key of a code under a prefix: `dash-stage` and
/// `referrals_sent` give `dash-stage-referrals-sent`.
pub fn key(prefix: &str, code: impl AsRef<str>) -> String {
    format!("{prefix}-{}", code.as_ref().replace('_', "-"))
}

/// What the filter form sends; every field may be empty.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Filters {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub partner_id: String,
    /// `csv` for the download.
    #[serde(default)]
    pub format: String,
    /// The partners table's order.
    #[serde(default)]
    pub sort: String,
    /// A scorecard's quarter (`2026-Q3`).
    #[serde(default)]
    pub quarter: String,
}

/// `2026-03` or `2026-03-15`: the month it names.
fn month_of(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok())
        .filter(|d| (2000..=2100).contains(&d.year()))
}

impl Filters {
    pub fn wants_csv(&self) -> bool {
        self.format == "csv"
    }

    /// The scope asked for: whole months (this month and the eleven before
    /// it when no dates are given), or the fields that are wrong.
    pub fn scope(&self, directory: &Directory) -> Result<Scope, Refused> {
        let mut errors = Vec::new();
        let mut month = |field: &'static str, text: &str| {
            if text.trim().is_empty() {
                return None;
            }
            let month = month_of(text);
            if month.is_none() {
                errors.push(FieldError::new(field, "is not a month (yyyy-mm)"));
            }
            month
        };
        let from = month("from", &self.from);
        let to = month("to", &self.to);
        let country = Some(self.country.trim().to_uppercase()).filter(|c| !c.is_empty());
        if let Some(c) = &country
            && !directory.countries.contains(c)
        {
            errors.push(FieldError::new(
                "country",
                "is not a country of any partner",
            ));
        }
        let partner = Some(self.partner_id.trim().to_owned()).filter(|p| !p.is_empty());
        if let Some(p) = &partner
            && !directory.partners.iter().any(|(id, _)| id == p)
        {
            errors.push(FieldError::new(
                "partner_id",
                "is not a partner in the directory",
            ));
        }
        let today = Utc::now().date_naive();
        let to = to.unwrap_or(today);
        let from = from.unwrap_or_else(|| {
            periods::month_start(to)
                .checked_sub_months(Months::new(11))
                .unwrap_or(to)
        });
        if errors.is_empty() && from > to {
            errors.push(FieldError::new("from", "must not be after to"));
        }
        if !errors.is_empty() {
            return Err(Refused::Fields {
                detail: String::new(),
                errors,
            });
        }
        let (from, to) = periods::whole_months(from, to);
        Ok(Scope {
            from,
            to,
            country,
            partner_id: partner,
            requested: None,
        })
    }

    /// The query string of these filters (for the other dashboards' links
    /// and the CSV), without the format.
    pub fn query(&self) -> String {
        let pairs = [
            ("from", &self.from),
            ("to", &self.to),
            ("country", &self.country),
            ("partner_id", &self.partner_id),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", urlencoding(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encoding for a query value: letters, digits and `-_.~` stay.
fn urlencoding(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The partners and countries the filters offer.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub partners: Vec<(String, String)>,
    pub countries: Vec<String>,
}

pub fn directory(conn: &mut crate::db::DbConn) -> Result<Directory, AppError> {
    let partners: Vec<(String, String)> = directory_partners::table
        .order(directory_partners::name.asc())
        .select((directory_partners::id, directory_partners::name))
        .load(conn)?;
    let mut countries: Vec<String> = partner_service_areas::table
        .select(partner_service_areas::country)
        .distinct()
        .load(conn)?;
    countries.sort();
    Ok(Directory {
        partners,
        countries,
    })
}

/// The filter form's fields, with what was asked and what was wrong.
pub fn filter_fields(
    t: &Texts,
    filters: &Filters,
    directory: &Directory,
    scope: Option<&Scope>,
    refused: Option<&Refused>,
) -> Vec<Field> {
    let month = |d: NaiveDate| d.format("%Y-%m").to_string();
    let asked = |typed: &str, shown: Option<NaiveDate>| {
        if typed.trim().is_empty() {
            shown.map(month).unwrap_or_default()
        } else {
            typed.trim().to_owned()
        }
    };
    let mut fields = vec![
        Field::new("from", t.t("dash-from"), Kind::Month)
            .value(asked(&filters.from, scope.map(|s| s.from))),
        Field::new("to", t.t("dash-to"), Kind::Month)
            .value(asked(&filters.to, scope.map(|s| s.to))),
        Field::new("country", t.t("dash-country"), Kind::Select).choices(
            directory
                .countries
                .iter()
                .map(|c| (c.clone(), super::page::country_name(c)))
                .collect(),
        ),
        Field::new("partner_id", t.t("dash-partner"), Kind::Select)
            .choices(directory.partners.clone()),
    ];
    for field in &mut fields {
        if field.name == "country" || field.name == "partner_id" {
            let value = if field.name == "country" {
                filters.country.trim().to_uppercase()
            } else {
                filters.partner_id.trim().to_owned()
            };
            for choice in &mut field.choices {
                choice.selected = choice.value == value;
            }
            field.value = value;
        }
        if let Some(refused) = refused {
            field.error = refused.error_for(field.name);
        }
    }
    fields
}

/// The line under a dashboard's heading (and on paper): the period and
/// the filters in words.
pub fn scope_line(t: &Texts, scope: &Scope, directory: &Directory) -> String {
    let month = |d: NaiveDate| d.format("%Y-%m").to_string();
    let mut parts = vec![t.with(
        "dash-period",
        &[("from", month(scope.from)), ("to", month(scope.to))],
    )];
    if let Some(c) = &scope.country {
        parts.push(format!(
            "{}: {}",
            t.t("dash-country"),
            super::page::country_name(c)
        ));
    }
    if let Some(p) = &scope.partner_id {
        let name = directory
            .partners
            .iter()
            .find(|(id, _)| id == p)
            .map_or(p.as_str(), |(_, n)| n.as_str());
        parts.push(format!("{}: {name}", t.t("dash-partner")));
    }
    parts.join(" · ")
}

/// The dashboards, for the tabs at the top of each.
pub const TABS: [(&str, &str); 5] = [
    ("overview", "/dashboards"),
    ("partners", "/dashboards/partners"),
    ("overdue", "/dashboards/overdue"),
    ("sustainability", "/dashboards/sustainability"),
    ("who", "/dashboards/who"),
];

/// What every dashboard shows above its charts: the scope in words, the
/// tabs, the filter form (with what was wrong with it), the CSV link.
#[derive(Debug, Clone)]
pub struct Frame {
    pub scope_line: String,
    /// Each tab's name, link (with the filters) and whether it is this one.
    pub tabs: Vec<(String, String, bool)>,
    pub filtered: bool,
    pub action: &'static str,
    pub filters: Vec<Field>,
    /// Each refused field's message and name, for the summary.
    pub errors: Vec<(String, String)>,
    pub csv_href: String,
}

impl Frame {
    /// The frame of the dashboard `tab` (at `action`) under these filters.
    pub fn new(
        t: &Texts,
        tab: &str,
        action: &'static str,
        filters: &Filters,
        directory: &Directory,
        scope: Result<&Scope, &Refused>,
    ) -> Frame {
        let query = filters.query();
        let with = |path: &str| {
            if query.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{query}")
            }
        };
        let tabs = TABS
            .iter()
            .map(|(name, path)| (t.t(&key("dash-tab", name)), with(path), *name == tab))
            .collect();
        let (scope, refused) = match scope {
            Ok(scope) => (Some(scope), None),
            Err(refused) => (None, Some(refused)),
        };
        let fields = filter_fields(t, filters, directory, scope, refused);
        let errors = super::form::summary(&fields, refused);
        let csv_href = if query.is_empty() {
            format!("{action}?format=csv")
        } else {
            format!("{action}?{query}&format=csv")
        };
        Frame {
            scope_line: scope
                .map(|s| scope_line(t, s, directory))
                .unwrap_or_default(),
            tabs,
            filtered: true,
            action,
            filters: fields,
            errors,
            csv_href,
        }
    }
}

/// A chart with the data table beside it, for the template.
#[derive(Debug, Clone)]
pub struct Figure {
    pub chart: charts::Chart,
    /// The table's column headings, the first naming the rows.
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A dashboard as CSV: the report's rows under these columns.
pub fn csv(name: &str, columns: &[&str], rows: &[Map<String, Value>]) -> HttpResponse {
    match crate::reports::to_csv(columns, rows) {
        Ok(text) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"brug-dashboard-{name}.csv\""),
            ))
            .body(text),
        Err(err) => {
            tracing::error!(error = %err, "could not write a dashboard's CSV");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The status of a dashboard whose filters were refused.
pub fn refused_status(refused: &Option<Refused>) -> StatusCode {
    if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// A figure from a report's JSON as the table writes it.
pub fn cell(value: Option<&Value>) -> String {
    charts::Cell::of(value.unwrap_or(&Value::Null)).text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_made_from_a_code_has_a_text_in_both_languages() {
        use crate::web::i18n::Lang;
        let mut keys: Vec<String> = Vec::new();
        let stages = [
            "clients_counselled",
            "intention_return",
            "cases_opened",
            "referrals_sent",
            "referrals_accepted",
            "departed",
            "arrived",
            "plans_approved",
            "monitoring_visits_done",
            "closed_completed",
        ];
        keys.extend(stages.iter().map(|s| key("dash-stage", s)));
        keys.extend(TABS.iter().map(|(name, _)| key("dash-tab", name)));
        keys.extend(overdue::KINDS.iter().map(|k| key("dash-kind", k)));
        keys.extend(partners::SORTABLE.iter().map(|c| key("dash-col", c)));
        for grouping in ["months_since_arrival", "country", "partner_id"] {
            keys.push(key("dash-group", grouping));
            keys.push(key("dash-sustainability-by", grouping));
            if grouping != "months_since_arrival" {
                keys.push(key("dash-alerts-by", grouping));
            }
        }
        for indicator in who::INDICATORS {
            keys.push(key("dash-amif", indicator));
        }
        for grouping in crate::reports::group::Grouping::ALL {
            keys.push(key("dash-who-by", grouping.as_str()));
        }
        for score in ["economic", "social", "psychosocial", "overall"] {
            keys.push(key("dash-score", score));
        }
        for median in [
            "first_talk_to_return_intention",
            "referral_to_acceptance",
            "acceptance_to_departure",
            "departure_to_arrival",
        ] {
            keys.push(key("dash-median", median));
        }
        for lang in Lang::ALL {
            let t = Texts::new(lang);
            let missing: Vec<&String> = keys.iter().filter(|k| !t.has(k)).collect();
            assert!(missing.is_empty(), "{lang:?}: {missing:?}");
        }
        // The scorecard's, in the staff's and the portal's languages.
        let mut score_keys: Vec<String> = Vec::new();
        score_keys.extend(scorecard::FACTS.iter().map(|f| key("score", f)));
        score_keys.extend(scorecard::STAGES.iter().map(|s| key("score-stage", s)));
        score_keys.extend(
            crate::referrals::vocabulary::DeclineReason::ALL
                .iter()
                .map(|c| key("score-decline", c.as_str())),
        );
        for lang in [Lang::Nl, Lang::En, Lang::Fr, Lang::Ar] {
            let t = Texts::new(lang);
            let missing: Vec<&String> = score_keys.iter().filter(|k| !t.has(k)).collect();
            assert!(missing.is_empty(), "{lang:?}: {missing:?}");
        }
    }

    #[test]
    fn months_are_read_from_a_month_or_a_day() {
        assert_eq!(month_of("2026-03"), "2026-03-01".parse().ok());
        assert_eq!(month_of("2026-03-15"), "2026-03-15".parse().ok());
        assert_eq!(month_of("2026-13"), None);
        assert_eq!(month_of("1999-12"), None);
        assert_eq!(month_of("maart"), None);
    }

    #[test]
    fn bad_filters_are_named_each() {
        let directory = Directory {
            partners: vec![("p1".into(), "Partner One".into())],
            countries: vec!["GH".into()],
        };
        let filters = Filters {
            from: "soon".into(),
            country: "XX".into(),
            partner_id: "nobody".into(),
            ..Filters::default()
        };
        let Err(Refused::Fields { errors, .. }) = filters.scope(&directory) else {
            panic!("bad filters were taken");
        };
        let named: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["from", "country", "partner_id"]);
        let later = Filters {
            from: "2026-05".into(),
            to: "2026-02".into(),
            ..Filters::default()
        };
        let Err(Refused::Fields { errors, .. }) = later.scope(&directory) else {
            panic!("a period ending before it starts was taken");
        };
        assert_eq!(errors[0].field, "from");
        let good = Filters {
            from: "2026-02-14".into(),
            to: "2026-04".into(),
            country: "gh".into(),
            ..Filters::default()
        }
        .scope(&directory)
        .expect("good filters");
        assert_eq!(good.from, "2026-02-01".parse::<NaiveDate>().expect("date"));
        assert_eq!(good.to, "2026-04-30".parse::<NaiveDate>().expect("date"));
        assert_eq!(good.country.as_deref(), Some("GH"));
    }

    #[test]
    fn the_query_string_keeps_the_filters_and_encodes_them() {
        let filters = Filters {
            from: "2026-01".into(),
            partner_id: "a b&c".into(),
            format: "csv".into(),
            ..Filters::default()
        };
        assert_eq!(filters.query(), "from=2026-01&partner_id=a%20b%26c");
    }
}
