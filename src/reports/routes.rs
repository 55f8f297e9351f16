//! `GET /api/v1/reports/...`: aggregates for programme leads, as JSON or
//! (with `Accept: text/csv`) as CSV. Each report's SQL and shaping is in its
//! own file beside this one.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Datelike, Months, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    Scope, amif as amif_report, funnel as funnel_report, overdue as overdue_report, scope,
};
use super::{group::Grouping, who as who_report};
use super::{partners as partners_report, sustainability as sustainability_report, to_csv};
use crate::domain::CountryCode;
use crate::http::{AppError, FieldError, QueryParams, RouteSpec};
use crate::partners::PartnerId;
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::get("/api/v1/reports/funnel", funnel).query::<FunnelQuery>(),
        RouteSpec::get("/api/v1/reports/partners", partners).query::<ScopeQuery>(),
        RouteSpec::get("/api/v1/reports/overdue", overdue).query::<OverdueQuery>(),
        RouteSpec::get("/api/v1/reports/sustainability", sustainability).query::<ScopeQuery>(),
        RouteSpec::get("/api/v1/reports/amif", amif).query::<YearQuery>(),
    ]
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct YearQuery {
    /// The year, 2000 to 2100 (default: this year, so far).
    #[param(minimum = 2000, maximum = 2100)]
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
        .read(move |conn| amif_report::amif(conn, year).map_err(AppError::from))
        .await?;
    let rows = amif_report::rows(&a);
    if wants_csv(&req) {
        return csv_response("amif", &amif_report::COLUMNS, &rows);
    }
    Ok(HttpResponse::Ok().json(json!({"year": year, "items": rows})))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ScopeQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    #[param(inline)]
    country: Option<CountryCode>,
    #[param(inline)]
    partner_id: Option<PartnerId>,
}

impl ScopeQuery {
    /// Whole months: `from` widened to the first of its month, `to` to the
    /// last of its own (the answer's `period` says so); without dates, this
    /// month and the eleven before it.
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
        let today = Utc::now().date_naive();
        let (default_from, default_to) = scope::last_twelve_months(today);
        let to = self.to.unwrap_or(default_to);
        let from = self.from.unwrap_or_else(|| {
            scope::month_start(to)
                .checked_sub_months(Months::new(11))
                .unwrap_or(default_from)
        });
        if from > to {
            return Err(AppError::validation(vec![FieldError::new(
                "from",
                "must not be after to",
            )]));
        }
        let (whole_from, whole_to) = scope::whole_months(from, to);
        let asked =
            (self.from.is_some() || self.to.is_some()) && (whole_from, whole_to) != (from, to);
        Ok(Scope {
            from: whole_from,
            to: whole_to,
            country: self.country.map(|c| c.as_str().to_owned()),
            partner_id: self.partner_id.map(|p| p.as_str().to_owned()),
            requested: asked.then_some((from, to)),
        })
    }
}

/// The funnel's scope, and what to break it down by.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FunnelQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    #[param(inline)]
    country: Option<CountryCode>,
    #[param(inline)]
    partner_id: Option<PartnerId>,
    /// Each stage by the client's `sex` or `age_band` (0-17, 18-34, 35-59,
    /// 60+, age on the period's last day), instead of the funnel's medians.
    #[param(inline)]
    by: Option<Grouping>,
}

impl FunnelQuery {
    fn split(self) -> (ScopeQuery, Option<Grouping>) {
        let scope = ScopeQuery {
            from: self.from,
            to: self.to,
            country: self.country,
            partner_id: self.partner_id,
        };
        (scope, self.by)
    }
}

/// The overdue list's filters. It is what is open today, whenever it
/// began, so it takes no period: `from` and `to` are refused as unknown
/// parameters, not ignored.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct OverdueQuery {
    #[param(inline)]
    country: Option<CountryCode>,
    #[param(inline)]
    partner_id: Option<PartnerId>,
}

