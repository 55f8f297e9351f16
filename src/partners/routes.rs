//! `GET /api/v1/partners` and `GET /api/v1/partners/{id}`; a partner's own
//! capacity answer at `GET` and `PUT /partner/v1/capacity`.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::capacity::{self, CapacityInput};
use super::directory;
use super::store::PartnerFilter;
use super::{PartnerStatus, Service};
use crate::audit::AuditContext;
use crate::auth::PartnerCaller;
use crate::domain::{CountryCode, LanguageCode};
use crate::http::{AppError, JsonBody, Page, PageRequest, QueryParams, RouteSpec};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::get("/api/v1/partners", list_partners).query::<ListQuery>(),
        RouteSpec::get("/api/v1/partners/{id}", get_partner),
        RouteSpec::get("/partner/v1/capacity", get_capacity),
        RouteSpec::new(
            actix_web::http::Method::PUT,
            "/partner/v1/capacity",
            set_capacity,
        ),
    ]
}

async fn get_capacity(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
) -> Result<HttpResponse, AppError> {
    let view = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        capacity::commands::get(conn, by, &caller.partner_id, Utc::now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn set_capacity(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    body: JsonBody<CapacityInput>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let view = state
        .db
        .write(move |conn| {
            capacity::commands::set(conn, &audit, &caller.partner_id, &input, Utc::now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(inline)]
    country: Option<CountryCode>,
    #[param(inline)]
    need: Option<Service>,
    #[param(inline)]
    language: Option<LanguageCode>,
    #[param(inline)]
    status: Option<PartnerStatus>,
    /// How many to answer: 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// From an earlier answer\'s `next_cursor`: the page after it.
    cursor: Option<String>,
}

async fn list_partners(
    state: web::Data<AppState>,
    query: QueryParams<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = PartnerFilter {
        country: query.country,
        need: query.need,
        language: query.language,
        status: query.status,
    };
    let fetch = page.clone();
    let directory = state.directory.clone();
    let rows = state
        .db
        .read(move |conn| {
            directory::list(conn, &directory, &filter, &fetch).map_err(AppError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, |p| p.id.clone())))
}

async fn get_partner(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let directory = state.directory.clone();
    let partner = state
        .db
        .read(move |conn| directory::get(conn, &directory, &id).map_err(AppError::from))
        .await?
        .ok_or_else(|| AppError::not_found("partner"))?;
    Ok(HttpResponse::Ok().json(partner))
}
