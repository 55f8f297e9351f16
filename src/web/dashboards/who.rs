//! Who reaches each stage: the funnel by sex and by age band (age on the
//! last day of the period), suppressed as `reports::who` does; and, for
//! the funder, the AMIF indicators of the period's last year with their
//! breakdowns (of whom minors, by sex).

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Datelike;
use serde_json::{Map, Value};

use super::charts::{self, Cell};
use super::{Directory, Figure, Filters, Frame, key};
use crate::clients::Sex;
use crate::http::AppError;
use crate::reports::amif as amif_report;
use crate::reports::group::Group;
use crate::reports::who::{self as who_report, Breakdown};
use crate::web::context::Ctx;
use crate::web::i18n::Texts;
use crate::web::page::{self, Layout};

#[derive(Template)]
#[template(path = "dashboards/who.html")]
struct WhoPage {
    l: Layout,
    d: Frame,
    figures: Vec<Figure>,
    amif_year: i32,
    amif_head: Vec<String>,
    amif: Vec<Vec<String>>,
}

/// The stages the charts draw per group (the tables have them all).
const CHARTED: [&str; 4] = [
    "clients_counselled",
    "referrals_sent",
    "departed",
    "closed_completed",
];

/// The AMIF indicators, in the report's order.
pub const INDICATORS: [&str; 4] = [
    "returnees_voluntary",
    "returnees_reintegration_assistance",
    "departures",
    "household_members",
];

fn group_name(t: &Texts, group: Group) -> String {
    match group {
        Group::Sex(sex) => t.code_label("sex", sex.as_str()),
        Group::Age(band) => t.with("dash-age-band", &[("band", band.as_str().to_owned())]),
    }
}

fn figure(t: &Texts, breakdown: &Breakdown) -> Figure {
    let grouping = breakdown.grouping.as_str();
    let bars: Vec<(String, Cell)> = breakdown
        .stages
        .iter()
        .filter(|s| CHARTED.contains(&s.stage))
        .flat_map(|s| {
            let stage = t.t(&key("dash-stage", s.stage));
            breakdown
                .groups
                .iter()
                .zip(&s.counts)
                .map(move |(g, c)| (format!("{stage}: {}", group_name(t, *g)), Cell::count(*c)))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut head = vec![t.t("dash-stage"), t.t("dash-total")];
    head.extend(breakdown.groups.iter().map(|g| group_name(t, *g)));
    Figure {
        chart: charts::bars(
            &format!("who-{grouping}"),
            &t.t(&key("dash-who-by", grouping)),
            &bars,
            None,
        ),
        head,
        rows: breakdown
            .stages
            .iter()
            .map(|s| {
                let mut row = vec![
                    t.t(&key("dash-stage", s.stage)),
                    Cell::count(s.total).text(),
                ];
                row.extend(s.counts.iter().map(|c| Cell::count(*c).text()));
                row
            })
            .collect(),
    }
}

/// The AMIF rows as a table: per indicator its value, of whom minors, and
/// by sex.
fn amif_table(t: &Texts, rows: &[Map<String, Value>]) -> (Vec<String>, Vec<Vec<String>>) {
    let value = |id: &str| {
        rows.iter()
            .find(|r| r.get("indicator").and_then(Value::as_str) == Some(id))
            .map_or_else(|| "–".to_owned(), |r| super::cell(r.get("value")))
    };
    let mut head = vec![
        t.t("dash-amif-indicator"),
        t.t("dash-total"),
        t.t("dash-amif-minors"),
    ];
    head.extend(Sex::ALL.iter().map(|s| t.code_label("sex", s.as_str())));
    let table = INDICATORS
        .iter()
        .map(|id| {
            let mut row = vec![
                t.t(&key("dash-amif", id)),
                value(id),
                value(&format!("{id}.minors")),
            ];
            row.extend(
                Sex::ALL
                    .iter()
                    .map(|s| value(&format!("{id}.{}", s.as_str()))),
            );
            row
        })
        .collect();
    (head, table)
}

pub async fn show(ctx: Ctx, filters: web::Query<Filters>) -> HttpResponse {
    let filters = filters.into_inner();
    let directory: Directory = match ctx.state.db.read(super::directory).await {
        Ok(d) => d,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let scope = filters.scope(&directory);
    let mut status = actix_web::http::StatusCode::OK;
    let (mut figures, mut amif_head, mut amif, mut amif_year) =
        (Vec::new(), Vec::new(), Vec::new(), 0);
    if let Ok(scope) = &scope {
        let fetch = scope.clone();
        let year = scope.to.year();
        // Both breakdowns from one read (about a query per stage, every
        // group and wider scope at once) and the funder's table, each on a
        // connection of its own.
        let loaded = tokio::try_join!(
            ctx.state
                .db
                .read(move |conn| who_report::who(conn, &fetch).map_err(AppError::from)),
            ctx.state.db.read(move |conn| {
                Ok::<_, AppError>(amif_report::rows(&amif_report::amif(conn, year)?))
            }),
        );
        let (who, amif_rows) = match loaded {
            Ok(loaded) => loaded,
            Err(err) => return ctx.fail(err).await,
        };
        if filters.wants_csv() {
            return super::csv("who", &who_report::CSV_COLUMNS, &who_report::rows(&who));
        }
        figures = who.breakdowns.iter().map(|b| figure(&t, b)).collect();
        (amif_head, amif) = amif_table(&t, &amif_rows);
        amif_year = year;
    } else {
        status = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    let body = WhoPage {
        l: ctx.layout(t.t("dash-title"), "dashboards").await,
        d: Frame::new(
            &t,
            "who",
            "/dashboards/who",
            &filters,
            &directory,
            scope.as_ref(),
        ),
        figures,
        amif_year,
        amif_head,
        amif,
    };
    page::render(status, &body)
}
