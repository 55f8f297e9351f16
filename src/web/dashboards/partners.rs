//! Partners side by side: how fast each answers (median and 90th
//! percentile against its SLA), what becomes of its referrals (acceptance,
//! declines by coded reason), monitoring done when due, and the time from
//! arrival to a reintegration plan. One row per partner of the partners
//! report (so suppressed as there), sortable, with a link to each one's
//! quarterly scorecard.

use std::cmp::Ordering;

use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::prelude::*;
use serde_json::{Map, Value};

use super::charts::{self, Cell};
use super::{Directory, Figure, Filters, Frame};
use crate::db::schema::partners;
use crate::http::AppError;
use crate::referrals::vocabulary::DeclineReason;
use crate::reports::partners as partners_report;
use crate::web::context::Ctx;
use crate::web::i18n::Texts;
use crate::web::page::{self, Layout};

/// The columns a lead may sort by, in the table's order.
pub const SORTABLE: [&str; 8] = [
    "referrals",
    "acceptance_rate",
    "median_hours_to_acknowledge",
    "p90_hours_to_acknowledge",
    "median_hours_to_decide",
    "p90_hours_to_decide",
    "sla_breaches",
    "median_days_to_plan",
];

pub struct Row {
    pub id: String,
    pub name: String,
    /// The SLA in working days: to acknowledge, to decide.
    pub sla: String,
    pub cells: Vec<String>,
    pub monitoring: String,
    pub declines: Vec<String>,
}

#[derive(Template)]
#[template(path = "dashboards/partners.html")]
struct PartnersPage {
    l: Layout,
    d: Frame,
    figures: Vec<Figure>,
    /// Each sortable column's heading, link and whether the table is
    /// sorted by it.
    columns: Vec<(String, String, bool)>,
    decline_heads: Vec<String>,
    rows: Vec<Row>,
    quarter_query: String,
}

