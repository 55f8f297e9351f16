//! What is late today, by partner and by destination country: referrals
//! not acknowledged or decided in time, accepted ones not departed, and
//! monitoring visits missed. Counts only (the work list with its ids is
//! the caseworkers' `/api/v1/reports/overdue`); each table is suppressed
//! across its rows and columns ([`suppress_table`]).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::charts::{self, Cell};
use super::{Directory, Figure, Filters, Frame};
use crate::http::AppError;
use crate::reports::overdue::{self as overdue_report, Overdue};
use crate::reports::suppress::{Count, suppress_table};
use crate::web::context::Ctx;
use crate::web::i18n::Texts;
use crate::web::page::{self, Layout};

#[derive(Template)]
#[template(path = "dashboards/overview.html")]
struct OverduePage {
    l: Layout,
    d: Frame,
    figures: Vec<Figure>,
}

/// The kinds of lateness, in the order of the tables' columns.
pub const KINDS: [&str; 4] = [
    "acknowledge_overdue",
    "decision_overdue",
    "not_departed",
    "monitoring_missed",
];

/// Counts by kind for each partner or country, the last column the total.
pub struct Table {
    pub groups: Vec<String>,
    pub cells: Vec<Vec<Count>>,
}

/// The items counted by `key` (partner or country) and kind, with a total
/// per group; suppressed as one table.
pub fn table(items: &[Overdue], key: fn(&Overdue) -> &str) -> Table {
    let mut counts: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for item in items {
        if let Some(k) = KINDS.iter().position(|kind| *kind == item.kind) {
            counts.entry(key(item).to_owned()).or_default()[k] += 1;
        }
    }
    let values: Vec<Vec<i64>> = counts
        .values()
        .map(|row| {
            let mut row = row.to_vec();
            row.push(row.iter().sum());
            row
        })
        .collect();
    Table {
        groups: counts.keys().cloned().collect(),
        cells: suppress_table(&values),
    }
}

fn figure(
    t: &Texts,
    id: &str,
    title: &str,
    group: &str,
    table: &Table,
    name: impl Fn(&str) -> String,
) -> Figure {
    let totals: Vec<(String, Cell)> = table
        .groups
        .iter()
        .zip(&table.cells)
        .map(|(g, row)| {
            (
                name(g),
                Cell::count(row.last().copied().unwrap_or(Count::Shown(0))),
            )
        })
        .collect();
    let mut head = vec![t.t(group)];
    head.extend(KINDS.iter().map(|k| t.t(&super::key("dash-kind", k))));
    head.push(t.t("dash-total"));
    Figure {
        chart: charts::bars(id, title, &totals, None),
        head,
        rows: table
            .groups
            .iter()
            .zip(&table.cells)
            .map(|(g, row)| {
                let mut cells = vec![name(g)];
                cells.extend(row.iter().map(|c| Cell::count(*c).text()));
                cells
            })
            .collect(),
    }
}

pub const CSV_COLUMNS: [&str; 7] = [
    "group_by",
    "group",
    "acknowledge_overdue",
    "decision_overdue",
    "not_departed",
    "monitoring_missed",
    "total",
];

fn csv_rows(by: &str, table: &Table) -> Vec<Map<String, Value>> {
    table
        .groups
        .iter()
        .zip(&table.cells)
        .map(|(group, cells)| {
            let mut row = Map::new();
            row.insert("group_by".into(), json!(by));
            row.insert("group".into(), json!(group));
            for (name, count) in CSV_COLUMNS[2..].iter().zip(cells) {
                row.insert((*name).into(), count.value());
            }
            row
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
    let after = ctx.state.settings.not_departed_after_days;
    let mut status = actix_web::http::StatusCode::OK;
    let mut figures = Vec::new();
    if let Ok(scope) = &scope {
        let fetch = scope.clone();
        let items = ctx
            .state
            .db
            .read(move |conn| {
                overdue_report::overdue(conn, &fetch, Utc::now().date_naive(), after)
                    .map_err(AppError::from)
            })
            .await;
        let items = match items {
            Ok(items) => items,
            Err(err) => return ctx.fail(err).await,
        };
        let by_partner = table(&items, |i| i.partner_id.as_str());
        let by_country = table(&items, |i| i.country.as_str());
        if filters.wants_csv() {
            let mut rows = csv_rows("partner", &by_partner);
            rows.extend(csv_rows("country", &by_country));
            return super::csv("overdue", &CSV_COLUMNS, &rows);
        }
        let partner_name = |id: &str| {
            directory
                .partners
                .iter()
                .find(|(p, _)| p == id)
                .map_or_else(|| id.to_owned(), |(_, n)| n.clone())
        };
        figures.push(figure(
            &t,
            "overdue-partners",
            &t.t("dash-overdue-by-partner"),
            "dash-partner",
            &by_partner,
            partner_name,
        ));
        figures.push(figure(
            &t,
            "overdue-countries",
            &t.t("dash-overdue-by-country"),
            "dash-country",
            &by_country,
            page::country_name,
        ));
    } else {
        status = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    let mut frame = Frame::new(
        &t,
        "overdue",
        "/dashboards/overdue",
        &filters,
        &directory,
        scope.as_ref(),
    );
    // What is late today, whatever the period: only the filters apply.
    frame.scope_line = t.t("dash-overdue-today");
    frame
        .filters
        .retain(|f| f.name == "country" || f.name == "partner_id");
    let body = OverduePage {
        l: ctx.layout(t.t("dash-title"), "dashboards").await,
        d: frame,
        figures,
    };
    page::render(status, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(kind: &'static str, partner: &str, country: &str) -> Overdue {
        Overdue {
            kind,
            referral_id: "r".into(),
            partner_id: partner.into(),
            visit_id: None,
            due_on: chrono::NaiveDate::MIN,
            days_overdue: 1,
            country: country.into(),
        }
    }

    #[test]
    fn late_things_are_counted_by_partner_and_kind_and_suppressed_as_a_table() {
        let mut items = Vec::new();
        items.extend((0..6).map(|_| item("acknowledge_overdue", "a", "GH")));
        items.extend((0..7).map(|_| item("not_departed", "a", "GH")));
        items.extend((0..2).map(|_| item("acknowledge_overdue", "b", "IQ")));
        items.extend((0..9).map(|_| item("not_departed", "b", "IQ")));
        let by_partner = table(&items, |i| i.partner_id.as_str());
        assert_eq!(by_partner.groups, ["a", "b"]);
        let shown: Vec<Vec<serde_json::Value>> = by_partner
            .cells
            .iter()
            .map(|r| r.iter().map(|c| c.value()).collect())
            .collect();
        // b's 2 is hidden, and with it a's 6 (its column), b's 9 and a's
        // 7 (their rows and column); the totals 13 and 11 stay.
        assert_eq!(
            shown,
            [
                vec![json!("<5"), json!(0), json!("<5"), json!(0), json!(13)],
                vec![json!("<5"), json!(0), json!("<5"), json!(0), json!(11)],
            ]
        );
        let by_country = table(&items, |i| i.country.as_str());
        assert_eq!(by_country.groups, ["GH", "IQ"]);
    }
}
