//! The overview: how far people get (the funnel, with the conversion from
//! each stage to the next), how long each step takes (median days), and
//! the monthly trend of referrals sent and departures.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde_json::{Map, Value, json};

use super::charts::{self, Cell};
use super::{Directory, Figure, Filters, Frame};
use crate::http::AppError;
use crate::reports::funnel::{self as funnel_report, StageDurations};
use crate::reports::suppress::Count;
use crate::reports::trend::{self, Trend};
use crate::reports::{Scope, suppress};
use crate::web::context::Ctx;
use crate::web::i18n::Texts;
use crate::web::page::{self, Layout};

#[derive(Template)]
#[template(path = "dashboards/overview.html")]
struct OverviewPage {
    l: Layout,
    d: Frame,
    figures: Vec<Figure>,
}

/// The medians in the funnel's answer, in order.
const MEDIANS: [&str; 4] = [
    "first_talk_to_return_intention",
    "referral_to_acceptance",
    "acceptance_to_departure",
    "departure_to_arrival",
];

pub struct Overview {
    pub stages: Vec<(&'static str, Count)>,
    pub durations: StageDurations,
    pub trend: Trend,
}

pub async fn load(ctx: &Ctx, scope: &Scope) -> Result<Overview, AppError> {
    let (a, b) = (scope.clone(), scope.clone());
    // Counts and durations on two connections at once, as the API does.
    let ((stages, trend), durations) = tokio::try_join!(
        ctx.state.db.read(move |conn| {
            let stages = funnel_report::shown(conn, &a)?;
            let trend = trend::trend(conn, &a)?;
            Ok::<_, AppError>((stages, trend))
        }),
        ctx.state
            .db
            .read(move |conn| funnel_report::durations(conn, &b).map_err(AppError::from)),
    )?;
    // The months add up to the period's figure shown beside them.
    let mut trend = trend;
    let total = |name: &str| {
        stages
            .iter()
            .find(|(s, _)| *s == name)
            .map_or(Count::Hidden, |(_, c)| *c)
    };
    trend::hide_under(total("referrals_sent"), &mut trend.referrals_sent);
    trend::hide_under(total("departed"), &mut trend.departed);
    Ok(Overview {
        stages,
        durations,
        trend,
    })
}

/// The conversion from one shown count to the next, as a percentage; only
/// between two shown counts (a hidden one stays hidden in its rate).
fn conversion(from: Count, to: Count) -> Option<f64> {
    match (from, to) {
        (Count::Shown(a), Count::Shown(b)) if a > 0 => {
            Some((b as f64 / a as f64 * 1000.0).round() / 10.0)
        }
        _ => None,
    }
}

fn medians(durations: &StageDurations) -> Vec<(&'static str, Value)> {
    let values = [
        &durations.first_talk_to_return_intention,
        &durations.referral_to_acceptance,
        &durations.acceptance_to_departure,
        &durations.departure_to_arrival,
    ];
    MEDIANS
        .iter()
        .zip(values)
        .map(|(name, v)| (*name, suppress::robust_median(v)))
        .collect()
}

pub fn figures(t: &Texts, o: &Overview) -> Vec<Figure> {
    let stage_rows: Vec<(String, Cell)> = o
        .stages
        .iter()
        .map(|(stage, count)| (t.t(&super::key("dash-stage", stage)), Cell::count(*count)))
        .collect();
    let funnel = Figure {
        chart: charts::bars("funnel", &t.t("dash-funnel-title"), &stage_rows, None),
        head: vec![t.t("dash-stage"), t.t("dash-count"), t.t("dash-conversion")],
        rows: o
            .stages
            .iter()
            .enumerate()
            .map(|(i, (stage, count))| {
                let rate = i
                    .checked_sub(1)
                    .and_then(|p| o.stages.get(p))
                    .and_then(|(_, before)| conversion(*before, *count))
                    .map_or_else(|| "–".to_owned(), |r| format!("{r}%"));
                vec![
                    t.t(&super::key("dash-stage", stage)),
                    Cell::count(*count).text(),
                    rate,
                ]
            })
            .collect(),
    };
    let median_rows: Vec<(String, Cell)> = medians(&o.durations)
        .into_iter()
        .map(|(name, v)| (t.t(&super::key("dash-median", name)), Cell::of(&v)))
        .collect();
    let durations = Figure {
        chart: charts::bars(
            "durations",
            &t.t("dash-durations-title"),
            &median_rows,
            None,
        ),
        head: vec![t.t("dash-step"), t.t("dash-median-days")],
        rows: median_rows
            .iter()
            .map(|(name, cell)| vec![name.clone(), cell.text()])
            .collect(),
    };
    let months: Vec<String> = o
        .trend
        .months
        .iter()
        .map(|m| m.format("%Y-%m").to_string())
        .collect();
    let sent: Vec<Cell> = o
        .trend
        .referrals_sent
        .iter()
        .map(|c| Cell::count(*c))
        .collect();
    let departed: Vec<Cell> = o.trend.departed.iter().map(|c| Cell::count(*c)).collect();
    let trend = Figure {
        chart: charts::columns(
            "trend",
            &t.t("dash-trend-title"),
            &months,
            &[
                (t.t("dash-stage-referrals-sent"), sent.clone()),
                (t.t("dash-stage-departed"), departed.clone()),
            ],
        ),
        head: vec![
            t.t("dash-month"),
            t.t("dash-stage-referrals-sent"),
            t.t("dash-stage-departed"),
        ],
        rows: months
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let at = |cells: &[Cell]| cells.get(i).map_or_else(String::new, Cell::text);
                vec![m.clone(), at(&sent), at(&departed)]
            })
            .collect(),
    };
    vec![funnel, durations, trend]
}