impl OverdueQuery {
    fn scope(self) -> Scope {
        let today = Utc::now().date_naive();
        Scope {
            from: today,
            to: today,
            country: self.country.map(|c| c.as_str().to_owned()),
            partner_id: self.partner_id.map(|p| p.as_str().to_owned()),
            requested: None,
        }
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

async fn funnel(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: QueryParams<FunnelQuery>,
) -> Result<HttpResponse, AppError> {
    let (scope, by) = query.into_inner().split();
    let scope = scope.scope()?;
    if let Some(by) = by {
        return funnel_by(state, req, scope, by).await;
    }
    // The counts and the durations read on two connections at once: each
    // reads years of talks, and each query saw its own snapshot before too.
    let (for_counts, for_durations) = (scope.clone(), scope.clone());
    let (f, durations) = tokio::try_join!(
        state
            .db
            .read(move |conn| { funnel_report::shown(conn, &for_counts).map_err(AppError::from) }),
        state.db.read(move |conn| {
            funnel_report::durations(conn, &for_durations).map_err(AppError::from)
        }),
    )?;
    if wants_csv(&req) {
        return csv_response(
            "funnel",
            &funnel_report::CSV_COLUMNS,
            &funnel_report::csv_rows(&f),
        );
    }
    Ok(HttpResponse::Ok().json(funnel_report::body(&f, &durations, &scope)))
}

/// Who reaches each stage: the funnel by sex or by age band.
async fn funnel_by(
    state: web::Data<AppState>,
    req: HttpRequest,
    scope: Scope,
    by: Grouping,
) -> Result<HttpResponse, AppError> {
    let fetch = scope.clone();
    let who = state
        .db
        .read(move |conn| who_report::who_by(conn, &fetch, &[by]).map_err(AppError::from))
        .await?;
    if wants_csv(&req) {
        let name = format!("funnel-by-{}", by.as_str());
        return csv_response(&name, &who_report::CSV_COLUMNS, &who_report::rows(&who));
    }
    match who.breakdowns.first() {
        Some(breakdown) => Ok(HttpResponse::Ok().json(who_report::body(breakdown, &scope))),
        None => Err(AppError::Internal(anyhow::anyhow!(
            "no breakdown by {}",
            by.as_str()
        ))),
    }
}

async fn partners(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: QueryParams<ScopeQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = query.into_inner().scope()?;
    let fetch = scope.clone();
    let (rows, totals) = state
        .db
        .read(move |conn| partners_report::report(conn, &fetch).map_err(AppError::from))
        .await?;
    if wants_csv(&req) {
        return csv_response("partners", &partners_report::COLUMNS, &rows);
    }
    let rows: Vec<Map<String, Value>> = rows
        .into_iter()
        .map(partners_report::nest_declines)
        .collect();
    let totals = match totals {
        Value::Object(totals) => Value::Object(partners_report::nest_declines(totals)),
        other => other,
    };
    Ok(HttpResponse::Ok().json(json!({
        "items": rows,
        "totals": totals,
        "period": scope.period(),
    })))
}

async fn overdue(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: QueryParams<OverdueQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = query.into_inner().scope();
    let after_days = state.settings.not_departed_after_days;
    let fetch = scope.clone();
    let items = state
        .db
        .read(move |conn| {
            overdue_report::overdue(conn, &fetch, Utc::now().date_naive(), after_days)
                .map_err(AppError::from)
        })
        .await?;
    let rows = overdue_report::rows(&items);
    if wants_csv(&req) {
        return csv_response("overdue", &overdue_report::COLUMNS, &rows);
    }
    let counts = overdue_report::counts(&items);
    Ok(HttpResponse::Ok().json(json!({"items": rows, "counts": counts, "next_cursor": null})))
}

async fn sustainability(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: QueryParams<ScopeQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = query.into_inner().scope()?;
    let fetch = scope.clone();
    let (visits, alerts) = state
        .db
        .read(move |conn| {
            let visits = sustainability_report::scored_visits(conn, &fetch)?;
            let alerts = sustainability_report::alert_counts::alert_facts(conn, &fetch)?;
            Ok::<_, AppError>((visits, alerts))
        })
        .await?;
    let mut rows = sustainability_report::rows(&visits, &scope);
    let cells = sustainability_report::alert_counts::cells(&alerts, &scope);
    sustainability_report::alert_counts::add_alerts(&mut rows, &cells);
    if wants_csv(&req) {
        return csv_response("sustainability", &sustainability_report::COLUMNS, &rows);
    }
    Ok(HttpResponse::Ok().json(json!({"items": rows, "period": scope.period()})))
}
