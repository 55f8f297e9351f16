//! `GET /api/v1/reports/...`: aggregates for programme leads, as JSON or
//! (with `Accept: text/csv`) as CSV.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::store::{self, Scope};
use super::{Count, rate, robust_median, suppress_column, to_csv};
use crate::domain::CountryCode;
use crate::http::{AppError, FieldError, QueryParams, RouteSpec};
use crate::partners::PartnerId;
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::get("/api/v1/reports/funnel", funnel),
        RouteSpec::get("/api/v1/reports/partners", partners),
        RouteSpec::get("/api/v1/reports/overdue", overdue),
        RouteSpec::get("/api/v1/reports/sustainability", sustainability),
        RouteSpec::get("/api/v1/reports/amif", amif),
    ]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearQuery {
    year: Option<i32>,
}

/// The EU AMIF indicators that apply to a voluntary return programme, with
/// the programme's counts behind them.
async fn amif(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: QueryParams<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let year = query.into_inner().year.unwrap_or_else(|| Utc::now().year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::validation(vec![FieldError::new(
            "year",
            "must be a year from 2000 to 2100",
        )]));
    }
    let a = state
        .db
        .read(move |conn| store::amif(conn, year).map_err(AppError::from))
        .await?;
    // returnees = departures + household members: one hidden figure would
    // follow from the other two, so they are hidden together.
    let linked = [a.returnees, a.departures, a.household_members];
    let hide_linked = linked.iter().any(|n| Count::of(*n) == Count::Hidden);
    let rows: Vec<Map<String, Value>> = [
        (
            "returnees_voluntary",
            "Returnees who returned voluntarily",
            a.returnees,
        ),
        (
            "returnees_reintegration_assistance",
            "Returnees who received reintegration assistance (an approved reintegration plan)",
            a.returnees_with_reintegration_assistance,
        ),
        (
            "departures",
            "Referrals that departed (behind the first indicator)",
            a.departures,
        ),
        (
            "household_members",
            "Household members who returned with them",
            a.household_members,
        ),
    ]
    .iter()
    .map(|(id, label, n)| {
        let mut row = Map::new();
        row.insert("indicator".into(), json!(id));
        row.insert("label".into(), json!(label));
        let linked = matches!(
            *id,
            "returnees_voluntary" | "departures" | "household_members"
        );
        let count = if linked && hide_linked && *n > 0 {
            Count::Hidden
        } else {
            Count::of(*n)
        };
        row.insert("value".into(), count.value());
        row
    })
    .collect();
    if wants_csv(&req) {
        return csv_response("amif", &["indicator", "label", "value"], &rows);
    }
    Ok(HttpResponse::Ok().json(json!({"year": year, "items": rows})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    country: Option<CountryCode>,
    partner_id: Option<PartnerId>,
}

impl ScopeQuery {
    /// The last twelve months unless said otherwise.
    fn scope(self) -> Result<Scope, AppError> {
        let plausible = |date: &NaiveDate| (2000..=2100).contains(&date.year());
        let mut errors = Vec::new();
        for (field, date) in [("from", &self.from), ("to", &self.to)] {
            if date.as_ref().is_some_and(|d| !plausible(d)) {
                errors.push(FieldError::new(
                    field,
                    "must be a date in the years 2000 to 2100",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let to = self.to.unwrap_or_else(|| Utc::now().date_naive());
        let from = self.from.unwrap_or(to - Duration::days(365));
        if from > to {
            return Err(AppError::validation(vec![FieldError::new(
                "from",
                "must not be after to",
            )]));
        }
        Ok(Scope {
            from,
            to,
            country: self.country.map(|c| c.as_str().to_owned()),
            partner_id: self.partner_id.map(|p| p.as_str().to_owned()),
        })
    }
}

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"))
}

fn csv_response(
    name: &str,
    columns: &[&str],
    rows: &[Map<String, Value>],
) -> Result<HttpResponse, AppError> {
    let text = to_csv(columns, rows).map_err(|e| AppError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"brug-{name}.csv\""),
        ))
        .body(text))
}

fn period(scope: &Scope) -> Value {
    json!({"from": scope.from, "to": scope.to, "country": scope.country, "partner_id": scope.partner_id})
}

async fn funnel(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: QueryParams<ScopeQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = query.into_inner().scope()?;
    // The counts and the durations read on two connections at once: each
    // reads years of talks, and each query saw its own snapshot before too.
    let (for_counts, for_durations) = (scope.clone(), scope.clone());
    let (f, durations) = tokio::try_join!(
        state
            .db
            .read(move |conn| { store::funnel(conn, &for_counts).map_err(AppError::from) }),
        state
            .db
            .read(move |conn| { store::durations(conn, &for_durations).map_err(AppError::from) }),
    )?;
    let medians = json!({
        "first_talk_to_return_intention": robust_median(&durations.first_talk_to_return_intention),
        "referral_to_acceptance": robust_median(&durations.referral_to_acceptance),
        "acceptance_to_departure": robust_median(&durations.acceptance_to_departure),
        "departure_to_arrival": robust_median(&durations.departure_to_arrival),
    });
    let stages: [(&str, i64); 9] = [
        ("clients_counselled", f.clients_counselled),
        ("intention_return", f.intention_return),
        ("cases_opened", f.cases_opened),
        ("referrals_sent", f.referrals_sent),
        ("referrals_accepted", f.referrals_accepted),
        ("departed", f.departed),
        ("arrived", f.arrived),
        ("monitoring_visits_done", f.monitoring_visits_done),
        ("closed_completed", f.closed_completed),
    ];
    if wants_csv(&req) {
        let rows: Vec<Map<String, Value>> = stages
            .iter()
            .map(|(stage, n)| {
                let mut row = Map::new();
                row.insert("stage".into(), json!(stage));
                row.insert("count".into(), Count::of(*n).value());
                row
            })
            .collect();
        return csv_response("funnel", &["stage", "count"], &rows);
    }
    let mut body = Map::new();
    for (stage, n) in stages {
        body.insert(stage.into(), Count::of(n).value());
    }
    body.insert("median_days".into(), medians);
    body.insert("period".into(), period(&scope));
    Ok(HttpResponse::Ok().json(Value::Object(body)))
}

const PARTNER_COLUMNS: [&str; 10] = [
    "partner_id",
    "referrals",
    "accepted",
    "rejected",
    "acceptance_rate",
    "median_hours_to_acknowledge",
    "median_hours_to_decide",
    "sla_breaches",
    "monitoring_done",
    "monitoring_due",
];

async fn partners(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: QueryParams<ScopeQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = query.into_inner().scope()?;
    let fetch = scope.clone();
    let figures = state
        .db
        .read(move |conn| store::partners(conn, &fetch).map_err(AppError::from))
        .await?;
    let column = |pick: fn(&store::PartnerFigures) -> i64| -> Vec<Count> {
        suppress_column(&figures.values().map(pick).collect::<Vec<_>>())
    };
    let referrals = column(|f| f.referrals);
    let accepted = column(|f| f.accepted);
    let rejected = column(|f| f.rejected);
    let breaches = column(|f| f.sla_breaches);
    let done = column(|f| f.monitoring_done);
    let due = column(|f| f.monitoring_due);
    let mut rows = Vec::new();
    for (i, (id, f)) in figures.iter().enumerate() {
        let mut row = Map::new();
        row.insert("partner_id".into(), json!(id));
        row.insert("referrals".into(), referrals[i].value());
        row.insert("accepted".into(), accepted[i].value());
        row.insert("rejected".into(), rejected[i].value());
        // A rate would undo a hidden accepted or rejected count.
        let shown = accepted[i] != Count::Hidden && rejected[i] != Count::Hidden;
        let acceptance = if shown {
            rate(f.accepted, f.accepted + f.rejected)
        } else {
            Value::Null
        };
        row.insert("acceptance_rate".into(), acceptance);
        row.insert(
            "median_hours_to_acknowledge".into(),
            robust_median(&f.hours_to_acknowledge),
        );
        row.insert(
            "median_hours_to_decide".into(),
            robust_median(&f.hours_to_decide),
        );
        row.insert("sla_breaches".into(), breaches[i].value());
        row.insert("monitoring_done".into(), done[i].value());
        row.insert("monitoring_due".into(), due[i].value());
        rows.push(row);
    }
    if wants_csv(&req) {
        return csv_response("partners", &PARTNER_COLUMNS, &rows);
    }
    // A total over hidden cells would give their sum away: hidden with them.
    let total = |pick: fn(&store::PartnerFigures) -> i64| {
        let values: Vec<i64> = figures.values().map(pick).collect();
        if suppress_column(&values).contains(&Count::Hidden) {
            Count::Hidden.value()
        } else {
            Count::of(values.iter().sum()).value()
        }
    };
    Ok(HttpResponse::Ok().json(json!({
        "items": rows,
        "totals": {
            "referrals": total(|f| f.referrals),
            "accepted": total(|f| f.accepted),
            "rejected": total(|f| f.rejected),
            "sla_breaches": total(|f| f.sla_breaches),
            "monitoring_done": total(|f| f.monitoring_done),
            "monitoring_due": total(|f| f.monitoring_due),
        },
        "period": period(&scope),
    })))
}

const OVERDUE_COLUMNS: [&str; 6] = [
    "kind",
    "referral_id",
    "partner_id",
    "visit_id",
    "due_on",
    "days_overdue",
];

async fn overdue(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: QueryParams<ScopeQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = query.into_inner().scope()?;
    let after_days = state.settings.not_departed_after_days;
    let fetch = scope.clone();
    let items = state
        .db
        .read(move |conn| {
            store::overdue(conn, &fetch, Utc::now().date_naive(), after_days)
                .map_err(AppError::from)
        })
        .await?;
    let rows: Vec<Map<String, Value>> = items
        .iter()
        .filter_map(|item| serde_json::to_value(item).ok())
        .filter_map(|value| value.as_object().cloned())
        .collect();
    if wants_csv(&req) {
        return csv_response("overdue", &OVERDUE_COLUMNS, &rows);
    }
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for item in &items {
        *counts.entry(item.kind).or_default() += 1;
    }
    let counts: Map<String, Value> = counts
        .into_iter()
        .map(|(k, n)| (k.to_owned(), Count::of(n).value()))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": rows, "counts": counts, "next_cursor": null})))
}

/// How visits are grouped in the sustainability report.
type GroupKey = fn(&store::ScoredVisit) -> String;

const SUSTAINABILITY_COLUMNS: [&str; 8] = [
    "group_by",
    "group",
    "visits",
    "economic",
    "social",
    "psychosocial",
    "overall",
    "overall_distribution",
];

async fn sustainability(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: QueryParams<ScopeQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = query.into_inner().scope()?;
    let fetch = scope.clone();
    let visits = state
        .db
        .read(move |conn| store::scored_visits(conn, &fetch).map_err(AppError::from))
        .await?;
    let mut rows = Vec::new();
    let groupings: [(&str, GroupKey); 3] = [
        ("country", |v| v.country.clone()),
        ("partner_id", |v| v.partner_id.clone()),
        ("months_since_arrival", |v| {
            v.months_after_arrival.to_string()
        }),
    ];
    for (name, key) in groupings {
        let mut groups: BTreeMap<String, Vec<&store::ScoredVisit>> = BTreeMap::new();
        for visit in &visits {
            groups.entry(key(visit)).or_default().push(visit);
        }
        // One grouping splits the same visits: a hidden count must not be
        // recoverable from the others, so suppression runs across it.
        let sizes: Vec<i64> = groups.values().map(|m| m.len() as i64).collect();
        let shown_sizes = suppress_column(&sizes);
        for ((group, members), size) in groups.into_iter().zip(shown_sizes) {
            let n = members.len() as i64;
            let visible = size != Count::Hidden;
            let mut row = Map::new();
            row.insert("group_by".into(), json!(name));
            row.insert("group".into(), json!(group));
            row.insert("visits".into(), size.value());
            // Scores of a hidden group would describe its few people: not shown.
            let mean = |pick: fn(&store::ScoredVisit) -> f64| {
                if visible {
                    let sum: f64 = members.iter().map(|v| pick(v)).sum();
                    json!(((sum / n as f64) * 1000.0).round() / 1000.0)
                } else {
                    Value::Null
                }
            };
            row.insert("economic".into(), mean(|v| v.economic));
            row.insert("social".into(), mean(|v| v.social));
            row.insert("psychosocial".into(), mean(|v| v.psychosocial));
            row.insert("overall".into(), mean(|v| v.overall));
            let bands = ["0-0.25", "0.25-0.5", "0.5-0.75", "0.75-1"];
            let mut counts = [0i64; 4];
            for visit in &members {
                let band = ((visit.overall * 4.0).floor() as usize).min(3);
                counts[band] += 1;
            }
            let distribution = if visible {
                let shown = suppress_column(&counts);
                let map: Map<String, Value> = bands
                    .iter()
                    .zip(shown)
                    .map(|(b, c)| ((*b).to_owned(), c.value()))
                    .collect();
                Value::Object(map)
            } else {
                Value::Null
            };
            row.insert("overall_distribution".into(), distribution);
            rows.push(row);
        }
    }
    if wants_csv(&req) {
        return csv_response("sustainability", &SUSTAINABILITY_COLUMNS, &rows);
    }
    Ok(HttpResponse::Ok().json(json!({"items": rows, "period": period(&scope)})))
}