pub const CSV_COLUMNS: [&str; 3] = ["figure", "item", "value"];

/// The overview as CSV rows: each stage, each median, each month.
pub fn csv_rows(o: &Overview) -> Vec<Map<String, Value>> {
    let row = |figure: &str, item: &str, value: Value| {
        let mut row = Map::new();
        row.insert("figure".into(), json!(figure));
        row.insert("item".into(), json!(item));
        row.insert("value".into(), value);
        row
    };
    let mut rows: Vec<Map<String, Value>> = o
        .stages
        .iter()
        .map(|(stage, count)| row("funnel", stage, count.value()))
        .collect();
    rows.extend(
        medians(&o.durations)
            .into_iter()
            .map(|(name, v)| row("median_days", name, v)),
    );
    for month in trend::rows(&o.trend) {
        let name = month
            .get("month")
            .and_then(Value::as_str)
            .unwrap_or_default();
        for series in ["referrals_sent", "departed"] {
            rows.push(row(
                &format!("month_{series}"),
                name,
                month.get(series).cloned().unwrap_or(Value::Null),
            ));
        }
    }
    rows
}

pub async fn show(ctx: Ctx, filters: web::Query<Filters>) -> HttpResponse {
    let filters = filters.into_inner();
    let directory: Directory = match ctx.state.db.read(super::directory).await {
        Ok(d) => d,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let scope = filters.scope(&directory);
    let (status, figures, overview) = match &scope {
        Ok(scope) => match load(&ctx, scope).await {
            Ok(o) => (actix_web::http::StatusCode::OK, figures(&t, &o), Some(o)),
            Err(err) => return ctx.fail(err).await,
        },
        Err(_) => (
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            Vec::new(),
            None,
        ),
    };
    if filters.wants_csv()
        && let Some(o) = &overview
    {
        return super::csv("overview", &CSV_COLUMNS, &csv_rows(o));
    }
    let body = OverviewPage {
        l: ctx.layout(t.t("dash-title"), "dashboards").await,
        d: Frame::new(
            &t,
            "overview",
            "/dashboards",
            &filters,
            &directory,
            scope.as_ref(),
        ),
        figures,
    };
    page::render(status, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conversion_is_given_between_shown_counts_only() {
        assert_eq!(conversion(Count::Shown(40), Count::Shown(10)), Some(25.0));
        assert_eq!(
            conversion(Count::Shown(3_000), Count::Shown(1_001)),
            Some(33.4)
        );
        assert_eq!(conversion(Count::Hidden, Count::Shown(10)), None);
        assert_eq!(conversion(Count::Shown(10), Count::Hidden), None);
        assert_eq!(conversion(Count::Shown(0), Count::Shown(0)), None);
    }
}
