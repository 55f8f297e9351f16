//! Sustainability of reintegration: the mean scores per dimension and
//! overall, by months since arrival, by country and by partner, from the
//! sustainability report (a group of fewer than five returnees shows no
//! score), with the version of the model that scored them.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde_json::{Map, Value};

use super::charts::{self, Cell};
use super::{Directory, Figure, Filters, Frame};
use crate::http::AppError;
use crate::reports::sustainability::{self as sustainability_report, AlertCount};
use crate::web::context::Ctx;
use crate::web::i18n::Texts;
use crate::web::page::{self, Layout};

#[derive(Template)]
#[template(path = "dashboards/sustainability.html")]
struct SustainabilityPage {
    l: Layout,
    d: Frame,
    figures: Vec<Figure>,
    model_version: String,
    calibrated: bool,
}

/// The groupings in the report, each drawn as one chart.
const GROUPINGS: [&str; 3] = ["months_since_arrival", "country", "partner_id"];

const SCORES: [&str; 4] = ["economic", "social", "psychosocial", "overall"];

/// A mean score as people read it: two decimals, or `–` when not shown.
fn score(value: Option<&Value>) -> String {
    match value.and_then(Value::as_f64) {
        Some(v) => format!("{v:.2}"),
        None => "–".into(),
    }
}

fn figures(t: &Texts, rows: &[Map<String, Value>], directory: &Directory) -> Vec<Figure> {
    GROUPINGS
        .iter()
        .map(|grouping| {
            let mut groups: Vec<&Map<String, Value>> = rows
                .iter()
                .filter(|r| r.get("group_by").and_then(Value::as_str) == Some(*grouping))
                .collect();
            if *grouping == "months_since_arrival" {
                groups.sort_by_key(|r| {
                    r.get("group")
                        .and_then(Value::as_str)
                        .and_then(|g| g.parse::<i64>().ok())
                        .unwrap_or(i64::MAX)
                });
            }
            let name = |r: &Map<String, Value>| {
                let group = r.get("group").and_then(Value::as_str).unwrap_or_default();
                match *grouping {
                    "country" => page::country_name(group),
                    "partner_id" => directory
                        .partners
                        .iter()
                        .find(|(p, _)| p == group)
                        .map_or_else(|| group.to_owned(), |(_, n)| n.clone()),
                    _ => t.with("dash-months-after", &[("months", group.to_owned())]),
                }
            };
            let bars: Vec<(String, Cell)> = groups
                .iter()
                .map(|r| {
                    let cell = match r.get("overall").and_then(Value::as_f64) {
                        Some(v) => Cell::Value((v * 100.0).round() / 100.0),
                        None => Cell::Hidden,
                    };
                    (name(r), cell)
                })
                .collect();
            let mut head = vec![t.t(&super::key("dash-group", grouping)), t.t("dash-visits")];
            head.extend(SCORES.iter().map(|s| t.t(&super::key("dash-score", s))));
            Figure {
                chart: charts::bars(
                    &format!("sustainability-{grouping}"),
                    &t.t(&super::key("dash-sustainability-by", grouping)),
                    &bars,
                    None,
                ),
                head,
                rows: groups
                    .iter()
                    .map(|r| {
                        let mut cells = vec![name(r), super::cell(r.get("visits"))];
                        cells.extend(SCORES.iter().map(|s| score(r.get(*s))));
                        cells
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Early-warning alerts raised in the period, per partner and per country
/// (a group without any is not listed: none were raised there).
fn alert_figures(t: &Texts, alerts: &[AlertCount], directory: &Directory) -> Vec<Figure> {
    ["partner_id", "country"]
        .iter()
        .map(|grouping| {
            let bars: Vec<(String, Cell)> = alerts
                .iter()
                .filter(|a| a.group_by == *grouping)
                .map(|a| {
                    let name = if *grouping == "country" {
                        page::country_name(&a.group)
                    } else {
                        directory
                            .partners
                            .iter()
                            .find(|(p, _)| *p == a.group)
                            .map_or_else(|| a.group.clone(), |(_, n)| n.clone())
                    };
                    (name, Cell::count(a.alerts))
                })
                .collect();
            Figure {
                chart: charts::bars(
                    &format!("alerts-{grouping}"),
                    &t.t(&super::key("dash-alerts-by", grouping)),
                    &bars,
                    None,
                ),
                head: vec![t.t(&super::key("dash-group", grouping)), t.t("dash-alerts")],
                rows: bars
                    .iter()
                    .map(|(n, c)| vec![n.clone(), c.text()])
                    .collect(),
            }
        })
        .collect()
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
    let mut shown = Vec::new();
    if let Ok(scope) = &scope {
        let fetch = scope.clone();
        let visits = ctx
            .state
            .db
            .read(move |conn| {
                let visits = sustainability_report::scored_visits(conn, &fetch)?;
                let facts = sustainability_report::alert_counts::alert_facts(conn, &fetch)?;
                Ok::<_, AppError>((visits, facts))
            })
            .await;
        // The rows with their alerts, as the report gives them.
        let rows = match visits {
            Ok((visits, facts)) => {
                let mut rows = sustainability_report::rows(&visits, scope);
                let cells = sustainability_report::alert_counts::cells(&facts, scope);
                sustainability_report::alert_counts::add_alerts(&mut rows, &cells);
                rows
            }
            Err(err) => return ctx.fail(err).await,
        };
        let fetch = scope.clone();
        let alerts = ctx
            .state
            .db
            .read(move |conn| sustainability_report::alerts(conn, &fetch).map_err(AppError::from))
            .await;
        let alerts = match alerts {
            Ok(alerts) => alerts,
            Err(err) => return ctx.fail(err).await,
        };
        if filters.wants_csv() {
            return super::csv("sustainability", &sustainability_report::COLUMNS, &rows);
        }
        shown = figures(&t, &rows, &directory);
        shown.extend(alert_figures(&t, &alerts, &directory));
    } else {
        status = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    let body = SustainabilityPage {
        l: ctx.layout(t.t("dash-title"), "dashboards").await,
        d: Frame::new(
            &t,
            "sustainability",
            "/dashboards/sustainability",
            &filters,
            &directory,
            scope.as_ref(),
        ),
        figures: shown,
        model_version: ctx.state.model.version.clone(),
        calibrated: ctx.state.model.calibrated,
    };
    page::render(status, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scores_are_shown_with_two_decimals_or_not_at_all() {
        assert_eq!(score(Some(&json!(0.6666))), "0.67");
        assert_eq!(score(Some(&Value::Null)), "–");
        assert_eq!(score(None), "–");
    }
}