/// Orders by a shown figure, largest first: a hidden or missing figure
/// counts as below every shown one (hidden ones are not told apart), and
/// ties keep the partners' names in order.
fn by_shown(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    let key = |v: Option<&Value>| v.and_then(Value::as_f64);
    match (key(a), key(b)) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

pub fn sort_rows(rows: &mut [Map<String, Value>], names: &[(String, String)], sort: &str) {
    let name = |row: &Map<String, Value>| -> String {
        let id = row
            .get("partner_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        names
            .iter()
            .find(|(p, _)| p == id)
            .map_or_else(|| id.to_owned(), |(_, n)| n.clone())
    };
    rows.sort_by(|a, b| {
        let order = if SORTABLE.contains(&sort) {
            by_shown(a.get(sort), b.get(sort))
        } else {
            Ordering::Equal
        };
        order.then_with(|| name(a).cmp(&name(b)))
    });
}

/// A partner's own SLA in working days (to acknowledge, to decide), where
/// it has one.
type Sla = (String, Option<i32>, Option<i32>);

fn slas(conn: &mut crate::db::DbConn) -> Result<Vec<Sla>, AppError> {
    Ok(partners::table
        .select((
            partners::id,
            partners::sla_acknowledge_working_days,
            partners::sla_decide_working_days,
        ))
        .load(conn)?)
}

pub fn rate_text(value: Option<&Value>) -> String {
    match value.and_then(Value::as_f64) {
        Some(r) => format!("{:.0}%", r * 100.0),
        None => super::cell(value),
    }
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
    let (mut figures, mut rows) = (Vec::new(), Vec::new());
    if let Ok(scope) = &scope {
        let fetch = scope.clone();
        let loaded = ctx
            .state
            .db
            .read(move |conn| {
                let report = partners_report::report(conn, &fetch)?;
                Ok::<_, AppError>((report, slas(conn)?))
            })
            .await;
        let ((mut items, totals), slas) = match loaded {
            Ok(loaded) => loaded,
            Err(err) => return ctx.fail(err).await,
        };
        if filters.wants_csv() {
            return super::csv("partners", &partners_report::COLUMNS, &items);
        }
        sort_rows(&mut items, &directory.partners, &filters.sort);
        figures = charts_of(&t, &items, &totals, &directory);
        let default = &ctx.state.settings.sla;
        rows = items
            .iter()
            .map(|item| {
                let id = item
                    .get("partner_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let sla = slas.iter().find(|(p, _, _)| *p == id);
                let ack = sla
                    .and_then(|s| s.1)
                    .map_or(i64::from(default.acknowledge_working_days), i64::from);
                let decide = sla
                    .and_then(|s| s.2)
                    .map_or(i64::from(default.decide_working_days), i64::from);
                Row {
                    name: name_of(&directory, &id),
                    sla: t.with(
                        "dash-sla-days",
                        &[
                            ("acknowledge", ack.to_string()),
                            ("decide", decide.to_string()),
                        ],
                    ),
                    cells: SORTABLE
                        .iter()
                        .map(|c| {
                            if *c == "acceptance_rate" {
                                rate_text(item.get(*c))
                            } else {
                                super::cell(item.get(*c))
                            }
                        })
                        .collect(),
                    monitoring: format!(
                        "{} / {}",
                        super::cell(item.get("monitoring_done")),
                        super::cell(item.get("monitoring_due"))
                    ),
                    declines: DeclineReason::ALL
                        .iter()
                        .map(|code| super::cell(item.get(&format!("declines_{code}"))))
                        .collect(),
                    id,
                }
            })
            .collect();
    } else {
        status = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    let query = filters.query();
    let columns = SORTABLE
        .iter()
        .map(|c| {
            let href = if query.is_empty() {
                format!("/dashboards/partners?sort={c}")
            } else {
                format!("/dashboards/partners?{query}&sort={c}")
            };
            (t.t(&super::key("dash-col", c)), href, filters.sort == *c)
        })
        .collect();
    let quarter_query = scope
        .as_ref()
        .map(|s| super::scorecard::quarter_of(s.to).to_string())
        .unwrap_or_default();
    let body = PartnersPage {
        l: ctx.layout(t.t("dash-title"), "dashboards").await,
        d: Frame::new(
            &t,
            "partners",
            "/dashboards/partners",
            &filters,
            &directory,
            scope.as_ref(),
        ),
        figures,
        columns,
        decline_heads: DeclineReason::ALL
            .iter()
            .map(|code| t.code_label("case-decline", code.as_str()))
            .collect(),
        rows,
        quarter_query,
    };
    page::render(status, &body)
}

fn name_of(directory: &Directory, id: &str) -> String {
    directory
        .partners
        .iter()
        .find(|(p, _)| p == id)
        .map_or_else(|| id.to_owned(), |(_, n)| n.clone())
}

/// Median hours to acknowledge per partner, and the declines by reason
/// over every partner (the report's totals).
fn charts_of(
    t: &Texts,
    items: &[Map<String, Value>],
    totals: &Value,
    directory: &Directory,
) -> Vec<Figure> {
    // Partners without a median (too few answers) add nothing to a chart;
    // the table above lists them all.
    let hours: Vec<(String, Cell)> = items
        .iter()
        .filter(|item| {
            item.get("median_hours_to_acknowledge")
                .is_some_and(|v| !v.is_null())
        })
        .map(|item| {
            let id = item
                .get("partner_id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            (
                name_of(directory, id),
                Cell::of(
                    item.get("median_hours_to_acknowledge")
                        .unwrap_or(&Value::Null),
                ),
            )
        })
        .collect();
    let acknowledge = Figure {
        chart: charts::bars("acknowledge", &t.t("dash-acknowledge-title"), &hours, None),
        head: vec![
            t.t("dash-partner"),
            t.t("dash-col-median-hours-to-acknowledge"),
        ],
        rows: hours
            .iter()
            .map(|(n, c)| vec![n.clone(), c.text()])
            .collect(),
    };
    let declines: Vec<(String, Cell)> = DeclineReason::ALL
        .iter()
        .map(|code| {
            (
                t.code_label("case-decline", code.as_str()),
                Cell::of(
                    totals
                        .get(format!("declines_{code}"))
                        .unwrap_or(&Value::Null),
                ),
            )
        })
        .collect();
    let reasons = Figure {
        chart: charts::bars("declines", &t.t("dash-declines-title"), &declines, None),
        head: vec![t.t("dash-reason"), t.t("dash-count")],
        rows: declines
            .iter()
            .map(|(n, c)| vec![n.clone(), c.text()])
            .collect(),
    };
    vec![acknowledge, reasons]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_sort_by_the_shown_figure_and_hidden_ones_go_last_by_name() {
        let row = |id: &str, referrals: Value| {
            let mut m = Map::new();
            m.insert("partner_id".into(), json!(id));
            m.insert("referrals".into(), referrals);
            m
        };
        let mut rows = vec![
            row("c", json!("<5")),
            row("a", json!(7)),
            row("b", json!("<5")),
            row("d", json!(30)),
        ];
        let names = vec![
            ("a".to_owned(), "Alpha".to_owned()),
            ("b".to_owned(), "Beta".to_owned()),
            ("c".to_owned(), "Gamma".to_owned()),
            ("d".to_owned(), "Delta".to_owned()),
        ];
        sort_rows(&mut rows, &names, "referrals");
        let order: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.get("partner_id").and_then(Value::as_str))
            .collect();
        assert_eq!(order, ["d", "a", "b", "c"]);
        sort_rows(&mut rows, &names, "no_such_column");
        let order: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.get("partner_id").and_then(Value::as_str))
            .collect();
        assert_eq!(order, ["a", "b", "d", "c"]);
    }
}
